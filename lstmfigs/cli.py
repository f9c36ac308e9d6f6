"""The ``lstmfigs`` command: a thin layer over the Python API.

Bad input of any kind (unknown names, bad options, unreadable specs, unwritable folders)
prints one line, ``lstmfigs: error: ...``, on stderr and exits with status 2, having written
nothing.  Module level imports stay light (no matplotlib) so ``--help`` is instant.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__, catalog
from .errors import LstmfigsError, printable
from .limits import MAX_FRAME_MS, MIN_FRAME_MS
from .options import DIAGRAM_OPTIONS, OPTIONS, SPEC_SHAPING_OPTIONS

#: A command function, as click's decorators take and return it.
_Command = TypeVar("_Command", bound=Callable[..., Any])

if TYPE_CHECKING:  # pragma: no cover
    from .build import Request

DEFAULT_FORMATS = "pdf,png,svg"


class _Group(click.Group):
    """Routes every error to one line on stderr and exit status 2.

    SIGINT, SIGTERM and SIGHUP end the command the same way, after every temporary file is
    removed and every worker process stopped (see :mod:`lstmfigs.signals`).
    """

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **kwargs: Any) -> Any:
        """Run the command; errors end as one line (``standalone_mode`` is always off:
        this method is the error handling)."""
        from . import signals

        try:
            with signals.handled():
                result = super().main(args=args, prog_name=prog_name or "lstmfigs",
                                      complete_var=complete_var, standalone_mode=False,
                                      **kwargs)
                signals.check()  # an interrupt swallowed on the way still fails the run
                return result
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else "", err=False)
            sys.exit(0)
        except signals.Interrupted as exc:
            _fail(f"interrupted by {exc.name}; nothing was left half-written")
        except click.exceptions.Abort:
            _fail("aborted")
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException as exc:
            _fail(exc.format_message())
        except LstmfigsError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted; nothing was left half-written")
        except OSError as exc:
            _fail(f"{exc.strerror or exc}" + (f": '{exc.filename}'" if exc.filename else ""))
        except MemoryError:
            _fail("out of memory")
        except RecursionError:
            _fail("input nested too deeply")
        except Exception as exc:  # a bug: still one line, but say so (LSTMFIGS_DEBUG shows it)
            if os.environ.get("LSTMFIGS_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}); please report this "
                  "(LSTMFIGS_DEBUG=1 shows the traceback)")


def _fail(message: str) -> None:
    click.echo(f"lstmfigs: error: {printable(message)}", err=True)
    sys.exit(2)


def _echo(text: str) -> None:
    click.echo(printable(text))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             no_args_is_help=True)
@click.version_option(__version__, "--version", prog_name="lstmfigs")
def main() -> None:
    """Publication-quality figures about LSTM networks.

    \b
    Examples:
      lstmfigs list                                   the figure catalog
      lstmfigs render lstm-cell                       PDF, PNG and SVG in output/
      lstmfigs render lstm-cell --theme ieee --format pdf --highlight forget
      lstmfigs render all --theme slides-dark -o slides/
      lstmfigs render my-cell.toml                    a spec of your own
    """


@main.command("list")
def list_command() -> None:
    """List every built-in figure."""
    entries = catalog.entries()
    width = max(len(e.name) for e in entries)
    for entry in entries:
        click.echo(f"{entry.name:<{width}}  {entry.kind:<7}  {entry.summary}")


@main.command("themes")
def themes_command() -> None:
    """List the themes (each is also a matplotlib style 'lstmfigs.NAME')."""
    from .themes import resolve_theme, theme_names

    for name in theme_names():
        click.echo(f"{name:<12}  {resolve_theme(name).description}")


@main.command("cells")
@click.argument("name", required=False)
def cells_command(name: str | None) -> None:
    """List the built-in cell definitions, or print one (NAME) as TOML to edit."""
    from . import cells

    if name is not None:
        click.echo(cells.builtin(name).source, nl=False)
        return
    known = cells.names()
    width = max(len(n) for n in known)
    for known_name in known:
        click.echo(f"{known_name:<{width}}  {cells.builtin(known_name).title}")


def _formats(value: str) -> list[str]:
    from .export import ANIMATED_FORMATS, EDITABLE_FORMATS, FORMATS

    formats = [f.strip().lower().lstrip(".") for f in value.split(",") if f.strip()]
    if not formats:
        raise LstmfigsError("--format needs at least one of " + ", ".join(FORMATS))
    for fmt in formats:
        if fmt not in FORMATS + ANIMATED_FORMATS + EDITABLE_FORMATS:
            raise LstmfigsError(f"unknown format '{fmt}'; formats: {', '.join(FORMATS)}, "
                                f"{', '.join(ANIMATED_FORMATS)} (animated figures), "
                                f"{', '.join(EDITABLE_FORMATS)} (editable)")
    return list(dict.fromkeys(formats))


def _check_output_folder(out: str) -> Path:
    """Fail early if ``out`` cannot be written, without creating anything yet."""
    folder = Path(out)
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise LstmfigsError(f"cannot write into '{out}': '{existing}' is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise LstmfigsError(f"output folder '{out}' is not writable")
    return folder


# -- shell completion (click's shell_complete) and the lists in 'render --help' -------------
# Everything here imports neither matplotlib nor figure code, except step names, which need
# the named diagram's spec.

def _complete_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from click.shell_completion import CompletionItem

    if "/" in incomplete or incomplete.endswith((".", ".toml")):
        return [CompletionItem(incomplete, type="file")]
    names = ["all"] + [e.name for e in catalog.entries()]
    items: list[Any] = [CompletionItem(n, help=_summary(n)) for n in names
                        if n.startswith(incomplete)]
    return items or [CompletionItem(incomplete, type="file")]


def _summary(name: str) -> str | None:
    return None if name == "all" else catalog.get(name).summary


def _complete_themes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from .themes import theme_names

    head, plus, last = incomplete.rpartition("+")
    return [head + plus + n for n in theme_names() if n.startswith(last)]


def _complete_formats(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Comma-separated: completes the last item, without repeating one already given."""
    from .export import ANIMATED_FORMATS, EDITABLE_FORMATS, FORMATS

    head, comma, last = incomplete.rpartition(",")
    given = set(head.split(",")) if head else set()
    return [head + comma + f for f in FORMATS + ANIMATED_FORMATS + EDITABLE_FORMATS
            if f.startswith(last) and f not in given]


