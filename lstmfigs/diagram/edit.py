"""Edits of a spec: how one diagram is made from another, as data.

A :class:`SpecEdit` says which elements of a base spec to remove, which fields to change,
what to add (tables in the TOML shape, ``from``/``to`` for wires) and which cell definition
the result draws.  :func:`apply_edit` works on the base's plain data and rebuilds the result
through :meth:`DiagramSpec.from_dict`, so an edit is validated exactly like a user's TOML
file.  It is the one edit mechanism: the unrolled chain (:mod:`lstmfigs.figures.chain`) is an
edit of ``lstm-cell``, and a TOML spec that says ``extends = "lstm-peephole"`` is read into
one by :func:`edit_from_table`.

An extending spec, in TOML::

    extends = "lstm-peephole"     # a built-in diagram, or a spec file (relative to this one)
    name = "my-peephole"          # top-level fields replace the base's
    remove = ["peephole_o", "cell_add.e->peep_next.w"]   # elements by id, wires also as from->to
    steps = ["forget", "input", "update"]   # replaces the list; elements drop the others

    [change.output_gate]          # fields of an element of the base (wires by id or from->to)
    label = "$\\sigma$"

    [[nodes]]                     # [[nodes]], [[wires]], [[labels]], [[regions]] add elements
    id = "peep_out"
    kind = "dot"

``[[equations]]`` and ``[[legend]]`` replace the base's lists; ``[roles]`` adds to or
overrides the base's own roles.  A name that the base does not have, a misspelt key and an
added id that the base already has are errors that name the nearest of the base's names.
No matplotlib import here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import SpecError, did_you_mean
from .spec import _TOML_NAMES, DiagramSpec, Label, Node, Region, Wire

Table = Mapping[str, Any]


@dataclass(frozen=True)
class SpecEdit:
    """How one spec turns into another.

    ``remove`` names nodes (their wires go with them), labels, regions, and wires (by ``id``
    or as ``"from->to"``).  ``change`` maps an element (named as in ``remove``) to replaced
    fields.  ``add`` maps ``nodes``/``wires``/``labels``/``regions`` to new tables.
    ``drop_steps`` removes highlight steps the result no longer has (from every element's
    steps too).  ``equations`` replaces the panel (None keeps the base's).  ``spec_fields``
    sets top-level fields (``min_width``).  ``title`` is the diagram's one line in the
    catalog (``lstmfigs list``).  A name in ``remove``, ``change`` or ``drop_steps`` that the
    base does not have, and an added id that it still has, are SpecErrors
    (:func:`apply_edit`).
    """

    name: str
    base: str
    title: str
    description: str
    remove: tuple[str, ...] = ()
    change: Mapping[str, Table] = field(default_factory=dict)
    add: Mapping[str, tuple[Table, ...]] = field(default_factory=dict)
    drop_steps: tuple[str, ...] = ()
    cell: str | None = None
    equations: tuple[Table, ...] | None = None
    spec_fields: Table = field(default_factory=dict)


#: The element groups an edit may remove from, change and add to, and what they hold.
ELEMENTS: dict[str, type] = {"nodes": Node, "wires": Wire, "labels": Label, "regions": Region}


def element_keys(group: str) -> list[str]:
    """The TOML keys an element of ``group`` (``nodes``, ``wires``, ...) may have.

    Parameters
    ----------
    group : str
        One of :data:`ELEMENTS`.

    Returns
    -------
    list of str
    """
    return [_TOML_NAMES.get(f.name, f.name) for f in fields(ELEMENTS[group])]


def _wire_names(wire: Table) -> set[str]:
    """The names a wire goes by: its id (if any) and ``from->to``."""
    names = {f"{wire['from']}->{wire['to']}"}
    return names | ({wire["id"]} if wire.get("id") else set())


def _names(data: Table) -> dict[str, str]:
    """Every element name of the plain spec ``data`` -> its group."""
    found: dict[str, str] = {}
    for group in ("nodes", "labels", "regions"):
        found.update({item["id"]: group for item in data.get(group, []) if item.get("id")})
    for wire in data.get("wires", []):
        found.update(dict.fromkeys(_wire_names(wire), "wires"))
    return found


def _named(item: Table, group: str, names: set[str]) -> bool:
    if group == "wires":
        return bool(_wire_names(item) & names)
    return item.get("id", "") in names


def apply_edit(base: DiagramSpec, edit: SpecEdit) -> DiagramSpec:
    """The spec ``edit`` makes of ``base``, validated like a user's TOML file.

    Parameters
    ----------
    base : DiagramSpec
        The spec the edit starts from (``edit.base``'s).
    edit : SpecEdit
        What to remove, change, add and drop.

    Returns
    -------
    DiagramSpec
        The edited spec.

    Raises
    ------
    SpecError
        ``remove`` or ``change`` names an element ``base`` does not have, ``change`` a field
        such an element does not have, ``drop_steps`` a step ``base`` does not have, ``add``
        an id ``base`` keeps, or the result is not a valid spec (a misspelt field in ``add``
        or ``spec_fields`` is an unknown key there).  A typo in an edit is an error, never an
        element silently kept or left unchanged.
    """
    data = base.to_dict()
    known = _names(data)
    where = f"edit '{edit.name}'"
    _check_named(edit, "remove", edit.remove, known)
    _check_named(edit, "change", edit.change, known)
    _check_named(edit, "drop_steps", edit.drop_steps, set(data.get("steps", [])))
    for name, changes in edit.change.items():
        _check_change(name, known[name], changes, where)
    gone = set(edit.remove)
    kept_count: dict[str, int] = {}
    removed_nodes = {name for name in gone if known[name] == "nodes"}
    for group in ELEMENTS:
        kept = [item for item in data.get(group, []) if not _named(item, group, gone)]
        if group == "wires":  # a removed node takes its wires with it
            kept = [w for w in kept if w["from"].partition(".")[0] not in removed_nodes
                    and w["to"].partition(".")[0] not in removed_nodes]
        for item in kept:
            names = _wire_names(item) if group == "wires" else {item.get("id", "")}
            for name in sorted(names & set(edit.change)):
                item.update(edit.change[name])
        if kept or group in data:
            data[group] = kept
        kept_count[group] = len(kept)
    remaining = _names(data)
    for group, tables in edit.add.items():
        for index, table in enumerate(tables):
            new_id = table.get("id") if isinstance(table, Mapping) else None
            if isinstance(new_id, str) and new_id in remaining:
                raise SpecError(f"'{new_id}' is already in '{edit.base}'; change its fields "
                                f"with [change.{new_id}], or remove it first",
                                path=f"{group}[{index}].id", source=where)
        data[group] = data.get(group, []) + [dict(t) for t in tables]
    if edit.cell is not None:  # the new cell's panel and steps (or the edit's own)
        for key in ("equations", "steps", "cell"):
            data.pop(key, None)
        if edit.cell:
            data["cell"] = edit.cell
    if edit.drop_steps:
        _drop_steps(data, set(edit.drop_steps))
    if edit.equations is not None:
        data["equations"] = [dict(e) for e in edit.equations]
    data.update(edit.spec_fields)
    data.update(name=edit.name, title=edit.title, description=edit.description)
    try:
        return DiagramSpec.from_dict(data)
    except SpecError as exc:
        raise SpecError(exc.message, path=_edit_path(exc.path, data, kept_count, edit),
                        source=f"{where} of '{edit.base}'") from None


def _edit_path(path: str, data: Table, kept_count: Mapping[str, int], edit: SpecEdit) -> str:
    """A field path of the edited spec as the edit names it: an added element by its index
    in ``add`` (``nodes[0]``: the first added node), a changed field of the base's as
    ``change.ID.FIELD``, another element of the base's by its id."""
    match = re.fullmatch(r"(\w+)\[(\d+)\](?:\.(.*))?", path)
    if not match or match.group(1) not in kept_count:
        return path
    group, index, rest = match.group(1), int(match.group(2)), match.group(3)
    if index >= kept_count[group]:
        return f"{group}[{index - kept_count[group]}]" + (f".{rest}" if rest else "")
    item = data[group][index]
    names = sorted(_wire_names(item) if group == "wires" else {item.get("id", "")})
    key = (rest or "").split(".")[0].split("[")[0]
    changed = [name for name in names if key in edit.change.get(name, {})]
    if changed:
        return f"change.{changed[0]}.{rest}"
    name = next((n for n in names if n), path)
    return f"{group} '{name}' of '{edit.base}'" + (f".{rest}" if rest else "")


def _check_named(edit: SpecEdit, field_name: str, named: Iterable[str],
                 known: Iterable[str]) -> None:
    """Every name an edit's field uses exists in its base (else a SpecError naming it)."""
    known = set(known)
    unknown = sorted(set(named) - known)
    if unknown:
        raise SpecError(f"nothing called {', '.join(map(repr, unknown))} in '{edit.base}'"
                        f"{did_you_mean(unknown[0], known)}",
                        path=f"change.{unknown[0]}" if field_name == "change" else field_name,
                        source=f"edit '{edit.name}'")


def _check_change(name: str, group: str, changes: Any, where: str) -> None:
    """A change is a table of fields that an element of ``group`` has (not its id: an
    element with another id is another element)."""
    path = f"change.{name}"
    if not isinstance(changes, Mapping):
        raise SpecError(f"expected a table of fields, got {type(changes).__name__}",
                        path=path, source=where)
    allowed = [key for key in element_keys(group) if key != "id"]
    for key in changes:
        if key == "id":
            raise SpecError("an element's id cannot change; remove it and add a new one",
                            path=f"{path}.id", source=where)
        if key not in allowed:
            raise SpecError(f"unknown key '{key}'{did_you_mean(str(key), allowed)}; "
                            f"{group} have: {', '.join(allowed)}",
                            path=f"{path}.{key}", source=where)


def _drop_steps(data: dict[str, Any], steps: set[str]) -> None:
    if "steps" in data:  # absent, they come from the cell
        data["steps"] = [s for s in data["steps"] if s not in steps]
    for group in (*ELEMENTS, "equations"):
        for item in data.get(group, []):
            if "steps" in item:
                item["steps"] = [s for s in item["steps"] if s not in steps]
                if not item["steps"]:
                    del item["steps"]


# -- extending specs in TOML ---------------------------------------------------------------

#: The keys an extending spec has besides those of a spec: what it extends and its edits.
EDIT_KEYS = ("extends", "remove", "change")


def edit_from_table(data: Table, base: DiagramSpec, base_name: str) -> SpecEdit:
    """The edit an extending spec (TOML data with ``extends``) makes of ``base``.

    Parameters
    ----------
    data : mapping
        The extending spec's parsed TOML (see the module docstring).
    base : DiagramSpec
        The spec it extends.
    base_name : str
        How to name the base in messages (its ``extends`` value).

    Returns
    -------
    SpecEdit
        Apply it to ``base`` with :func:`apply_edit`.

    Raises
    ------
    SpecError
        A key that neither a spec nor an edit has (with the nearest suggested), or a
        ``remove``/``change`` value of the wrong type.
    """
    allowed = [*EDIT_KEYS, *_spec_keys()]
    for key in data:
        if key not in allowed:
            raise SpecError(f"unknown key '{key}'{did_you_mean(str(key), allowed)}; an "
                            f"extending spec has: {', '.join(allowed)}", path=str(key))
    if "name" not in data:
        raise SpecError(f"is required: the new diagram's name (the base's is '{base.name}')",
                        path="name")
    remove = data.get("remove", [])
    if not isinstance(remove, list) or not all(isinstance(r, str) for r in remove):
        raise SpecError("expected a list of element names (ids, or from->to for wires)",
                        path="remove")
    change = data.get("change", {})
    if not isinstance(change, Mapping):
        raise SpecError("expected tables [change.ID] of fields to replace", path="change")
    add: dict[str, tuple[Table, ...]] = {}
    for group in ELEMENTS:
        tables = data.get(group, [])
        if not isinstance(tables, list):
            raise SpecError(f"expected an array of tables ([[{group}]])", path=group)
        if tables:
            add[group] = tuple(tables)
    fields_: dict[str, Any] = {key: data[key] for key in data
                               if key not in (*EDIT_KEYS, *ELEMENTS, "name", "title",
                                              "description", "cell", "equations")}
    drop: tuple[str, ...] = ()
    if isinstance(fields_.get("steps"), list) and "steps" in base.to_dict():
        # The new list replaces the base's; elements lose the steps it leaves out.
        drop = tuple(s for s in base.steps if s not in fields_["steps"])
    if isinstance(data.get("roles"), Mapping):  # added to the base's own roles
        fields_["roles"] = {**base.to_dict().get("roles", {}), **data["roles"]}
    equations = data.get("equations")
    if "equations" in data and not isinstance(equations, list):
        fields_["equations"] = equations  # not a list: the spec reader says what is wrong
    return SpecEdit(
        name=data["name"], base=base_name,
        title=data.get("title", base.title), description=data.get("description",
                                                                   base.description),
        remove=tuple(remove), change=dict(change), add=add, drop_steps=drop,
        cell=data.get("cell") if "cell" in data else None,
        equations=tuple(equations) if isinstance(equations, list) else None,
        spec_fields=fields_)


def _spec_keys() -> list[str]:
    """The top-level keys of a spec (as :meth:`DiagramSpec.from_dict` reads them)."""
    return [_TOML_NAMES.get(f.name, f.name) for f in fields(DiagramSpec)]
