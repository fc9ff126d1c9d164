"""Rules that need the whole stack: duplicate physical names, roles trusted by the service that uses
them, and X-Ray permissions for traced Lambdas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from groundwork_policies.awsrules import iam
from groundwork_policies.awsrules.findings import Rule
from groundwork_policies.framework import Resource
from groundwork_policies.values import UNKNOWN, dig

GLOBAL = "global"
# type -> (input(s) forming the physical name, scope): AWS refuses a second one with the same name
# in the same account (IAM, S3: account-global / partition-global) or account and region.
NAMES: dict[str, tuple[tuple[str, ...], str]] = {
    "aws:iam/role:Role": (("name",), GLOBAL),
    "aws:iam/policy:Policy": (("path", "name"), GLOBAL),
    "aws:s3/bucket:Bucket": (("bucket",), GLOBAL),
    "aws:organizations/policy:Policy": (("type", "name"), GLOBAL),
    "aws:sqs/queue:Queue": (("name",), "region"),
    "aws:sns/topic:Topic": (("name",), "region"),
    "aws:cloudwatch/logGroup:LogGroup": (("name",), "region"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (("name",), "region"),
    "aws:cloudwatch/eventBus:EventBus": (("name",), "region"),
    "aws:cloudwatch/eventRule:EventRule": (("eventBusName", "name"), "region"),
    "aws:cloudwatch/eventArchive:EventArchive": (("name",), "region"),
    "aws:cloudwatch/eventConnection:EventConnection": (("name",), "region"),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": (("name",), "region"),
    "aws:lambda/function:Function": (("name",), "region"),
    "aws:dynamodb/table:Table": (("name",), "region"),
    "aws:kinesis/stream:Stream": (("name",), "region"),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (("name",), "region"),
    "aws:sfn/stateMachine:StateMachine": (("name",), "region"),
    "aws:pipes/pipe:Pipe": (("name",), "region"),
    "aws:scheduler/schedule:Schedule": (("groupName", "name"), "region"),
    "aws:ssm/parameter:Parameter": (("name",), "region"),
    "aws:codebuild/project:Project": (("name",), "region"),
    "aws:cloudformation/stackSet:StackSet": (("name",), "region"),
    "aws:ses/receiptRuleSet:ReceiptRuleSet": (("ruleSetName",), "region"),
}
# (resource type, input path) holding a role ARN -> the service principal that assumes the role.
ROLE_USERS: dict[tuple[str, str], str] = {
    ("aws:lambda/function:Function", "role"): "lambda.amazonaws.com",
    ("aws:pipes/pipe:Pipe", "roleArn"): "pipes.amazonaws.com",
    ("aws:sfn/stateMachine:StateMachine", "roleArn"): "states.amazonaws.com",
    ("aws:codebuild/project:Project", "serviceRole"): "codebuild.amazonaws.com",
    ("aws:scheduler/schedule:Schedule", "target.roleArn"): "scheduler.amazonaws.com",
    ("aws:cloudwatch/eventTarget:EventTarget", "roleArn"): "events.amazonaws.com",
    ("aws:cloudwatch/eventRule:EventRule", "roleArn"): "events.amazonaws.com",
    ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "extendedS3Configuration.roleArn"):
        "firehose.amazonaws.com",
}
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
FUNCTION = "aws:lambda/function:Function"
XRAY_ACTIONS = ("xray:puttracesegments", "xray:puttelemetryrecords")
# AWS managed policies that grant both X-Ray actions (their documents ship with moto).
XRAY_MANAGED = ("AWSXRayDaemonWriteAccess", "AWSXrayWriteOnlyAccess", "AWSXrayFullAccess")


def _region(resource: Resource) -> str:
    region = (resource.provider_props or {}).get("region")
    return region if isinstance(region, str) else "default"


def duplicate_names(resources: list[Resource]) -> Iterator[tuple[Resource, Rule]]:
    seen: dict[tuple[Any, ...], Resource] = {}
    for resource in resources:
        spec = NAMES.get(resource.type)
        if spec is None:
            continue
        keys, scope = spec
        values = tuple(resource.props.get(k) for k in keys)
        if values[-1] is None or any(v is UNKNOWN for v in values):
            continue
        compared = values
        if resource.type.startswith("aws:iam/"):  # IAM names are unique regardless of case
            compared = tuple(v.lower() if isinstance(v, str) else v for v in values)
        key = (resource.type, GLOBAL if scope == GLOBAL else _region(resource), compared)
        first = seen.setdefault(key, resource)
        if first is not resource:
            where = "the account" if scope == GLOBAL else f"region {key[1]} of the account"
            yield resource, Rule(".".join(keys) if len(keys) > 1 else keys[0], "/".join(map(str, values)),
                                 f"'{first.name}' already has this name in {where}: AWS refuses the second "
                                 "(already exists) or both would manage one resource", "aws-duplicate-name")


def _role_name(arn: Any) -> str | None:
    if not isinstance(arn, str) or ":role/" not in arn:
        return None
    return arn.rsplit("/", 1)[-1]


def _roles(resources: list[Resource]) -> dict[str, Resource]:
    """Roles by explicit name and by URN (auto-named roles are found through property dependencies)."""
    found = {r.urn: r for r in resources if r.type == ROLE}
    found.update({r.props["name"]: r for r in resources if r.type == ROLE and isinstance(r.props.get("name"), str)})
    return found


def _role_of(resource: Resource, path: str, roles: dict[str, Resource]) -> Resource | None:
    """The stack's role the input at ``path`` names: by the ARN's role name, else by the role the
    input depends on."""
    by_name = roles.get(_role_name(dig(resource.props, *path.split("."))) or "")
    if by_name is not None:
        return by_name
    candidates = [roles[u] for u in resource.property_dependencies.get(path.split(".")[0], []) if u in roles]
    return candidates[0] if len(candidates) == 1 else None


def role_trust(resources: list[Resource]) -> Iterator[tuple[Resource, Rule]]:
    roles = _roles(resources)
    for resource in resources:
        for (kind, path), principal in ROLE_USERS.items():
            if resource.type != kind:
                continue
            role = _role_of(resource, path, roles)
            if role is None:
                continue
            trusted = iam.trusted_services(role.props.get("assumeRolePolicy"))
            if trusted is not None and principal not in trusted:
                yield role, Rule("assumeRolePolicy", f"trusts {sorted(trusted) or 'no service'}",
                                 f"role is used by {kind.rsplit(':', 1)[-1]} '{resource.name}' ({path}), so its trust "
                                 f"policy must allow {principal} to sts:AssumeRole", "aws-role-trust")


def traced_functions_write_traces(resources: list[Resource]) -> Iterator[tuple[Resource, Rule]]:
    roles = _roles(resources)
    for function in resources:
        if function.type != FUNCTION or dig(function.props, "tracingConfig", "mode") != "Active":
            continue
        role = _role_of(function, "role", roles)
        if role is None:
            continue  # a role from outside this stack: not ours to judge
        name = _role_name(function.props.get("role")) or role.props.get("name") or role.name
        allowed = _role_allows(role, name, resources)
        if allowed is None:
            continue
        missing = [a for a in XRAY_ACTIONS if a not in allowed and "*" not in allowed]
        if missing:
            yield function, Rule("tracingConfig.mode", "Active",
                                 f"its role '{name}' does not allow {', '.join(missing)} on Resource \"*\", so "
                                 "traces are dropped: add them (or attach AWSXRayDaemonWriteAccess)",
                                 "aws-lambda-tracing")


def _role_allows(role: Resource, name: str, resources: list[Resource]) -> set[str] | None:
    allowed: set[str] = set()
    documents = [p.get("policy") for p in (role.props.get("inlinePolicies") or []) if isinstance(p, dict)]
    documents += [r.props.get("policy") for r in resources if r.type == ROLE_POLICY and _attached(r, name, role)]
    managed = list(role.props.get("managedPolicyArns") or [])
    managed += [r.props.get("policyArn") for r in resources if r.type == ATTACHMENT and _attached(r, name, role)]
    for document in documents:
        actions = iam.allowed_actions(document)
        if actions is None:
            return None
        allowed |= actions
    if any(isinstance(arn, str) and arn.rsplit("/", 1)[-1] in XRAY_MANAGED for arn in managed):
        allowed.update(XRAY_ACTIONS)
    return allowed


def _attached(policy: Resource, name: str, role: Resource) -> bool:
    """A role policy/attachment names the role (its name) or takes it from the role (dependency)."""
    return policy.props.get("role") == name or role.urn in policy.property_dependencies.get("role", [])


CHECKS = (duplicate_names, role_trust, traced_functions_write_traces)