def _complete_steps(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """The highlight steps of the diagrams named so far (all diagrams' steps if none)."""
    from .figures.diagrams import builtin_names, builtin_spec

    # While completing, click leaves the arguments typed so far in ctx.args.
    given = list(ctx.params.get("names") or ()) + list(ctx.args)
    named = [n for n in given if n in builtin_names()]
    steps: list[str] = []
    for name in named or builtin_names():
        steps += [s for s in builtin_spec(name).steps if s not in steps]
    return [s for s in steps if s.startswith(incomplete)]


class _RenderCommand(click.Command):
    """'render --help' ends with the figures, themes, fonts, formats and venues to choose.

    (The format list lives with the writers in lstmfigs.export, so this help, unlike
    'lstmfigs --help', loads matplotlib.)"""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """A flag that may carry a value (``--equations``) takes it only attached
        (``--equations=beside``); alone it means its flag value, so a figure name after it
        stays a name (``--equations lstm-cell``), and ``--no-equations`` is
        ``--equations=off``: spelt out so, the last one given wins."""
        spelt: dict[str, str] = {}
        for option in OPTIONS.values():
            if option.flag_value is not None and option.cli_flag is not None:
                spelt[option.cli_flag] = f"{option.cli_flag}={option.flag_value}"
                if option.negatable:
                    spelt[f"--no-{option.cli_flag[2:]}"] = f"{option.cli_flag}={_OFF}"
        attached = []
        for index, arg in enumerate(args):
            if arg == "--":
                attached += args[index:]
                break
            attached.append(spelt.get(arg, arg))
        return super().parse_args(ctx, attached)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .export import ANIMATED_FORMATS, EDITABLE_FORMATS, FORMATS
        from .sizes import VENUES
        from .themes import FONTS, theme_names

        entries = catalog.entries()
        sections = [
            ("Diagrams", [e.name for e in entries if e.kind == "diagram"]),
            ("Data figures", [e.name for e in entries if e.kind == "data"]),
            ("Animated (gif, apng, webp)", [e.name for e in entries if e.animated]),
            ("Themes", theme_names()),
            ("Fonts (--font)", list(FONTS)),
            ("Formats", list(FORMATS + ANIMATED_FORMATS + EDITABLE_FORMATS)),
            ("Venues (--width)", list(VENUES)),
        ]
        import textwrap

        for title, names in sections:
            with formatter.section(title):
                # Wrapped between names only: a name broken at its hyphen cannot be copied.
                width = max(formatter.width - formatter.current_indent, 20)
                for line in textwrap.wrap(", ".join(names), width, break_on_hyphens=False,
                                          break_long_words=False):
                    formatter.write(" " * formatter.current_indent + line + "\n")


def _option_flags(names: Sequence[str]) -> Callable[[_Command], _Command]:
    """A decorator adding the flags of the figure options ``names`` (``--highlight``,
    ``--weights``, ``--layers``, ...), made from the one option table,
    :data:`lstmfigs.options.OPTIONS`, in its order."""

    def decorate(command: _Command) -> _Command:
        for option in reversed([OPTIONS[name] for name in names]):
            flag = option.cli_flag
            if flag is None:
                continue
            kwargs: dict[str, Any] = {"default": None, "help": option.help}
            if option.metavar:
                kwargs["metavar"] = option.metavar
            if option.bounds is not None:
                kwargs["type"] = click.IntRange(*option.bounds)
            elif option.is_path:
                kwargs["type"] = click.Path(dir_okay=False)
            if option.name in _COMPLETIONS:
                kwargs["shell_complete"] = _COMPLETIONS[option.name]
            if option.flag_value is not None:  # a flag that may carry a value
                command = _flag_with_value(command, option, kwargs)
                continue
            declared = f"{flag}/--no-{flag[2:]}" if option.negatable else flag
            command = click.option(declared, option.name, **kwargs)(command)
        return command

    return decorate


#: What ``--no-NAME`` of a flag that may carry a value becomes (see _RenderCommand.parse_args).
_OFF = "off"


def _flag_with_value(command: _Command, option: Any, kwargs: dict[str, Any]) -> _Command:
    """``--NAME[=VALUE]``, VALUE one of the option's choices (alone: its flag value), and,
    if negatable, ``--no-NAME`` (``--NAME=off``: False).  :meth:`_RenderCommand.parse_args`
    spells the flags out as values, so the last one given wins."""
    flag, name = option.cli_flag, option.name

    def value(_ctx: click.Context, _param: click.Parameter, given: Any) -> Any:
        return False if given == _OFF else given

    choices = [*option.choices, *([_OFF] if option.negatable else [])]
    if option.negatable:  # listed after the flag: options are added bottom up
        command = click.option(f"--no-{flag[2:]}", is_flag=True, expose_value=False,
                               help=f"No {flag[2:]} ({flag}={_OFF}).")(command)
    return click.option(flag, name, type=click.Choice(choices), callback=value,
                        **kwargs)(command)


_COMPLETIONS = {"highlight": _complete_steps}


@main.command("render", cls=_RenderCommand)
@click.argument("names", nargs=-1, required=True, metavar="NAME... | all | SPEC.toml",
                shell_complete=_complete_names)
@click.option("-o", "--out", default="output", show_default=True, help="Folder to write into.")
@click.option("--format", "formats", default=DEFAULT_FORMATS, show_default=True,
              shell_complete=_complete_formats,
              help="Comma-separated: pdf, png, svg, pgf (data figures), eps, ps; gif, apng, "
                   "webp for animated figures; tikz and pptx editable (see README).")
@click.option("--theme", default="paper", show_default=True, shell_complete=_complete_themes,
              help="Theme name (see 'lstmfigs themes'), NAME+NAME, or a .toml theme table "
                   "or .mplstyle file.")
@click.option("--font", type=click.Choice(["times", "cm", "sans"]), default=None,
              help="Text and maths font family (default: the theme's, matching its venue).")
@click.option("--dpi", type=float, default=None, help="Raster resolution (default: the theme's).")
@click.option("--width", default=None, metavar="LENGTH|VENUE",
              help="Figure width: inches (3.5), a length (345pt, 252bp, 8.9cm, 88.9mm) or a "
                   "venue (ieee-column, acm-column, neurips-text, ...; listed below). "
                   "Default: the theme's.")
@click.option("--transparent", is_flag=True, default=False,
              help="Transparent background (GIF: fully transparent pixels only).")
@click.option("--frame-ms", type=click.IntRange(MIN_FRAME_MS, MAX_FRAME_MS), default=None,
              help="Animations: how long each frame shows, in milliseconds.")
@_option_flags(list(OPTIONS))
@click.option("--layer", default=None, metavar="NAME",
              help="Data figures: the recurrent layer of --weights to show (default: the only "
                   "one).")
@click.option("--nonlinearity", type=click.Choice(["tanh", "relu"]), default=None,
              help="Data figures: a PyTorch RNN's nonlinearity (a state dict does not record it).")
@click.option("--activation", default=None, metavar="NAME",
              help="Data figures: the activation of bare Keras weights (no config).")
@click.option("--recurrent-activation", default=None, metavar="NAME",
              help="Data figures: the recurrent activation of bare Keras weights (no config).")
@click.option("--batch-first/--time-major", "batch_first", default=None,
              help="Data figures: the layout of a 3-D --input, (batch, time, features) or "
                   "(time, batch, features), or of a 2-D batch of token ids.")
@click.option("--data", "write_data", is_flag=True, default=False,
              help="Data figures: also write the numbers behind the figure.")
@click.option("--data-format", type=click.Choice(["npz", "csv"]), default="npz", show_default=True,
              help="Format of the numbers written by --data.")
@click.option("--storyboard", is_flag=True, default=False,
              help="Diagrams with steps: every step in turn (lstm-activity: every time step); "
                   "pdf as one multi-page file, png/svg as numbered frames.")
@click.option("--editable-svg", is_flag=True, default=False,
              help="SVG keeps text as <text> and groups elements by id, role and step.")
@click.option("--allow-layout-problems", is_flag=True, default=False,
              help="Draw diagrams whose layout has problems (text over text or wires, wires "
                   "through nodes, ...) instead of failing.")
def render_command(names: tuple[str, ...], out: str, formats: str, theme: str,
                   font: str | None, dpi: float | None, width: str | None, transparent: bool,
                   frame_ms: int | None, write_data: bool, data_format: str, storyboard: bool,
                   editable_svg: bool, allow_layout_problems: bool,
                   layer: str | None, nonlinearity: str | None,
                   activation: str | None, recurrent_activation: str | None,
                   batch_first: bool | None, **figure_options: Any) -> None:
    """Render figures (built-in names, 'all', or .toml spec files) into a folder.

    Every target and option is checked before anything is drawn, and every file is staged
    under a temporary name until all are complete: a run writes all its files or none.
    A diagram whose layout has problems fails the run, naming them, unless
    --allow-layout-problems is given.
    """
    from .export import ANIMATED_FORMATS, EDITABLE_FORMATS, batch, save_figure
    from .export import write_data as write_numbers
    from .themes import resolve_theme, with_font

    # Check everything before drawing anything.
    format_list = _formats(formats)
    if editable_svg and ("svg" not in format_list or storyboard):
        raise LstmfigsError("--editable-svg applies to --format svg, not to storyboard frames")
    resolved = resolve_theme(with_font(theme, font))
    targets = _targets(names, figure_options)
    # How to read --weights and --input (checked now, before anything is drawn).
    weights, inputs, notes = _model_sources(
        figure_options.get("weights"), figure_options.get("inputs"), batch_first, layer=layer,
        nonlinearity=nonlinearity, activation=activation,
        recurrent_activation=recurrent_activation)
    for target in targets:
        target.options.update({key: source for key, source in (("weights", weights),
                                                               ("inputs", inputs))
                               if key in target.options})
    jobs = _plan_jobs(targets, resolved, width, dpi, format_list, write_data, storyboard,
                      allow_layout_problems)
    if figure_options.get("runs") is not None:
        from .datafigs.runs import resolve

        resolve(figure_options["runs"])  # a missing or damaged run set fails now
    folder = _check_output_folder(out)

    from .build import build, compute_data, summarise

    printed: list[str] = []
    with batch() as staged:
        staged.make_folder(folder)
        for job in jobs:
            req, stem = job.request, job.stem
            # A data figure's numbers, once: for its figure, animation, --data and summary.
            data = compute_data(req) if req.has_data else None
            static = [f for f in format_list
                      if f not in ANIMATED_FORMATS and f not in EDITABLE_FORMATS]
            if static and storyboard:
                printed += _render_storyboard(req, folder, stem, static, data=data,
                                              transparent=transparent or None)
            elif static:
                fig = build(req, data=data)
                for fmt in static:
                    if fmt == "svg" and editable_svg:
                        from .svgedit import save_editable_svg

                        path = save_editable_svg(fig, folder / f"{stem}.svg")
                    else:
                        path = save_figure(fig, folder / f"{stem}.{fmt}", dpi=req.dpi,
                                           transparent=transparent or None)
                    printed.append(str(path))
                _close(fig)
            for fmt in (f for f in format_list if f in EDITABLE_FORMATS):
                if fmt == "tikz" and req.spec is None:
                    continue  # a data figure swept in by 'all' (named ones failed above)
                printed.append(str(_save_editable(req, fmt, folder, stem, data=data)))
            for fmt in (f for f in format_list if f in ANIMATED_FORMATS):
                from .animate import save_animation

                path = save_animation(req, folder / f"{stem}.{fmt}", transparent=transparent,
                                      frame_ms=frame_ms, data=data)
                printed.append(str(path))
            if data is not None and write_data:
                printed.append(str(write_numbers(data, folder / f"{stem}.{data_format}")))
            if data is not None:
                printed += [f"  {key}: {value}" for key, value in summarise(req, data).items()]
    for line in printed:  # only once every file is in place
        _echo(line)
    for note in notes:
        click.echo(printable(note), err=True)


@dataclass(frozen=True)
class _Job:
    """One target of a render run, checked: its request and the stem of its file names."""

    request: Request
    stem: str


@dataclass(frozen=True)
class _Target:
    """A name on the command line (or swept in by 'all'), looked up once, with the options
    given that apply to it."""

    name: str
    entry: catalog.FigureEntry | None
    options: dict[str, Any]
    explicit: bool


def _targets(names: Sequence[str], given: dict[str, Any]) -> list[_Target]:
    """Each name looked up in the catalog once (unknown names fail first), with the options
    that apply to it: an option a named figure does not take is an error, one a figure
    swept in by 'all' does not take passes it by."""
    from .build import is_spec_path
    from .errors import UnknownNameError

    entries: dict[str, catalog.FigureEntry | None] = {}
    for name in names:
        if name == "all":
            entries.update({e.name: e for e in catalog.entries() if e.name not in entries})
        elif name not in entries:
            entries[name] = None if is_spec_path(name) else catalog.get(name)
    targets = []
    for name, entry in entries.items():
        accepted = DIAGRAM_OPTIONS if entry is None else entry.options
        explicit = name in names
        options: dict[str, Any] = {}
        for key, value in given.items():
            if value is None:
                continue
            if key in accepted:
                options[key] = value
            elif explicit:
                raise UnknownNameError(f"figure '{name}' has no option {OPTIONS[key].cli_flag}")
        targets.append(_Target(name, entry, options, explicit))
    return targets


def _plan_jobs(targets: list[_Target], theme: Any, width: str | None, dpi: float | None,
               format_list: list[str], write_data: bool, storyboard: bool,
               allow_layout_problems: bool = False) -> list[_Job]:
    """Check every target and option before anything is drawn: one request a target."""
    from .build import request
    from .export import ANIMATED_FORMATS

    jobs: list[_Job] = []
    written: dict[str, str] = {}
    for target in targets:
        name, entry, options, explicit = (target.name, target.entry, dict(target.options),
                                          target.explicit)
        # 'all --highlight forget': only the diagrams that have that step.
        swept_highlight = None if explicit else options.pop("highlight", None)
        req = request(name if entry is None else entry, theme, width=width, dpi=dpi,
                      allow_layout_problems=allow_layout_problems, **options)
        _check_training(req)
        if swept_highlight is not None and req.spec is not None \
                and swept_highlight in req.spec.steps:
            req = req.with_options(highlight=swept_highlight)
        animated = [f for f in format_list if f in ANIMATED_FORMATS]
        if animated and not req.animated:
            raise LstmfigsError(f"figure '{name}' is not animated; {animated[0]} is only for "
                                "animated figures (diagrams with highlight steps)")
        if "pgf" in format_list and req.kind != "data":
            raise LstmfigsError(f"figure '{name}' is a diagram; pgf is for data figures "
                                "(use pdf, or tikz)")
        _check_editable(req, format_list, explicit)
        if write_data and explicit and not req.has_data:
            raise LstmfigsError(f"figure '{name}' is a diagram and has no data for --data")
        if storyboard:
            from .animate import storyboard_steps

            if req.options.get("highlight"):
                raise LstmfigsError("--storyboard shows every step; leave out --highlight")
            steps = storyboard_steps(req)
        stem = _file_stem(req.spec.name if req.spec is not None and entry is None else name,
                          req.options)
        if stem in written:
            raise LstmfigsError(f"'{written[stem]}' and '{name}' would both write "
                                f"{stem}.*; give one spec another name")
        if storyboard:
            # Frames are named by step, or (lstm-activity) t001 to t100000.
            _check_name_length(stem, ["-storyboard.pdf", "-000-t100000.png"] + [
                f"-00-{step}.png" for step in steps if step])
        else:
            _check_name_length(stem, [".pdf"])  # every suffix has three letters
        written[stem] = name
        jobs.append(_Job(req, stem))
    return jobs


def _check_training(req: Request) -> None:
    """A cell that cannot be trained (--train with shipped or given weights), or must be
    and is not (lag-accuracy and learning-curves of a cell without shipped runs), fails
    before anything is drawn."""
    options = req.options
    shows_training = req.entry is not None and bool(req.entry.extra.get("trained"))
    if not options.get("train") and not (shows_training and "cell" in options):
        return
    from .datafigs.cellmeasure import needs_training
    from .datafigs.measure import which_cell

    choice, _ = which_cell(options.get("cell"), options.get("weights"), options.get("train"))
    if choice is not None and shows_training and not options.get("train"):
        needs_training(choice, req.name)


#: The longest file name common file systems allow, in bytes.
NAME_MAX = 255


def _check_name_length(stem: str, suffixes: Sequence[str]) -> None:
    """The longest name this target writes fits the file system, so no rename fails once
    the batch is being put in place."""
    longest = max((stem + suffix for suffix in suffixes), key=lambda n: len(os.fsencode(n)))
    if len(os.fsencode(longest)) > NAME_MAX:
        raise LstmfigsError(f"the file name '{longest[:40]}...' would be "
                            f"{len(os.fsencode(longest))} bytes long; at most {NAME_MAX}: "
                            "choose a shorter spec or step name")


def _model_sources(weights: str | None, inputs: str | None, batch_first: bool | None,
                   **weight_options: str | None) -> tuple[Any, Any, list[str]]:
    """--weights and --input with the options that say how to read them, and notes of what
    a weights file does not record and is assumed (printed once the figures are made)."""
    given = {key: value for key, value in weight_options.items() if value is not None}
    if given and weights is None:
        raise LstmfigsError(f"--{next(iter(given)).replace('_', '-')} needs --weights")
    if batch_first is not None and inputs is None:
        raise LstmfigsError("--batch-first/--time-major need --input")
    weights_source: Any = weights
    notes = []
    if weights is not None:
        from .loader import Weights, pick_layer, recurrent_layers

        weights_source = Weights(weights, **weight_options)
        chosen = pick_layer(recurrent_layers(weights), weights_source.layer,
                            f"weights file '{weights}'")
        chosen.build(**weights_source.settings())  # a bad setting fails now, before any figure
        for key, value in chosen.assumed.items():
            if key not in given:
                notes.append(f"lstmfigs: note: weights file '{weights}' does not record {key}; "
                             f"assumed {value} (--{key.replace('_', '-')} to change)")
    inputs_source: Any = inputs
    if inputs is not None and batch_first is not None:
        from .loader import Inputs

        inputs_source = Inputs(inputs, batch_first)
    return weights_source, inputs_source, notes


@main.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False))
def inspect_command(file: str) -> None:
    """List the recurrent layers of a weights file: name, framework, sizes, shapes, gate order."""
    from .loader import recurrent_layers

    for layer in recurrent_layers(file):
        click.echo(layer.describe())


