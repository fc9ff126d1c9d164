"""Tagging: every taggable AWS resource carries the required tags with allowed values.

Tags given through the provider's ``default_tags`` count. ``tags-from-stack`` is the
REMEDIATE variant: it fills missing required tags from the stack tags / stack config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from groundwork_policies import stackinfo
from groundwork_policies.config import EXEMPT_TYPES, OWNER_PATTERN, REQUIRED_TAGS, prop, schema, settings
from groundwork_policies.framework import Context, Finding, Resource, resource_policy
from groundwork_policies.taggable import taggable_types
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
    return resource_type in taggable_types() or ("tags" in props and resource_type.startswith("aws:"))


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
    problems = list(tag_problems(tags, ctx.settings))
    if problems:
        yield Finding("; ".join(problems) + " (tags given through the provider's default_tags count)")


def remediate_tags(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """Add missing required tags whose value the stack tags or stack config provide."""
    if not args.resource_type.startswith("aws:"):
        return None
    config = settings(REMEDIATE_SCHEMA, args.get_config())
    if args.resource_type in config.get("exemptTypes", ()):
        return None
    props = plain(args.props)
    if not is_taggable(args.resource_type, props):
        return None
    tags = props.get("tags")
    if tags is UNKNOWN or (tags is not None and not isinstance(tags, Mapping)):
        return None
    provider = Resource(args.resource_type, args.name, args.urn, props,
                        provider_props=plain(args.provider.props) if args.provider else None)
    present = provider.effective_tags
    stack = stackinfo.resolve(args.stack_tags)
    additions = {}
    for key, allowed in (config.get("requiredTags") or {}).items():
        if isinstance(present.get(key), str) and present[key]:
            continue
        value = args.stack_tags.get(key) or getattr(stack, key, None)
        if isinstance(value, str) and value and (not allowed or value in allowed):
            additions[key] = value
    if not additions:
        return None
    new_props = dict(args.props["__target"])
    new_props["tags"] = {**(tags or {}), **additions}
    return new_props


def policies() -> list:
    return [
        resource_policy(
            name="required-tags",
            description="Taggable AWS resources carry the required tags (context, stage, owner, usage) "
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
