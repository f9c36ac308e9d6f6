"""The ``lstmfigs`` command: a thin layer over the Python API.

Bad input of any kind (unknown names, bad options, unreadable specs, unwritable folders)
prints one line, ``lstmfigs: error: ...``, on stderr and exits with status 2, having written
nothing.  Module level imports stay light (no matplotlib) so ``--help`` is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Sequence

import click

from . import __version__, catalog
from .errors import LstmfigsError

DEFAULT_FORMATS = "pdf,png,svg"
MIN_DPI, MAX_DPI = 10, 2400


class _Group(click.Group):
    """Routes every error to one line on stderr and exit status 2."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             **kwargs: Any) -> Any:
        try:
            return super().main(args=args, prog_name=prog_name or "lstmfigs",
                                standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else "", err=False)
            sys.exit(0)
        except click.exceptions.Abort:
            _fail("aborted")
        except click.exceptions.ClickException as exc:
            _fail(exc.format_message())
        except LstmfigsError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted; nothing half-written was left behind")
        except OSError as exc:
            _fail(f"{exc.strerror or exc}" + (f": '{exc.filename}'" if exc.filename else ""))


def _fail(message: str) -> None:
    first_line = " ".join(str(message).split())
    click.echo(f"lstmfigs: error: {first_line}", err=True)
    sys.exit(2)


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
        first = resolve_theme(name).sheets[-1].read_text(encoding="utf-8").splitlines()[0]
        click.echo(f"{name:<12}  {first.split(':', 1)[-1].strip()}")


def _formats(value: str) -> list[str]:
    from .export import EDITABLE_FORMATS, FORMATS

    formats = [f.strip().lower().lstrip(".") for f in value.split(",") if f.strip()]
    if not formats:
        raise LstmfigsError("--format needs at least one of " + ", ".join(FORMATS))
    for fmt in formats:
        if fmt not in FORMATS + ("gif",) + EDITABLE_FORMATS:
            raise LstmfigsError(f"unknown format '{fmt}'; formats: {', '.join(FORMATS)}, gif "
                                f"(animated figures), {', '.join(EDITABLE_FORMATS)} (editable)")
    return list(dict.fromkeys(formats))


def _check_dpi(dpi: float | None) -> None:
    if dpi is not None and not MIN_DPI <= dpi <= MAX_DPI:
        raise LstmfigsError(f"impossible dpi {dpi:g}: use {MIN_DPI} to {MAX_DPI}")


def _check_output_folder(out: str) -> Path:
    """Fail early if ``out`` cannot be written, without creating anything yet."""
    import os

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


def _make_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LstmfigsError(f"cannot create output folder '{folder}': "
                            f"{exc.strerror or exc}") from None
    return folder


@main.command("render")
@click.argument("names", nargs=-1, required=True, metavar="NAME... | all | SPEC.toml")
@click.option("-o", "--out", default="output", show_default=True, help="Folder to write into.")
@click.option("--format", "formats", default=DEFAULT_FORMATS, show_default=True,
              help="Comma-separated: pdf, png, svg (gif for animated figures; tikz and "
                   "pptx editable, see README).")
@click.option("--theme", default="paper", show_default=True,
              help="Theme name (see 'lstmfigs themes'), NAME+NAME, or a .mplstyle file.")
@click.option("--dpi", type=float, default=None, help="Raster resolution (default: the theme's).")
@click.option("--width", type=float, default=None, help="Figure width in inches (default: the theme's).")
@click.option("--transparent", is_flag=True, default=False, help="Transparent background.")
@click.option("--highlight", default=None, metavar="STEP",
              help="Diagrams: dim all but one step (forget, input, update, output).")
@click.option("--equations/--no-equations", default=None, help="Diagrams: the equations panel.")
@click.option("--legend/--no-legend", default=None, help="Diagrams: the notation legend.")
@click.option("--weights", type=click.Path(dir_okay=False), default=None,
              help="Data figures: model weights (.npz, .safetensors, .pt/.pth, .keras, "
                   ".weights.h5; see 'lstmfigs inspect').")
@click.option("--layer", default=None, metavar="NAME",
              help="Data figures: the recurrent layer of --weights to show (default: the only one).")
@click.option("--nonlinearity", type=click.Choice(["tanh", "relu"]), default=None,
              help="Data figures: a PyTorch RNN's nonlinearity (a state dict does not record it).")
@click.option("--activation", default=None, metavar="NAME",
              help="Data figures: the activation of bare Keras weights (no config).")
@click.option("--recurrent-activation", default=None, metavar="NAME",
              help="Data figures: the recurrent activation of bare Keras weights (no config).")
@click.option("--input", "inputs", type=click.Path(dir_okay=False), default=None,
              help="Data figures: input sequence (.npy or .csv; a 3-D array needs "
                   "--time-major or --batch-first).")