def _check_editable(req: Request, formats: list[str], explicit: bool) -> None:
    """tikz is for diagrams drawn from specs; both editable formats carry every step."""
    editable = [f for f in formats if f in ("tikz", "pptx")]
    if not editable:
        return
    if req.options.get("highlight"):
        raise LstmfigsError(f"{editable[0]} carries every highlight step (Beamer overlays, one "
                            "slide a step); leave out --highlight")
    if "tikz" in editable and explicit and req.spec is None:
        raise LstmfigsError(f"figure '{req.name}' is not a diagram drawn from a spec; tikz is "
                            "for diagrams (pptx takes any figure)")
    if "pptx" in editable:
        from .powerpoint import _require_pptx

        _require_pptx()


def _save_editable(req: Request, fmt: str, folder: Path, stem: str, *,
                   data: dict[str, Any] | None) -> Path:
    from .export import SUFFIXES

    path = folder / f"{stem}.{SUFFIXES.get(fmt, fmt)}"
    if fmt == "tikz":
        from .tikz import save_tikz

        return save_tikz(req, path)
    from .powerpoint import save_pptx

    return save_pptx(req, path, data=data)


def _render_storyboard(req: Request, folder: Path, stem: str, formats: list[str], *,
                       data: dict[str, Any] | None, transparent: bool | None) -> list[str]:
    """pdf: one page a frame in ``{stem}-storyboard.pdf``; png/svg: numbered frames."""
    from .animate import save_storyboard_frames, save_storyboard_pdf

    written = []
    for fmt in formats:
        if fmt == "pdf":
            paths = [save_storyboard_pdf(req, folder / f"{stem}-storyboard.pdf", data=data)]
        else:
            paths = save_storyboard_frames(req, folder, stem, fmt, transparent=transparent,
                                           data=data)
        written += [str(path) for path in paths]
    return written


