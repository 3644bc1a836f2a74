"""The runtime's modules import each other in layers, never in a circle
(issue 12): the convention code knows its host admin only through
``runtime/convhost.py``, and the socket helpers know no convention code.
Imports under ``if TYPE_CHECKING:`` count: a circle there is still one."""
from __future__ import annotations

import ast
from pathlib import Path

import actorcore._core.runtime

RUNTIME = Path(actorcore._core.runtime.__file__).parent
PACKAGE = "actorcore._core.runtime"


def _runtime_imports(path: Path) -> set[str]:
    """The sibling modules one runtime module imports (relative or absolute)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from . import x / from .x import y
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif node.level == 0 and (node.module or "").startswith(PACKAGE + "."):
                found.add(node.module[len(PACKAGE) + 1:].split(".")[0])  # type: ignore[index]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    found.add(alias.name[len(PACKAGE) + 1:].split(".")[0])
    return found


def _graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in RUNTIME.glob("*.py") if p.stem != "__init__"}
    return {name: _runtime_imports(path) & set(modules) for name, path in modules.items()}


def _circle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start -> ... -> start, if there is one."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def test_the_runtime_modules_import_each_other_without_a_circle():
    graph = _graph()
    circles = [c for c in (_circle_through(graph, m) for m in sorted(graph)) if c]
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_the_convention_code_reaches_the_admin_only_through_its_protocol():
    graph = _graph()
    for module in ("conventions", "convnames", "convpeers", "convhost"):
        assert "admin" not in graph[module], f"{module} imports the admin"


def test_the_socket_helpers_know_no_convention_code():
    graph = _graph()
    for module in ("netbase", "hostports"):
        assert not graph[module] & {"conventions", "convnames", "admin"}, module
