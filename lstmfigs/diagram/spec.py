"""Diagram specs: a cell diagram as plain data.

A :class:`DiagramSpec` lists nodes (gate boxes, pointwise operations, branch dots,
concatenation points, terminals where signals enter or leave), wires between named ports
(``"forget_gate.n"``), free labels, regions (the cell body), legend entries and equations.
It holds no colours and no sizes in inches: every element has a *role*, and the active
theme decides how a role looks.  A spec may name the cell definition it draws (``cell =
'lstm'``, a built-in of :mod:`lstmfigs.cells`): its equations panel and its list of highlight
steps are then generated from the definition unless the spec gives them.  Coordinates are
in diagram units (the renderer scales them to the theme's width).

The same structure is what a TOML spec file contains (see :mod:`lstmfigs.diagram.tomlio`);
:meth:`DiagramSpec.from_dict` is the single, strict entry point for untrusted data: unknown
keys, wrong types, duplicate ids, dangling wires and bad mathtext raise a
:class:`~lstmfigs.errors.SpecError` that names the field path (``wires[3].to``).

No matplotlib import at module level: specs are loaded and validated without it.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..errors import SpecError, did_you_mean
from ..roles import ALL_ROLES

#: Node kinds and what they are.
NODE_KINDS: dict[str, str] = {
    "gate": "a neural-network layer (sigma or tanh box)",
    "op": "a pointwise operation (x, +, tanh, 1-)",
    "dot": "a copy point where one signal branches",
    "concat": "a point where two vectors are concatenated",
    "terminal": "where a signal enters or leaves the diagram (labelled)",
    "block": "a whole cell drawn as one box (neighbours in an unrolled chain), with named ports",
}

#: Port names every node has: the four sides.  ``in``/``out`` are kind-specific aliases.
SIDES: dict[str, tuple[int, int]] = {"n": (0, 1), "s": (0, -1), "e": (1, 0), "w": (-1, 0)}
PORT_ALIASES: dict[str, dict[str, str]] = {
    "gate": {"in": "s", "out": "n"},
    "op": {"in": "w", "out": "e"},
    "dot": {"in": "w", "out": "e"},
    "concat": {"in": "w", "out": "e"},
    "terminal": {"in": "w", "out": "e"},
    "block": {"in": "w", "out": "e"},
}
LABEL_SIDES = ("left", "right", "above", "below")
#: Outlines a node may ask for instead of its kind's (``Node.shape``).
NODE_SHAPES = ("box", "circle", "stadium")
LEGEND_KINDS = ("layer", "operation", "transfer", "concatenate", "copy")
H_ALIGN = ("left", "center", "right")
V_ALIGN = ("top", "center", "bottom", "baseline")

#: Coordinates beyond this are certainly a mistake (and would overflow a renderer).
MAX_COORDINATE = 1000.0
#: The widest figure a spec may ask for (the CLI's --width limit).
MAX_WIDTH_INCHES = 50.0
#: The most items in one list of a spec (nodes, wires, waypoints of one wire, steps...):
#: the unrolled two-layer chain has under 100 nodes; layout and the quality checks compare
#: elements pairwise, so their time grows with the square of this.
MAX_ITEMS = 1000


@dataclass(frozen=True)
class Port:
    """A named port of a block: on ``side`` (n/s/e/w), at coordinate ``at`` along it.

    ``at`` is a y coordinate on the e/w sides and an x coordinate on the n/s sides, in the
    diagram's units, so a block's ports line up with the wires of the nodes beside it
    (a neighbour cell's ``c_out`` at the height of the cell-state line).
    """

    name: str
    side: str
    at: float


@dataclass(frozen=True)
class Node:
    """A node with named ports ``n``, ``s``, ``e``, ``w`` (and ``in``/``out`` aliases).

    ``at`` is the node's centre in diagram units; None places it automatically
    (:mod:`lstmfigs.diagram.arrange`), and a given ``at`` pins it there.  ``size`` is the
    minimum (width, height) in diagram units; the renderer grows a node so that its label
    fits at the theme's font size.  A terminal's ``label`` is drawn on its ``label_side``;
    other nodes draw their label inside.  ``shape`` overrides the outline its kind and
    label would give (a long ``÷`` label that should stay a circle); empty: by kind.
    """

    id: str
    kind: str
    at: tuple[float, float] | None = None
    label: str = ""
    role: str = "operation"
    size: tuple[float, float] | None = None
    label_side: str = "left"
    steps: tuple[str, ...] = ()
    ports: tuple[Port, ...] = ()
    shape: str = ""

    def port_names(self) -> list[str]:
        """Every name a wire may use for a port of this node."""
        return list(SIDES) + list(PORT_ALIASES[self.kind]) + [p.name for p in self.ports]


@dataclass(frozen=True)
class Wire:
    """A signal from one port to another, routed orthogonally.

    ``source``/``target`` are ``"node.port"`` (``from``/``to`` in TOML), or a bare
    ``"node"``: the router then chooses the side facing the wire.  ``via`` lists waypoints
    the route must pass through.  ``arrow`` defaults to an arrowhead at the target unless
    the target is a dot or concatenation point (signals merge there, they do not end).
    ``label`` (mathtext) is drawn beside the wire, where the layout finds room.
    """

    source: str
    target: str
    role: str = "hidden_state"
    via: tuple[tuple[float, float], ...] = ()
    arrow: bool | None = None
    id: str = ""
    steps: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Label:
    """Free text (mathtext allowed) anchored at ``at``."""

    text: str
    at: tuple[float, float]
    role: str = ""
    ha: str = "center"
    va: str = "center"
    id: str = ""
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Region:
    """A rounded rectangle behind the nodes (the cell body): ``bounds`` = (x, y, w, h);
    None: around every node that is not a terminal."""

    id: str
    bounds: tuple[float, float, float, float] | None = None
    label: str = ""
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class LegendEntry:
    """One entry of the notation legend: a ``kind`` of mark and its text."""

    kind: str
    text: str


@dataclass(frozen=True)
class Equation:
    """One line of the equations panel (mathtext)."""

    text: str
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class DiagramSpec:
    """A whole diagram.  ``steps`` are the highlight steps in reading order.  ``cell`` names
    the built-in cell definition the diagram draws (empty: none); the equations panel and
    the steps come from it when the spec's data does not give them."""

    name: str
    title: str = ""
    description: str = ""
    cell: str = ""
    nodes: tuple[Node, ...] = ()
    wires: tuple[Wire, ...] = ()
    labels: tuple[Label, ...] = ()
    regions: tuple[Region, ...] = ()
    legend: tuple[LegendEntry, ...] = ()
    equations: tuple[Equation, ...] = ()
    steps: tuple[str, ...] = ()
    #: The largest a diagram unit may be drawn, in multiples of the theme's font size
    #: (0: no limit).  A small cell is then drawn at the size of its neighbours in the
    #: catalog instead of being blown up to the theme's width.
    max_unit: float = 0.0
    #: The narrowest figure, in inches, at which the diagram stays legible (0: any).  A
    #: narrower theme (a 3.5 in column) draws it this wide instead: a figure spanning
    #: both columns rather than one whose labels collide.
    min_width: float = 0.0
    #: The smallest a diagram unit may be drawn, in multiples of the theme's font size
    #: (0: no limit).  An automatically arranged diagram is clean at this scale and every
    #: larger one; a narrower width is a :class:`~lstmfigs.errors.LayoutError`.
    min_unit: float = 0.0
    #: The spec's own roles and the built-in role each takes its look from, in order:
    #: ``(("normalizer_state", "cell_state"),)``.
    roles: tuple[tuple[str, str], ...] = ()

    # -- lookups ---------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        """The node with id ``node_id``.

        Parameters
        ----------
        node_id : str

        Returns
        -------
        Node

        Raises
        ------
        SpecError
            If no node has that id.
        """
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise SpecError(f"no node named '{node_id}'")

    def wire_id(self, index: int) -> str:
        """The id of wire ``index``: its own, or ``SOURCE->TARGET``.

        Parameters
        ----------
        index : int
            The wire's index in :attr:`wires`.

        Returns
        -------
        str
        """
        wire = self.wires[index]
        return wire.id or f"{wire.source}->{wire.target}"

    def edges(self) -> list[tuple[str, str]]:
        """The graph as (source node, target node) pairs: what feeds what."""
        return [(w.source.partition(".")[0], w.target.partition(".")[0]) for w in self.wires]

    # -- construction from untrusted data ---------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiagramSpec:
        """Build and validate a spec from plain data (as parsed from TOML).

        Parameters
        ----------
        data : mapping
            The spec's tables and keys.

        Returns
        -------
        DiagramSpec

        Raises
        ------
        SpecError
            If the data is not a valid spec (the error gives the path of the bad field).
        """
        return validate(_Reader(data, "").build_spec())

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` turns back into an equal spec."""
        plain: dict[str, Any] = _to_plain(self)
        if self.roles:
            plain["roles"] = dict(self.roles)
        if self.cell:  # explicit, even when empty: absent, they would come from the cell
            plain["steps"] = list(self.steps)
            plain["equations"] = _to_plain(self.equations)
        return plain


# -- reading plain data, strictly -------------------------------------------------------

_TOML_NAMES = {"source": "from", "target": "to"}  # Python field -> TOML key


class _Reader:
    """Reads one mapping, checking keys and types and recording the field path."""

    def __init__(self, data: Any, path: str, roles: tuple[str, ...] = ALL_ROLES):
        if not isinstance(data, Mapping):
            raise SpecError(f"expected a table, got {_type_name(data)}", path=path or "spec")
        self.data = data
        self.path = path
        #: The roles elements may name: the built-in ones and the spec's own.
        self.roles = roles

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in self.data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                raise SpecError(f"unknown key '{key}'{hint}; allowed: {', '.join(allowed)}",
                                path=self._at(str(key)))

    def string(self, key: str, default: str | None = None, choices: Iterable[str] | None = None,
               mathtext: bool = False) -> str:
        if key not in self.data:
            if default is None:
                raise SpecError("is required", path=self._at(key))
            return default
        value = self.data[key]
        if not isinstance(value, str):
            raise SpecError(f"expected a string, got {_type_name(value)}", path=self._at(key))
        if choices is not None and value not in (choices := list(choices)):
            raise SpecError(f"'{value}' is not one of {', '.join(choices)}", path=self._at(key))
        if mathtext:
            check_mathtext(value, self._at(key))
        else:
            check_text(value, self._at(key))
        return value

    def identifier(self, key: str, default: str | None = None) -> str:
        value = self.string(key, default)
        if value and not _is_identifier(value):
            raise SpecError(f"'{value}' is not a valid id (letters, digits, '_' and '-'; "
                            "starting with a letter)", path=self._at(key))
        return value

    def boolean(self, key: str, default: bool | None) -> bool | None:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise SpecError(f"expected true or false, got {_type_name(value)}", path=self._at(key))
        return value

    def numbers(self, key: str, count: int, default: Any = None, positive: bool = False) -> Any:
        if key not in self.data:
            if default is None and count:
                raise SpecError(f"is required ({count} numbers)", path=self._at(key))
            return default
        return _numbers(self.data[key], count, self._at(key), positive)

    def number(self, key: str, default: float, positive: bool = False) -> float:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise SpecError(f"expected a number, got {_type_name(value)}", path=self._at(key))
        return _numbers([value], 1, self._at(key), positive)[0]

    def points(self, key: str) -> tuple[tuple[float, float], ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise SpecError(f"expected a list of [x, y] points, got {_type_name(value)}",
                            path=self._at(key))
        self._check_length(key, value)
        pairs = (_numbers(p, 2, f"{self._at(key)}[{i}]") for i, p in enumerate(value))
        return tuple((x, y) for x, y in pairs)

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError("expected a list of strings", path=self._at(key))
        self._check_length(key, value)
        for index, item in enumerate(value):
            check_text(item, f"{self._at(key)}[{index}]")
        return tuple(value)

    def identifiers(self, key: str) -> tuple[str, ...]:
        values = self.strings(key)
        for index, value in enumerate(values):
            if not _is_identifier(value):
                raise SpecError(f"'{value}' is not a valid name (letters, digits, '_' and '-'; "
                                "starting with a letter)", path=f"{self._at(key)}[{index}]")
        return values

    def tables(self, key: str) -> list[_Reader]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise SpecError(f"expected an array of tables ([[{key}]]), got {_type_name(value)}",
                            path=self._at(key))
        self._check_length(key, value)
        return [_Reader(item, f"{self._at(key)}[{i}]", self.roles)
                for i, item in enumerate(value)]

    def _check_length(self, key: str, value: list[Any]) -> None:
        if len(value) > MAX_ITEMS:
            raise SpecError(f"{len(value)} items; a spec holds at most {MAX_ITEMS} in one list",
                            path=self._at(key))

    # -- element builders ---------------------------------------------------------
    def build_spec(self) -> DiagramSpec:
        self.check_keys(["name", "title", "description", "cell", "steps", "max_unit",
                         "min_unit", "min_width", "roles", "nodes", "wires", "labels",
                         "regions", "legend", "equations"])
        roles = self.build_roles()
        self.roles = ALL_ROLES + tuple(name for name, _ in roles)
        min_width = self.number("min_width", 0.0, positive=True)
        if min_width > MAX_WIDTH_INCHES:
            raise SpecError(f"{min_width:g} in is wider than any figure "
                            f"(at most {MAX_WIDTH_INCHES:g} in)", path=self._at("min_width"))
        cell = self.identifier("cell", "")
        steps, equations = self.identifiers("steps"), self.tables("equations")
        if cell:
            steps, equations = self.from_cell(cell, steps, equations)
        return DiagramSpec(
            max_unit=self.number("max_unit", 0.0, positive=True),
            min_unit=self.number("min_unit", 0.0, positive=True),
            min_width=min_width,
            roles=roles,
            name=self.identifier("name"),
            title=self.string("title", ""),
            description=self.string("description", ""),
            cell=cell,
            # Step names become parts of file names (lstm-cell-forget.png): identifiers only.
            steps=steps,
            nodes=tuple(r.build_node() for r in self.tables("nodes")),
            wires=tuple(r.build_wire() for r in self.tables("wires")),
            labels=tuple(r.build_label() for r in self.tables("labels")),
            regions=tuple(r.build_region() for r in self.tables("regions")),
            legend=tuple(r.build_legend() for r in self.tables("legend")),
            equations=tuple(r.build_equation() for r in equations),
        )

    def build_roles(self) -> tuple[tuple[str, str], ...]:
        """The spec's own roles (``[roles] name = "base role"``), checked."""
        value = self.data.get("roles", {})
        if not isinstance(value, Mapping):
            raise SpecError(f"expected a table of role = base role, got {_type_name(value)}",
                            path=self._at("roles"))
        if len(value) > MAX_ITEMS:
            raise SpecError(f"{len(value)} roles; a spec declares at most {MAX_ITEMS}",
                            path=self._at("roles"))
        reader = _Reader(value, self._at("roles"))
        roles = []
        for name in value:
            name = str(name)
            if not _is_identifier(name) or "-" in name:
                raise SpecError(f"'{name}' is not a valid role name (letters, digits and '_', "
                                "starting with a letter)", path=reader._at(name))
            if name in ALL_ROLES:
                raise SpecError(f"'{name}' is already a built-in role; declare only new ones",
                                path=reader._at(name))
            roles.append((name, reader.string(name, choices=ALL_ROLES)))
        return tuple(roles)

    def from_cell(self, name: str, steps: tuple[str, ...], equations: list[_Reader],
                  ) -> tuple[tuple[str, ...], list[_Reader]]:
        """The steps and equations of the spec of built-in cell ``name``: the spec's own
        where it gives them, else generated from the definition."""
        from .. import cells
        from ..cells.equations import panel
        from ..cells.steps import step_names
        from ..errors import LstmfigsError

        try:
            definition = cells.builtin(name)
        except LstmfigsError as exc:
            raise SpecError(str(exc), path=self._at("cell")) from None
        if "steps" not in self.data:
            steps = step_names(definition)
        if "equations" not in self.data:
            generated = [{"text": text, "steps": list(lit)} for text, lit in panel(definition)]
            equations = [_Reader(line, f"{self._at('cell')}:equations[{index}]")
                         for index, line in enumerate(generated)]
        return steps, equations

    def build_node(self) -> Node:
        self.check_keys(["id", "kind", "at", "label", "role", "size", "label_side", "steps",
                         "ports", "shape"])
        kind = self.string("kind", choices=NODE_KINDS)
        ports = tuple(r.build_port() for r in self.tables("ports"))
        if ports and kind != "block":
            raise SpecError("only blocks have named ports (other nodes use n, s, e, w)",
                            path=self._at("ports"))
        return Node(
            id=self.identifier("id"),
            kind=kind,
            at=self.numbers("at", 2) if "at" in self.data else None,
            label=self.string("label", "", mathtext=True),
            role=self.string("role", "operation", choices=self.roles),
            size=self.numbers("size", 2, default=(), positive=True) or None,
            label_side=self.string("label_side", "left", choices=LABEL_SIDES),
            steps=self.strings("steps"),
            ports=ports,
            shape=self.string("shape", "", choices=("",) + NODE_SHAPES),
        )

    def build_port(self) -> Port:
        self.check_keys(["name", "side", "at"])
        name = self.identifier("name")
        if name in SIDES or name in ("in", "out"):
            raise SpecError(f"'{name}' is already a port of every node; choose another name",
                            path=self._at("name"))
        if "at" not in self.data:
            raise SpecError("is required (a coordinate along the side)", path=self._at("at"))
        return Port(name=name, side=self.string("side", choices=SIDES),
                    at=self.number("at", 0.0))

    def build_wire(self) -> Wire:
        self.check_keys(["from", "to", "role", "via", "arrow", "id", "steps", "label"])
        return Wire(
            source=self.string("from"),
            target=self.string("to"),
            role=self.string("role", "hidden_state", choices=self.roles),
            via=self.points("via"),
            arrow=self.boolean("arrow", None),
            id=self.identifier("id", ""),
            steps=self.strings("steps"),
            label=self.string("label", "", mathtext=True),
        )

    def build_label(self) -> Label:
        self.check_keys(["text", "at", "role", "ha", "va", "id", "steps"])
        return Label(
            text=self.string("text", mathtext=True),
            at=self.numbers("at", 2),
            role=self.string("role", "", choices=("",) + self.roles),
            ha=self.string("ha", "center", choices=H_ALIGN),
            va=self.string("va", "center", choices=V_ALIGN),
            id=self.identifier("id", ""),
            steps=self.strings("steps"),
        )

    def build_region(self) -> Region:
        self.check_keys(["id", "bounds", "label", "steps"])
        bounds = self.numbers("bounds", 4) if "bounds" in self.data else None
        if bounds is not None and (bounds[2] <= 0 or bounds[3] <= 0):
            raise SpecError("width and height must be positive", path=self._at("bounds"))
        return Region(id=self.identifier("id"), bounds=bounds,
                      label=self.string("label", "", mathtext=True), steps=self.strings("steps"))

    def build_legend(self) -> LegendEntry:
        self.check_keys(["kind", "text"])
        return LegendEntry(kind=self.string("kind", choices=LEGEND_KINDS),
                           text=self.string("text", mathtext=True))

    def build_equation(self) -> Equation:
        self.check_keys(["text", "steps"])
        return Equation(text=self.string("text", mathtext=True), steps=self.strings("steps"))


def _numbers(value: Any, count: int, path: str, positive: bool = False) -> tuple[float, ...]:
    if (not isinstance(value, list) or len(value) != count
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise SpecError(f"expected {count} numbers, got {_short(value)}", path=path)
    numbers = tuple(float(v) for v in value)
    for v in numbers:
        if not math.isfinite(v) or abs(v) > MAX_COORDINATE:
            raise SpecError(f"{v} is not a usable coordinate (finite, at most "
                            f"{MAX_COORDINATE:g} in size)", path=path)
        if positive and v <= 0:
            raise SpecError(f"sizes must be positive, got {v:g}", path=path)
    return numbers


def _type_name(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_identifier(value: str) -> bool:
    return (value[:1].isascii() and value[:1].isalpha()
            and all(c.isascii() and (c.isalnum() or c in "_-") for c in value))


#: Longest text (a label, an equation) in characters.
MAX_TEXT_CHARS = 500
#: Deepest nesting in mathtext: groups (``{``, ``\\left``) inside each other, and commands
#: applied to each other without braces (``\\hat\\hat\\hat x``).  The built-in equations need
#: 3; matplotlib's parser recurses, and about 35 levels exhaust Python's stack.
MAX_MATH_NESTING = 10
#: Unicode categories refused in text: controls (except newline), invisible format
#: characters (zero-width spaces, U+FEFF, bidirectional overrides: the PDF backend fails on
#: some and a reader cannot see them), private-use, unassigned, surrogates, line separators.
_REFUSED_CATEGORIES = {"Cc": "a control character", "Cf": "an invisible format character",
                       "Co": "a private-use character", "Cn": "an unassigned character",
                       "Cs": "a lone surrogate", "Zl": "a line separator",
                       "Zp": "a paragraph separator"}


def is_math_text(text: str) -> bool:
    """Whether matplotlib treats ``text`` as mathtext: an even, non-zero number of
    unescaped dollars (``cbook.is_math_text``); ``a$b\\$`` is plain text.

    Parameters
    ----------
    text : str

    Returns
    -------
    bool
    """
    dollars = text.count("$") - text.count(r"\$")
    return dollars > 0 and dollars % 2 == 0


def check_text(text: str, path: str) -> None:
    """Text every backend can draw: bounded length, no invisible or control characters.

    Parameters
    ----------
    text : str
        The text to check.
    path : str
        Where the text is in the spec (``nodes[0].label``), for the error.

    Raises
    ------
    SpecError
        If ``text`` is longer than :data:`MAX_TEXT_CHARS` or has a refused character.
    """
    import unicodedata

    if len(text) > MAX_TEXT_CHARS:
        raise SpecError(f"text is {len(text)} characters long; at most {MAX_TEXT_CHARS}",
                        path=path)
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES and char != "\n":
            name = unicodedata.name(char, "")
            raise SpecError(f"character {index + 1} is U+{ord(char):04X}"
                            f"{' ' + name if name else ''}, {_REFUSED_CATEGORIES[category]}; "
                            "remove it", path=path)


def _math_nesting(text: str) -> int:
    """How deeply ``text``'s mathtext nests: groups inside groups, plus runs of commands
    and scripts applied to each other."""
    depth = deepest = run = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            end = index + 1
            while end < len(text) and text[end].isalpha():
                end += 1
            word = text[index + 1:end] or text[index + 1:index + 2]
            index = max(end, index + 2)
            if word == "left":
                depth += 1
            elif word == "right":
                depth = max(0, depth - 1)
            else:
                run += 1
            deepest = max(deepest, depth + run)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        if char in "^_":
            run += 1
        elif not char.isspace():
            run = 0
        deepest = max(deepest, depth + run)
        index += 1
    return deepest


def check_mathtext(text: str, path: str) -> None:
    """Reject text that matplotlib's mathtext cannot parse (only when it is mathtext).

    Parameters
    ----------
    text : str
        The text to check (first with :func:`check_text`).
    path : str
        Where the text is in the spec, for the error.

    Raises
    ------
    SpecError
        If the text is refused by :func:`check_text`, its math nests too deeply, or
        mathtext cannot parse it.
    """
    check_text(text, path)
    if not is_math_text(text):
        return
    if _math_nesting(text) > MAX_MATH_NESTING:
        raise SpecError(f"mathtext {text[:40]!r} nests more than {MAX_MATH_NESTING} levels "
                        "deep", path=path)
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text)
    except RecursionError:
        raise SpecError(f"mathtext {text[:40]!r} nests too deeply", path=path) from None
    except ValueError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "parse error"
        raise SpecError(f"bad mathtext {text!r}: {first}", path=path) from None


# -- whole-spec validation ----------------------------------------------------------------

def parse_port(ref: str) -> tuple[str, str]:
    """A port reference ``NODE.PORT`` (or ``NODE``) split into node id and port.

    Parameters
    ----------
    ref : str
        A wire's ``source`` or ``target``.

    Returns
    -------
    (str, str)
        The node id and the port (``""`` when ``ref`` has no dot).
    """
    node_id, dot, port = ref.partition(".")
    return node_id, (port if dot else "")


def resolve_port(node: Node, port: str) -> str:
    """The canonical name of ``port`` on ``node``: its side (n/s/e/w) for the four sides
    and their aliases (``in``/``out``), or the name of one of a block's named ports.

    Parameters
    ----------
    node : Node
        The node the port is on.
    port : str
        A side, an alias of one, or a named port.

    Returns
    -------
    str

    Raises
    ------
    SpecError
        If ``node`` has no such port.
    """
    side = PORT_ALIASES[node.kind].get(port, port)
    if side in SIDES or any(p.name == side for p in node.ports):
        return side
    raise SpecError(f"node '{node.id}' has no port '{port}' "
                    f"(ports: {', '.join(node.port_names())})")


def port_side(node: Node, port: str) -> str:
    """The side (n/s/e/w) a port is on: the direction a wire leaves or enters by.

    Parameters
    ----------
    node : Node
        The node the port is on.
    port : str
        A side, an alias of one, or a named port.

    Returns
    -------
    str

    Raises
    ------
    SpecError
        If ``node`` has no such port.
    """
    key = resolve_port(node, port)
    return key if key in SIDES else next(p.side for p in node.ports if p.name == key)


#: Specs already validated.  A spec is frozen, so one that passed stays valid: the build
#: path, the page and the editable outputs may each call :func:`validate` on what they are
#: handed, and the checks still run once per spec.  Weak, so specs are not kept alive.
_VALIDATED: weakref.WeakSet[DiagramSpec] = weakref.WeakSet()


def validate(spec: DiagramSpec) -> DiagramSpec:
    """Check what single fields cannot: unique ids, wires between existing ports, no cycles
    through the dot/concat plumbing, steps that exist.  Returns ``spec`` unchanged.

    Parameters
    ----------
    spec : DiagramSpec
        The spec to check; each spec (by value) is checked once, later calls return at once.

    Returns
    -------
    DiagramSpec
        ``spec`` itself.

    Raises
    ------
    SpecError
        Naming the field at fault.
    """
    try:
        if spec in _VALIDATED:
            return spec
    except TypeError:  # built in Python with a list somewhere: checked, never remembered
        _check_spec(spec)
        return spec
    _check_spec(spec)
    _VALIDATED.add(spec)
    return spec


def _check_spec(spec: DiagramSpec) -> None:
    if not spec.nodes:
        raise SpecError("a diagram needs at least one node", path="nodes")
    seen: dict[str, str] = {}
    # Every element kind has an ``id`` and ``steps``; Any spares a Protocol for two fields.
    groups: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("nodes", spec.nodes), ("regions", spec.regions), ("labels", spec.labels),
        ("wires", spec.wires))
    for group, items in groups:
        for index, item in enumerate(items):
            if item.id:
                if item.id in seen:
                    raise SpecError(f"duplicate id '{item.id}' (also used at {seen[item.id]})",
                                    path=f"{group}[{index}].id")
                seen[item.id] = f"{group}[{index}]"

    for index, node in enumerate(spec.nodes):
        _check_ports(node, f"nodes[{index}]")

    nodes = {node.id: node for node in spec.nodes}
    for index, wire in enumerate(spec.wires):
        for end, ref in (("from", wire.source), ("to", wire.target)):
            path = f"wires[{index}].{end}"
            node_id, port = parse_port(ref)
            if node_id not in nodes:
                raise SpecError(f"no node named '{node_id}'{did_you_mean(node_id, nodes)}",
                                path=path)
            if not port:
                continue  # the router chooses the side
            try:
                resolve_port(nodes[node_id], port)
            except SpecError as exc:
                raise SpecError(exc.message, path=path) from None
        if wire.source.partition(".")[0] == wire.target.partition(".")[0]:
            raise SpecError("a wire cannot start and end on the same node",
                            path=f"wires[{index}]")

    _check_plumbing_cycles(spec, nodes)
    _check_roles(spec, groups)

    known_steps = set(spec.steps)
    for group, items in groups + (("equations", spec.equations),):
        for index, item in enumerate(items):
            for step in item.steps:
                if step not in known_steps:
                    raise SpecError(f"step '{step}' is not listed in the spec's steps "
                                    f"({', '.join(spec.steps) or 'none'})",
                                    path=f"{group}[{index}].steps")


def _check_roles(spec: DiagramSpec, groups: tuple[tuple[str, tuple[Any, ...]], ...]) -> None:
    """Every role an element names is built in or one of the spec's own (a spec built in
    Python bypasses the reader, which checks them one by one)."""
    known = set(ALL_ROLES)
    for index, (name, base) in enumerate(spec.roles):
        if name in known or base not in ALL_ROLES:
            raise SpecError(f"role '{name}' must be new and derive from a built-in role "
                            f"(got base '{base}')", path=f"roles[{index}]")
        known.add(name)
    for group, items in groups:
        for index, item in enumerate(items):
            role = getattr(item, "role", "")
            if role and role not in known:
                raise SpecError(f"unknown role '{role}'{did_you_mean(role, known)}",
                                path=f"{group}[{index}].role")


def _check_ports(node: Node, path: str) -> None:
    """A block's named ports are unique and lie on its sides."""
    if not node.ports:
        return
    if node.size is None:
        raise SpecError("a block with named ports needs a size", path=f"{path}.size")
    if node.at is None:
        raise SpecError("a block with named ports needs a position (at): its ports are "
                        "placed along its sides in diagram units", path=f"{path}.at")
    names: set[str] = set()
    for index, port in enumerate(node.ports):
        where = f"{path}.ports[{index}]"
        if port.name in names:
            raise SpecError(f"duplicate port name '{port.name}'", path=f"{where}.name")
        names.add(port.name)
        along = 1 if port.side in ("e", "w") else 0  # e/w ports sit at a y coordinate
        centre, half = node.at[along], node.size[along] / 2
        if abs(port.at - centre) > half + 1e-9:
            raise SpecError(f"{port.at:g} is off the block's {port.side} side "
                            f"({centre - half:g} to {centre + half:g})", path=f"{where}.at")


def _check_plumbing_cycles(spec: DiagramSpec, nodes: Mapping[str, Node]) -> None:
    """Dots and concatenation points only pass signals on; a loop made of them alone is
    a wire going round in circles.  (Loops through gates are recurrence and allowed.)"""
    plumbing = {nid for nid, node in nodes.items() if node.kind in ("dot", "concat")}
    graph: dict[str, list[str]] = {nid: [] for nid in plumbing}
    for source, target in spec.edges():
        if source in plumbing and target in plumbing:
            graph[source].append(target)
    # Depth-first search with an explicit stack: a valid chain of thousands of dots must
    # not exhaust Python's recursion limit.
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if root in state:
            continue
        state[root] = 1
        trail = [root]
        stack = [iter(graph[root])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[trail.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                loop = " -> ".join(trail[trail.index(nxt):] + [nxt])
                raise SpecError(f"wires form a cycle through copy/concatenation points: {loop}",
                                path="wires")
            elif nxt not in state:
                state[nxt] = 1
                trail.append(nxt)
                stack.append(iter(graph[nxt]))


# -- back to plain data --------------------------------------------------------------------

def _to_plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        plain: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if item == f.default or item in ((), None, ""):
                continue  # omit defaults: specs stay short
            plain[_TOML_NAMES.get(f.name, f.name)] = _to_plain(item)
        return plain
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return value  # keep floats as floats so a round trip is exact
    return value


def replace_spec(spec: DiagramSpec, **changes: Any) -> DiagramSpec:
    """A validated copy of ``spec`` with top-level fields replaced (for building variants).

    Parameters
    ----------
    spec : DiagramSpec
        The spec to copy.
    **changes
        Fields of :class:`DiagramSpec` and their new values.

    Returns
    -------
    DiagramSpec

    Raises
    ------
    SpecError
        If the changed spec is not valid.
    """
    from dataclasses import replace

    return validate(replace(spec, **changes))


__all__ = [
    "DiagramSpec", "Node", "Port", "Wire", "Label", "Region", "LegendEntry", "Equation",
    "NODE_KINDS", "NODE_SHAPES", "SIDES", "validate", "check_mathtext", "parse_port",
    "resolve_port", "port_side",
    "replace_spec",
]
