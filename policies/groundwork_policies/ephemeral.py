"""Ephemeral stacks: a teardown schedule within the lease, expiry tags, and nothing undeletable.

An EPHEMERAL stack must contain the ``groundwork:lifecycle:EphemeralTeardown`` component with its
one-time ``aws:scheduler/schedule:Schedule`` (``at(YYYY-MM-DDTHH:MM:SS)``, UTC) no later than
now + the maximum TTL; every taggable resource carries ``expires-at``; and nothing may survive
``pulumi destroy``: no ``protect``, no deletion protection, no bucket without ``forceDestroy``.
(The analyzer protocol does not carry ``retainOnDelete``; the foundation's conventions refuse it.)

Facts about one resource (``expires-at``, deletability) are resource policies: the engine runs
them before it creates the resource, so ``pulumi up`` stops before the damage. Only the teardown
schedule and the TTL need the whole stack (the ``AnalyzeStack`` call comes after the resources).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import EXEMPT_TYPES, MAX_TTL_HOURS, prop, schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy, stack_policy
from groundwork_policies.tagging import is_taggable
from groundwork_policies.values import UNKNOWN

SCHEDULE = "aws:scheduler/schedule:Schedule"
TEARDOWN = "groundwork:lifecycle:EphemeralTeardown"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
AT_EXPRESSION = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
# Input -> the value that keeps a resource from being deleted.
DELETION_PROTECTION: dict[str, tuple[Any, ...]] = {
    "deletionProtection": (True, "ACTIVE"),  # RDS, DocumentDB, Neptune, Cognito user pools (string)
    "deletionProtectionEnabled": (True,),  # DynamoDB tables
    "enableDeletionProtection": (True,),  # load balancers
    "disableApiTermination": (True,),  # EC2 instances
}

TEARDOWN_SCHEMA = schema(
    maxTtlHours=prop("integer", MAX_TTL_HOURS, "latest allowed teardown, in hours from now", minimum=1),
    teardownType=prop("string", TEARDOWN, "component type that owns the teardown schedule"),
    exemptTypes={**EXEMPT_TYPES, "default": []},
)
DELETABLE_SCHEMA = schema(exemptTypes={**EXEMPT_TYPES, "default": []})
EXPIRES_AT_SCHEMA = schema(
    maxTtlHours=prop("integer", MAX_TTL_HOURS, "latest allowed expires-at, in hours from now", minimum=1),
    exemptTypes={**EXEMPT_TYPES, "default": []},
)


def _utc(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_teardown(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    if not ctx.stack.is_ephemeral:
        return
    latest = ctx.now + timedelta(hours=int(ctx.settings["maxTtlHours"]))
    ttl = ctx.stack.ttl_hours
    if ttl is not None and ttl > int(ctx.settings["maxTtlHours"]):
        yield Finding(f"groundwork:ttlHours={ttl} is longer than the maximum of {ctx.settings['maxTtlHours']}h",
                      check="ttl")
    teardowns = [r for r in resources if r.type == ctx.settings["teardownType"]]
    owners = {t.urn for t in teardowns}
    schedules = [r for r in resources if r.type == SCHEDULE and r.parent in owners]
    if not schedules:
        yield Finding(f"an EPHEMERAL stack must contain the teardown schedule ({ctx.settings['teardownType']} "
                      f"with an {SCHEDULE}); none found", check="schedule")
    for schedule in schedules:
        yield from _check_schedule(schedule, ctx, latest)


def check_expires_at(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """Every taggable AWS resource of an EPHEMERAL stack says when it expires, within the maximum TTL."""
    if not ctx.stack.is_ephemeral:
        return
    if not resource.type.startswith("aws:") or not is_taggable(resource.type, resource.props):
        return
    tags = resource.effective_tags
    if not isinstance(tags, Mapping):
        return
    value = tags.get("expires-at")
    if value is UNKNOWN:
        return
    latest = ctx.now + timedelta(hours=int(ctx.settings["maxTtlHours"]))
    if not isinstance(value, str) or not value:
        yield Finding(f"'{resource.name}' has no expires-at tag", check="expires-at")
    elif (when := _utc(value)) is None:
        yield Finding(f"'{resource.name}' expires-at={value!r} is not an ISO date-time (e.g. 2026-11-24T18:00:00Z)",
                      check="expires-at")
    elif when > latest:
        yield Finding(f"'{resource.name}' expires-at={value} is later than now + "
                      f"{ctx.settings['maxTtlHours']}h", check="expires-at")


def _check_schedule(schedule: Resource, ctx: Context, latest: datetime) -> Iterable[Finding]:
    expression = schedule.props.get("scheduleExpression")
    timezone = schedule.props.get("scheduleExpressionTimezone")
    if expression is UNKNOWN or timezone is UNKNOWN:
        return
    match = AT_EXPRESSION.match(expression or "")
    if not match:
        yield Finding(f"teardown schedule expression {expression!r} is not a one-time at(YYYY-MM-DDTHH:MM:SS)",
                      resource=schedule, check="schedule")
        return
    if timezone not in (None, "", "UTC", "Etc/UTC"):
        yield Finding(f"teardown schedule runs in time zone {timezone!r}; use UTC", resource=schedule,
                      check="schedule")
        return
    when = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
    if when > latest:
        yield Finding(f"teardown at {match.group(1)}Z is later than now + {ctx.settings['maxTtlHours']}h "
                      f"({latest:%Y-%m-%dT%H:%M}Z)", resource=schedule, check="ttl")
    elif when < ctx.now - timedelta(minutes=5):
        yield Finding(f"teardown at {match.group(1)}Z is in the past: the schedule would never fire",
                      resource=schedule, check="ttl")


def check_deletable(resource: Resource, ctx: Context) -> Iterable[Finding]:
    """Nothing in an EPHEMERAL stack may block ``pulumi destroy``."""
    if not ctx.stack.is_ephemeral:
        return
    if resource.protect:
        yield Finding(f"'{resource.name}' is protected: `pulumi destroy` of the EPHEMERAL stack would fail",
                      check="protect")
    if not resource.type.startswith("aws:"):
        return
    for key, blocking in DELETION_PROTECTION.items():
        value = resource.props.get(key)
        if value is not UNKNOWN and value is not None and value in blocking:
            yield Finding(f"'{resource.name}' sets {key}={value!r}: teardown could not delete it",
                          check="deletion-protection")
    if resource.type in BUCKETS:
        force = resource.props.get("forceDestroy")
        if force is not UNKNOWN and force is not True:
            yield Finding(f"bucket '{resource.name}' has no forceDestroy: teardown fails once it holds objects",
                          check="force-destroy")


def policies() -> list:
    return [
        stack_policy(
            name="ephemeral-teardown",
            description="An EPHEMERAL stack schedules its own teardown within the maximum TTL.",
            check=check_teardown,
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH, config_schema=TEARDOWN_SCHEMA,
            remediation_steps="Let features/program.py add EphemeralTeardown (groundwork:teardown config) and "
                              "keep groundwork:ttlHours within the maximum.",
        ),
        resource_policy(
            name="ephemeral-expires-at",
            description="Every taggable resource of an EPHEMERAL stack carries an expires-at tag within the "
                        "maximum TTL.",
            check=check_expires_at,
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH, config_schema=EXPIRES_AT_SCHEMA,
            remediation_steps="Declare the resource through the Groundwork program (its conventions tag expires-at "
                              "= deploy time + groundwork:ttlHours), or tag it with an ISO date-time yourself.",
        ),
        resource_policy(
            name="ephemeral-deletable",
            description="Nothing in an EPHEMERAL stack survives pulumi destroy: no protect, no deletion "
                        "protection, buckets with forceDestroy.",
            check=check_deletable,
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH, config_schema=DELETABLE_SCHEMA,
            remediation_steps="Remove protect / deletion protection, set force_destroy=True, or deploy as PRODUCTION.",
        ),
    ]