def _file_stem(name: str, options: dict[str, Any]) -> str:
    """The output file name: the figure's (or spec's) name, plus what makes this render
    different (a data figure's cell: its name).  Spec and cell names are identifiers
    (letters, digits, '_' and '-'), so they cannot point outside the output folder."""
    cell = options.get("cell")
    parts = [name] + ([cell.name] if cell is not None else []) + [
        f"{options[key]}{key}" for key in SPEC_SHAPING_OPTIONS
        if options.get(key) not in (None, OPTIONS[key].default)]
    return "-".join(parts + ([options["highlight"]] if options.get("highlight") else []))


def _close(fig: Any) -> None:
    # Figures made without pyplot are freed with their last reference; drop the caches too.
    fig.clear()


@main.command("spec")
@click.argument("name")
@_option_flags((*SPEC_SHAPING_OPTIONS, "cell"))
def spec_command(name: str, **spec_options: Any) -> None:
    """Print what a built-in figure is drawn from, as TOML to edit: a diagram's spec
    (render the edited file), or the cell definition a data figure simulates (lstm unless
    --cell; give the edited file to --cell)."""
    from .build import drawn_from, request

    req = request(name, **spec_options)
    click.echo(drawn_from(req), nl=False)


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--theme", default="paper", show_default=True,
              help="Also draw the spec in this theme (every format, in memory).")
