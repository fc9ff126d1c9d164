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

from components.events.pattern_syntax import Conjunction, Field, OrGroup

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


def _solve(requirements: list[Field | OrGroup], flat: FlatEvent, bindings: dict[int, int]) -> bool:
    """True if every requirement can be met by values from consistent array elements."""
    if not requirements:
        return True
    first, rest = requirements[0], requirements[1:]
    if isinstance(first, OrGroup):
        return any(_solve([*alternative.fields, *alternative.groups, *rest], flat, bindings)
                   for alternative in first.alternatives)
    candidates = _candidates(first, flat)
    if candidates is None:
        return _solve(rest, flat, bindings)
    for position in candidates:
        extended = _bind(bindings, position)
        if extended is not None and _solve(rest, flat, extended):
            return True
    return False


def _ordered(conjunction: Conjunction) -> list[Field | OrGroup]:
    return [*conjunction.fields, *conjunction.groups]


def match_flat(conjunction: Conjunction, flat: FlatEvent) -> bool:
    """Does the flattened event satisfy the compiled pattern?"""
    # Cheap rejection first: a field with no acceptable value can never be met.
    for field in conjunction.fields:
        if _candidates(field, flat) == []:
            return False
    return _solve(_ordered(conjunction), flat, {})


def first_mismatch(conjunction: Conjunction, flat: FlatEvent) -> str | None:
    """The first place in the pattern that the event fails (a field path or a ``$or``), None if it matches."""
    for field in conjunction.fields:
        if _candidates(field, flat) == []:
            return field.path
    for group in conjunction.groups:
        if not any(match_flat(alternative, flat) for alternative in group.alternatives):
            inner = first_mismatch(group.alternatives[0], flat)
            return f"{group.where} (no alternative matches; first: {inner})"
    if not _solve(_ordered(conjunction), flat, {}):
        paths = ", ".join(field.path for field in conjunction.fields)
        return f"{paths} (each matches somewhere, but not within the same array element)"
    return None
