"""Ephemeral teardown: the schedule fires at the lease end and may only start this stack's build."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess

import pytest
import yaml
from groundwork.errors import ConfigError
from groundwork_policies import buildspec  # the policy pack's buildspec check

from features.lifecycle.teardown import BUILDSPEC, build_role_name
from features.program import build
from tests.conftest import stack_config

TEARDOWN = {
    "backendUrl": "s3://acme-state/groundwork",
    "deployRoleArn": "arn:aws:iam::123456789012:role/platform-prod-github-deploy",
    "passphraseSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pulumi/pass-AbCdEf",
}


def ephemeral(**extra):
    return stack_config(usage="EPHEMERAL", ttlHours="8", teardown=TEARDOWN, **extra)


def test_ephemeral_stack_gets_a_one_time_schedule_at_lease_end(run):
    result = run(build, config=ephemeral(), stack="feature-x")
    schedule = result.one("aws:scheduler/schedule:Schedule")
    expires = result.stack_outputs["expiresAt"]
    assert schedule.inputs["scheduleExpression"] == f"at({expires.rstrip('Z')})"
    assert schedule.inputs["scheduleExpressionTimezone"] == "UTC"
    assert schedule.inputs["actionAfterCompletion"] == "DELETE"
    assert schedule.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    project = result.one("aws:codebuild/project:Project")
    assert schedule.inputs["target"]["arn"] == project.outputs["arn"]
    # Every resource of the stack carries the same expires-at as the schedule's time.
    tagged = [r for r in result.resources if r.inputs.get("tags")]
    assert tagged and {r.inputs["tags"]["expires-at"] for r in tagged} == {expires}


def test_lease_is_deploy_time_plus_ttl(run):
    from datetime import datetime, timedelta

    before = datetime.now().astimezone()
    result = run(build, config=ephemeral())
    expires = datetime.fromisoformat(result.stack_outputs["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(hours=8) - timedelta(seconds=5) <= expires - before <= timedelta(hours=8, seconds=5)


def test_build_runs_pulumi_destroy_for_this_stack(run):
    result = run(build, config=ephemeral(), stack="feature-x")
    project = result.one("aws:codebuild/project:Project")
    env = {v["name"]: v for v in project.inputs["environment"]["environmentVariables"]}
    assert env["PULUMI_STACK"]["value"] == "feature-x"
    assert env["PULUMI_PROJECT"]["value"] == "groundwork"
    assert env["PULUMI_BACKEND_URL"]["value"] == TEARDOWN["backendUrl"]
    assert env["PULUMI_CONFIG_PASSPHRASE"] == {"name": "PULUMI_CONFIG_PASSPHRASE", "type": "SECRETS_MANAGER",
                                               "value": TEARDOWN["passphraseSecretArn"]}
    commands = yaml.safe_load(project.inputs["source"]["buildspec"])["phases"]["build"]["commands"]
    assert commands[-3:] == ['pulumi login "$PULUMI_BACKEND_URL"', 'pulumi stack select "$PULUMI_STACK"',
                             'pulumi destroy --yes --non-interactive --skip-preview --stack "$PULUMI_STACK"']


def test_buildspec_has_the_structure_codebuild_runs(run):
    """Parsed as CodeBuild parses it (YAML), then checked against the buildspec reference's syntax."""
    project = run(build, config=ephemeral()).one("aws:codebuild/project:Project")
    assert project.inputs["source"] == {"type": "NO_SOURCE", "buildspec": BUILDSPEC}
    assert buildspec.problems(BUILDSPEC) == []
    spec = yaml.safe_load(BUILDSPEC)
    assert str(spec["version"]) == "0.2"  # one shell for all commands: cd and export carry over
    assert spec["env"]["shell"] == "bash"  # the first command reads with process substitution


def test_the_build_writes_a_project_file_pulumi_can_read(tmp_path):
    """Run the buildspec's own printf command: the Pulumi.yaml it writes must parse to the project."""
    commands = yaml.safe_load(BUILDSPEC)["phases"]["build"]["commands"]
    (printf,) = [c for c in commands if c.startswith("printf ")]
    subprocess.run(["bash", "-c", printf], cwd=tmp_path, env={"PULUMI_PROJECT": "groundwork"}, check=True)
    assert yaml.safe_load((tmp_path / "Pulumi.yaml").read_text()) == {"name": "groundwork", "runtime": "python"}


def test_every_variable_the_buildspec_reads_is_set(run):
    project = run(build, config=ephemeral()).one("aws:codebuild/project:Project")
    given = {v["name"] for v in project.inputs["environment"]["environmentVariables"]}
    spec = yaml.safe_load(BUILDSPEC)
    commands = [c for phase in spec["phases"].values() for c in phase["commands"]]
    read = {m for c in commands for m in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", c)}
    set_by_commands = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    assert read - set_by_commands - {"HOME", "PATH"} <= given, read - given


@pytest.mark.parametrize(("text", "expected"), [
    # The defect of issue 12: a plain scalar holding ': ' inside quotes.
    ("version: 0.2\nphases:\n  build:\n    commands:\n      - printf 'name: %s' x > f\n",
     "not valid YAML (line 5, column"),
    ("version: 0.2\nphases:\n  build:\n    commands:\n      - echo name: x\n",
     "phases.build.commands must be a non-empty list of command strings; got a list with dict items"),
    ("version: 1.0\nphases:\n  build:\n    commands: [make]\n", "version = 1.0: allowed 0.1, 0.2"),
    ("phases:\n  build:\n    commands: [make]\n", "version is required"),
    ("version: 0.2\nphases:\n  deploy:\n    commands: [make]\n", "phases.deploy: unknown phase"),
    ("version: 0.2\nphase:\n  build:\n    commands: [make]\n", "unknown top-level key 'phase'"),
    ("version: 0.2\nenv:\n  shell: zsh\nphases:\n  build:\n    commands: [make]\n", "env.shell = 'zsh'"),
    ("version: 0.2\nenv:\n  vars: {A: b}\nphases:\n  build:\n    commands: [make]\n", "env: unknown key 'vars'"),
    ("version: 0.2\nphases:\n  build:\n    commands: make\n", "phases.build.commands must be a non-empty list"),
    ("version: 0.2\nphases:\n  build:\n    on-failure: STOP\n    commands: [make]\n",
     "phases.build.on-failure = 'STOP'"),
    ("version: 0.2\nphases:\n  build:\n    runtime-versions: {python: 3.12}\n    commands: [make]\n",
     "runtime-versions is only allowed in the install phase"),
])
def test_buildspec_check_refuses_what_codebuild_refuses(text, expected):
    found = buildspec.problems(text)
    assert any(expected in problem for problem in found), found

def test_roles_are_least_privilege(run):
    result = run(build, config=ephemeral())
    project = result.one("aws:codebuild/project:Project")
    policies = {r.name: json.loads(r.inputs["policy"]) for r in result.of_type("aws:iam/rolePolicy:RolePolicy")}
    scheduler = policies["teardown-scheduler-policy"]["Statement"]
    assert scheduler == [{"Effect": "Allow", "Action": "codebuild:StartBuild", "Resource": project.outputs["arn"]}]
    build_statements = {s["Sid"]: s for s in policies["teardown-build-policy"]["Statement"]}
    log_group = result.one("aws:cloudwatch/logGroup:LogGroup")
    assert build_statements["WriteBuildLogs"]["Resource"] == log_group.outputs["arn"] + ":*"
    assert build_statements["AssumeDeployRole"] == {
        "Sid": "AssumeDeployRole", "Effect": "Allow", "Action": "sts:AssumeRole",
        "Resource": TEARDOWN["deployRoleArn"]}
    assert build_statements["ReadBackendSecrets"]["Resource"] == [TEARDOWN["passphraseSecretArn"]]
    for statement in build_statements.values():
        assert "*" not in json.dumps(statement["Action"]) and statement["Resource"] != "*"
    trusts = {r.name: json.loads(r.inputs["assumeRolePolicy"]) for r in result.of_type("aws:iam/role:Role")}
    scheduler_trust = trusts["teardown-scheduler-role"]["Statement"][0]
    assert scheduler_trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert scheduler_trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_non_ephemeral_stacks_have_no_teardown(run):
    result = run(build, config=stack_config())
    assert result.of_type("aws:scheduler/schedule:Schedule") == []


@pytest.mark.parametrize(
    ("teardown", "expected"),
    [
        (None, "groundwork:teardown is required for usage EPHEMERAL"),
        ({**TEARDOWN, "deployRoleArn": "groundwork-deploy"}, "groundwork:teardown.deployRoleArn = 'groundwork-deploy'"),
        ({**TEARDOWN, "backendUrl": "ftp://x"}, "groundwork:teardown.backendUrl = 'ftp://x'"),
        ({**TEARDOWN, "passphrase": "hunter2"}, "groundwork:teardown.passphrase is not a known setting"),
    ],
)
def test_bad_teardown_settings_are_named(run, teardown, expected):
    config = stack_config(usage="EPHEMERAL", teardown=teardown)
    with pytest.raises(ConfigError) as caught:
        run(build, config=config)
    assert expected in str(caught.value)


def test_build_role_has_the_name_the_bootstrap_deploy_role_trusts(run):
    """The OIDC template trusts role/groundwork-teardown-* of its own account; the name must match."""
    result = run(build, config=ephemeral(), stack="feature-x")
    role = result.one("aws:iam/role:Role", "teardown-build-role")
    assert role.inputs["name"] == "groundwork-teardown-feature-x"
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "codebuild.amazonaws.com"}]
    project = result.one("aws:codebuild/project:Project")
    assert project.inputs["serviceRole"] == role.outputs["arn"]
    assert role.outputs["arn"].endswith(":role/groundwork-teardown-feature-x")


def test_a_deploy_role_in_the_stacks_own_account_needs_no_warning(run):
    result = run(build, config=ephemeral(), stack="feature-x")
    assert [w for w in result.warnings() if "deployRoleArn" in w] == []


def test_a_deploy_role_in_another_account_is_warned_about(run):
    other = {**TEARDOWN, "deployRoleArn": "arn:aws:iam::210987654321:role/platform-prod-github-deploy"}
    result = run(build, config=stack_config(usage="EPHEMERAL", ttlHours="8", teardown=other), stack="feature-x")
    (warning,) = [w for w in result.warnings() if "deployRoleArn" in w]
    assert "is in account 210987654321, this stack in 123456789012" in warning
    assert "arn:aws:iam::123456789012:role/groundwork-teardown-feature-x" in warning


IAM_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


@pytest.mark.parametrize(("project", "stack", "expected"), [
    ("groundwork", "feature-x", "groundwork-teardown-feature-x"),
    ("groundwork", "acme/groundwork/feature-x", "groundwork-teardown-feature-x"),
    ("groundwork", "pr-1234.preview_2", "groundwork-teardown-pr-1234.preview_2"),
    ("groundwork", "s" * 44, "groundwork-teardown-" + "s" * 44),
])
def test_role_name_is_readable_when_it_fits(project, stack, expected):
    assert build_role_name(project, stack) == expected
    assert len(expected) <= 64


@pytest.mark.parametrize(("project", "stack"), [
    ("groundwork", "s" * 45),
    ("groundwork", "very-long-feature-branch-name-for-the-new-checkout-flow-preview-environment"),
    ("groundwork", "Feature-X"),
    ("acme-platform", "feature-x"),
    ("groundwork", "x" * 100),
])
def test_role_name_is_cut_with_a_hash_when_it_does_not_fit_or_could_collide(project, stack):
    name = build_role_name(project, stack)
    assert IAM_ROLE_NAME.match(name) and len(name) <= 64
    assert fnmatch.fnmatchcase(name, "groundwork-teardown-*")
    assert re.search(r"-[0-9a-f]{8}$", name)
    assert name == build_role_name(project, stack)  # deterministic: the same stack, the same role


def test_role_names_differ_per_stack_even_where_iam_would_fold_them():
    stacks = ["feature-x", "Feature-X", "FEATURE-X", "x" * 60 + "a", "x" * 60 + "b"]
    names = [build_role_name("groundwork", stack) for stack in stacks]
    names.append(build_role_name("acme", "feature-x"))
    names.append(build_role_name("groundwork", "acme-feature-x"))
    # IAM compares role names without regard to case.
    assert len({name.lower() for name in names}) == len(names)


def test_the_bootstrap_deploy_role_trust_admits_this_build_role(run):
    """End to end on paper: the build role ARN the component declares matches the OIDC template's
    teardown statement once CloudFormation substitutes the same account and the default pattern."""
    from cfnlint.decode import decode_str

    from features.bootstrap.templates import GITHUB_OIDC

    template, _ = decode_str(GITHUB_OIDC.read_text())
    statements = template["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    (teardown,) = [s["Fn::If"][1] for s in statements if "Fn::If" in s]
    pattern = teardown["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"]
    resolved = (pattern.replace("${AWS::Partition}", "aws").replace("${AWS::AccountId}", "123456789012")
                .replace("${TeardownRoleNamePattern}",
                         template["Parameters"]["TeardownRoleNamePattern"]["Default"]))
    for stack in ["feature-x", "PR-1234-" + "x" * 80]:
        role = run(build, config=ephemeral(), stack=stack).one("aws:iam/role:Role", "teardown-build-role")
        assert fnmatch.fnmatchcase(role.outputs["arn"], resolved), (role.outputs["arn"], resolved)
        assert not fnmatch.fnmatchcase(role.outputs["arn"].replace("123456789012", "210987654321"), resolved)


def test_a_stack_whose_roles_lack_the_deploy_roles_boundary_is_warned_about(run):
    warned = [w for w in run(build, config=ephemeral(), stack="feature-x").warnings() if "roleBoundary" in w]
    assert len(warned) == 1 and "groundwork:roleBoundary is not set" in warned[0]
    bounded = run(build, config=ephemeral(roleBoundary="groundwork-workload-boundary"), stack="feature-x")
    assert [w for w in bounded.warnings() if "roleBoundary" in w] == []
    roles = bounded.of_type("aws:iam/role:Role")
    assert len(roles) == 2 and {r.inputs["permissionsBoundary"] for r in roles} == {
        "arn:aws:iam::123456789012:policy/groundwork-workload-boundary"}
