"""SNS filter policies: build them from CloudEvents attributes, check them as SNS does, match messages.

Pure functions (no Pulumi): the fan-out component, the ``python -m org pattern`` command and the
tests use the same code, so the policy that is tested is the policy that is deployed.

    check_filter_policy(policy, scope="MessageBody")      -> None, or FilterPolicyError
    matches(policy, message, scope="MessageBody")         -> bool, as SNS decides
    build_filter_policy(CloudEventsFilter.of(type=[...])) -> the policy for a subscriber
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..errors import ConfigError
from ..events.pattern_matching import first_mismatch, match_flat
from ..events.pattern_syntax import CompiledPattern
from .filter_policy_matching import UnusableMessageError, message_fields
from .filter_policy_syntax import (
    OPERATORS,
    SCOPES,
    FilterPolicyError,
    combinations,
    compile_policy,
    parse_policy,
)

__all__ = [
    "OPERATORS", "SCOPES", "CloudEventsFilter", "FilterPolicyError", "build_filter_policy", "check_filter_policy",
    "check_policy_samples", "combinations", "explain_mismatch", "filter_policy_json", "matches",
]

# CloudEvents attribute names: lower-case letters and digits (the spec recommends <= 20 chars).
ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]{1,20}$")
# Attributes with their own field in CloudEventsFilter; extensions may not reuse them.
CORE_FILTER_ATTRIBUTES = ("source", "type", "dataversion")

Matcher = str | dict[str, Any]


@lru_cache(maxsize=512)
def _compiled(text: str, scope: str) -> CompiledPattern:
    return compile_policy(text, scope)


def _compile(policy: Mapping[str, Any] | str, scope: str) -> CompiledPattern:
    if isinstance(policy, str):
        return _compiled(policy, scope)
    parsed, _ = parse_policy(policy)  # refuses what is not JSON data
    return _compiled(json.dumps(parsed, separators=(",", ":"), ensure_ascii=False), scope)


def check_filter_policy(policy: Mapping[str, Any] | str, scope: str = "MessageBody") -> None:
    """Refuse a policy SNS would refuse for ``scope``: raises FilterPolicyError naming the place,
    the value and the rule (operators, operands, numbers, CIDR blocks, keys, combinations, size)."""
    _compile(policy, scope)


def matches(policy: Mapping[str, Any] | str, message: Any, scope: str = "MessageBody") -> bool:
    """Would SNS deliver ``message`` through a subscription with this policy and scope?

    For ``MessageBody`` the message is the body (a JSON string or the parsed object); for
    ``MessageAttributes`` it is the attributes map, ``{"name": {"Type": "String", "Value": "x"}}``.
    The policy is validated first (FilterPolicyError).
    """
    compiled = _compile(policy, scope)
    fields = message_fields(message, scope)
    return fields is not None and match_flat(compiled, fields)


def explain_mismatch(policy: Mapping[str, Any] | str, message: Any, scope: str = "MessageBody") -> str | None:
    """Where the message first fails the policy (a key path), or None if it matches."""
    compiled = _compile(policy, scope)
    fields = message_fields(message, scope)
    if fields is None:
        return "the message body is not a JSON object"
    return first_mismatch(compiled, fields)


def check_policy_samples(policy: Mapping[str, Any] | str | None, *, must_match: Sequence[Any] = (),
                         must_not_match: Sequence[Any] = (), scope: str = "MessageBody", where: str) -> None:
    """Refuse a policy that rejects a message it should deliver, or delivers one it should not.

    ``None`` is no policy (every message is delivered). Raises one ConfigError listing every problem,
    each line starting with ``where``.
    """
    problems: list[str] = []
    for expected, samples in ((True, must_match), (False, must_not_match)):
        label = "mustMatch" if expected else "mustNotMatch"
        for index, sample in enumerate(samples):
            if policy is None:
                mismatch = None
            else:
                try:
                    mismatch = explain_mismatch(policy, sample, scope)
                except FilterPolicyError as error:
                    raise ConfigError(f"{where}: invalid filter policy at {error}") from None
                except UnusableMessageError as error:
                    problems.append(f"samples.{label}[{index}] is unusable: {error}")
                    continue
            if expected and mismatch is not None:
                problems.append(f"samples.{label}[{index}] should be delivered but the filter policy drops it "
                                f"(first mismatch: {mismatch})")
            elif not expected and mismatch is None:
                reason = "the subscriber has no filter" if policy is None else "the filter policy delivers it"
                problems.append(f"samples.{label}[{index}] should not be delivered but {reason}")
    if problems:
        raise ConfigError("\n".join(f"{where}: {problem}" for problem in problems))


@dataclass(frozen=True)
class CloudEventsFilter:
    """Which CloudEvents a subscriber wants: each attribute lists accepted values (OR), attributes AND.

    A value is an exact string, a string ending in ``*`` (prefix match, ``order.*``) or one SNS
    operator object (``{"prefix": ...}``, ``{"suffix": ...}``, ``{"equals-ignore-case": ...}``,
    ``{"anything-but": [...]}`` or ``{"anything-but": {"prefix": ...}}``, ``{"numeric": [...]}``,
    ``{"exists": true}``, ``{"cidr": ...}``). An attribute left empty is not filtered on.
    """

    source: tuple[Matcher, ...] = ()
    type: tuple[Matcher, ...] = ()
    dataversion: tuple[Matcher, ...] = ()
    extensions: Mapping[str, tuple[Matcher, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, *, source: Sequence[Matcher] = (), type: Sequence[Matcher] = (),
           dataversion: Sequence[Matcher] = (),
           extensions: Mapping[str, Sequence[Matcher]] | None = None) -> CloudEventsFilter:
        return cls(tuple(source), tuple(type), tuple(dataversion),
                   {k: tuple(v) for k, v in (extensions or {}).items()})


def _matcher(attribute: str, value: Matcher) -> Any:
    if isinstance(value, str):
        if value.endswith("*"):
            stem = value[:-1]
            if not stem or "*" in stem:
                raise FilterPolicyError(attribute, f"{value!r}: only a trailing '*' (prefix match) is supported")
            return {"prefix": stem}
        return value
    if isinstance(value, dict):
        return value  # operators are checked with the whole policy, which names their place
    raise FilterPolicyError(attribute, f"{value!r} is neither a string nor one operator object like "
                                       "{'prefix': 'order.'}")


def build_filter_policy(spec: CloudEventsFilter) -> dict[str, list[Any]] | None:
    """The SNS filter policy (scope MessageBody) for ``spec``; None when it filters nothing.

    Checked as SNS checks it before it is returned, so a policy that comes back is one SNS accepts.
    """
    policy: dict[str, list[Any]] = {}
    attributes: list[tuple[str, Sequence[Matcher]]] = [
        ("source", spec.source), ("type", spec.type), ("dataversion", spec.dataversion),
    ]
    for name, values in spec.extensions.items():
        if name in CORE_FILTER_ATTRIBUTES:
            raise FilterPolicyError(f"extensions.{name}", f"use the {name!r} field, not an extension")
        if not ATTRIBUTE_NAME.match(name):
            raise FilterPolicyError(f"extensions.{name}", "CloudEvents attribute names are 1-20 lower-case "
                                                          "letters or digits")
        attributes.append((name, values))
    for name, values in attributes:
        if not values:
            continue
        unique: list[Any] = []
        for value in values:
            matcher = _matcher(name, value)
            if matcher not in unique:
                unique.append(matcher)
        policy[name] = unique
    if not policy:
        return None
    check_filter_policy(policy, "MessageBody")
    return policy


def filter_policy_json(policy: Mapping[str, Any]) -> str:
    """The policy as the JSON string SNS (and pulumi-aws ``filter_policy``) expects, stable order."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))
