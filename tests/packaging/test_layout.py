"""The library's import rules, read from its source: relative imports inside, nothing of the app,
and dependencies between its areas that point one way (fan-out uses the bus's queues, never back)."""

from __future__ import annotations

import ast
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[2] / "components"
APP = {"features", "org", "policies", "groundwork_policies", "components", "groundwork", "tests"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import in a library file; level 0 is absolute."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


def test_the_library_imports_itself_relatively_and_nothing_of_the_app():
    sources = sorted(LIBRARY.rglob("*.py"))
    assert len(sources) > 30
    wrong = [f"{path.relative_to(LIBRARY)}: {module}" for path in sources for level, module in _imports(path)
             if level == 0 and module.split(".")[0] in APP]
    assert wrong == []


def test_buses_never_import_fanout():
    """fanout -> buses (limits, queues) only: the two areas must not import each other."""
    back = [f"{path.name}: {'.' * level}{module}" for path in sorted((LIBRARY / "buses").glob("*.py"))
            for level, module in _imports(path) if "fanout" in module.split(".")]
    assert back == []
