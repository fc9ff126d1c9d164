"""IAM breadth short of full admin: every action of a service on every resource, and AWS managed
``*FullAccess`` (or AdministratorAccess) policies attached to roles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import prop, schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy
from groundwork_policies.security import IAM_DOCUMENTS
from groundwork_policies.values import UNKNOWN, as_list, dig, json_document

ROLE = "aws:iam/role:Role"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$")
# AWS managed policies granting a whole service or everything, e.g. AmazonS3FullAccess.
BROAD_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*"
                                  r"([\w+=,.@-]*FullAccess[\w+=,.@-]*|AdministratorAccess)$")


def _documents(resource: Resource) -> list[Any]:
    value = resource.props.get(IAM_DOCUMENTS[resource.type])
    if resource.type == ROLE:
        return [dig(p, "policy") for p in as_list(value)]
    return [value]


def service_wildcards(document: Any) -> list[str]:
    """``service:*`` actions an Allow statement grants on Resource ``*``."""
    found: list[str] = []
    for statement in as_list(dig(document, "Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        if "*" not in as_list(statement.get("Resource")):
            continue
        found.extend(a for a in as_list(statement.get("Action"))
                     if isinstance(a, str) and SERVICE_WILDCARD.match(a.lower()) and a not in found)
    return found


def check_service_wildcard(resource: Resource, ctx: Context) -> Iterable[Finding]:
    allowed = set(ctx.settings.get("allowList") or ())
    if resource.name in allowed or resource.urn in allowed:
        return
    for document in _documents(resource):
        parsed = json_document(document)
        if parsed is UNKNOWN or parsed is None:
            continue
        actions = service_wildcards(parsed)
        if actions:
            yield Finding(f"allows {', '.join(actions)} on Resource '*': name the actions the workload calls "
                          "and the resources it calls them on")


def broad_managed_policies(arns: Iterable[Any]) -> list[str]:
    return [m.group(1) for a in arns if isinstance(a, str) and (m := BROAD_MANAGED_POLICY.match(a))]


def check_full_access(resource: Resource, ctx: Context) -> Iterable[Finding]:
    props = resource.props
    if resource.type == ROLE:
        names = broad_managed_policies(as_list(props.get("managedPolicyArns")))
    elif resource.type == POLICY_ATTACHMENT and not as_list(props.get("roles")):
        return  # attached to users or groups only
    else:
        names = broad_managed_policies([props.get("policyArn")])
    allowed = set(ctx.settings.get("allowedPolicies") or ())
    names = [n for n in names if n not in allowed]
    if names:
        yield Finding(f"attaches the AWS managed {', '.join(names)} to a role: write a policy with the "
                      "actions and resources the role needs")


def policies() -> list:
    return [
        resource_policy(
            name="iam-service-wildcard",
            description="IAM policies do not allow every action of a service (service:*) on Resource '*'.",
            check=check_service_wildcard, types=list(IAM_DOCUMENTS),
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.HIGH,
            config_schema=schema(allowList=prop("array", [], "resource names or URNs allowed service:* on *",
                                                items={"type": "string"})),
            remediation_steps="List the actions (e.g. logs:CreateLogStream, logs:PutLogEvents) and the ARNs "
                              "they apply to.",
        ),
        resource_policy(
            name="iam-full-access-attachment",
            description="Roles do not get AWS managed *FullAccess or AdministratorAccess policies.",
            check=check_full_access, types=[ROLE, ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT],
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.HIGH,
            config_schema=schema(allowedPolicies=prop("array", [], "managed policy names accepted (e.g. "
                                                      "AWSCodeCommitFullAccess)", items={"type": "string"})),
            remediation_steps="Replace the managed policy with a customer managed or inline policy scoped to "
                              "the actions and resources the role uses.",
        ),
    ]