@click.option("--allow-layout-problems", is_flag=True, default=False,
              help="Do not fail on layout problems (text over text or wires, wires through "
                   "nodes, ...).")
def validate_command(files: tuple[str, ...], theme: str, allow_layout_problems: bool) -> None:
    """Check diagram spec files as rendering would, and cell definitions, without writing
    anything.

    Each spec is drawn in memory, as render draws it and with its legend and equations, in
    every format, and its mathtext is parsed at the font sizes of every built-in theme.
    Its layout is checked in those renders and, from its geometry, in every built-in
    theme: a problem fails (exit 2, naming the elements) unless --allow-layout-problems.
    A cell definition (a file with ``states`` and ``equations``) is parsed and checked.
    """
    from . import cells
    from .cells.equations import check_typesetting
    from .diagram.page import check_drawable
    from .diagram.tomlio import load_spec
    from .themes import resolve_theme

    resolved = resolve_theme(theme)
    lines = []
    for file in files:
        if cells.is_definition_file(file):
            cell = cells.load(file)
            check_typesetting(cell)
            lines.append(f"{file}: ok (cell {cell.name!r}: {len(cell.equations)} equations, "
                         f"{len(cell.parameters)} parameters)")
            continue
        spec = load_spec(file)
        check_drawable(spec, resolved, source=file, allow_layout_problems=allow_layout_problems)
        lines.append(f"{file}: ok ({len(spec.nodes)} nodes, {len(spec.wires)} wires)")
    for line in lines:
        _echo(line)


