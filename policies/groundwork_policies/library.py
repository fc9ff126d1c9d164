"""The groundwork library's engines the pack reuses: event patterns, input templates and the stage
vocabulary, imported from the library installed in the pack's venv (``policies/requirements.txt``).

Imported lazily, so a venv without the library still loads the pack; the few checks that need it
then raise :class:`LibraryMissing`, which the framework reports as "could not evaluate".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

MISSING = ("the groundwork library is not installed in the pack's venv "
           "(policies/requirements.txt installs it)")


class LibraryMissing(ImportError):  # noqa: N818 - read as "the library is missing"
    """The pack's venv has no ``groundwork``: a check needing it cannot evaluate."""


@contextmanager
def _installed() -> Iterator[None]:
    """Imports from the library: its absence becomes :class:`LibraryMissing`; an incomplete or
    broken library keeps its own error, which names what is wrong."""
    try:
        yield
    except ModuleNotFoundError as error:
        if error.name != "groundwork":
            raise
        raise LibraryMissing(MISSING) from error


def patterns() -> ModuleType:
    """``groundwork.events.patterns`` (validate_pattern, check_pipe_support, PatternError)."""
    with _installed():
        from groundwork.events import patterns
    return patterns


def templates() -> ModuleType:
    """``groundwork.events.templates`` (check_template)."""
    with _installed():
        from groundwork.events import templates
    return templates


def stages() -> ModuleType:
    """``groundwork.stages``: STAGES, USAGES, NON_PRODUCTION_STAGES of the stack context."""
    with _installed():
        from groundwork import stages
    return stages
