"""EventBridge event-pattern syntax: validate a pattern and compile it to matcher objects.

The rules follow what AWS accepts and rejects (InvalidEventPatternException), proven on the
AWS-recorded cases in ``shared/testdata/eventbridge-patterns``. Every rejection names the
offending place in the pattern, e.g. ``detail.price[0].numeric[1]``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .pattern_complexity import WILDCARD_COMPLEXITY_LIMIT, wildcard_complexity
from .pattern_matchers import (
    IP_LIKE,
    AnythingBut,
    AnythingButPattern,
    Cidr,
    EqualsIgnoreCase,
    Exact,
    Exists,
    Matcher,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
    ip_literal,
    parse_ip,
)

OPERATORS = ("prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr", "wildcard")
OR_KEY = "$or"
# AWS documents numeric matching for -5.0e9..+5.0e9 with at most six digits after the decimal point.
NUMERIC_LIMIT = 5.0e9
NUMERIC_DECIMALS = 6
# Names AWS reserves: they cannot be field names inside a $or alternative.
RESERVED_IN_OR = frozenset({*OPERATORS, "exactly", "html", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
                            "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
                            "date-on-or-before", "in-date-range", "ip-address-in-range",
                            "ip-address-not-in-range"})
LOWER_OPERATORS = (">", ">=")
UPPER_OPERATORS = ("<", "<=")


class PatternError(ValueError):
    """An event pattern AWS would reject; ``path`` names the offending place, ``reason`` says why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple:
        return type(self), (self.path, self.reason)


@dataclass(frozen=True)
class Field:
    """One flattened field of a pattern (``detail.state``) and the values it accepts (any of)."""

    path: str
    where: str  # its place in the pattern, for messages (e.g. ``detail.$or[1].state``)
    matchers: tuple[Matcher, ...]
    absent_ok: bool  # an ``{"exists": false}`` is among the alternatives

    def wildcards(self) -> list[str]:
        """The wildcard strings this field uses (plain and under anything-but)."""
        texts: list[str] = []
        for matcher in self.matchers:
            if isinstance(matcher, Wildcard):
                texts.append(matcher.text)
            elif isinstance(matcher, AnythingButPattern) and matcher.operator == "wildcard":
                texts.extend(matcher.values)
        return texts

    def accepts(self, value: Any) -> bool:
        return any(matcher.accepts(value) for matcher in self.matchers)


@dataclass(frozen=True)
class CompiledPattern:
    """A pattern as alternatives (one per combination of ``$or`` choices), each a set of fields.

    Like AWS, a later field with the same path replaces an earlier one within an alternative, so
    ``{"a": {"b": ["x"]}, "a.b": ["y"]}`` (or a repeated JSON key) requires only ``"y"``.
    """

    branches: tuple[tuple[Field, ...], ...]


def describe(value: Any) -> str:
    """A value as it appears in the pattern's JSON, shortened for messages."""
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# "Content filtering in Amazon EventBridge event patterns" ($or): PutRule, TestEventPattern and the
# archive APIs refuse a pattern whose $or arrays give over 1000 rule combinations, counted by
# multiplying the number of alternatives of every $or array in the pattern.
MAX_OR_COMBINATIONS = 1000

Branch = dict[str, Field]


def compile_pattern(pattern: Any) -> CompiledPattern:
    """Validate a parsed pattern (a dict) and compile it; raises PatternError."""
    if not isinstance(pattern, dict):
        raise PatternError("$", f"an event pattern must be a JSON object, got {describe(pattern)}")
    if not pattern:
        raise PatternError("$", "an event pattern must name at least one field")
    _check_or_combinations(pattern)
    branches = _compile_object(pattern, "", "", [{}], in_or=False)
    compiled = CompiledPattern(tuple(tuple(branch.values()) for branch in branches))
    _check_wildcard_complexity(compiled)
    return compiled


