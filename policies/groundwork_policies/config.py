"""Policy config: the JSON schema each policy publishes and the defaults organizations override.

Every policy declares its settings once (schema + default); :func:`settings` merges what the
pack config (``pulumi preview --policy-pack-config``) gives with those defaults, so policies
never deal with missing keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema

from groundwork_policies import library


def _vocabulary() -> tuple[list[str], list[str], list[str]]:
    """The library's stack-context vocabulary (groundwork/stages.py), the defaults organizations
    narrow; empty without the library, whose absence the policies using it report (see
    :func:`require_library`)."""
    try:
        stages = library.stages()
    except library.LibraryMissing:
        return [], [], []
    return list(stages.STAGES), list(stages.USAGES), list(stages.NON_PRODUCTION_STAGES)


STAGES, USAGES, NON_PRODUCTION_STAGES = _vocabulary()
MAX_TTL_HOURS = 24 * 14
OWNER_PATTERN = r"^([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[a-z][a-z0-9._-]{1,62})$"
REQUIRED_TAGS: dict[str, list[str]] = {"context": [], "stage": STAGES, "owner": [], "usage": USAGES}

EXEMPT_TYPES = {
    "type": "array", "items": {"type": "string"},
    "description": "resource type tokens this policy skips (e.g. aws:ec2/tag:Tag)",
}
WAIVERS = {
    "type": "array",
    "description": "waivers for this policy: {urn|name|type, reason, expires: YYYY-MM-DD}",
    "items": {
        "type": "object",
        "properties": {
            "urn": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string"},
            "check": {"type": "string"}, "reason": {"type": "string"},
            "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        },
        "required": ["reason", "expires"],
    },
}


def schema(**properties: dict[str, Any]) -> PolicyConfigSchema:
    """A config schema with the common ``waivers`` setting added."""
    return PolicyConfigSchema(properties={**properties, "waivers": {**WAIVERS, "default": []}})


def prop(type_: str, default: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": type_, "default": default, "description": description, **extra}


def settings(config_schema: PolicyConfigSchema | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's effective settings: schema defaults overlaid with the configured values."""
    merged: dict[str, Any] = {}
    if config_schema is not None:
        for key, spec in config_schema.properties.items():
            if "default" in spec:
                merged[key] = spec["default"]
    merged.update(given or {})
    return merged


def require_library() -> None:
    """Raise :class:`library.LibraryMissing` when the defaults above could not come from the
    library: a policy using them would otherwise accept any stage or usage."""
    if not STAGES:
        raise library.LibraryMissing(library.MISSING)
