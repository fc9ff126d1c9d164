"""The bootstrap and teardown rules over the analyzer protocol: each of issue 12's defects 1-3,
reintroduced, is refused by its policy alone with a message naming resource, field, value and rule."""

from __future__ import annotations

import pytest

from features.bootstrap.templates import GITHUB_OIDC, STATE_BACKEND
from features.lifecycle.teardown import BUILDSPEC
from org.plan.analyzer import UNKNOWN
from tests.policies.corpus.builders import DEV, Case, res, tags

OU = "ou-ab12-34567890"
PARAMETERS = {
    "CreateOidcProvider": "true", "AllowedSubjects": "repo:acme-corp/orders:ref:refs/heads/main",
    "DeployRoleName": "shop-dev-github-deploy", "DeployRolePolicyArns": "arn:aws:iam::aws:policy/AdministratorAccess",
    "WorkloadBoundaryName": "groundwork-workload-boundary", "MaxSessionDurationSeconds": "3600",
    "TeardownRoleNamePattern": "groundwork-teardown-*",
}
BOUNDARY_SECTION = GITHUB_OIDC.read_text().split("  DeployRoleBoundary:")[1].split("  DeployRole:")[0]


def stack_set(label: str, body: str, parameters: dict[str, str]):
    return res("aws:cloudformation/stackSet:StackSet", label, {
        "name": f"shop-dev-{label}", "permissionModel": "SERVICE_MANAGED", "templateBody": body,
        "parameters": parameters, "capabilities": ["CAPABILITY_NAMED_IAM"],
        "autoDeployment": {"enabled": True, "retainStacksOnAccountRemoval": False}, "tags": tags(DEV)})


def instance(label: str, region: str):
    return res("aws:cloudformation/stackSetInstance:StackSetInstance", f"{label}-{region}", {
        "stackSetName": f"shop-dev-{label}", "stackSetInstanceRegion": region,
        "deploymentTargets": {"organizationalUnitIds": [OU]}})


def bootstrap(oidc_regions: list[str], oidc_body: str | None = None) -> list:
    return [stack_set("github-oidc", oidc_body or GITHUB_OIDC.read_text(), PARAMETERS),
            *[instance("github-oidc", region) for region in oidc_regions],
            stack_set("pulumi-state", STATE_BACKEND.read_text(),
                      {"BucketNamePrefix": "shop-dev-pulumi-state", "NoncurrentVersionRetentionDays": "90"}),
            instance("pulumi-state", "eu-west-1"), instance("pulumi-state", "eu-central-1")]


def project(buildspec: str):
    return res("aws:codebuild/project:Project", "teardown-project", {
        "name": "shop-dev-teardown", "serviceRole": "arn:aws:iam::123456789012:role/groundwork-teardown-x",
        "source": {"type": "NO_SOURCE", "buildspec": buildspec}, "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {"computeType": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
                        "type": "LINUX_CONTAINER"},
        "tags": tags(DEV)})


def boundary_variant(old: str, new: str) -> str:
    """The OIDC template with one change inside the DeployRoleBoundary policy only."""
    assert old in BOUNDARY_SECTION, old
    text = GITHUB_OIDC.read_text()
    return text.replace(BOUNDARY_SECTION, BOUNDARY_SECTION.replace(old, new, 1))


# The defect as shipped: AdministratorAccess capped by the AWS-managed PowerUserAccess boundary.
POWER_USER_BOUNDARY = GITHUB_OIDC.read_text().replace(
    "PermissionsBoundary: !Ref DeployRoleBoundary", "PermissionsBoundary: arn:aws:iam::aws:policy/PowerUserAccess")
BROKEN_BUILDSPEC = BUILDSPEC.replace(
    """      - >-\n        printf 'name: %s\\nruntime: python\\n' "$PULUMI_PROJECT" > Pulumi.yaml""",
    """      - printf 'name: %s\\nruntime: python\\n' "$PULUMI_PROJECT" > Pulumi.yaml""")

