"""Naming: SSM parameters under ``/{stage}/{context}/`` and physical names that say context and stage."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import EXEMPT_TYPES, prop, schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy
from groundwork_policies.values import UNKNOWN

SSM_PARAMETER = "aws:ssm/parameter:Parameter"
# Type -> (name input, prefix input) of the resources whose physical names are checked.
NAME_INPUTS: dict[str, tuple[str, str | None]] = {
    "aws:sqs/queue:Queue": ("name", "namePrefix"),
    "aws:sns/topic:Topic": ("name", "namePrefix"),
    "aws:cloudwatch/eventBus:EventBus": ("name", None),
    "aws:pipes/pipe:Pipe": ("name", "namePrefix"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix"),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "bucketPrefix"),
}
DEFAULT_PATTERNS = {
    "aws:sqs/queue:Queue": "^{context}-{stage}-",
    "aws:sns/topic:Topic": "^{context}-{stage}-",
    "aws:cloudwatch/eventBus:EventBus": "^{context}-{stage}-",
    "aws:pipes/pipe:Pipe": "^{context}-{stage}-",
    "aws:s3/bucket:Bucket": "^{context}-{stage}-",
    "aws:s3/bucketV2:BucketV2": "^{context}-{stage}-",
    "aws:cloudwatch/logGroup:LogGroup": "{context}-{stage}",
}


def _expand(pattern: str, ctx: Context) -> re.Pattern[str]:
    return re.compile(pattern.replace("{context}", re.escape(ctx.stack.context or ""))
                      .replace("{stage}", re.escape(ctx.stack.stage or "")))


def check_ssm_name(resource: Resource, ctx: Context) -> Iterable[Finding]:
    stack = ctx.stack
    if not (stack.context and stack.stage):
        return
    name = resource.props.get("name")
    if name is UNKNOWN:
        return
    prefix = ctx.settings["prefix"].replace("{stage}", stack.stage).replace("{context}", stack.context)
    if not isinstance(name, str) or not name:
        yield Finding(f"no explicit name: Pulumi would name it '{resource.name}-<random>', not under {prefix}")
    elif not name.startswith(prefix):
        yield Finding(f"name {name!r} is not under {prefix} (the stack's stage and context)")


def check_physical_name(resource: Resource, ctx: Context) -> Iterable[Finding]:
    stack = ctx.stack
    patterns: Mapping[str, Any] = {**DEFAULT_PATTERNS, **(ctx.settings.get("patterns") or {})}
    pattern = patterns.get(resource.type)
    if not pattern or not (stack.context and stack.stage):
        return
    name_key, prefix_key = NAME_INPUTS.get(resource.type, ("name", "namePrefix"))
    name = resource.props.get(name_key)
    if name is None and prefix_key:
        name = resource.props.get(prefix_key)
    if name is UNKNOWN:
        return
    expected = pattern.replace("{context}", stack.context).replace("{stage}", stack.stage)
    if not isinstance(name, str) or not name:
        if ctx.settings.get("requireExplicitName", True):
            yield Finding(f"no explicit {name_key}: Pulumi would auto-name it '{resource.name}-<random>'; "
                          f"set one matching {expected!r} (ctx.name(...))")
    elif not _expand(pattern, ctx).search(name):
        yield Finding(f"{name_key} {name!r} does not match {expected!r} (context {stack.context}, "
                      f"stage {stack.stage})")


def policies() -> list:
    return [
        resource_policy(
            name="ssm-parameter-naming",
            description="SSM parameters live under /{stage}/{context}/ so stacks find each other's settings.",
            check=check_ssm_name, types=[SSM_PARAMETER],
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.MEDIUM,
            config_schema=schema(prefix=prop("string", "/{stage}/{context}/",
                                             "required name prefix; {stage} and {context} are replaced")),
            remediation_steps="Name parameters with ctx.ssm_prefix + '<name>'.",
        ),
        resource_policy(
            name="resource-naming",
            description="Physical names of queues, topics, buses, pipes, log groups and buckets say "
                        "their context and stage.",
            check=check_physical_name,  # any type the patterns name
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW,
            config_schema=schema(
                patterns=prop("object", DEFAULT_PATTERNS,
                              "type token -> regex the name must match; {context}/{stage} are replaced",
                              additionalProperties={"type": "string"}),
                requireExplicitName=prop("boolean", True, "flag resources left to Pulumi auto-naming"),
                exemptTypes={**EXEMPT_TYPES, "default": []},
            ),
            remediation_steps="Build names with ctx.name(...) => '{context}-{stage}-...'.",
        ),
    ]
