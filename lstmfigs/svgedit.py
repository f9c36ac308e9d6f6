"""Editable SVG: text kept as ``<text>`` and a diagram's elements grouped by id.

The default SVG draws text as paths (``svg.fonttype: path``): it looks the same
everywhere and imports faithfully into PowerPoint and Keynote.  The editable SVG keeps
every piece of text as ``<text>`` with its font named (``svg.fonttype: none``), so a
label can be changed in Inkscape or Illustrator, and gives each element of a diagram its
own group, named by its spec id and classed by role and highlight step::

    <g id="forget_gate" class="node role-forget_gate step-forget">   box and its label
    <g id="c_prev.e--forget_mul.w" class="wire role-cell_state step-forget step-update">
    <g id="equation-1" class="equation step-forget">

Groups come from matplotlib's ``gid`` on the artists; the labels and arrowheads are then
moved into their node's or wire's group.  The file is as reproducible as the default one
(fixed ``svg.hashsalt``, no date).  The text is drawn by the viewer's copy of the font
(STIX, DejaVu, ...), so it may differ slightly where that font is missing.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .errors import LstmfigsError
from .export import atomic_write

_SVG = "http://www.w3.org/2000/svg"
_NAMESPACES = {"": _SVG, "xlink": "http://www.w3.org/1999/xlink",
               "dc": "http://purl.org/dc/elements/1.1/", "cc": "http://creativecommons.org/ns#",
               "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
_GENERIC = ("serif", "sans-serif", "monospace", "cursive", "fantasy")
#: Separates a group's own id from the part moved into it (``forget_gate--label``).
_PART = "--part-"


def _classes(kind: str, role: str | None, steps: tuple[str, ...]) -> str:
    return " ".join([kind] + ([f"role-{role}"] if role else []) + [f"step-{s}" for s in steps])


def _svg_id(text: str) -> str:
    """An id usable in CSS and XML: ``c_prev.e->forget_mul.w`` -> ``c_prev.e--forget_mul.w``."""
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in text.replace("->", "--"))


def _tag_artists(fig: Any) -> tuple[dict[Any, str], dict[str, str]]:
    """gids to give the diagram's artists, and the class of each group id."""
    gids: dict[Any, str] = {}
    classes: dict[str, str] = {}
    rendered = getattr(fig, "lstmfigs_diagram", None)
    if rendered is None:
        return gids, classes
    layout, artists = rendered.layout, rendered.artists
    spec = layout.spec
    used: set[str] = set()

    def name(wanted: str) -> str:
        candidate, number = _svg_id(wanted), 2
        while candidate in used:
            candidate, number = f"{_svg_id(wanted)}-{number}", number + 1
        used.add(candidate)
        return candidate

    for region in spec.regions:
        if region.id in artists.regions:
            gid = name(region.id)
            gids[artists.regions[region.id]] = gid
            classes[gid] = _classes("region", None, region.steps)
    branch_count = len(layout.dots)
    node_dots = iter(artists.dots[branch_count:])
    for node in spec.nodes:
        gid = name(node.id)
        classes[gid] = _classes("node", node.role, node.steps)
        patch = artists.nodes.get(node.id)
        if node.kind == "dot":
            patch = next(node_dots, None)
        if patch is not None:
            gids[patch] = gid
            if node.id in artists.node_labels:
                gids[artists.node_labels[node.id]] = f"{gid}{_PART}label"
        elif node.id in artists.node_labels:  # a terminal: its label is the group
            gids[artists.node_labels[node.id]] = gid
    # Not strict: a diagram may draw fewer artists than its spec lists (no legend or
    # equations panel; the node dots follow the branch dots in artists.dots).
    for index, (wire, parts) in enumerate(zip(spec.wires, artists.wires, strict=False)):
        gid = name(spec.wire_id(index))
        classes[gid] = _classes("wire", wire.role, wire.steps)
        gids[parts[0]] = gid
        for number, part in enumerate(parts[1:], 1):
            gids[part] = f"{gid}{_PART}head{number}"
    branch_dots = zip(artists.dots, layout.dots, strict=False)
    for number, (dot, branch) in enumerate(branch_dots, 1):
        gid = name(f"branch-{number}")
        classes[gid] = _classes("branch", branch.role, branch.steps)
        gids[dot] = gid
    for index, label in enumerate(spec.labels):
        owner = label.id or f"labels[{index}]"
        if owner in artists.labels:
            gid = name(label.id or f"label-{index + 1}")
            classes[gid] = _classes("label", label.role or None, label.steps)
            gids[artists.labels[owner]] = gid
    legend = zip(spec.legend, rendered.legend_texts, strict=False)
    for number, (entry, text) in enumerate(legend, 1):
        gid = name(f"legend-{number}")
        classes[gid] = _classes(f"legend legend-{entry.kind}", None, ())
        gids[text] = gid
    # One group per line drawn: an equation broken to fit continues in equation-N-2, ...
    page = rendered.page
    lines = page.equations.placed if page is not None and page.equations is not None else ()
    for line, text in zip(lines, rendered.equation_texts, strict=True):
        suffix = f"-{line.part + 1}" if line.part else ""
        gid = name(f"equation-{line.source + 1}{suffix}")
        classes[gid] = _classes("equation", None, line.equation.steps)
        gids[text] = gid
    return gids, classes


