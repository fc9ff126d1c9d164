"""The groundwork library's own event-pattern and input-template engines, reused by the pack.

The pack imports them from the installed ``groundwork`` library (``pip install -e .`` of this
repository, or the wheel). A pack venv without the library (the Pulumi CLI builds ``policies/venv``
from ``policies/requirements.txt`` only) falls back to the library's source folder ``components/``
next to the pack. ``pipes/templates.py`` is loaded by path: its package would import pulumi_aws,
which the pack does not need. Without either, the import fails and the checks that need it report
that instead of passing silently.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO / "components"  # the library's source folder in this repository


def _library() -> tuple[str, Path]:
    """(import name, folder) of the library: the installed ``groundwork``, else the repository's source."""
    spec = importlib.util.find_spec("groundwork")
    if spec is not None and spec.submodule_search_locations:
        return "groundwork", Path(next(iter(spec.submodule_search_locations)))
    if (SOURCE / "events" / "patterns.py").is_file() and str(REPO) not in sys.path:
        sys.path.append(str(REPO))
    return "components", SOURCE


@functools.cache
def patterns() -> ModuleType:
    """``groundwork.events.patterns`` (validate_pattern, check_pipe_support, PatternError)."""
    name, _ = _library()
    return importlib.import_module(f"{name}.events.patterns")


@functools.cache
def templates() -> ModuleType:
    """``groundwork/pipes/templates.py`` (check_template), loaded without its package."""
    path = _library()[1] / "pipes" / "templates.py"
    spec = importlib.util.spec_from_file_location("groundwork_policies._pipe_templates", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} not found: install the groundwork library into the pack's venv")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
