"""Match a compiled event pattern against an event.

The event is flattened to dotted paths (``detail.state``), so ``{"a.b": 1}`` and ``{"a": {"b": 1}}``
are the same field, in events and in patterns alike. Arrays contribute each element; an object
inside an array contributes its fields. Each value remembers which array elements it came from:
when several pattern fields pick values inside the same array, they must pick them from the same
element (EventBridge's array-consistent matching), e.g. ``{"items": {"sku": ["a"], "qty": [1]}}``
needs one item with both sku "a" and qty 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any

from .pattern_syntax import CompiledPattern, Field

# A leaf value and the array elements it sits in: ((array id, index), ...).
Position = tuple[tuple[int, int], ...]
FlatEvent = dict[str, list[tuple[Any, Position]]]


def flatten_event(event: dict) -> FlatEvent:
    """Every leaf value of the event under its dotted path."""
    flat: FlatEvent = {}
    _flatten(event, "", (), flat, count())
    return flat


def _flatten(value: Any, path: str, position: Position, flat: FlatEvent, ids: Iterator[int]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else key, position, flat, ids)
    elif isinstance(value, list):
        array_id = next(ids)
        for index, item in enumerate(value):
            _flatten(item, path, (*position, (array_id, index)), flat, ids)
    else:
        flat.setdefault(path, []).append((value, position))


def _candidates(field: Field, flat: FlatEvent) -> list[Position] | None:
    """Positions of the values the field accepts; ``None`` if it is satisfied by the field's absence."""
    values = flat.get(field.path)
    if not values:
        return None if field.absent_ok else []
    return [position for value, position in values if field.accepts(value)]


def _bind(bindings: dict[int, int], position: Position) -> dict[int, int] | None:
    """The array bindings extended by a value's position, or None if it sits in another element."""
    extended = None
    for array_id, index in position:
        bound = bindings.get(array_id)
        if bound is None:
            if extended is None:
                extended = dict(bindings)
            extended[array_id] = index
        elif bound != index:
            return None
    return bindings if extended is None else extended


def _absent_here(field: Field, flat: FlatEvent, bindings: dict[int, int]) -> bool:
    """``exists: false`` under the array elements chosen so far: no value of the field sits in them.

    Within an array of objects, ``{"exists": false}`` looks at the elements the fields before it
    (in name order) matched in, so in ``[{"a": 1}, {"b": 2}]`` there is no ``c`` beside ``b: 2``.
    """
    return field.absent_ok and all(_bind(bindings, position) is None for _, position in flat.get(field.path, ()))


def _solve(fields: tuple[Field, ...], flat: FlatEvent, bindings: dict[int, int]) -> bool:
    """True if every field can be met by values from consistent array elements."""
    if not fields:
        return True
    first, rest = fields[0], fields[1:]
    candidates = _candidates(first, flat)
    if candidates is None:
        return _solve(rest, flat, bindings)
    for position in candidates:
        extended = _bind(bindings, position)
        if extended is not None and _solve(rest, flat, extended):
            return True
    return _absent_here(first, flat, bindings) and _solve(rest, flat, bindings)


def _ordered(branch: tuple[Field, ...]) -> tuple[Field, ...]:
    """Fields in name order, the order EventBridge's matcher (AWS event-ruler) walks them in: an
    ``exists: false`` field sees the array elements chosen by the fields whose names sort before it."""
    return tuple(sorted(branch, key=lambda field: field.path))


def _hopeless(field: Field, flat: FlatEvent) -> bool:
    """A field no value can meet and whose absence cannot meet either."""
    return not field.absent_ok and _candidates(field, flat) == []


def _branch_matches(branch: tuple[Field, ...], flat: FlatEvent) -> bool:
    # Cheap rejection first: a field with no acceptable value can never be met.
    if any(_hopeless(field, flat) for field in branch):
        return False
    return _solve(_ordered(branch), flat, {})


def match_flat(compiled: CompiledPattern, flat: FlatEvent) -> bool:
    """Does the flattened event satisfy the compiled pattern (any of its alternatives)?"""
    return any(_branch_matches(branch, flat) for branch in compiled.branches)


def _branch_mismatch(branch: tuple[Field, ...], flat: FlatEvent) -> tuple[int, str] | None:
    """(fields met before the first failure, what failed), or None if the branch matches."""
    for index, field in enumerate(branch):
        if _hopeless(field, flat):
            return index, field.path
    if _solve(_ordered(branch), flat, {}):
        return None
    paths = ", ".join(field.path for field in branch)
    return len(branch), f"{paths} (each matches somewhere, but not within the same array element)"


def first_mismatch(compiled: CompiledPattern, flat: FlatEvent) -> str | None:
    """Where the event fails the pattern (a field path), None if it matches.

    With ``$or`` the closest alternative (the one that fails latest) is reported.
    """
    failures = []
    for branch in compiled.branches:
        failure = _branch_mismatch(branch, flat)
        if failure is None:
            return None
        failures.append(failure)
    _, what = max(failures, key=lambda failure: failure[0])
    if len(compiled.branches) == 1:
        return what
    return f"{what} (in the closest of {len(compiled.branches)} $or alternatives)"