def _lags(value: str) -> tuple[int, ...]:
    try:
        lags = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise LstmfigsError("--lags: expected whole numbers separated by commas, got "
                            f"'{value}'") from None
    if not lags:
        raise LstmfigsError("--lags: give at least one lag")
    return lags


@main.command("train")
@click.option("--lags", default=None, metavar="K,K,...",
              help="Lags to train at (default: the built-in scenario's, 5,10,20,30,40,50).")
@click.option("--seeds", type=click.IntRange(1, 1000), default=None,
              help="Seeds per (model, lag): 0 to N-1 (default: 10).")
@click.option("--hidden-size", type=click.IntRange(1, 1024), default=None,
              help="Units of both models (default: 32).")
@click.option("--steps", type=click.IntRange(1, 10**6), default=None,
              help="Training updates per run (default: 400).")
@click.option("--init", "lstm_init", type=click.Choice(["chrono", "pytorch", "forget-bias"]),
              default=None, help="How the LSTM starts (default: chrono).")
@click.option("--forget-bias", type=float, default=None,
              help="With --init forget-bias: the effective forget-gate bias (default: 1).")
@click.option("--main-lag", type=int, default=None,
              help="The lag the single-run figures show (default: 50 if trained, else the "
                   "largest).")
@click.option("--name", default=None, metavar="NAME",
              help="Store the runs in the cache under NAME (default: 'retrained').")