def _or_arrays(node: Any, where: str) -> list[tuple[str, int]]:
    """Every $or array in the pattern (its place and its number of alternatives)."""
    found: list[tuple[str, int]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            location = _at(where, key)
            if key == OR_KEY and isinstance(value, list):
                found.append((location, len(value)))
                for index, alternative in enumerate(value):
                    found.extend(_or_arrays(alternative, f"{location}[{index}]"))
            elif isinstance(value, dict):
                found.extend(_or_arrays(value, location))
    return found


def _check_or_combinations(pattern: dict) -> None:
    """Refuse a pattern whose $or arrays multiply to more than AWS's 1000 rule combinations."""
    arrays = _or_arrays(pattern, "")
    total = math.prod(count for _, count in arrays)
    if total > MAX_OR_COMBINATIONS:
        formula = " x ".join(str(count) for _, count in arrays)
        raise PatternError(arrays[0][0], f"the $or arrays give {formula} = {total} rule combinations; EventBridge "
                                         f"refuses more than {MAX_OR_COMBINATIONS} (split the rule, or list "
                                         f"values in one field instead of one $or alternative each)")


def _check_wildcard_complexity(compiled: CompiledPattern) -> None:
    """Refuse a field whose wildcards AWS would find too complex (see pattern_complexity)."""
    texts: dict[str, dict[str, None]] = {}
    where: dict[str, str] = {}
    for branch in compiled.branches:
        for field in branch:
            wildcards = field.wildcards()
            if wildcards:
                texts.setdefault(field.path, {}).update(dict.fromkeys(wildcards))
                where.setdefault(field.path, field.where)
    for path, wildcards in texts.items():
        complexity = wildcard_complexity(wildcards)
        if complexity > WILDCARD_COMPLEXITY_LIMIT:
            raise PatternError(where[path], f"the wildcards on this field are too complex for AWS "
                                            f"(complexity {complexity}, limit {WILDCARD_COMPLEXITY_LIMIT}): use "
                                            f"fewer '*' or fewer repeated characters after a '*'")


def _compile_object(node: dict, field_path: str, where: str, branches: list[Branch], *,
                    in_or: bool) -> list[Branch]:
    """Add an object's fields to every branch, in JSON order; a ``$or`` forks the branches."""
    for key, value in node.items():
        location = _at(where, key)
        if key == OR_KEY:
            branches = _compile_or(value, field_path, location, branches)
            continue
        path = _at(field_path, key)
        if in_or and key in RESERVED_IN_OR:
            raise PatternError(location, f"'{key}' is reserved and cannot be a field name inside $or")
        if isinstance(value, dict):
            if not value:
                raise PatternError(location, "an object in a pattern must name at least one field")
            branches = _compile_object(value, path, location, branches, in_or=in_or)
        elif isinstance(value, list):
            field = _compile_leaf(value, path, location)
            for branch in branches:
                branch.pop(path, None)  # the later definition wins and takes the later place
                branch[path] = field
        else:
            raise PatternError(
                location, f"must be a list of values to match (e.g. [{describe(value)}]) or an object, "
                f"got {describe(value)}")
    return branches


def _compile_or(value: Any, field_path: str, where: str, branches: list[Branch]) -> list[Branch]:
    if not isinstance(value, list) or len(value) < 2:
        raise PatternError(where, f"$or needs a list of at least two pattern objects, got {describe(value)}")
    forked: list[Branch] = []
    for index, alternative in enumerate(value):
        location = f"{where}[{index}]"
        if not isinstance(alternative, dict) or not alternative:
            raise PatternError(location, f"each $or alternative must be a non-empty object, got "
                                         f"{describe(alternative)}")
        copies = [dict(branch) for branch in branches]
        forked.extend(_compile_object(alternative, field_path, location, copies, in_or=True))
    return forked


def _compile_leaf(values: list, path: str, where: str) -> Field:
    if not values:
        raise PatternError(where, "a list of values to match must not be empty")
    matchers: list[Matcher] = []
    absent_ok = False
    for index, value in enumerate(values):
        location = f"{where}[{index}]"
        if isinstance(value, dict):
            matcher = _compile_operator(value, location)
            if isinstance(matcher, Exists) and not matcher.present:
                absent_ok = True
                continue
            matchers.append(matcher)
        elif isinstance(value, list):
            raise PatternError(location, f"lists cannot be nested in a list of values, got {describe(value)}")
        else:
            matchers.append(Exact(value, ip_literal(value)))
    return Field(path, where, tuple(matchers), absent_ok)


def _compile_operator(expression: dict, where: str) -> Matcher:
    if len(expression) != 1:
        names = ", ".join(expression) or "none"
        raise PatternError(where, f"a match expression must have exactly one operator, got {names}")
    ((name, argument),) = expression.items()
    location = _at(where, name)
    compiler = _OPERATOR_COMPILERS.get(name)
    if compiler is None:
        hint = f" (operators are case-sensitive: use '{name.lower()}')" if name.lower() in OPERATORS else ""
        raise PatternError(location, f"unknown operator '{name}'{hint}; known: {', '.join(OPERATORS)}")
    return compiler(argument, location)


def _require_string(value: Any, where: str, operator: str, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise PatternError(where, f"{operator} needs a string, got {describe(value)}")
    if not allow_empty and not value:
        raise PatternError(where, f"{operator} needs a non-empty string")
    return value


def _string_or_ignore_case(argument: Any, where: str, operator: str) -> tuple[str, bool]:
    """``"text"`` or ``{"equals-ignore-case": "text"}`` for prefix/suffix."""
    if isinstance(argument, dict):
        if set(argument) != {"equals-ignore-case"}:
            raise PatternError(where, f"{operator} takes a string or {{\"equals-ignore-case\": string}}, "
                                      f"got {describe(argument)}")
        text = _require_string(argument["equals-ignore-case"], _at(where, "equals-ignore-case"), operator)
        return text, True
    if isinstance(argument, list):
        raise PatternError(where, f"{operator} takes one string, not a list; list several "
                                  f"{{\"{operator}\": ...}} entries instead")
    return _require_string(argument, where, operator), False


def _prefix(argument: Any, where: str) -> Matcher:
    text, ignore_case = _string_or_ignore_case(argument, where, "prefix")
    return Prefix(text, ignore_case)


def _suffix(argument: Any, where: str) -> Matcher:
    text, ignore_case = _string_or_ignore_case(argument, where, "suffix")
    return Suffix(text, ignore_case)


def _equals_ignore_case(argument: Any, where: str) -> Matcher:
    return EqualsIgnoreCase(_require_string(argument, where, "equals-ignore-case"))


def _exists(argument: Any, where: str) -> Matcher:
    if not isinstance(argument, bool):
        raise PatternError(where, f"exists takes true or false, got {describe(argument)}")
    return Exists(argument)


def _cidr(argument: Any, where: str) -> Matcher:
    text = _require_string(argument, where, "cidr")
    address_text, slash, mask_text = text.partition("/")
    if not slash or not mask_text.isdigit():
        raise PatternError(where, f"cidr needs an IPv4 or IPv6 block like 10.0.0.0/24, got {describe(text)}")
    address = parse_ip(address_text) if IP_LIKE.fullmatch(address_text) else None
    if address is None:
        raise PatternError(where, f"cidr {describe(text)}: {describe(address_text)} is not an IPv4 or IPv6 "
                                  f"address")
    mask = int(mask_text)
    if mask >= address.max_prefixlen:
        raise PatternError(where, f"cidr {describe(text)}: IPv{address.version} mask bits must be below "
                                  f"{address.max_prefixlen} (match one address with an exact value instead)")
    # The block is every address under the mask: host bits written after the mask are ignored.
    host_bits = (1 << (address.max_prefixlen - mask)) - 1
    return Cidr(address.version, int(address) & ~host_bits, int(address) | host_bits)


def compile_wildcard(text: str, where: str) -> re.Pattern[str]:
    """Turn a wildcard (``*`` = any run of characters, ``\\*`` = a literal star) into a regex."""
    parts: list[str] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            following = text[index + 1: index + 2]
            if following not in ("*", "\\"):
                raise PatternError(where, f"wildcard {describe(text)}: a backslash may only escape '*' or "
                                          f"'\\' (position {index + 1})")
            literal.append(following)
            index += 2
            continue
        if char == "*":
            if text[index + 1: index + 2] == "*":
                raise PatternError(where, f"wildcard {describe(text)}: consecutive wildcard characters at "
                                          f"position {index + 1}")
            parts.append(re.escape("".join(literal)))
            literal = []
            parts.append(".*")
        else:
            literal.append(char)
        index += 1
    parts.append(re.escape("".join(literal)))
    return re.compile("".join(parts), re.DOTALL)


def _wildcard(argument: Any, where: str) -> Matcher:
    if isinstance(argument, list):
        raise PatternError(where, "wildcard takes one string, not a list; list several "
                                  "{\"wildcard\": ...} entries instead")
    text = _require_string(argument, where, "wildcard")
    return Wildcard(text, compile_wildcard(text, where))


def _numeric_bound(value: Any, where: str) -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise PatternError(where, f"numeric needs a number here, got {describe(value)}")
    if abs(value) > NUMERIC_LIMIT:
        raise PatternError(where, f"numeric values must lie between -5.0e9 and 5.0e9, got {value}")
    if isinstance(value, float) and Decimal(repr(value)).as_tuple().exponent < -NUMERIC_DECIMALS:
        raise PatternError(where, f"numeric values may have at most {NUMERIC_DECIMALS} digits after the "
                                  f"decimal point, got {value!r}")
    return float(value)


def _numeric(argument: Any, where: str) -> Matcher:
    shape = ("numeric takes [operator, number] or [\">\"|\">=\", low, \"<\"|\"<=\", high] with operators "
             "<, <=, =, >, >=")
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        raise PatternError(where, f"{shape}; got {describe(argument)}")
    conditions = []
    for index in range(0, len(argument), 2):
        operator = argument[index]
        if operator not in ("<", "<=", "=", ">", ">="):
            raise PatternError(f"{where}[{index}]", f"unknown numeric operator {describe(operator)}; "
                                                    f"use <, <=, =, >, >=")
        conditions.append((operator, _numeric_bound(argument[index + 1], f"{where}[{index + 1}]")))
    if len(conditions) == 1:
        ((operator, number),) = conditions
        if operator == "=":
            return Numeric(number, True, number, True)
        # One-sided ranges are closed by AWS at the numeric limit, which must stay outside the range.
        if operator in LOWER_OPERATORS:
            low, low_inclusive, high, high_inclusive = number, operator == ">=", NUMERIC_LIMIT, True
        else:
            low, low_inclusive, high, high_inclusive = -NUMERIC_LIMIT, True, number, operator == "<="
        if low >= high:
            raise PatternError(where, f"numeric range is empty: {describe(argument)} leaves nothing within "
                                      f"-5.0e9..5.0e9")
        return Numeric(low, low_inclusive, high, high_inclusive)
    (low_op, low), (high_op, high) = conditions
    if low_op not in LOWER_OPERATORS or high_op not in UPPER_OPERATORS:
        raise PatternError(where, f"a numeric range needs a lower bound (> or >=) followed by an upper bound "
                                  f"(< or <=), got {describe(argument)}")
    if low >= high:
        raise PatternError(where, f"numeric range is empty: the lower bound {argument[1]} must be below the "
                                  f"upper bound {argument[3]}")
    return Numeric(low, low_op == ">=", high, high_op == "<=")


def _string_list(argument: Any, where: str, operator: str, *, allow_empty: bool) -> tuple[str, ...]:
    """One string or a non-empty list of strings (the ``anything-but`` sub-operators)."""
    items = argument if isinstance(argument, list) else [argument]
    if isinstance(argument, list) and not argument:
        raise PatternError(where, f"anything-but {operator} needs at least one value")
    for index, item in enumerate(items):
        location = f"{where}[{index}]" if isinstance(argument, list) else where
        _require_string(item, location, f"anything-but {operator}", allow_empty=allow_empty)
    return tuple(items)


def _anything_but(argument: Any, where: str) -> Matcher:
    if isinstance(argument, dict):
        if len(argument) != 1 or next(iter(argument)) not in ANYTHING_BUT_OPERATORS:
            raise PatternError(where, f"anything-but takes a value, a list of values, or one of "
                                      f"{{{', '.join(ANYTHING_BUT_OPERATORS)}}}; got {describe(argument)}")
        ((name, inner),) = argument.items()
        location = _at(where, name)
        if isinstance(inner, dict):
            raise PatternError(location, f"anything-but {name} takes a string or a list of strings, got "
                                         f"{describe(inner)}")
        values = _string_list(inner, location, name, allow_empty=name in ("equals-ignore-case", "wildcard"))
        if name == "wildcard":
            regexes = tuple(compile_wildcard(text, location) for text in values)
            return AnythingButPattern(name, values, lambda text, rs=regexes: any(r.fullmatch(text) for r in rs))
        return AnythingButPattern(name, values, _anything_but_test(name, values))
    items = argument if isinstance(argument, list) else [argument]
    if isinstance(argument, list) and not argument:
        raise PatternError(where, "anything-but needs at least one value")
    for index, item in enumerate(items):
        location = f"{where}[{index}]" if isinstance(argument, list) else where
        if not (isinstance(item, str) or _is_number(item)):
            raise PatternError(location, f"anything-but accepts only strings and numbers, got {describe(item)}")
        if _is_number(item):
            _numeric_bound(item, location)
    strings = frozenset(item for item in items if isinstance(item, str))
    if strings and len(strings) != len(set(items)):
        raise PatternError(where, f"anything-but values must be all strings or all numbers, got {describe(argument)}")
    return AnythingBut(strings, tuple(item for item in items if not isinstance(item, str)))


def _anything_but_test(name: str, values: tuple[str, ...]) -> Callable[[str], bool]:
    if name == "prefix":
        return lambda text: text.startswith(values)
    if name == "suffix":
        return lambda text: text.endswith(values)
    lowered = frozenset(value.lower() for value in values)
    return lambda text: text.lower() in lowered


ANYTHING_BUT_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "wildcard")

_OPERATOR_COMPILERS: dict[str, Callable[[Any, str], Matcher]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _equals_ignore_case,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "exists": _exists,
    "cidr": _cidr,
    "wildcard": _wildcard,
}
