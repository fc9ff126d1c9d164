"""A small IAM policy evaluator: identity policies intersected with a permissions boundary.

It follows AWS's "Policy evaluation logic" for a request inside one account by a role with no
session policy, SCP or resource policy in play: an explicit Deny in any policy wins; otherwise
the request is allowed only if an identity policy allows it AND (when there is one) the
permissions boundary allows it; anything else is an implicit deny. Statements match on Action /
NotAction (case-insensitive, ``*`` and ``?``), Resource / NotResource (ARN segment by segment),
Principal (for trust policies) and Condition with the operators of AWS's condition operator
reference, including ``...IfExists`` and the ``ForAnyValue:``/``ForAllValues:`` set qualifiers.
Policy variables (``${aws:username}``) are replaced from the request context.

No library on PyPI does this with conditions and is kept up: moto's access control ignores
NotResource and treats a failed condition of an Allow as a Deny. Stdlib only, so the policy pack
can use it at run time.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "Allowed", "ExplicitDeny", "ImplicitDeny"
VARIABLE = re.compile(r"\$\{([^}]+)\}")
ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True)
class Request:
    """One API call as IAM sees it: the action, the resource ARN, the principal and context keys."""

    action: str
    resource: str = "*"
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    principal: str | None = None

    def value(self, key: str) -> list[str] | None:
        """The context key's values (keys are case-insensitive), or None when absent."""
        for name, value in self.context.items():
            if name.lower() == key.lower():
                return [value] if isinstance(value, str) else [str(v) for v in value]
        return None


def decide(request: Request, identity: Iterable[Mapping[str, Any] | str],
           boundary: Mapping[str, Any] | str | None = None) -> str:
    """ALLOWED, EXPLICIT_DENY or IMPLICIT_DENY for ``request`` under identity policies ∩ boundary."""
    identity = [_document(policy) for policy in identity]
    bound = _document(boundary) if boundary is not None else None
    effects = [_effects(policy, request) for policy in identity]
    boundary_effects = _effects(bound, request) if bound is not None else {"Allow"}
    if any("Deny" in found for found in effects) or "Deny" in boundary_effects:
        return EXPLICIT_DENY
    if any("Allow" in found for found in effects) and "Allow" in boundary_effects:
        return ALLOWED
    return IMPLICIT_DENY


def policy_allows(policy: Mapping[str, Any] | str, request: Request) -> bool:
    """True if one statement of ``policy`` allows the request and none denies it."""
    found = _effects(_document(policy), request)
    return "Allow" in found and "Deny" not in found


def _document(policy: Mapping[str, Any] | str) -> Mapping[str, Any]:
    return json.loads(policy) if isinstance(policy, str) else policy


def _effects(policy: Mapping[str, Any], request: Request) -> set[str]:
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    return {s["Effect"] for s in statements if statement_matches(s, request)}


def statement_matches(statement: Mapping[str, Any], request: Request) -> bool:
    """True if the statement applies to the request (its effect then counts)."""
    if "Action" in statement:
        if not any(_action_match(p, request.action) for p in _list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_action_match(p, request.action) for p in _list(statement["NotAction"])):
            return False
    if "Resource" in statement:
        if not any(_arn_match(_substitute(p, request), request.resource) for p in _list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_arn_match(_substitute(p, request), request.resource) for p in _list(statement["NotResource"])):
            return False
    if "Principal" in statement and not _principal_match(statement["Principal"], request.principal):
        return False
    return all(_condition(operator, key, values, request)
               for operator, block in statement.get("Condition", {}).items()
               for key, values in block.items())


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), flags)


def _action_match(pattern: str, action: str) -> bool:
    return bool(_glob(pattern, re.IGNORECASE).match(action))


def _arn_match(pattern: str | None, arn: str) -> bool:
    """ARN matching as ArnLike does it: the first five ':' segments one by one, then the rest."""
    if pattern is None:
        return False
    if pattern == "*":
        return True
    wanted, given = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return bool(_glob(pattern).match(arn))
    return all(_glob(w).match(g) for w, g in zip(wanted, given, strict=True))


def _principal_match(principal: Any, caller: str | None) -> bool:
    if principal == "*":
        return True
    if caller is None or not isinstance(principal, Mapping):
        return False
    for kind, values in principal.items():
        for value in _list(values):
            if value == "*" or value == caller:
                return True
            account = re.fullmatch(r"(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::root)?", str(value))
            if kind == "AWS" and account and caller.split(":")[4:5] == [account.group(1)]:
                return True  # an account principal delegates to every IAM principal of that account
    return False


def _substitute(text: str, request: Request) -> str | None:
    """Replace ``${key}`` policy variables; None if a variable has no value in the context."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        key, _, default = match.group(1).partition(",")
        if key in ESCAPES:
            return ESCAPES[key]
        found = request.value(key.strip())
        if found:
            return found[0]
        if default:
            return default.strip().strip("'")
        missing = True
        return ""

    result = VARIABLE.sub(value, text)
    return None if missing else result


def _condition(operator: str, key: str, expected: Any, request: Request) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    given = request.value(key)
    wanted = [str(v).lower() if isinstance(v, bool) else str(v) for v in _list(expected)]
    if name == "Null":
        return (given is None) == (wanted[0].lower() == "true")
    negated = "Not" in name
    if given is None:
        if qualifier == "ForAllValues":
            return True
        return if_exists or (negated and qualifier != "ForAnyValue")
    test = OPERATORS.get(name.replace("Not", "", 1) if negated else name)
    if test is None:
        raise ValueError(f"condition operator {operator!r} is not supported")
    wanted = [w for w in (_substitute(w, request) for w in wanted) if w is not None]

    def matches(value: str) -> bool:
        hit = any(test(value, w) for w in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(matches(value) for value in given)
    return any(matches(value) for value in given)


def _number(value: str) -> float:
    return float(value)


def _date(value: str) -> datetime:
    if re.fullmatch(r"\d+", value):
        return datetime.fromtimestamp(int(value))
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


OPERATORS = {
    "StringEquals": lambda given, wanted: given == wanted,
    "StringEqualsIgnoreCase": lambda given, wanted: given.lower() == wanted.lower(),
    "StringLike": lambda given, wanted: bool(_glob(wanted).match(given)),
    "ArnEquals": lambda given, wanted: given == wanted,
    "ArnLike": lambda given, wanted: _arn_match(wanted, given),
    "Bool": lambda given, wanted: given.lower() == wanted.lower(),
    "BinaryEquals": lambda given, wanted: given == wanted,
    "NumericEquals": lambda given, wanted: _number(given) == _number(wanted),
    "NumericLessThan": lambda given, wanted: _number(given) < _number(wanted),
    "NumericLessThanEquals": lambda given, wanted: _number(given) <= _number(wanted),
    "NumericGreaterThan": lambda given, wanted: _number(given) > _number(wanted),
    "NumericGreaterThanEquals": lambda given, wanted: _number(given) >= _number(wanted),
    "DateEquals": lambda given, wanted: _date(given) == _date(wanted),
    "DateLessThan": lambda given, wanted: _date(given) < _date(wanted),
    "DateLessThanEquals": lambda given, wanted: _date(given) <= _date(wanted),
    "DateGreaterThan": lambda given, wanted: _date(given) > _date(wanted),
    "DateGreaterThanEquals": lambda given, wanted: _date(given) >= _date(wanted),
    "IpAddress": lambda given, wanted: ipaddress.ip_address(given) in ipaddress.ip_network(wanted, strict=False),
}