@click.option("--batch-first/--time-major", "batch_first", default=None,
              help="Data figures: the layout of a 3-D --input: (batch, time, features) or "
                   "(time, batch, features).")
@click.option("--data", "write_data", is_flag=True, default=False,
              help="Data figures: also write the numbers behind the figure.")
@click.option("--data-format", type=click.Choice(["npz", "csv"]), default="npz", show_default=True,
              help="Format of the numbers written by --data.")
@click.option("--storyboard", is_flag=True, default=False,
              help="Diagrams with steps: every step in turn; pdf as one multi-page file, "
                   "png/svg as numbered frames.")
@click.option("--layers", type=click.IntRange(1, 2), default=None,
              help="lstm-chain: 2 stacks a second layer.")
@click.option("--editable-svg", is_flag=True, default=False,
              help="SVG keeps text as <text> and groups elements by id, role and step.")
def render_command(names: tuple[str, ...], out: str, formats: str, theme: str, dpi: float | None,
                   width: float | None, transparent: bool, highlight: str | None,
                   equations: bool | None, legend: bool | None, weights: str | None,
                   inputs: str | None, write_data: bool, data_format: str, storyboard: bool,
                   layers: int | None, layer: str | None = None, nonlinearity: str | None = None,
                   activation: str | None = None, recurrent_activation: str | None = None,
                   batch_first: bool | None = None, editable_svg: bool = False) -> None:
    """Render figures (built-in names, 'all', or .toml spec files) into a folder."""
    from .errors import UnknownNameError
    from .render import build_figure, check_width, is_spec_path
    from .themes import resolve_theme

    # Check everything before writing anything.
    format_list = _formats(formats)
    if editable_svg and ("svg" not in format_list or storyboard):
        raise LstmfigsError("--editable-svg applies to --format svg, not to storyboard frames")
    _check_dpi(dpi)
    check_width(width)
    resolve_theme(theme)
    targets: list[str] = []
    for name in names:
        if name == "all":
            targets += [n for n in (e.name for e in catalog.entries()) if n not in targets]
        elif is_spec_path(name):
            targets.append(name)
        else:
            catalog.get(name)
            targets.append(name)
    options_given = {"highlight": highlight, "equations": equations, "legend": legend,
                     "weights": weights, "inputs": inputs, "layers": layers}
    jobs = []
    for name in targets:
        entry = None if is_spec_path(name) else catalog.get(name)
        accepted = {"highlight", "equations", "legend"} if entry is None else set(entry.options)
        explicit = name in names  # named on the command line, not swept in by 'all'
        options = {}
        for key, value in options_given.items():
            if value is None:
                continue
            if key in accepted:
                options[key] = value
            elif explicit:
                flag = "--input" if key == "inputs" else f"--{key}"
                raise UnknownNameError(f"figure '{name}' has no option {flag}")
        if "gif" in format_list and (entry is None or not entry.animated):
            raise LstmfigsError(f"figure '{name}' is not animated; gif is only for animated figures")
        _check_editable(name, format_list, options, explicit)
        if write_data and explicit and (entry is None or entry.data_target is None):
            raise LstmfigsError(f"figure '{name}' is a diagram and has no data for --data")
        if storyboard:
            from .animate import storyboard_steps

            if highlight:
                raise LstmfigsError("--storyboard shows every step; leave out --highlight")
            storyboard_steps(name)  # fails now, before anything is written
        jobs.append((name, entry, options))
    # How to read --weights and --input (checked now, before anything is written).
    weights_source, inputs_source, notes = _model_sources(
        weights, inputs, batch_first, layer=layer, nonlinearity=nonlinearity,
        activation=activation, recurrent_activation=recurrent_activation)
    for _, _, options in jobs:
        options.update({key: value for key, value in (("weights", weights_source), ("inputs", inputs_source))
                        if key in options})
    folder = _check_output_folder(out)

    from .export import EDITABLE_FORMATS, save_figure, write_data as write_numbers

    for name, entry, options in jobs:
        stem = _file_stem(name, options.get("highlight"), options.get("layers"))
        static = [f for f in format_list if f != "gif" and f not in EDITABLE_FORMATS]
        if static and storyboard:
            _render_storyboard(name, folder, stem, static, theme=theme, width=width, dpi=dpi,
                               transparent=transparent or None, options=options)
        elif static:
            fig = build_figure(name, theme=theme, width=width, **options)
            _make_folder(folder)  # only now: a bad option above leaves nothing behind
            for fmt in static:
                if fmt == "svg" and editable_svg:
                    from .svgedit import save_editable_svg

                    path = save_editable_svg(fig, folder / f"{stem}.svg")
                else:
                    path = save_figure(fig, folder / f"{stem}.{fmt}", dpi=dpi,
                                       transparent=transparent or None)
                click.echo(str(path))
            _close(fig)
        for fmt in (f for f in format_list if f in EDITABLE_FORMATS):
            if fmt == "tikz" and not _tikz_applies(name):
                continue  # a data figure swept in by 'all' (named ones failed above)
            _make_folder(folder)
            click.echo(str(_save_editable(name, fmt, folder, stem, theme=theme, width=width,
                                          dpi=dpi, options=options)))
        if "gif" in format_list:
            from .animate import save_animation

            _make_folder(folder)
            path = save_animation(name, folder / f"{stem}.gif", theme=theme, width=width,
                                  dpi=dpi, **options)
            click.echo(str(path))
        if write_data and entry is not None and entry.data_target is not None:
            _make_folder(folder)
            data_options = {k: v for k, v in options.items() if k in ("weights", "inputs")}
            path = write_numbers(entry.load_data()(**data_options),
                                 folder / f"{stem}.{data_format}")
            click.echo(str(path))
        if entry is not None and entry.summary_target is not None:
            data_options = {k: v for k, v in options.items() if k in ("weights", "inputs")}
            summary = entry.load_summary()(**data_options)
            for key, value in summary.items():
                click.echo(f"  {key}: {value}")
    for note in notes:
        click.echo(note, err=True)


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
        chosen = pick_layer(recurrent_layers(weights), weights_source.layer, f"weights file '{weights}'")
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