VIOLATIONS = [
    Case("oidc-stack-set-in-two-regions", bootstrap(["eu-west-1", "eu-central-1"]),
         {"stackset-account-global-one-region"},
         contains="stackSetInstanceRegion = 'eu-central-1': StackSet 'shop-dev-github-oidc' already has an instance "
                  "in eu-west-1 for target ou-ab12-34567890, and its template declares account-global resources "
                  "(GitHubOidcProvider (AWS::IAM::OIDCProvider)"),
    Case("deploy-role-under-power-user-boundary", bootstrap(["eu-west-1"], POWER_USER_BOUNDARY),
         {"stackset-deploy-role-boundary"},
         contains="templateBody: deploy role DeployRole (AWS::IAM::Role) PermissionsBoundary = "
                  "'arn:aws:iam::aws:policy/PowerUserAccess' is not a managed policy of this template"),
    Case("deploy-role-boundary-without-delete-role",
         bootstrap(["eu-west-1"], boundary_variant("              - iam:DeleteRole\n", "")),
         {"stackset-deploy-role-boundary"},
         contains="its boundary denies iam:DeleteRole on roles that carry "
                  "arn:aws:iam::123456789012:policy/groundwork-workload-boundary"),
    Case("deploy-role-boundary-allows-unbounded-roles",
         bootstrap(["eu-west-1"], boundary_variant(  # the role statement without its condition, no Deny
             "            Condition:\n              StringEquals:\n                iam:PermissionsBoundary: "
             "!Ref WorkloadBoundary\n", "").replace("Sid: NoRoleWithoutTheWorkloadBoundary\n            Effect: Deny",
                                                 "Sid: NoRoleWithoutTheWorkloadBoundary\n            Effect: Allow")),
         {"stackset-deploy-role-boundary"},
         contains="its boundary lets it create a role without the workload boundary"),
    Case("teardown-buildspec-not-yaml", [project(BROKEN_BUILDSPEC)], {"codebuild-buildspec"},
         contains="source.buildspec is not a buildspec CodeBuild can run: not valid YAML (line 21, column"),
    Case("buildspec-unknown-phase", [project("version: 0.2\nphases:\n  deploy:\n    commands: [make]\n")],
         {"codebuild-buildspec"}, contains="phases.deploy: unknown phase"),
]
COMPLIANT = [
    Case("oidc-in-home-region-state-everywhere", bootstrap(["eu-west-1"])),
    # During a real preview a parameter may still be unknown: nothing is judged until it is known.
    Case("unknown-parameter-in-preview", [stack_set("github-oidc", POWER_USER_BOUNDARY,
                                                    {**PARAMETERS, "DeployRoleName": UNKNOWN})]),
    Case("teardown-buildspec", [project(BUILDSPEC)]),
    Case("buildspec-from-source", [project("buildspec.yml")]),
]


def _explain(diagnostics) -> str:
    return "\n".join(f"{d.policy_name} [{d.enforcement_level}] {d.urn}: {d.message}" for d in diagnostics)


@pytest.mark.parametrize("case", VIOLATIONS, ids=lambda c: c.id)
def test_defect_is_refused_by_its_rule_only(run_case, case):
    diagnostics = run_case(case)
    assert {d.policy_name for d in diagnostics} == case.expect, _explain(diagnostics)
    assert all(d.mandatory for d in diagnostics)
    assert any(case.contains in d.message for d in diagnostics), _explain(diagnostics)


@pytest.mark.parametrize("case", COMPLIANT, ids=lambda c: c.id)
def test_fixed_bootstrap_and_teardown_pass(run_case, case):
    diagnostics = run_case(case)
    assert diagnostics == [], _explain(diagnostics)


def test_the_variants_change_what_they_say():
    """Guards for the cases above: each variant really differs from the shipped template."""
    for case in VIOLATIONS[1:4]:
        assert case.resources[0].inputs["templateBody"] != GITHUB_OIDC.read_text(), case.id
    assert BROKEN_BUILDSPEC != BUILDSPEC
