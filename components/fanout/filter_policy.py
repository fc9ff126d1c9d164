"""SNS message-body filter policies built from CloudEvents attributes, checked against SNS limits.

Pure functions (no Pulumi): the fan-out component and the moto test use the same builder, so the
policy that is tested is the policy that is deployed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.buses.limits import (
    MAX_FILTER_POLICY_BYTES,
    MAX_FILTER_POLICY_COMBINATIONS,
    MAX_FILTER_POLICY_KEYS,
)

# CloudEvents attribute names: lower-case letters and digits (the spec recommends <= 20 chars).
ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]{1,20}$")
# Attributes with their own field in CloudEventsFilter; extensions may not reuse them.
CORE_FILTER_ATTRIBUTES = ("source", "type", "dataversion")
# SNS filter operators a value list may use besides plain strings.
OPERATORS = ("prefix", "suffix", "anything-but", "exists", "equals-ignore-case")

Matcher = str | dict[str, Any]


class FilterPolicyError(ValueError):
    """A filter that SNS would reject or that cannot express what was asked."""


@dataclass(frozen=True)
class CloudEventsFilter:
    """Which CloudEvents a subscriber wants: each attribute lists accepted values (OR), attributes AND.

    A value is an exact string, a string ending in ``*`` (prefix match, ``order.*``) or one SNS
    operator object (``{"prefix": ...}``, ``{"anything-but": [...]}``, ``{"exists": true}`` ...).
    An attribute left empty is not filtered on.
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

    @property
    def is_empty(self) -> bool:
        return not (self.source or self.type or self.dataversion or any(self.extensions.values()))


def _matcher(attribute: str, value: Matcher) -> Any:
    if isinstance(value, str):
        if value.endswith("*"):
            stem = value[:-1]
            if not stem or "*" in stem:
                raise FilterPolicyError(
                    f"{attribute}: {value!r}: only a trailing '*' (prefix match) is supported"
                )
            return {"prefix": stem}
        return value
    if isinstance(value, dict) and len(value) == 1:
        (operator, operand), = value.items()
        if operator not in OPERATORS:
            raise FilterPolicyError(
                f"{attribute}: operator {operator!r} is not one of {', '.join(OPERATORS)}"
            )
        if operator == "exists" and not isinstance(operand, bool):
            raise FilterPolicyError(f"{attribute}: 'exists' takes true or false")
        if operator in ("prefix", "suffix", "equals-ignore-case") and not (
            isinstance(operand, str) and operand
        ):
            raise FilterPolicyError(f"{attribute}: {operator!r} takes a non-empty string")
        if operator == "anything-but" and not (
            isinstance(operand, str)
            or (isinstance(operand, list) and operand and all(isinstance(v, str) for v in operand))
        ):
            raise FilterPolicyError(f"{attribute}: 'anything-but' takes a string or a list of strings")
        return {operator: operand}
    raise FilterPolicyError(
        f"{attribute}: {value!r} is neither a string nor one operator object like {{'prefix': 'order.'}}"
    )


def build_filter_policy(spec: CloudEventsFilter) -> dict[str, list[Any]] | None:
    """The SNS filter policy (scope MessageBody) for ``spec``; None when it filters nothing.

    Checked against the SNS limits before it is returned, so a policy that comes back is one
    SNS accepts.
    """
    policy: dict[str, list[Any]] = {}
    attributes: list[tuple[str, Sequence[Matcher]]] = [
        ("source", spec.source), ("type", spec.type), ("dataversion", spec.dataversion),
    ]
    for name, values in spec.extensions.items():
        if name in CORE_FILTER_ATTRIBUTES:
            raise FilterPolicyError(f"extension {name!r}: use the {name!r} field, not an extension")
        if not ATTRIBUTE_NAME.match(name):
            raise FilterPolicyError(
                f"extension {name!r}: CloudEvents attribute names are 1-20 lower-case letters or digits"
            )
        attributes.append((name, values))
    for name, values in attributes:
        if not values:
            continue
        matchers = [_matcher(name, value) for value in values]
        unique = []
        for matcher in matchers:
            if matcher not in unique:
                unique.append(matcher)
        policy[name] = unique
    if not policy:
        return None
    check_filter_policy(policy)
    return policy


def combinations(policy: Mapping[str, Any], depth: int = 1) -> int:
    """Total combinations as SNS counts them: the product of each array's length (times its depth
    for keys nested in a message-body policy)."""
    total = 1
    for key, value in policy.items():
        if isinstance(value, Mapping):
            total *= combinations(value, depth + 1)
        elif isinstance(value, list):
            if key == "$or":
                for branch in value:
                    total *= combinations(branch, depth + 1)
            total *= len(value) * depth
    return total


def check_filter_policy(policy: Mapping[str, Any]) -> None:
    """Refuse a policy over the SNS limits: keys, combinations and size."""
    if len(policy) > MAX_FILTER_POLICY_KEYS:
        raise FilterPolicyError(
            f"filter policy has {len(policy)} keys ({', '.join(policy)}); SNS allows at most "
            f"{MAX_FILTER_POLICY_KEYS} keys per filter policy. Filter on fewer attributes, or split "
            "the consumer into several subscriptions"
        )
    total = combinations(policy)
    if total > MAX_FILTER_POLICY_COMBINATIONS:
        counts = " x ".join(str(len(v)) for v in policy.values() if isinstance(v, list))
        raise FilterPolicyError(
            f"filter policy is too complex: {counts} = {total} combinations of values; SNS allows at "
            f"most {MAX_FILTER_POLICY_COMBINATIONS}. Use a prefix ('order.*') instead of listing "
            "every value, or split the consumer into several subscriptions"
        )
    size = len(json.dumps(policy, separators=(",", ":")).encode("utf-8"))
    if size > MAX_FILTER_POLICY_BYTES:
        raise FilterPolicyError(
            f"filter policy is {size} bytes; SNS allows at most {MAX_FILTER_POLICY_BYTES} bytes (256 KB)"
        )


def filter_policy_json(policy: Mapping[str, Any]) -> str:
    """The policy as the JSON string SNS (and pulumi-aws ``filter_policy``) expects, stable order."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))
