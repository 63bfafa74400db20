"""The import graph of the project's own modules (``corridor/`` and ``web/``): no cycle, and
the domain never imports the web app or Flask.

Every ``import`` and ``from ... import`` statement counts, at module level and inside
functions alike (an import inside a function to get round a cycle is still the cycle), and
relative forms are resolved (``from . import x``). An edge goes to the module a statement
names: ``from web.api import errors`` is an edge to ``web.api.errors`` when that is a module,
else to ``web.api`` (a name taken from the package). The parent packages Python runs first
are not edges: running a package's ``__init__`` before its submodule is the import
machinery's order, not a dependency on the package's names, and counting it would make every
package that imports its own submodules a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("corridor", "web")


def module_name(path: Path) -> str:
    """The dotted name of the module at ``path`` (a package for ``__init__.py``)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of :data:`PACKAGES` by dotted name."""
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imported_names(tree: ast.AST, name: str, is_package: bool) -> list[tuple[str, list[str]]]:
    """Every import statement of a module, anywhere in it: (the module named, the names
    taken from it; empty for ``import x``), relative forms resolved against ``name``."""
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                # the package a relative import starts from: the module's own package, up
                # one for each extra dot (a package's __init__ is its own package)
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[:len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            out.append((base, [alias.name for alias in node.names]))
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (self-imports left out)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for target, taken in imported_names(tree, name, path.name == "__init__.py"):
            subs = [f"{target}.{t}" for t in taken if f"{target}.{t}" in modules]
            edges.update(subs)
            if target in modules and (not taken or len(subs) < len(taken)):
                edges.add(target)  # ``import target`` or names defined in it
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that starts and ends at the same module, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_project_modules_import_without_a_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_domain_imports_neither_the_web_app_nor_flask():
    hits = []
    for name, path in project_modules().items():
        if not name.startswith("corridor"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, _ in imported_names(tree, name, path.name == "__init__.py"):
            if target.split(".")[0] in ("web", "flask", "werkzeug"):
                hits.append(f"{name} imports {target}")
    assert hits == []


SAMPLE = '''
import web.api.errors
from web import get_store
from web.api import bp, features
from . import links
from .formats import negotiate
from .. import query

def later():
    from web.pages.cache import cached_page
'''


def test_every_import_form_is_an_edge():
    """The graph sees module-level and function-level imports, names and submodules taken
    from a package, and relative imports (checked on a sample, so the test itself is tested)."""
    tree = ast.parse(SAMPLE)
    found = imported_names(tree, "web.api.spatial", is_package=False)
    assert found == [("web.api.errors", []), ("web", ["get_store"]), ("web.api", ["bp", "features"]),
                     ("web.api", ["links"]), ("web.api.formats", ["negotiate"]), ("web", ["query"]),
                     ("web.pages.cache", ["cached_page"])]
    assert imported_names(ast.parse("from . import x"), "web.api", is_package=True) == [("web.api", ["x"])]


@pytest.mark.parametrize(("graph", "cycle"), [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": {"b2"}, "b2": {"b"}}, ["b", "b2", "b"]),
])
def test_find_cycle(graph, cycle):
    assert find_cycle(graph) == cycle
