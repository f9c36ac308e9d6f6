"""Figure options: every option a figure may take, named, typed and bounded in one table.

A catalog entry lists the names of the options its figure takes (``FigureEntry.options``);
this table says what each name is: its type, its bounds, whether it chooses a data figure's
numbers or only how the figure looks, and its help text.  The build path checks every
option against it once (:func:`check`), ``lstmfigs render`` makes its option flags from it,
and ``lstmfigs.data`` takes exactly the data options.  Sizes (width, dpi, frames) are
bounded in :mod:`lstmfigs.limits`.  No heavy imports here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .errors import LstmfigsError, UnknownNameError, did_you_mean
from .limits import MAX_ACTIVITY_STEPS

Kind = Literal["look", "data"]


@dataclass(frozen=True)
class Option:
    """One figure option.

    ``kind``: ``data`` options choose the numbers a data figure shows (its model, input
    and runs); ``look`` options only change the drawing.  ``types`` are the Python types a
    value may have (None: any, checked where it is read, e.g. a weights file by the
    loader); ``bounds`` the smallest and largest whole number.  ``flag`` is the command
    line flag (``--input`` for ``inputs``), None for options the command line does not
    offer; ``negatable`` bools have a ``--no-`` form.  ``shapes_spec`` options choose the
    diagram's spec itself (``lstmfigs spec`` takes them too).  ``default`` is what the
    figure uses when the option is not given (None: the figure decides).  ``choices`` are
    the text values an option takes besides its other types; an option with a ``flag_value``
    is a flag that may also carry one of them (``--equations`` means ``--equations=auto``).
    """

    name: str
    kind: Kind
    help: str
    types: tuple[type, ...] | None
    bounds: tuple[int, int] | None = None
    flag: str | None = ""
    negatable: bool = False
    metavar: str | None = None
    is_path: bool = False
    shapes_spec: bool = False
    default: Any = None
    choices: tuple[str, ...] | None = None
    flag_value: str | None = None

    @property
    def cli_flag(self) -> str | None:
        """The command line flag (``--NAME`` unless the table says otherwise)."""
        return f"--{self.name}" if self.flag == "" else self.flag

    def check(self, value: Any) -> Any:
        """``value`` if it is of this option's type and in its bounds (None: not given).

        Parameters
        ----------
        value : Any
            The given value, or None.

        Returns
        -------
        Any
            ``value`` unchanged.

        Raises
        ------
        LstmfigsError
            If ``value`` is not of the option's types (a bool is not an int unless bool is
            allowed) or an int is outside its bounds.
        """
        if value is None or self.types is None:
            return value
        # True is an int to Python, not a number of layers to a user.
        wrong_bool = isinstance(value, bool) and bool not in self.types
        if wrong_bool or not isinstance(value, self.types):
            names = " or ".join(t.__name__ for t in self.types)
            raise LstmfigsError(f"option {self.name} must be {names}, not {value!r:.60}")
        if isinstance(value, str) and self.choices is not None and value not in self.choices:
            raise UnknownNameError(f"option {self.name} must be {' or '.join(self.choices)}"
                                   f"{' or True/False' if bool in self.types else ''}, not "
                                   f"{value!r:.60}{did_you_mean(value, self.choices)}")
        low, high = self.bounds or (None, None)
        if isinstance(value, int) and low is not None and high is not None \
                and not low <= value <= high:
            raise LstmfigsError(f"option {self.name} must be {low} to {high}, not {value!r}")
        return value


#: Where the equations panel may go (the ``equations`` option; True means ``auto``).
EQUATION_PLACES = ("beside", "below", "auto")


def equations_place(value: bool | str | None) -> str | None:
    """Where the ``equations`` option ``value`` puts the panel: None (no panel) for None or
    False, ``"auto"`` for True, else the place it names.

    Parameters
    ----------
    value : bool, str or None

    Returns
    -------
    str or None
        One of :data:`EQUATION_PLACES`, or None.

    Raises
    ------
    UnknownNameError
        If ``value`` is text other than a place.
    """
    if value is None or value is False:
        return None
    if value is True:
        return "auto"
    OPTIONS["equations"].check(value)
    return str(value)


OPTIONS: dict[str, Option] = {option.name: option for option in (
    Option("highlight", "look", "Diagrams: dim all but one highlight step (the diagram's "
           "own, e.g. lstm-cell's forget, input, update, output).", (str,), metavar="STEP"),
    Option("equations", "look", "Diagrams: the equations panel: =beside the diagram, =below "
           "it, or =auto (the flag alone): beside unless below leaves the diagram larger.",
           (bool, str), negatable=True, metavar="[=PLACE]", choices=EQUATION_PLACES,
           flag_value="auto"),
    Option("legend", "look", "Diagrams: the notation legend (default: as the spec says).",
           (bool,), negatable=True),
    Option("layers", "look", "lstm-chain: stacked layers.", (int,), bounds=(1, 4),
           shapes_spec=True, default=1),
    Option("steps", "look", "lstm-chain: time steps shown.", (int,), bounds=(2, 5),
           shapes_spec=True, default=3),
    Option("step", "look", "lstm-activity: the time step shown (1-based; default the last).",
           (int,), bounds=(1, MAX_ACTIVITY_STEPS), flag=None),
    Option("weights", "data", "Data figures: model weights (.npz, .safetensors, .pt/.pth, "
           ".keras, .weights.h5; see 'lstmfigs inspect').", None, is_path=True),
    Option("inputs", "data", "Data figures: input sequence (.npy or .csv; a 3-D array needs "
           "--time-major or --batch-first); token ids (T,) for a model starting with a Keras "
           "Embedding.", None, flag="--input", is_path=True),
    Option("runs", "data", "Data figures: the trained runs to draw from: 'shipped' (default), "
           "a name given to 'lstmfigs train --name', or a file or folder written by "
           "'lstmfigs train -o'.", None, metavar="SOURCE"),
    Option("cell", "data", "Data figures: the cell shown, a built-in definition (lstm, rnn, "
           "gru, ...) or a .toml definition file; its own gates and states are drawn.", None,
           metavar="NAME|PATH"),
    Option("train", "data", "Data figures of a cell without shipped weights: train it on "
           "remember-the-first-symbol (the scenario of --runs), with a progress bar; runs "
           "are cached.", (bool,), negatable=True),
)}

#: The options that choose a data figure's numbers (everything else is about looks).
DATA_OPTIONS: tuple[str, ...] = tuple(n for n, o in OPTIONS.items() if o.kind == "data")
#: The options that choose a diagram's spec (the unrolled chain's layers and steps).
SPEC_SHAPING_OPTIONS: tuple[str, ...] = tuple(n for n, o in OPTIONS.items() if o.shapes_spec)
#: The options of every diagram drawn from a spec (a catalog diagram adds ``width`` and
#: what shapes its spec; a spec file or DiagramSpec takes exactly these).
DIAGRAM_OPTIONS: tuple[str, ...] = ("highlight", "legend", "equations")


def check(figure: str, accepted: tuple[str, ...], options: dict[str, Any]) -> dict[str, Any]:
    """``options`` for the figure ``figure``, which takes ``accepted``: each a known option
    it takes, of the right type and in bounds; None values (not given) are dropped.

    Parameters
    ----------
    figure : str
        The figure's name, for error messages.
    accepted : tuple of str
        The names of the options the figure takes.
    options : dict
        Option name -> value, as given.

    Returns
    -------
    dict
        The given options, checked.
    """
    unknown = sorted(name for name, value in options.items()
                     if value is not None and name not in accepted)
    if unknown:
        raise UnknownNameError(f"figure '{figure}' has no option "
                               f"{', '.join(map(repr, unknown))} "
                               f"(its options: {', '.join(accepted) or 'none'})")
    return {name: OPTIONS[name].check(value) for name, value in options.items()
            if value is not None}
