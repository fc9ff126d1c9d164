"""The groundwork library's own event-pattern and input-template engines and its stack-context
vocabulary, reused by the pack.

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

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "components"  # the library's source folder in this repository


def _library() -> Path:
    """The folder of the ``groundwork`` package: the installed library, else the repository's source
    folder, registered under the library's name (it is imported by no other name)."""
    spec = importlib.util.find_spec("groundwork")
    if spec is None and (SOURCE / "__init__.py").is_file():
        spec = importlib.util.spec_from_file_location("groundwork", SOURCE / "__init__.py",
                                                      submodule_search_locations=[str(SOURCE)])
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            sys.modules["groundwork"] = module
            spec.loader.exec_module(module)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the groundwork library is not installed in the pack's venv and its source "
                          f"folder {SOURCE} is missing")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def patterns() -> ModuleType:
    """``groundwork.events.patterns`` (validate_pattern, check_pipe_support, PatternError)."""
    _library()
    return importlib.import_module("groundwork.events.patterns")


def _load(relative: str, name: str) -> ModuleType:
    """A module of the library loaded by path, without its package (which would import pulumi_aws)."""
    path = _library() / relative
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} not found: install the groundwork library into the pack's venv")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@functools.cache
def stages() -> ModuleType:
    """``groundwork/stages.py``: STAGES, USAGES, NON_PRODUCTION_STAGES of the stack context."""
    return _load("stages.py", "groundwork_policies._stages")


@functools.cache
def templates() -> ModuleType:
    """``groundwork/pipes/templates.py`` (check_template), loaded without its package."""
    return _load("pipes/templates.py", "groundwork_policies._pipe_templates")