@click.option("-o", "--out", default=None, metavar="PATH",
              help="Write the runs to this folder (as lstmfigs-runs.npz) or .npz file instead.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes (default: the cores this process may use).")
@click.option("--no-cache", is_flag=True, default=False,
              help="Neither reuse nor store single runs in the cache.")
def train_command(lags: str | None, seeds: int | None, hidden_size: int | None,
                  steps: int | None, lstm_init: str | None, forget_bias: float | None,
                  main_lag: int | None, name: str | None, out: str | None,
                  workers: int | None, no_cache: bool) -> None:
    """Train the built-in scenario, or a variant of it, on this machine.

    \b
    The figures then draw from it with --runs NAME (or --runs PATH with -o):
      lstmfigs train --seeds 5 --lags 10,50
      lstmfigs render lag-accuracy --runs retrained
    Retrained models differ from the shipped ones and between machines: training
    amplifies last-bit differences between BLAS kernels and NumPy versions.
    """
    from dataclasses import replace

    from .datafigs import cache
    from .datafigs.scenario import BUILTIN, SOLVED
    from .datafigs.training import train_runs

    if name is not None and out is not None:
        raise LstmfigsError("give --name (the cache) or -o (a folder or file), not both")
    if forget_bias is not None and lstm_init != "forget-bias":
        raise LstmfigsError("--forget-bias needs --init forget-bias")
    changes: dict[str, Any] = {}
    if lags is not None:
        changes["lags"] = _lags(lags)
    if seeds is not None:
        changes["seeds"] = tuple(range(seeds))
    for key, value in (("hidden_size", hidden_size), ("steps", steps),
                       ("lstm_init", lstm_init), ("forget_bias", forget_bias)):
        if value is not None:
            changes[key] = value
    chosen_lags = changes.get("lags", BUILTIN.lags)
    if main_lag is None:
        main_lag = BUILTIN.main_lag if BUILTIN.main_lag in chosen_lags else max(chosen_lags)
    scenario = replace(BUILTIN, main_lag=main_lag, **changes)
    if out is not None:
        target = Path(out)
        _check_output_folder(str(target.parent if target.suffix == ".npz" else target))
    else:
        target = cache.named_runs_path(name or cache.DEFAULT_NAME)
    origin = f"'{target}'" if out is not None else f"the cache ('{name or cache.DEFAULT_NAME}')"
    jobs = len(scenario.all_jobs())
    click.echo(f"training {jobs} runs ({len(scenario.lags)} lags x {len(scenario.seeds)} seeds "
               "x LSTM and RNN)", err=True)
    run_set = train_runs(scenario, workers=workers, use_cache=not no_cache, origin=origin)
    written = run_set.save(target)
    click.echo(str(written))
    for model in ("lstm", "rnn"):
        counts = ", ".join(f"lag {lag}: {count}" for lag, count in
                           zip(scenario.lags, run_set.solved(model), strict=True))
        click.echo(f"  {model} seeds solved (accuracy >= {SOLVED:g}) of "
                   f"{len(scenario.seeds)}: {counts}")
    use = f"--runs {name or cache.DEFAULT_NAME}" if out is None else f"--runs {written}"
    click.echo(f"  draw from them: lstmfigs render lag-accuracy {use}")


if __name__ == "__main__":  # pragma: no cover
    main()
