"""The policy pack config (``--policy-pack-config`` JSON) checked as the Pulumi CLI checks it before
the pack sees it, and stricter where the CLI is silent.

Like the CLI (pulumi/pulumi's ``ReconcilePolicyPackConfig`` and ``ValidatePolicyPackConfig``, which
validate with gojsonschema): a value is an enforcement level or an object with an optional
``enforcementLevel``; ``all`` sets the level of every policy; each policy's schema defaults are
overlaid with its configured properties and the result is validated against ``{"type": "object",
"properties": ..., "required": ...}``. Stricter: a policy the pack does not have, or a property its
schema does not name, is refused; the CLI ignores both, so a misspelled setting would silently
keep its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from groundwork.context import did_you_mean
from jsonschema import Draft7Validator

from org.plan.analyzer import PackInfo

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
ALL = "all"


def checked_policy_config(info: PackInfo, given: Mapping[str, Any], where: str) -> dict[str, dict[str, Any]]:
    """``given`` as per-policy ``{"enforcementLevel": ..., **properties}``; ValueError listing every
    problem (each line starts with ``where``, the config file) when the CLI or this check refuses it."""
    problems: list[str] = []
    names = [policy.name for policy in info.policies]
    configured: dict[str, dict[str, Any]] = {}
    for name, value in given.items():
        if isinstance(value, str):
            value = {"enforcementLevel": value}
        if not isinstance(value, Mapping):
            problems.append(f"{where}: {name}: {value!r} is neither an enforcement level nor an object")
            continue
        level = value.get("enforcementLevel")
        if level is not None and level not in LEVELS:
            problems.append(f"{where}: {name}.enforcementLevel = {level!r}: must be one of {', '.join(LEVELS)}")
        if name != ALL and name not in names:
            problems.append(f"{where}: {name!r} is not a policy of the pack{did_you_mean(name, names)} (the CLI "
                            "does not apply its settings)")
            continue
        configured[name] = dict(value)
    everything = configured.pop(ALL, {})
    if set(everything) - {"enforcementLevel"}:
        problems.append(f"{where}: {ALL} takes only an enforcementLevel, not {sorted(set(everything) - {'enforcementLevel'})}")
    result: dict[str, dict[str, Any]] = {}
    for policy in info.policies:
        settings = configured.get(policy.name, {})
        properties = {k: v for k, v in settings.items() if k != "enforcementLevel"}
        for key in sorted(set(properties) - set(policy.config_schema)):
            problems.append(f"{where}: {policy.name}.{key} is not a setting of the policy"
                            f"{did_you_mean(key, policy.config_schema)}; known: "
                            f"{', '.join(sorted(policy.config_schema)) or 'none'} (the CLI does not check names, so it "
                            "would have no effect)")
        merged = {k: spec["default"] for k, spec in policy.config_schema.items() if "default" in spec}
        merged.update(properties)
        schema: dict[str, Any] = {"type": "object", "properties": policy.config_schema}
        if policy.required_config:
            schema["required"] = policy.required_config
        for error in sorted(Draft7Validator(schema).iter_errors(merged), key=lambda e: list(e.absolute_path)):
            path = ".".join(str(part) for part in error.absolute_path)
            problems.append(f"{where}: {policy.name}{'.' + path if path else ''}: {error.message}")
        level = settings.get("enforcementLevel") or everything.get("enforcementLevel")
        result[policy.name] = {**properties, **({"enforcementLevel": level} if level else {})}
    if problems:
        raise ValueError("\n".join(problems))
    return result
