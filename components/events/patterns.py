"""EventBridge event patterns: validate them and test them against events, offline.

Pipes filters and bus rules call these at design time so that a pattern AWS would reject, or a
pattern that does not do what its author meant (checked with sample events), stops the deploy
with one clear message instead of failing in AWS or silently dropping events.

    validate_pattern(pattern, max_length=4096)  -> the parsed dict, or PatternError
    matches(pattern, event)                     -> bool, EventBridge semantics
    check_samples(pattern, must_match=[...], must_not_match=[...], where="groundwork:pipes.orders")
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..errors import ConfigError
from .pattern_matching import first_mismatch, flatten_event, match_flat
from .pattern_syntax import CompiledPattern, PatternError, compile_pattern

__all__ = [
    "PatternError", "check_pipe_support", "check_samples", "explain_mismatch", "matches", "parse_pattern_number",
    "pattern_json", "validate_pattern",
]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Unrepresentable(float):
    """A JSON number a double cannot hold (1E-325 underflows to 0, 1E400 overflows), with its text."""

    text: str


def parse_pattern_number(text: str) -> float:
    """``parse_float`` for JSON/JSON5 loaders of patterns: keeps the text of a number a double cannot
    hold (it still compares as 0 or infinity), so validation refuses it instead of reading 0."""
    value = float(text)
    if math.isinf(value) or (value == 0 and Decimal(text) != 0):
        marked = _Unrepresentable(value)
        marked.text = text
        return marked
    return value


def _refuse_unrepresentable(node: Any, where: str) -> None:
    """Refuse a number AWS cannot read as written rather than matching it as 0 (or infinity)."""
    if isinstance(node, dict):
        for key, value in node.items():
            _refuse_unrepresentable(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _refuse_unrepresentable(item, f"{where}[{index}]")
    elif isinstance(node, _Unrepresentable):
        kind = "underflows to 0" if node == 0 else "overflows"
        raise PatternError(where or "$", f"the number {node.text} {kind} as a double; write a number within "
                                         "the numeric limits (-5.0e9..5.0e9, six decimals)")


def _parse_json(text: str, what: str) -> Any:
    try:
        parsed = json.loads(text, parse_constant=_reject_constant, parse_float=parse_pattern_number)
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        raise PatternError("$", f"{what} is not valid JSON: {error}") from None
    return parsed


def pattern_json(pattern: dict) -> str:
    """The compact JSON AWS receives for a pattern (what its length limits count)."""
    return json.dumps(pattern, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@lru_cache(maxsize=512)
def _compiled(text: str) -> CompiledPattern:
    return compile_pattern(json.loads(text))


def _compile(pattern: dict | str, max_length: int | None) -> tuple[dict, CompiledPattern]:
    """Parse (if text), check the length, validate and compile; compiled patterns are cached."""
    if isinstance(pattern, str):
        parsed = _parse_json(pattern, "the event pattern")
        length = len(pattern)
    else:
        parsed = pattern
    _refuse_unrepresentable(parsed, "")  # before JSON round trips turn 1E-325 into 0.0
    if not isinstance(parsed, dict):
        compile_pattern(parsed)  # raises the shape error at "$"
    try:
        canonical = pattern_json(parsed)
    except (TypeError, ValueError) as error:
        raise PatternError("$", f"the event pattern is not JSON data: {error}") from None
    if not isinstance(pattern, str):
        length = len(canonical)
    if max_length is not None and length > max_length:
        raise PatternError("$", f"the event pattern is {length} characters long; the limit is {max_length}")
    return parsed, _compiled(canonical)


def validate_pattern(pattern: dict | str, *, max_length: int | None = None) -> dict:
    """Check a pattern the way AWS does and return it parsed; raises PatternError naming the path.

    ``max_length`` limits the pattern's JSON text (as given, or compact JSON for a dict); EventBridge
    Pipes allows 4,096 characters per filter.
    """
    parsed, _ = _compile(pattern, max_length)
    return parsed


def _event(event: dict | str) -> dict:
    if isinstance(event, str):
        try:
            event = json.loads(event, parse_constant=_reject_constant)
        except ValueError as error:
            raise ValueError(f"the event is not valid JSON: {error}") from None
    if not isinstance(event, dict):
        raise ValueError(f"an event must be a JSON object, got {type(event).__name__}")
    return event


def matches(pattern: dict | str, event: dict | str) -> bool:
    """Does the event match the pattern, as EventBridge decides? Validates the pattern first."""
    _, compiled = _compile(pattern, None)
    return match_flat(compiled, flatten_event(_event(event)))


def explain_mismatch(pattern: dict | str, event: dict | str) -> str | None:
    """Where the event first fails the pattern (e.g. ``detail.type``), or None if it matches."""
    _, compiled = _compile(pattern, None)
    return first_mismatch(compiled, flatten_event(_event(event)))


def check_samples(
    pattern: dict | str,
    *,
    must_match: Sequence[dict] = (),
    must_not_match: Sequence[dict] = (),
    where: str,
) -> None:
    """Refuse a pattern that rejects an event it should accept, or accepts one it should reject.

    Raises one ConfigError listing every problem, each line starting with ``where`` (the config key).
    """
    try:
        _, compiled = _compile(pattern, None)
    except PatternError as error:
        raise ConfigError(f"{where}: invalid event pattern at {error}") from None
    problems: list[str] = []
    for expected, samples in ((True, must_match), (False, must_not_match)):
        label = "should match" if expected else "should not match"
        for number, sample in enumerate(samples, start=1):
            try:
                flat = flatten_event(_event(sample))
            except ValueError as error:
                problems.append(f"sample event #{number} ({label}) is unusable: {error}")
                continue
            mismatch = first_mismatch(compiled, flat)
            if expected and mismatch is not None:
                problems.append(f"sample event #{number} should match but does not (first mismatch: {mismatch})")
            elif not expected and mismatch is None:
                problems.append(f"sample event #{number} should not match but does")
    if problems:
        raise ConfigError("\n".join(f"{where}: {problem}" for problem in problems))


# Operators EventBridge event buses accept but Pipes filters do not (AWS "Comparison operators" table).
PIPES_UNSUPPORTED = {
    "wildcard": "wildcard",
    "anything-but.prefix": "anything-but with prefix",
    "anything-but.suffix": "anything-but with suffix",
    "anything-but.equals-ignore-case": "anything-but with equals-ignore-case",
    "anything-but.wildcard": "anything-but with wildcard",
}


def check_pipe_support(pattern: dict | str) -> dict:
    """Validate a pattern for an EventBridge Pipes filter: also refuses the bus-only operators."""
    parsed = validate_pattern(pattern)
    _refuse_bus_only(parsed, "")
    return parsed


def _refuse_bus_only(node: Any, where: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _refuse_bus_only(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            location = f"{where}[{index}]"
            if isinstance(item, dict) and len(item) == 1 and not where.endswith("$or"):
                ((operator, argument),) = item.items()
                name = operator
                if operator == "anything-but" and isinstance(argument, dict):
                    name = f"anything-but.{next(iter(argument))}"
                if name in PIPES_UNSUPPORTED:
                    raise PatternError(f"{location}.{operator}", f"{PIPES_UNSUPPORTED[name]} works on event "
                                       f"bus rules but not in EventBridge Pipes filters")
            else:
                _refuse_bus_only(item, location)
