"""Ephemeral teardown: the schedule fires at the lease end and may only start this stack's build."""

from __future__ import annotations

import json

import pytest

from components.errors import ConfigError
from components.program import build
from tests.conftest import stack_config

TEARDOWN = {
    "backendUrl": "s3://acme-state/groundwork",
    "deployRoleArn": "arn:aws:iam::210987654321:role/groundwork-deploy",
    "passphraseSecretArn": "arn:aws:secretsmanager:eu-west-1:210987654321:secret:pulumi/pass-AbCdEf",
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
    buildspec = project.inputs["source"]["buildspec"]
    assert 'pulumi destroy --yes --non-interactive --skip-preview --stack "$PULUMI_STACK"' in buildspec
    assert 'pulumi login "$PULUMI_BACKEND_URL"' in buildspec


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
