"""Deploy-time rules of account bootstrap and teardown: what AWS would refuse or never run.

- ``stackset-account-global-one-region``: a StackSet template with account-global resources of
  fixed name (IAM roles, managed policies, OIDC providers ...) deployed to two regions of the same
  targets fails in the second region with EntityAlreadyExists: IAM names are unique per account.
- ``stackset-deploy-role-boundary``: a CI deploy role (trusted through sts:AssumeRoleWithWebIdentity)
  must carry a boundary of its own template that lets it create, change and delete roles that
  carry a workload boundary, and nothing more: no role without that boundary, no boundary
  removal, no change to the boundary policies. Evaluated with :mod:`iam_evaluation` on the
  template resolved for one account (:mod:`cfn_template`).
- ``codebuild-buildspec``: an inline buildspec parses as YAML and has CodeBuild's structure
  (:mod:`buildspec`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies import buildspec
from groundwork_policies.cfn_template import Stack, parse
from groundwork_policies.config import schema
from groundwork_policies.framework import Context, Finding, Resource, by_type, resource_policy, stack_policy
from groundwork_policies.iam_evaluation import ALLOWED, Request, decide
from groundwork_policies.values import UNKNOWN

STACK_SET = "aws:cloudformation/stackSet:StackSet"
STACK_SET_INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
CODEBUILD_PROJECT = "aws:codebuild/project:Project"
CHECK_ACCOUNT, CHECK_REGION = "123456789012", "us-east-1"

# CloudFormation type -> the property that names it; None: one per account whatever is declared.
ACCOUNT_GLOBAL_NAMES: dict[str, str | None] = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::OIDCProvider": None,  # one provider per URL and account
    "AWS::IAM::SAMLProvider": "Name",
    "AWS::IAM::ServiceLinkedRole": None,  # one per service (and suffix) and account
}

# The IAM calls that deploy, update and destroy an aws.iam.Role (the provider's create, read,
# update and delete of the role; terraform-provider-aws internal/service/iam/role.go), each on
# the role itself. Conditions carry the role's boundary (iam:PermissionsBoundary).
ROLE_LIFECYCLE = (
    "iam:CreateRole", "iam:TagRole", "iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
    "iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription", "iam:UpdateRole", "iam:UntagRole",
    "iam:ListInstanceProfilesForRole", "iam:DeleteRole",
)
ROLE_POLICY_LIFECYCLE = ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy")
ROLE_POLICY_ATTACHMENT_LIFECYCLE = ("iam:AttachRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy")
POLICY_LIFECYCLE = ("iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
                    "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy")
SERVICE_LINKED_ROLE_LIFECYCLE = ("iam:CreateServiceLinkedRole", "iam:GetRole", "iam:DeleteServiceLinkedRole",
                                 "iam:GetServiceLinkedRoleDeletionStatus")
# Calls whose authorization sees the role's boundary (IAM service authorization reference: the
# actions that list the iam:PermissionsBoundary condition key).
BOUNDARY_KEYED = {"iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
                  "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
                  "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
                  "iam:DeleteRolePermissionsBoundary", "iam:GetRole"}


def role_requests(role_arn: str, boundary: str | None, *, inline: bool = True,
                  attached: bool = False) -> list[Request]:
    """The IAM requests that deploy and destroy one role (with inline policies / attachments)."""
    actions = list(ROLE_LIFECYCLE)
    if inline:
        actions += ROLE_POLICY_LIFECYCLE
    if attached:
        actions += ROLE_POLICY_ATTACHMENT_LIFECYCLE
    return [Request(action, role_arn, _boundary_context(action, boundary)) for action in dict.fromkeys(actions)]


def _boundary_context(action: str, boundary: str | None) -> dict[str, str]:
    return {"iam:PermissionsBoundary": boundary} if boundary and action in BOUNDARY_KEYED else {}


# --- StackSet templates -----------------------------------------------------------------------

def _stack(stack_set: Resource) -> Stack | None:
    body = stack_set.props.get("templateBody")
    if not isinstance(body, str):
        return None
    parameters = stack_set.props.get("parameters") or {}
    if parameters is UNKNOWN or any(v is UNKNOWN for v in parameters.values()):
        return None  # a preview with values still unknown: judged once they are known
    return Stack(parse(body), {k: str(v) for k, v in parameters.items()}, CHECK_ACCOUNT, CHECK_REGION)


def account_global_resources(stack: Stack) -> list[str]:
    """``Logical (Type, Name)`` of resources that exist once per account (fixed-name IAM)."""
    found = []
    for logical, resource in stack.resources().items():
        type_ = resource.get("Type")
        if type_ not in ACCOUNT_GLOBAL_NAMES:
            continue
        name_property = ACCOUNT_GLOBAL_NAMES[type_]
        if name_property is None:
            found.append(f"{logical} ({type_})")
        elif name_property in resource.get("Properties", {}):
            found.append(f"{logical} ({type_} {name_property})")
    return found


def _targets(instance: Resource) -> set[str]:
    targets = instance.props.get("deploymentTargets")
    if not isinstance(targets, Mapping):
        return {"<this account>"}  # self-managed: the stack set's own account list
    found = set()
    for key in ("organizationalUnitIds", "accounts"):
        values = targets.get(key)
        if isinstance(values, list):
            found |= {str(v) for v in values if v is not UNKNOWN}
    return found


def check_account_global_one_region(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    stack_sets = by_type(resources, STACK_SET)
    seen: dict[tuple[str, str], tuple[str, Resource]] = {}
    for instance in by_type(resources, STACK_SET_INSTANCE):
        stack_set = _stack_set_of(instance, stack_sets)
        region = instance.props.get("stackSetInstanceRegion")
        if stack_set is None or not isinstance(region, str):
            continue
        stack = _stack(stack_set)
        global_resources = account_global_resources(stack) if stack else []
        if not global_resources:
            continue
        for target in sorted(_targets(instance)):
            first = seen.setdefault((stack_set.urn, target), (region, instance))
            if first[0] != region:
                yield Finding(
                    f"stackSetInstanceRegion = {region!r}: StackSet {stack_set.props.get('name')!r} already has an "
                    f"instance in {first[0]} for target {target}, and its template declares account-global "
                    f"resources ({', '.join(global_resources)}); IAM names are unique per account, not per "
                    "region, so this instance would fail with EntityAlreadyExists. Deploy account-global "
                    "templates to one region per account (groundwork:bootstrap.homeRegion) and regional "
                    "resources in a template of their own", resource=instance)
                break


def _stack_set_of(instance: Resource, stack_sets: list[Resource]) -> Resource | None:
    name = instance.props.get("stackSetName")
    for stack_set in stack_sets:
        if isinstance(name, str) and stack_set.props.get("name") == name:
            return stack_set
    return next((s for s in stack_sets if instance.related(s)), None)


# --- the deploy role's boundary -----------------------------------------------------------------

def _statements(document: Any) -> list[dict[str, Any]]:
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    return [statements] if isinstance(statements, Mapping) else list(statements)


def is_web_identity_role(properties: Mapping[str, Any]) -> bool:
    """A CI deploy role: its trust policy admits sts:AssumeRoleWithWebIdentity (e.g. GitHub OIDC)."""
    for statement in _statements(properties.get("AssumeRolePolicyDocument")):
        actions = statement.get("Action", [])
        if statement.get("Effect") == "Allow" and "sts:AssumeRoleWithWebIdentity" in (
                actions if isinstance(actions, list) else [actions]):
            return True
    return False


def template_policies(stack: Stack) -> dict[str, Any]:
    """ARN -> document of the managed policies the template creates."""
    return {stack.ref(name): stack.properties(name)["PolicyDocument"]
            for name in stack.resources("AWS::IAM::ManagedPolicy")}


def role_policies(stack: Stack, logical: str) -> tuple[list[Any], list[str], str | None]:
    """A role of the template: its inline policy documents, managed policy ARNs and boundary ARN."""
    properties = stack.properties(logical)
    inline = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
    return inline, list(properties.get("ManagedPolicyArns", [])), properties.get("PermissionsBoundary")


def deploy_role_problems(stack: Stack, logical: str) -> list[str]:
    """What keeps the deploy role ``logical`` from managing bounded roles, or lets it escalate."""
    boundary_arn = role_policies(stack, logical)[2]
    policies = template_policies(stack)
    if not boundary_arn:
        return ["has no PermissionsBoundary: a deploy role needs one that limits the roles it creates"]
    boundary = policies.get(boundary_arn)
    if boundary is None:
        return [f"PermissionsBoundary = {boundary_arn!r} is not a managed policy of this template, so nothing "
                "shows it allows managing roles (an AWS boundary such as PowerUserAccess denies iam:CreateRole, "
                "PutRolePolicy, PassRole and DeleteRole); create the boundary in the template"]
    role_arn = f"arn:{stack.partition}:iam::{stack.account}:role/groundwork-rule-check"
    candidates = [arn for arn in policies if arn != boundary_arn]
    best: list[str] | None = None
    for workload in candidates:
        denied = [r.action for r in role_requests(role_arn, workload, attached=True)
                  + [Request("iam:PassRole", role_arn)] if decide(r, [boundary]) != ALLOWED]
        if best is None or len(denied) < len(best):
            best, chosen = denied, workload
    if best is None:
        return ["the template creates no workload boundary (a second managed policy) for the roles the deploy "
                "role creates; without one it cannot create roles without escalating"]
    problems = []
    if best:
        problems.append(f"its boundary denies {', '.join(best)} on roles that carry {chosen}: stacks with roles "
                        "could not deploy or be destroyed")
    escalations = {
        "create a role without the workload boundary": Request("iam:CreateRole", role_arn),
        "remove a role's boundary": Request("iam:DeleteRolePermissionsBoundary", role_arn,
                                            {"iam:PermissionsBoundary": chosen}),
        "change the workload boundary policy": Request("iam:CreatePolicyVersion", chosen),
        "delete its own boundary policy": Request("iam:DeletePolicy", boundary_arn),
        "change its own policies": Request(
            "iam:PutRolePolicy", f"arn:{stack.partition}:iam::{stack.account}:role/{stack.ref(logical)}",
            {"iam:PermissionsBoundary": boundary_arn}),
    }
    allowed = [what for what, request in escalations.items() if decide(request, [boundary]) == ALLOWED]
    if allowed:
        problems.append(f"its boundary lets it {', '.join(allowed)}: that escapes the boundary; deny it")
    return problems


def check_deploy_role_boundary(resource: Resource, ctx: Context) -> Iterable[Finding]:
    stack = _stack(resource)
    if stack is None:
        return
    for logical in stack.resources("AWS::IAM::Role"):
        if not is_web_identity_role(stack.properties(logical)):
            continue
        for problem in deploy_role_problems(stack, logical):
            yield Finding(f"templateBody: deploy role {logical} (AWS::IAM::Role) {problem}")


# --- CodeBuild buildspecs ----------------------------------------------------------------------

def check_buildspec(resource: Resource, ctx: Context) -> Iterable[Finding]:
    source = resource.props.get("source")
    spec = source.get("buildspec") if isinstance(source, Mapping) else None
    if not isinstance(spec, str) or "\n" not in spec:
        return  # unknown, absent (buildspec.yml of the source) or a path/ARN CodeBuild reads at build time
    found = buildspec.problems(spec)
    if found:
        yield Finding(f"source.buildspec is not a buildspec CodeBuild can run: {'; '.join(found)}. Every "
                      "build would stop before its first command (build-spec reference)")


def policies() -> list:
    return [
        stack_policy(
            name="stackset-account-global-one-region",
            description="StackSet templates with account-global (fixed-name IAM) resources are deployed to "
                        "one region per target account.",
            check=check_account_global_one_region, enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH, config_schema=schema(),
            remediation_steps="Deploy the account-global template to one home region only "
                              "(groundwork:bootstrap.homeRegion); keep regional resources in another template."),
        resource_policy(
            name="stackset-deploy-role-boundary",
            description="A StackSet's CI deploy role is bounded by a policy of its template that lets it manage "
                        "exactly the roles carrying the workload boundary.",
            check=check_deploy_role_boundary, types=[STACK_SET], enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH, config_schema=schema(),
            remediation_steps="Use the bootstrap template's DeployRoleBoundary (docs/identity-and-bootstrap.md)."),
        resource_policy(
            name="codebuild-buildspec",
            description="Inline CodeBuild buildspecs parse as YAML and have the structure CodeBuild runs.",
            check=check_buildspec, types=[CODEBUILD_PROJECT], enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH, config_schema=schema(),
            remediation_steps="Quote or block-scalar commands containing ': '; keep to version 0.2 and the "
                              "install/pre_build/build/post_build phases."),
    ]
