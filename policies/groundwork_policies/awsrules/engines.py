"""The library's own event-pattern and input-template engines, reused by the pack.

The pack ships in the repository next to ``components/``; it imports the pattern engine from
there and loads ``components/pipes/templates.py`` by path (its package would import pulumi_aws,
which the pack does not need). Without the repository (a pack copied elsewhere) the import
fails and the checks that need it report that instead of passing silently.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[3]


def _on_path() -> None:
    if (REPO / "components" / "events" / "patterns.py").is_file() and str(REPO) not in sys.path:
        sys.path.append(str(REPO))


@functools.cache
def patterns() -> ModuleType:
    """``components.events.patterns`` (validate_pattern, check_pipe_support, PatternError)."""
    _on_path()
    import components.events.patterns as module

    return module


@functools.cache
def templates() -> ModuleType:
    """``components/pipes/templates.py`` (check_template), loaded without its package."""
    path = REPO / "components" / "pipes" / "templates.py"
    spec = importlib.util.spec_from_file_location("groundwork_policies._pipe_templates", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} not found: the pack must run from the Groundwork repository")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
