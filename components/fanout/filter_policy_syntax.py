"""SNS filter-policy syntax: validate a policy for its scope and compile it to value matchers.

The rules are the ones SNS applies when a subscription's ``FilterPolicy`` is set (the answers it
gives are recorded in ``tests/fanout/data/sns_filter_policy_cases.json``, each with its source).
Every refusal names the place in the policy (``detail.price[0].numeric[1]``), the value and the
rule. Matching reuses the EventBridge engine's matchers and solver (``groundwork.events``): SNS
payload filtering uses the same pattern language, with the differences handled here
(``anything-but`` takes ``prefix``, ``suffix`` or ``wildcard``, numbers within +/-1e9 with five
decimals, no nesting under ``MessageAttributes``).
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..buses.limits import (
    MAX_FILTER_POLICY_BYTES,
    MAX_FILTER_POLICY_COMBINATIONS,
    MAX_FILTER_POLICY_KEYS,
)
from ..events.pattern_matchers import (
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
)
from ..events.pattern_syntax import (
    RESERVED_IN_OR,
    CompiledPattern,
    Field,
    PatternError,
    compile_wildcard,
    describe,
)

SCOPES = ("MessageAttributes", "MessageBody")
OR_KEY = "$or"
OPERATORS = ("prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr", "wildcard")
# What anything-but takes in SNS. The current SNS Developer Guide ("String value matching")
# documents prefix, suffix and wildcard; SNS refused suffix when LocalStack recorded it in 2024,
# and the newer documentation is followed (see the test data: that case is marked superseded).
# equals-ignore-case and exists under anything-but are documented nowhere for SNS.
ANYTHING_BUT_OPERATORS = ("prefix", "suffix", "wildcard")
# "Filter policy constraints in Amazon SNS": numeric values from -1e9 to 1e9, five decimals.
NUMERIC_LIMIT = 1e9
NUMERIC_DECIMALS = 5
NUMERIC_OPERATORS = ("<", "<=", "=", ">", ">=")
LOWER_OPERATORS = (">", ">=")
UPPER_OPERATORS = ("<", "<=")
# Compiling expands each $or into alternatives; the 150-combination limit keeps this small.
Branch = dict[str, Field]


class FilterPolicyError(ValueError):
    """A filter policy SNS would refuse; ``path`` names the place, ``reason`` the value and the rule."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason if path == "$" else f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple:
        return type(self), (self.path, self.reason)


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _number(text: str) -> float:
    """A JSON number; one that underflows to zero (1E-400) or overflows is refused, not rounded."""
    value = float(text)
    if math.isinf(value) or (value == 0 and Decimal(text) != 0):
        raise ValueError(f"the number {text} cannot be represented (it is outside the double range)")
    return value


