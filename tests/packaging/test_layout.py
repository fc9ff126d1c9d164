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


ROOT = LIBRARY.parent
FEATURES = ROOT / "features"
# The composition reads the stack config and hands each feature its part (features/program.py,
# with the readers in features/settings.py); features themselves read none of it.
CONFIG_READERS = {FEATURES / "program.py", FEATURES / "settings.py"}
CONFIG_CALLS = {"Config", "get_secret", "get_config", "get_config_env", "get_config_secret_keys_env"}


def _calls(path: Path) -> set[str]:
    """Names of the functions and attributes a file calls (``pulumi.Config(...)`` -> Config)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_features_read_no_stack_config_themselves():
    """Settings, region and secrets reach a feature as arguments (``Stack``), so a reader sees what
    a feature depends on from its signature, and a test can hand it any stack."""
    sources = [p for p in sorted(FEATURES.rglob("*.py")) if p not in CONFIG_READERS and "forwarder" not in p.parts]
    assert len(sources) > 20
    readers = [f"{p.relative_to(ROOT)}: {sorted(_calls(p) & CONFIG_CALLS)}" for p in sources
               if _calls(p) & CONFIG_CALLS]
    assert readers == []


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_the_app_has_no_import_cycles():
    """The app's modules (features/, org/) import each other one way: a cycle would make the
    order of imports decide what exists (and hide which feature depends on which)."""
    modules = {_module(p): p for top in ("features", "org") for p in (ROOT / top).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for level, module in _imports(path):
            if level:
                base = package.rsplit(".", level - 1)[0] if level > 1 else package
                module = f"{base}.{module}" if module else base
            while module and module not in modules:
                module = module.rpartition(".")[0]
            if module and module != name:
                targets.add(module)
        graph[name] = targets
    assert len(graph) > 40

    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*stack[stack.index(target):], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []
