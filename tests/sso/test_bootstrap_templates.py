"""The bootstrap CloudFormation templates: cfn-lint clean, and the security settings that matter."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest
from cfnlint import api as cfnlint_api
from cfnlint.decode import decode_str

from features.bootstrap.templates import (
    GITHUB_OIDC,
    STATE_BACKEND,
    github_oidc_parameters,
    github_subjects,
    state_backend_parameters,
)

TEMPLATES = [GITHUB_OIDC, STATE_BACKEND]


def load(path: Path) -> dict:
    """Parse with cfn-lint's decoder, which understands the short tags (!Ref, !Sub, !If, ...)."""
    template, matches = decode_str(path.read_text())
    assert not matches, [str(m) for m in matches]
    return template


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_reports_no_errors(path):
    matches = cfnlint_api.lint(path.read_text(), regions=["us-east-1", "eu-west-1", "eu-central-1"])
    errors = [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches if m.rule.id.startswith("E")]
    assert errors == []


def test_cfn_lint_catches_a_broken_template():
    """Guard for the test above: the lint call really reports errors."""
    broken = GITHUB_OIDC.read_text().replace("Type: AWS::IAM::Role", "Type: AWS::IAM::Rolle")
    assert any(m.rule.id.startswith("E") for m in cfnlint_api.lint(broken, regions=["us-east-1"]))


def test_oidc_role_trusts_github_audience_and_only_the_allowed_subjects():
    template = load(GITHUB_OIDC)
    provider = template["Resources"]["GitHubOidcProvider"]["Properties"]
    assert provider["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]
    statements = template["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert len(statements) == 2  # GitHub, and the teardown statement under a condition (below)
    trust = statements[0]
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"]["Federated"]["Fn::If"][1] == {"Ref": "GitHubOidcProvider"}
    assert trust["Condition"] == {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": {"Ref": "AllowedSubjects"}},
    }


def teardown_statement(template: dict) -> dict:
    """The optional second trust statement: ``!If [AllowTeardownRoles, <statement>, !Ref AWS::NoValue]``."""
    statements = template["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    conditional = [s for s in statements if "Fn::If" in s]
    assert len(conditional) == 1
    condition, statement, otherwise = conditional[0]["Fn::If"]
    assert condition == "AllowTeardownRoles" and otherwise == {"Ref": "AWS::NoValue"}
    return statement


def test_teardown_roles_of_the_same_account_only_may_assume_the_deploy_role():
    template = load(GITHUB_OIDC)
    statement = teardown_statement(template)
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    # Own account's root delegates to IAM policies in this account; no other account is named.
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    assert statement["Condition"] == {"ArnLike": {"aws:PrincipalArn": {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${TeardownRoleNamePattern}"}}}
    parameter = template["Parameters"]["TeardownRoleNamePattern"]
    assert parameter["Default"] == "groundwork-teardown-*"


def test_an_empty_teardown_pattern_removes_the_statement():
    template = load(GITHUB_OIDC)
    assert template["Conditions"]["AllowTeardownRoles"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "TeardownRoleNamePattern"}, ""]}]}
    assert re.match(template["Parameters"]["TeardownRoleNamePattern"]["AllowedPattern"], "")


def test_resolved_trust_policy_has_the_teardown_statement_only_when_enabled():
    """Resolve the !If both ways as CloudFormation would and compare the statements that remain."""
    template = load(GITHUB_OIDC)
    statements = template["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]

    def resolve(allow: bool) -> list[str]:
        kept = []
        for statement in statements:
            if "Fn::If" in statement:
                statement = statement["Fn::If"][1 if allow else 2]
            if statement != {"Ref": "AWS::NoValue"}:
                kept.append(statement["Sid"])
        return kept

    assert resolve(True) == ["GitHubActionsOfAllowedRepositories", "EphemeralStackTeardownBuildsOfThisAccount"]
    assert resolve(False) == ["GitHubActionsOfAllowedRepositories"]


def test_teardown_pattern_refuses_a_bare_or_inner_wildcard():
    pattern = re.compile(load(GITHUB_OIDC)["Parameters"]["TeardownRoleNamePattern"]["AllowedPattern"])
    for allowed in ["groundwork-teardown-*", "groundwork-teardown-feature-x", "", "a" * 64, "a" * 63 + "*"]:
        assert pattern.match(allowed), allowed
    for refused in ["*", "**", "groundwork-*-teardown", "groundwork-teardown-**", "a" * 65, "team/role-*",
                    "arn:aws:iam::123456789012:role/x"]:
        assert not pattern.match(refused), refused


def test_the_default_pattern_matches_every_teardown_build_role_name():
    from features.lifecycle.teardown import build_role_name

    pattern = load(GITHUB_OIDC)["Parameters"]["TeardownRoleNamePattern"]["Default"]
    for project, stack in [("groundwork", "feature-x"), ("groundwork", "Feature-X" * 20), ("acme", "dev")]:
        assert fnmatch.fnmatchcase(build_role_name(project, stack), pattern)


def test_the_template_lints_clean_with_the_teardown_statement_disabled():
    """With an empty default (teardown disabled) the template still satisfies its own constraints."""
    disabled = GITHUB_OIDC.read_text().replace("Default: groundwork-teardown-*", 'Default: ""')
    matches = cfnlint_api.lint(disabled, regions=["us-east-1"])
    assert [m for m in matches if m.rule.id.startswith("E")] == []


def test_allowed_subjects_pattern_refuses_wildcard_owner_and_repository():
    pattern = re.compile(load(GITHUB_OIDC)["Parameters"]["AllowedSubjects"]["AllowedPattern"])
    allowed = github_subjects("acme-corp", ["orders"], ["main", "release/*"], ["production", "pre*"])
    assert all(pattern.match(subject) for subject in allowed)
    for refused in ["repo:*/orders:ref:refs/heads/main", "repo:acme-corp/*:ref:refs/heads/main",
                    "repo:acme*/orders:environment:prod", "repo:acme-corp/orders:*", "*",
                    "repo:acme-corp/orders:pull_request"]:
        assert not pattern.match(refused), refused


def test_state_bucket_is_versioned_kms_encrypted_private_and_tls_only():
    template = load(STATE_BACKEND)
    bucket = template["Resources"]["StateBucket"]
    properties = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["SecretsKey", "Arn"]}}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    policy = template["Resources"]["StateBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "StateBucket"}
    tls = next(s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "DenyInsecureTransport")
    assert tls["Effect"] == "Deny" and tls["Principal"] == "*" and tls["Action"] == "s3:*"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert tls["Resource"] == [{"Fn::GetAtt": ["StateBucket", "Arn"]}, {"Fn::Sub": "${StateBucket.Arn}/*"}]


def test_secrets_key_rotates_and_is_administered_by_its_account():
    template = load(STATE_BACKEND)
    key = template["Resources"]["SecretsKey"]
    assert key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert [s["Principal"] for s in statements] == [
        {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}]
    alias = template["Resources"]["SecretsKeyAlias"]["Properties"]
    assert alias["TargetKeyId"] == {"Ref": "SecretsKey"}


def test_outputs_export_the_names_a_pulumi_project_needs():
    outputs = load(STATE_BACKEND)["Outputs"]
    assert {"StateBucketName", "BackendUrl", "SecretsKeyArn", "SecretsKeyAlias", "SecretsProvider"} <= set(outputs)
    assert all("Export" in output for output in outputs.values())
    assert outputs["SecretsProvider"]["Value"] == {"Fn::Sub": "awskms://${SecretsKeyAlias}?region=${AWS::Region}"}
    oidc_outputs = load(GITHUB_OIDC)["Outputs"]
    assert {"DeployRoleArn", "DeployRoleName", "OidcProviderArn"} <= set(oidc_outputs)
    assert all("Export" in output for output in oidc_outputs.values())


def test_the_component_passes_exactly_the_template_parameters():
    """StackSets refuse unknown parameters; missing ones without defaults fail every instance."""
    oidc = github_oidc_parameters(subjects=["repo:a/b:ref:refs/heads/main"], role_name="r", policy_arns=["p"],
                                  workload_boundary_name="b", max_session_hours=1, create_oidc_provider=True,
                                  teardown_role_pattern="groundwork-teardown-*")
    state = state_backend_parameters(bucket_prefix="abc", retention_days=30)
    for path, given in [(GITHUB_OIDC, oidc), (STATE_BACKEND, state)]:
        declared = load(path)["Parameters"]
        assert set(given) == set(declared), path.name


def test_parameter_values_satisfy_the_template_constraints():
    declared = load(STATE_BACKEND)["Parameters"]
    assert re.match(declared["BucketNamePrefix"]["AllowedPattern"], "platform-prod-pulumi-state")
    oidc = load(GITHUB_OIDC)["Parameters"]
    assert re.match(oidc["DeployRoleName"]["AllowedPattern"], "platform-prod-github-deploy")
    assert re.match(oidc["DeployRolePolicyArns"]["AllowedPattern"], "arn:aws:iam::aws:policy/AdministratorAccess")
    assert re.match(oidc["WorkloadBoundaryName"]["AllowedPattern"], "groundwork-workload-boundary")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_fit_in_a_stack_set_template_body(path):
    assert len(path.read_bytes()) < 51_200  # TemplateBody limit; beyond it a TemplateURL in S3 is needed
