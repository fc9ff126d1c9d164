"""Stage and usage: a known stage, and EPHEMERAL/POC usage only on non-production stages.

The WorkloadEnvValidator rule of the conventions reference, enforced on what is deployed: the
stack's stage/usage come from its config, else its stack tags, else its resources' tags; and no
resource may carry a stage or usage tag that contradicts the stack's. That last rule is a resource
policy (``stage-usage-tags``), so ``pulumi up`` refuses the resource before creating it; only when
the stack's values come from its resources' own tags is a disagreement among them a stack finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import NON_PRODUCTION_STAGES, STAGES, USAGES, prop, require_library, schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy, stack_policy

TAG_KEYS = ("stage", "usage")
SCHEMA = schema(
    allowedStages=prop("array", STAGES, "stages a stack may have", items={"type": "string"}),
    allowedUsages=prop("array", USAGES, "usages a stack may have", items={"type": "string"}),
    nonProductionStages=prop("array", NON_PRODUCTION_STAGES,
                             "the only stages where usage may be EPHEMERAL or POC", items={"type": "string"}),
)


def check_stage_usage(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    require_library()  # the default stages and usages are the library's
    stack, settings = ctx.stack, ctx.settings
    allowed_stages, allowed_usages = settings["allowedStages"], settings["allowedUsages"]
    if stack.stage is None:
        if any(r.type.startswith("aws:") for r in resources):
            yield Finding("the stack has no stage: set groundwork:stage in its config", check="stage-known")
    elif stack.stage not in allowed_stages:
        yield Finding(f"{stack.describe('stage')} is not one of {', '.join(allowed_stages)}",
                      check="stage-known")
    if stack.usage is None:
        if any(r.type.startswith("aws:") for r in resources):
            yield Finding("the stack has no usage: set groundwork:usage in its config", check="usage-known")
    elif stack.usage not in allowed_usages:
        yield Finding(f"{stack.describe('usage')} is not one of {', '.join(allowed_usages)}",
                      check="usage-known")
    elif (stack.stage is not None and stack.usage != "PRODUCTION"
          and stack.stage not in settings["nonProductionStages"]):
        yield Finding(f"{stack.describe('usage')} is only allowed on stages "
                      f"{', '.join(settings['nonProductionStages'])}; {stack.describe('stage')} must use "
                      "usage PRODUCTION", check="usage-for-stage")
    # Values taken from the resources' own tags: disagreement among them is seen only here. Values
    # from config or stack tags: stage-usage-tags refuses each contradicting resource itself.
    from_resources = tuple(key for key in TAG_KEYS if stack.sources.get(key) == "resource tags")
    for resource in resources:
        yield from _contradicting_tags(resource, ctx, from_resources)


def check_tags_match_stack(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """A ``stage`` or ``usage`` tag on the resource that contradicts the stack's value."""
    return _contradicting_tags(resource, ctx, TAG_KEYS)


def _contradicting_tags(resource: Resource, ctx: Context, keys: tuple[str, ...]) -> Iterable[Finding]:
    tags = resource.effective_tags
    if not isinstance(tags, Mapping):
        return
    for key in keys:
        value, expected = tags.get(key), getattr(ctx.stack, key)
        if isinstance(value, str) and expected and value != expected:
            yield Finding(f"resource '{resource.name}' is tagged {key}={value!r} but the stack's "
                          f"{ctx.stack.describe(key)}", resource=resource, check="tags-match-stack")


def policies() -> list:
    return [
        stack_policy(
            name="stage-usage",
            description="A stack has a known stage and usage; EPHEMERAL and POC only on dev and sandbox.",
            check=check_stage_usage,
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH, config_schema=SCHEMA,
            remediation_steps="Set groundwork:stage and groundwork:usage in Pulumi.<stack>.yaml.",
        ),
        resource_policy(
            name="stage-usage-tags",
            description="No resource carries a stage or usage tag that contradicts the stack's.",
            check=check_tags_match_stack,
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH, config_schema=schema(),
            remediation_steps="Remove the resource's own stage/usage tag: the stack's tags are applied to it.",
        ),
    ]
