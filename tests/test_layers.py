"""The shape of the code: no import cycle in `api`, and orchestration stays on top.

Read from the source (every import, also those inside functions), so nothing is imported and
no database is needed.
"""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).resolve().parent.parent / "api"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in API.rglob("*.py"):
        parts = path.relative_to(API.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """Module → the `api` modules it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_module_of_api_imports_one_that_imports_it_back():
    assert cycles(import_graph()) == []


def test_only_routes_and_commands_reach_the_orchestration():
    """`api.flows` calls every domain; a domain service importing it would climb back up."""
    importers = {name for name, targets in import_graph().items() if "api.flows" in targets}
    allowed = {name for name in importers if name.endswith(".routes") or name.startswith("api.web")}
    assert importers - allowed - {"api.demo"} == set()


def test_pairing_is_a_low_domain():
    """Pairing is reached by the domains built on couples; it reaches only below itself."""
    graph = import_graph()
    reached = {m.split(".")[1] for m in graph["api.pairing.service"] if m.count(".") >= 2}
    assert reached <= {"accounts", "notifications", "pairing"}, reached