def _tikz_applies(name: str) -> bool:
    from .scene import is_spec_diagram

    return is_spec_diagram(name)


def _check_editable(name: str, formats: list[str], options: dict[str, Any],
                    explicit: bool) -> None:
    """tikz is for diagrams drawn from specs; both editable formats carry every step."""
    editable = [f for f in formats if f in ("tikz", "pptx")]
    if not editable:
        return
    if options.get("highlight"):
        raise LstmfigsError(f"{editable[0]} carries every highlight step (Beamer overlays, one "
                            "slide a step); leave out --highlight")
    if "tikz" in editable and explicit and not _tikz_applies(name):
        raise LstmfigsError(f"figure '{name}' is not a diagram drawn from a spec; tikz is for "
                            "diagrams (pptx takes any figure)")
    if "pptx" in editable:
        from .powerpoint import _require_pptx

        _require_pptx()


def _save_editable(name: str, fmt: str, folder: Path, stem: str, *, theme: str,
                   width: float | None, dpi: float | None, options: dict[str, Any]) -> Path:
    from .export import SUFFIXES

    path = folder / f"{stem}.{SUFFIXES.get(fmt, fmt)}"
    if fmt == "tikz":
        from .tikz import save_tikz

        return save_tikz(name, path, theme, width=width, **options)
    from .powerpoint import save_pptx

    return save_pptx(name, path, theme, width=width, dpi=dpi, **options)


def _render_storyboard(name: str, folder: Path, stem: str, formats: list[str], *, theme: str,
                       width: float | None, dpi: float | None, transparent: bool | None,
                       options: dict[str, Any]) -> None:
    """pdf: one page a step in ``{stem}-storyboard.pdf``; png/svg: numbered frames."""
    from .animate import save_storyboard_frames, save_storyboard_pdf

    _make_folder(folder)
    for fmt in formats:
        if fmt == "pdf":
            paths = [save_storyboard_pdf(name, folder / f"{stem}-storyboard.pdf", theme,
                                         width=width, **options)]
        else:
            paths = save_storyboard_frames(name, folder, stem, fmt, theme, width=width, dpi=dpi,
                                           transparent=transparent, **options)
        for path in paths:
            click.echo(str(path))


def _file_stem(name: str, highlight: str | None, layers: int | None = None) -> str:
    """The output file name: the figure's name, plus what makes this render different."""
    from .render import is_spec_path

    if is_spec_path(name):
        from .diagram.tomlio import load_spec

        # Spec names are identifiers (letters, digits, '_' and '-'), so they cannot point
        # outside the output folder.
        name = load_spec(name).name
    parts = [name] + ([f"{layers}layers"] if layers and layers > 1 else []) \
        + ([highlight] if highlight else [])
    return "-".join(parts)


def _close(fig: Any) -> None:
    # Figures made without pyplot are freed with their last reference; drop the caches too.
    fig.clear()


@main.command("spec")
@click.argument("name")
def spec_command(name: str) -> None:
    """Print the TOML spec of a built-in diagram (edit it, then render the file)."""
    from .diagram.tomlio import dumps_spec
    from .figures.diagrams import builtin_spec

    entry = catalog.get(name)
    if entry.kind != "diagram":
        raise LstmfigsError(f"figure '{name}' is a data figure, not a diagram spec")
    click.echo(dumps_spec(builtin_spec(entry.extra.get("spec", name))), nl=False)


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate_command(files: tuple[str, ...]) -> None:
    """Check diagram spec files without drawing anything."""
    from .diagram.tomlio import load_spec

    for file in files:
        spec = load_spec(file)
        click.echo(f"{file}: ok ({len(spec.nodes)} nodes, {len(spec.wires)} wires)")


if __name__ == "__main__":  # pragma: no cover
    main()
