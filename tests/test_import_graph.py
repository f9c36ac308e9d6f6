"""The package's modules import each other without cycles.

Every ``import`` counts, at module level or inside a function (an import moved into a
function still closes a cycle; it only hides it from Python), except those under
``if TYPE_CHECKING:``, which never run.  The parent packages Python imports implicitly are
not edges: a module is free to be imported by its package's ``__init__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lstmfigs"

#: Import cycles the package still has (none): they may go, none may be added.
KNOWN_CYCLES: list[list[str]] = []


def _modules(package: Path) -> dict[str, tuple[Path, bool]]:
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in its code)."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        found: set[str] = set()

        def visit(node: ast.AST, name: str = name, is_package: bool = is_package,
                  found: set[str] = found) -> None:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                children: list[ast.AST] = list(node.orelse)
            else:
                children = list(ast.iter_child_nodes(node))
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:  # 'from . import catalog' imports a module
                    submodule = f"{target}.{alias.name}"
                    found.add(submodule if submodule in modules else target)
            for child in children:
                visit(child)

        visit(ast.parse(path.read_text(encoding="utf-8")))
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def test_no_import_cycles():
    assert [cycle for cycle in cycles(import_graph()) if cycle not in KNOWN_CYCLES] == []


def test_the_cycle_finder_sees_a_cycle_made_by_an_import_inside_a_function(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from . import a\n")
    (package / "a.py").write_text("from .sub.b import f\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..c import C\n"
        "def f():\n    from ..a import g\n")
    (package / "c.py").write_text("from .sub import b\n")
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.sub.b"]]


def test_the_diagram_spec_does_not_reach_the_drawing_code():
    """A spec is plain data: loading and validating one needs no layout or matplotlib."""
    graph = import_graph()
    reached, todo = set(), ["lstmfigs.diagram.spec"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo += graph[module]
    assert not reached & {"lstmfigs.diagram.page", "lstmfigs.diagram.paint",
                          "lstmfigs.diagram.layout", "lstmfigs.build"}
