"""Which stack is being analysed: its context, stage, usage and owner, and where each came from.

Order of trust (see DESIGN.md): the stack's config (``groundwork:stage`` etc., visible in the
pack because the CLI passes ``PULUMI_CONFIG``), then the stack tags the engine sends with
``ConfigureStack`` (only Pulumi Cloud merges ``pulumi:tags`` into them), then the resources'
own tags.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

NAMESPACE = "groundwork"
FIELDS = ("context", "stage", "owner", "usage")


@dataclass(frozen=True)
class StackInfo:
    """A stack's context variables (None where no source says) and the source of each."""

    context: str | None = None
    stage: str | None = None
    owner: str | None = None
    usage: str | None = None
    ttl_hours: int | None = None
    mail_domain: str | None = None
    waivers: tuple[Mapping[str, Any], ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_ephemeral(self) -> bool:
        return self.usage == "EPHEMERAL"

    @property
    def is_production(self) -> bool:
        return self.usage == "PRODUCTION"

    def describe(self, key: str) -> str:
        value = getattr(self, key)
        return f"{key} {value!r} (from {self.sources.get(key, 'nowhere')})"


@dataclass(frozen=True)
class ConfigValues:
    values: Mapping[str, str]
    ttl_hours: int | None
    mail_domain: str | None
    waivers: tuple[Mapping[str, Any], ...]


def _config() -> ConfigValues:
    return _config_for(os.environ.get("PULUMI_CONFIG", ""))


@functools.cache
def _config_for(_env: str) -> ConfigValues:
    """Read the ``groundwork`` namespace once per distinct PULUMI_CONFIG."""
    config = pulumi.Config(NAMESPACE)
    values = {key: value for key in FIELDS if (value := _safe(config.get, key))}
    ttl = _safe(config.get, "ttlHours")
    try:
        ttl_hours = int(ttl) if ttl else None
    except ValueError:
        ttl_hours = None
    domain = None
    for key, attr in (("org", "mailDomain"), ("mail", "mailDomain"), ("mail", "domain")):
        obj = _safe(config.get_object, key)
        if isinstance(obj, Mapping) and isinstance(obj.get(attr), str):
            domain = obj[attr]
            break
    waivers = _safe(config.get_object, "policyWaivers")
    return ConfigValues(values, ttl_hours, domain,
                        tuple(w for w in waivers if isinstance(w, Mapping)) if isinstance(waivers, list) else ())


def _safe(getter: Any, key: str) -> Any:
    try:
        return getter(key)
    except Exception:  # malformed config must not break every policy
        return None


def _from_tags(tags: Mapping[str, Any] | None, key: str) -> str | None:
    if not isinstance(tags, Mapping):
        return None
    for name in (key, f"{NAMESPACE}:{key}"):
        value = tags.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def resolve(stack_tags: Mapping[str, str] | None,
            resource_tags: Iterable[Mapping[str, Any] | Any] = ()) -> StackInfo:
    """The stack's context from config, else stack tags, else the most common resource tag value."""
    config = _config()
    tag_maps = [t for t in resource_tags if isinstance(t, Mapping)]
    found: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key in FIELDS:
        if key in config.values:
            found[key], sources[key] = config.values[key], f"stack config {NAMESPACE}:{key}"
        elif (value := _from_tags(stack_tags, key)) is not None:
            found[key], sources[key] = value, "stack tags"
        else:
            counts = Counter(v for tags in tag_maps if (v := _from_tags(tags, key)) is not None)
            if counts:
                found[key], sources[key] = counts.most_common(1)[0][0], "resource tags"
    return StackInfo(ttl_hours=config.ttl_hours, mail_domain=config.mail_domain,
                     waivers=config.waivers, sources=sources, **found)