def parse_policy(policy: Mapping[str, Any] | str) -> tuple[Any, int]:
    """(the policy as data, its size in bytes as SNS counts it: UTF-8 of the JSON text)."""
    if isinstance(policy, str):
        try:
            parsed = json.loads(policy, parse_constant=_reject_constant, parse_float=_number)
        except ValueError as error:
            raise FilterPolicyError("$", f"the filter policy is not valid JSON: {error}") from None
        return parsed, len(policy.encode("utf-8"))
    try:
        text = json.dumps(policy, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise FilterPolicyError("$", f"the filter policy is not JSON data: {error}") from None
    return policy, len(text.encode("utf-8"))


def is_or(key: str, value: Any) -> bool:
    """SNS reads ``$or`` as OR only with a list of at least two objects none of which uses a reserved
    keyword (an operator name) as a key; otherwise ``$or`` is a key name like any other."""
    return key == OR_KEY and isinstance(value, list) and len(value) >= 2 and all(
        isinstance(item, dict) and not RESERVED_IN_OR.intersection(item) for item in value)


def key_count(policy: Mapping[str, Any]) -> int:
    """Top-level keys as SNS counts them: nested keys do not count, and each $or alternative adds
    its own top-level keys to the others (the largest alternative is the one that counts)."""
    count = 0
    extra = 0
    for key, value in policy.items():
        if is_or(key, value):
            extra = max(key_count(alternative) for alternative in value)
        else:
            count += 1
    return count + extra


def combinations(policy: Mapping[str, Any], depth: int = 1) -> int:
    """Total combinations as SNS documents them: per array, its number of values times the depth
    of its key (1 at the top); arrays multiply; the alternatives of a ``$or`` add up."""
    total = 1
    for key, value in policy.items():
        if is_or(key, value):
            total *= sum(combinations(alternative, depth) for alternative in value)
        elif isinstance(value, Mapping):
            total *= combinations(value, depth + 1)
        elif isinstance(value, list):
            total *= len(value) * depth
    return total


def compile_policy(policy: Mapping[str, Any] | str, scope: str = "MessageBody") -> CompiledPattern:
    """Validate a policy for ``scope`` and compile it; raises FilterPolicyError."""
    if scope not in SCOPES:
        raise FilterPolicyError("FilterPolicyScope", f"{describe(scope)} is not a filter policy scope; use "
                                                     f"{' or '.join(SCOPES)}")
    parsed, size = parse_policy(policy)
    if not isinstance(parsed, dict):
        raise FilterPolicyError("$", f"a filter policy must be a JSON object, got {describe(parsed)}")
    if size > MAX_FILTER_POLICY_BYTES:
        raise FilterPolicyError("$", f"the filter policy is {size} bytes; SNS allows at most "
                                     f"{MAX_FILTER_POLICY_BYTES} bytes (256 KB)")
    keys = key_count(parsed)
    if keys > MAX_FILTER_POLICY_KEYS:
        names = ", ".join(key for key in parsed if key != OR_KEY)
        raise FilterPolicyError("$", f"filter policy has {keys} keys ({names}); SNS allows at most "
                                     f"{MAX_FILTER_POLICY_KEYS} keys per filter policy (for a nested policy "
                                     "only the top-level keys count). Filter on fewer keys, or split the "
                                     "subscriber into several subscriptions")
    total = combinations(parsed)
    if total > MAX_FILTER_POLICY_COMBINATIONS:
        raise FilterPolicyError("$", f"filter policy is too complex: {combination_formula(parsed)} = {total} "
                                     f"combinations of values; SNS allows at most "
                                     f"{MAX_FILTER_POLICY_COMBINATIONS}. Use a prefix ('order.*') instead of "
                                     "listing every value, or split the subscriber into several subscriptions")
    # Expanded only once the limits hold: at most 150 combinations means at most 150 alternatives.
    branches = _object(parsed, "", "", 1, [{}], scope)
    return CompiledPattern(tuple(tuple(branch.values()) for branch in branches))


def combination_formula(policy: Mapping[str, Any], depth: int = 1) -> str:
    """The arithmetic behind ``combinations``, e.g. ``3 x (6 + 4 x (4 + 7))``; depth shown as ``2*3``."""
    factors = []
    for key, value in policy.items():
        if is_or(key, value):
            factors.append("(" + " + ".join(combination_formula(alt, depth) for alt in value) + ")")
        elif isinstance(value, Mapping):
            factors.append(combination_formula(value, depth + 1))
        elif isinstance(value, list):
            factors.append(f"{len(value)}" if depth == 1 else f"{len(value)}*{depth}")
    return " x ".join(factors) or "1"


def _object(node: dict, field_path: str, where: str, depth: int, branches: list[Branch],
            scope: str) -> list[Branch]:
    """Add an object's keys to every branch; a ``$or`` forks the branches."""
    if not node:
        raise FilterPolicyError(where or "$", "an object in a filter policy must name at least one key")
    for key, value in node.items():
        location = _at(where, key)
        if is_or(key, value):
            forked: list[Branch] = []
            for index, alternative in enumerate(value):
                copies = [dict(branch) for branch in branches]
                forked.extend(_object(alternative, field_path, f"{location}[{index}]", depth, copies, scope))
            branches = forked
            continue
        path = _at(field_path, key)
        if isinstance(value, dict):
            if scope == "MessageAttributes":
                raise FilterPolicyError(location, f"a nested object ({describe(value)}): filter policy scope "
                                                  "MessageAttributes does not support nested filter policies; "
                                                  "use scope MessageBody or a flat list of values")
            branches = _object(value, path, location, depth + 1, branches, scope)
        elif isinstance(value, list):
            field = _leaf(value, path, location)
            for branch in branches:
                branch.pop(path, None)  # a later definition of the same key wins
                branch[path] = field
        else:
            raise FilterPolicyError(location, f"{describe(value)}: \"{key}\" must be an object or an array "
                                              f"(list the accepted values, e.g. [{describe(value)}])")
    return branches


def _leaf(values: list, path: str, where: str) -> Field:
    if not values:
        raise FilterPolicyError(where, "[]: empty arrays are not allowed; list at least one value")
    matchers: list[Matcher] = []
    absent_ok = False
    for index, value in enumerate(values):
        location = f"{where}[{index}]"
        if isinstance(value, dict):
            matcher = _operator(value, location)
            if isinstance(matcher, Exists) and not matcher.present:
                absent_ok = True
                continue
            matchers.append(matcher)
        elif isinstance(value, list):
            raise FilterPolicyError(location, f"{describe(value)}: a match value must be a string, number, true, "
                                              "false or null (lists cannot be nested)")
        else:
            if _is_number(value) and not math.isfinite(value):
                raise FilterPolicyError(location, f"{value!r}: not a JSON number")
            matchers.append(Exact(value))
    return Field(path, where, tuple(matchers), absent_ok)


def _operator(expression: dict, where: str) -> Matcher:
    if len(expression) != 1:
        names = ", ".join(expression) or "none"
        raise FilterPolicyError(where, f"{describe(expression)}: only one key is allowed in a match "
                                       f"expression, got {names}")
    ((name, argument),) = expression.items()
    location = _at(where, name)
    if name in ("prefix", "suffix", "equals-ignore-case"):
        text = _require_string(argument, location, name)
        if name == "prefix":
            return Prefix(text, ignore_case=False)
        if name == "suffix":
            return Suffix(text, ignore_case=False)
        return EqualsIgnoreCase(text)
    if name == "exists":
        if not isinstance(argument, bool):
            raise FilterPolicyError(location, f"{describe(argument)}: exists must be either true or false")
        return Exists(argument)
    if name == "anything-but":
        return _anything_but(argument, location)
    if name == "numeric":
        return _numeric(argument, location)
    if name == "cidr":
        return _cidr(argument, location)
    if name == "wildcard":
        text = _require_string(argument, location, name)
        return Wildcard(text, _wildcard_regex(text, location))
    hint = f" (operators are case-sensitive: use '{name.lower()}')" if name.lower() in OPERATORS else ""
    raise FilterPolicyError(location, f"unrecognized match type '{name}'{hint}; SNS knows "
                                      f"{', '.join(OPERATORS)}")


def _wildcard_regex(text: str, where: str) -> re.Pattern[str]:
    """The wildcard as EventBridge reads it (``*`` any run, ``\\*`` a star); its refusals as SNS's."""
    try:
        return compile_wildcard(text, where)
    except PatternError as error:
        raise FilterPolicyError(where, error.reason) from None


def _require_string(value: Any, where: str, operator: str, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise FilterPolicyError(where, f"{describe(value)}: {operator} match pattern must be a string")
    if not allow_empty and not value:
        raise FilterPolicyError(where, f"\"\": {operator} needs a non-empty string")
    return value


def _anything_but(argument: Any, where: str) -> Matcher:
    if isinstance(argument, dict):
        if len(argument) != 1:
            raise FilterPolicyError(where, f"{describe(argument)}: anything-but takes one of "
                                           f"{{{', '.join(ANYTHING_BUT_OPERATORS)}}}")
        ((name, inner),) = argument.items()
        if name not in ANYTHING_BUT_OPERATORS:
            raise FilterPolicyError(_at(where, name), f"unsupported anything-but pattern: {name}; SNS takes "
                                                      f"anything-but with values, a list of values or one of "
                                                      + ", ".join(f'{{"{op}": string}}' for op in ANYTHING_BUT_OPERATORS))
        text = _require_string(inner, _at(where, name), name, allow_empty=False)
        if name == "wildcard":
            regex = _wildcard_regex(text, _at(where, name))
            return AnythingButPattern(name, (text,), lambda value, r=regex: r.fullmatch(value) is not None)
        if name == "suffix":
            return AnythingButPattern(name, (text,), lambda value, end=text: value.endswith(end))
        return AnythingButPattern(name, (text,), lambda value, stem=text: value.startswith(stem))
    items = argument if isinstance(argument, list) else [argument]
    if isinstance(argument, list) and not argument:
        raise FilterPolicyError(where, "[]: anything-but needs at least one value")
    for index, item in enumerate(items):
        location = f"{where}[{index}]" if isinstance(argument, list) else where
        if not (isinstance(item, str) or _is_number(item)):
            raise FilterPolicyError(location, f"{describe(item)}: anything-but takes strings or numbers "
                                              "(or {\"prefix\": string})")
        if _is_number(item):
            _numeric_value(item, location)
    strings = frozenset(item for item in items if isinstance(item, str))
    if strings and len(strings) != len({json.dumps(item) for item in items}):
        raise FilterPolicyError(where, f"{describe(argument)}: anything-but values must be all strings or "
                                       "all numbers")
    return AnythingBut(strings, tuple(item for item in items if not isinstance(item, str)))


def _numeric_value(value: Any, where: str, operator: str = "=") -> float:
    if not _is_number(value) or not math.isfinite(value):
        name = "equals" if operator == "=" else operator
        raise FilterPolicyError(where, f"{describe(value)}: value of {name} must be numeric")
    if abs(value) > NUMERIC_LIMIT:
        raise FilterPolicyError(where, f"{value!r}: SNS matches numbers from -1e9 to 1e9 (1,000,000,000)")
    if isinstance(value, float) and Decimal(repr(value)).as_tuple().exponent < -NUMERIC_DECIMALS:
        raise FilterPolicyError(where, f"{value!r}: SNS matches numbers with at most {NUMERIC_DECIMALS} digits "
                                       "after the decimal point")
    return float(value)


def _numeric(argument: Any, where: str) -> Matcher:
    shape = "numeric takes [operator, number] or [\">\"|\">=\", low, \"<\"|\"<=\", high]"
    if not isinstance(argument, list) or not argument:
        raise FilterPolicyError(where, f"{describe(argument)}: {shape}")
    operator = argument[0]
    if not isinstance(operator, str):
        raise FilterPolicyError(f"{where}[0]", f"{describe(operator)}: invalid member in numeric match; {shape}")
    if operator not in NUMERIC_OPERATORS:
        raise FilterPolicyError(f"{where}[0]", f"{describe(operator)}: unrecognized numeric operator; use "
                                               f"{', '.join(NUMERIC_OPERATORS)}")
    low = _numeric_value(argument[1] if len(argument) > 1 else None, f"{where}[1]", operator)
    if len(argument) == 2:
        if operator == "=":
            return Numeric(low, True, low, True)
        if operator in LOWER_OPERATORS:
            return Numeric(low, operator == ">=", None, False)
        return Numeric(None, False, low, operator == "<=")
    if operator not in LOWER_OPERATORS:
        raise FilterPolicyError(where, f"{describe(argument)}: too many elements in numeric expression; only "
                                       "a lower bound (> or >=) can be followed by an upper bound")
    upper = argument[2]
    if not isinstance(upper, str):
        raise FilterPolicyError(f"{where}[2]", f"{describe(upper)}: bad value in numeric range; expected < or <=")
    if upper not in UPPER_OPERATORS:
        raise FilterPolicyError(f"{where}[2]", f"{describe(upper)}: bad numeric range operator; the upper bound "
                                               "takes < or <=")
    high = _numeric_value(argument[3] if len(argument) > 3 else None, f"{where}[3]", upper)
    if len(argument) > 4:
        raise FilterPolicyError(where, f"{describe(argument)}: too many terms in numeric range expression")
    if low >= high:
        raise FilterPolicyError(where, f"{describe(argument)}: the bottom of a numeric range must be less than "
                                       "the top")
    return Numeric(low, operator == ">=", high, upper == "<=")


def _cidr(argument: Any, where: str) -> Matcher:
    text = _require_string(argument, where, "cidr")
    parts = text.split("/")
    if len(parts) != 2:
        raise FilterPolicyError(where, f"{describe(text)}: malformed CIDR, one '/' required (e.g. 10.0.0.0/24)")
    address_text, mask_text = parts
    if not mask_text.isdigit():
        raise FilterPolicyError(where, f"{describe(text)}: malformed CIDR, mask bits must be an integer")
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        raise FilterPolicyError(where, f"{describe(text)}: nonstandard IP address {describe(address_text)}") from None
    mask = int(mask_text)
    if mask >= address.max_prefixlen:
        raise FilterPolicyError(where, f"{describe(text)}: IPv{address.version} mask bits must be below "
                                       f"{address.max_prefixlen} (match one address with an exact value instead)")
    network = ipaddress.ip_network(f"{address}/{mask}", strict=False)  # host bits written are ignored
    return Cidr(address.version, int(network.network_address), int(network.broadcast_address))