def _regroup(svg: bytes, classes: dict[str, str], generic: str) -> bytes:
    """Class the named groups, move each ``ID--part-...`` group into group ``ID``, and
    give every named font the theme's generic family as fallback (a viewer without STIX
    then uses its own serif)."""
    for prefix, uri in _NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    svg = re.sub(rb"font-family: ('[^']*')(?![,'])", lambda m: b"font-family: " + m.group(1)
                 + b", " + generic.encode("ascii"), svg)
    root = ET.fromstring(svg)
    parents = {child: parent for parent in root.iter() for child in parent}
    groups = {g.get("id"): g for g in root.iter(f"{{{_SVG}}}g")}
    for gid, group in list(groups.items()):
        if gid and _PART in gid:
            owner = groups.get(gid.split(_PART)[0])
            if owner is not None:
                parents[group].remove(group)
                group.set("id", gid.replace(_PART, "-"))
                owner.append(group)
    for gid, value in classes.items():
        if gid in groups:
            groups[gid].set("class", value)
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out.getvalue() + b"\n"


def editable_svg(fig: Any) -> bytes:
    """The editable SVG of ``fig`` (any lstmfigs figure; diagrams also get their groups).

    Parameters
    ----------
    fig : `~matplotlib.figure.Figure`
        The figure to save; its gids and rcParams are restored afterwards.

    Returns
    -------
    bytes
        The SVG document, text kept as text (``svg.fonttype`` ``none``).
    """
    import matplotlib as mpl

    gids, classes = _tag_artists(fig)
    old = {artist: artist.get_gid() for artist in gids}
    rc = getattr(fig, "_rc", None)
    buffer = io.BytesIO()
    try:
        for artist, gid in gids.items():
            artist.set_gid(gid)
        if rc is not None:  # a ThemedFigure applies its own rcParams while saving
            fig._rc = {**rc, "svg.fonttype": "none"}
        with mpl.rc_context({**(rc or {}), "svg.fonttype": "none"}):
            families = mpl.rcParams["font.family"]
            generic = next((f for f in families if f in _GENERIC), "sans-serif")
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    finally:
        for artist, gid in old.items():
            artist.set_gid(gid)
        if rc is not None:
            fig._rc = rc
    return _regroup(buffer.getvalue(), classes, generic)


def save_editable_svg(fig: Any, path: Any) -> Path:
    """Write :func:`editable_svg` to ``path`` atomically.

    Parameters
    ----------
    fig : `~matplotlib.figure.Figure`
        The figure to save.
    path : str or path-like
        The file to write; its suffix must be ``.svg``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    LstmfigsError
        If ``path`` does not end in ``.svg``.
    """
    path = Path(path)
    if path.suffix.lower() != ".svg":
        raise LstmfigsError(f"an editable SVG needs a .svg file name, not '{path.name}'")
    data = editable_svg(fig)
    return atomic_write(path, lambda handle: handle.write(data))
