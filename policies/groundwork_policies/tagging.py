"""Tagging: every taggable AWS resource carries the required tags with allowed values.

Tags given through the provider's ``default_tags`` count. ``tags-from-stack`` is the
REMEDIATE variant: it fills missing required tags from the stack tags / stack config.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Secret, Severity

from groundwork_policies import stackinfo
from groundwork_policies.config import (
    EXEMPT_TYPES,
    OWNER_PATTERN,
    REQUIRED_TAGS,
    prop,
    require_library,
    schema,
    settings,
)
from groundwork_policies.framework import Context, Finding, Resource, resource_policy
from groundwork_policies.taggable import (
    LIST,
    OTHER,
    default_tags_not_applied,
    list_item_extras,
    tag_shape,
    taggable_types,
)
from groundwork_policies.values import UNKNOWN, plain

TAG_SCHEMA = prop("object", REQUIRED_TAGS,
                  "required tag keys -> allowed values ([] = any non-empty value)",
                  additionalProperties={"type": "array", "items": {"type": "string"}})
REQUIRED_TAGS_SCHEMA = schema(
    requiredTags=TAG_SCHEMA,
    ownerPattern=prop("string", OWNER_PATTERN, "regex the owner tag must match (email or team id)"),
    exemptTypes={**EXEMPT_TYPES, "default": []},
)
REMEDIATE_SCHEMA = schema(requiredTags=TAG_SCHEMA, exemptTypes={**EXEMPT_TYPES, "default": []})


def is_taggable(resource_type: str, props: Mapping[str, Any]) -> bool:
    """True for AWS types whose ``tags`` input holds the resource's tags (map or list shaped)."""
    if resource_type in taggable_types():
        return True
    return "tags" in props and resource_type.startswith("aws:") and tag_shape(resource_type) != OTHER


def tag_problems(tags: Mapping[str, Any], settings_: Mapping[str, Any]) -> Iterable[str]:
    """Missing required tags and values outside the allowed ones; unknown values are accepted."""
    owner = re.compile(settings_.get("ownerPattern") or OWNER_PATTERN)
    for key, allowed in (settings_.get("requiredTags") or {}).items():
        value = tags.get(key)
        if value is UNKNOWN:
            continue
        if not isinstance(value, str) or not value.strip():
            yield f"missing tag '{key}'"
        elif allowed and value not in allowed:
            yield f"tag '{key}' = {value!r} is not one of {', '.join(allowed)}"
        elif key == "owner" and not owner.match(value):
            yield f"tag 'owner' = {value!r} is neither an email address nor a team id"


def check_required_tags(resource: Resource, ctx: Context) -> Iterable[Finding]:
    if not is_taggable(resource.type, resource.props):
        return
    tags = resource.effective_tags
    if tags is UNKNOWN:  # the whole map is computed: nothing to judge during preview
        return
    require_library()  # the allowed stage and usage values are the library's
    problems = list(tag_problems(tags, ctx.settings))
    if problems:
        note = (" (the provider's default_tags do not reach this type: set the tags on the resource)"
                if resource.type in default_tags_not_applied() else
                " (tags given through the provider's default_tags count)")
        yield Finding("; ".join(problems) + note)


def remediate_tags(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """Add missing required tags whose value the stack tags or stack config provide.

    Only ``tags`` changes, in the type's own shape (a map, or ``[{key, value, ...}]`` for
    autoscaling groups). Every other input, and every tag already there, goes back exactly as the
    engine sent it: unknowns stay unknown and secrets stay secret. An input this code does not
    expect leaves the resource as it is (a note on stderr): a remediation must never fail the
    request, which would abort the whole preview.
    """
    try:
        return _remediate_tags(args)
    except Exception as error:
        print(f"tags-from-stack: {args.urn} left unchanged ({type(error).__name__})", file=sys.stderr)
        return None


def _remediate_tags(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    if not args.resource_type.startswith("aws:"):
        return None
    config = settings(REMEDIATE_SCHEMA, args.get_config())
    if args.resource_type in config.get("exemptTypes", ()):
        return None
    props = plain(args.props)
    if not is_taggable(args.resource_type, props):
        return None
    resource = Resource(args.resource_type, args.name, args.urn, props,
                        provider_props=plain(args.provider.props) if args.provider else None)
    present = resource.effective_tags
    if present is UNKNOWN:
        return None
    stack = stackinfo.resolve(args.stack_tags)
    additions = {}
    for key, allowed in (config.get("requiredTags") or {}).items():
        if present.get(key) is UNKNOWN or (isinstance(present.get(key), str) and present[key]):
            continue  # there already, or computed: an unknown value may well be right
        value = args.stack_tags.get(key) or getattr(stack, key, None)
        if isinstance(value, str) and value and (not allowed or value in allowed):
            additions[key] = value
    if not additions:
        return None
    raw = _raw(args.props)
    tags = _with_additions(args.resource_type, raw.get("tags"), additions)
    if tags is None:
        return None
    return {**raw, "tags": tags}


def _raw(value: Any) -> Any:
    """A value as the SDK decoded it, proxies removed: unknown sentinels and ``Secret`` kept."""
    while isinstance(value, (Mapping, Sequence)) and not isinstance(value, (dict, list, str)):
        value = value["__target"]
    return value


def _with_additions(resource_type: str, tags: Any, additions: Mapping[str, str]) -> Any:
    """``tags`` (raw) with ``additions`` in the type's shape; None if it cannot be done safely."""
    tags = _raw(tags)
    secret = isinstance(tags, Secret)
    value = _raw(tags.value) if secret else tags
    if tag_shape(resource_type) == LIST:
        if value is not None and not isinstance(value, list):
            return None  # the whole list is unknown
        items = [_raw(item) for item in value or []]
        if any(not isinstance(item, Mapping) for item in items):
            return None  # an entry is unknown: it may carry a key we would duplicate
        extras = list_item_extras(resource_type)
        new: Any = items + [{"key": k, "value": v, **extras} for k, v in additions.items()]
    else:
        if value is not None and not isinstance(value, Mapping):
            return None
        new = {**(value or {}), **additions}
    return Secret(new) if secret else new


def policies() -> list:
    return [
        resource_policy(
            name="required-tags",
            description="Taggable AWS resources carry the tags the policy config requires (requiredTags) "
                        "with allowed values.",
            check=check_required_tags,
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.MEDIUM,
            config_schema=REQUIRED_TAGS_SCHEMA,
            remediation_steps="Declare resources inside a Groundwork stack (components/conventions.py adds "
                              "the tags), or set them via the provider's default_tags.",
        ),
        resource_policy(
            name="tags-from-stack",
            description="Adds missing required tags from the stack tags / stack config (remediation).",
            check=None,
            remediate=remediate_tags,
            enforcement_level=EnforcementLevel.REMEDIATE, severity=Severity.LOW,
            config_schema=REMEDIATE_SCHEMA,
        ),
    ]
