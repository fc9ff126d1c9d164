"""EventPipe as a whole: role trust and ordering, logging, alarms, the alarm topic, desired state."""

from __future__ import annotations

import json
import re

import pytest
from groundwork.errors import ConfigError
from groundwork.pipes import (
    METRIC_NAMESPACE,
    AlarmSettings,
    LambdaTarget,
    LoggingSettings,
    SqsSource,
)

from tests.pipes.helpers import (
    ACCOUNT,
    FUNCTION,
    PIPE_ARN,
    QUEUE,
    REGION,
    pipe_inputs,
    pipe_program,
    statements,
)

BASIC = dict(source=SqsSource(queue_arn=QUEUE, batch_size=1), target=LambdaTarget(function_arn=FUNCTION))
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_role_trusts_only_pipes_for_this_account_and_this_pipe(run):
    result = run(pipe_program(**BASIC))
    trust = json.loads(result.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [{
        "Effect": "Allow",
        "Principal": {"Service": "pipes.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": PIPE_ARN}},
    }]
    assert pipe_inputs(result)["name"] == "shop-dev-orders"


def test_pipe_waits_for_its_role_policy(run):
    result = run(pipe_program(**BASIC))
    pipe = result.one("aws:pipes/pipe:Pipe")
    policy = result.one("aws:iam/rolePolicy:RolePolicy")
    role = result.one("aws:iam/role:Role")
    assert policy.urn in pipe.dependencies
    assert pipe.inputs["roleArn"] == role.outputs["arn"]
    assert policy.inputs["role"] == role.outputs["id"]


def test_every_child_is_parented_to_the_component(run):
    result = run(pipe_program(**BASIC))
    component = result.one("groundwork:pipes:EventPipe")
    assert {r.parent for r in result.resources if r is not component} == {component.urn}


def test_logging_defaults_to_error_in_a_retained_log_group(run):
    result = run(pipe_program(**BASIC))
    log_group = result.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["name"] == "/aws/vendedlogs/pipes/shop-dev-orders"
    assert log_group.inputs["retentionInDays"] == 30
    assert pipe_inputs(result)["logConfiguration"] == {
        "level": "ERROR", "cloudwatchLogsLogDestination": {"logGroupArn": log_group.outputs["arn"]}}
    assert statements(result)["WritePipeLogs"] == {
        "Sid": "WritePipeLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": log_group.outputs["arn"] + ":*"}


def test_logging_level_and_execution_data_are_configurable(run):
    result = run(pipe_program(**BASIC, logging=LoggingSettings(level="INFO", include_execution_data=True,
                                                               allow_trace_in_production=True, retention_in_days=7)))
    config = pipe_inputs(result)["logConfiguration"]
    assert config["level"] == "INFO" and config["includeExecutionDatas"] == ["ALL"]
    assert result.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 7


def test_logging_off_has_no_log_group_and_warns(run):
    result = run(pipe_program(**BASIC, logging=LoggingSettings(level="OFF")))
    assert result.of_type("aws:cloudwatch/logGroup:LogGroup") == []
    assert pipe_inputs(result)["logConfiguration"] == {"level": "OFF"}
    assert "WritePipeLogs" not in statements(result)
    assert any("logging is OFF" in w for w in result.warnings())


def test_alarms_watch_the_namespace_aws_publishes_with_kraken_defaults(run):
    result = run(pipe_program(**BASIC))
    alarms = {a.inputs["metricName"]: a.inputs for a in result.of_type(ALARM)}
    assert set(alarms) == {"ExecutionFailed", "ExecutionThrottled", "ExecutionTimeout"}
    for metric, alarm in alarms.items():
        assert alarm["namespace"] == METRIC_NAMESPACE == "AWS/EventBridge/Pipes"
        assert alarm["dimensions"] == {"PipeName": "shop-dev-orders"}
        assert alarm["name"] == f"shop-dev-orders-{metric}"
        assert (alarm["period"], alarm["evaluationPeriods"], alarm["threshold"]) == (60, 15, 0)
        assert alarm["statistic"] == "Sum"
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm["alarmActions"] == []


def test_alarm_thresholds_are_configurable_and_notify_a_given_topic(run):
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"
    result = run(pipe_program(**BASIC, alarms=AlarmSettings(evaluation_periods=5, threshold=2, period_seconds=300,
                                                            topic_arn=topic, metrics=("ExecutionFailed",))))
    (alarm,) = result.of_type(ALARM)
    assert (alarm.inputs["evaluationPeriods"], alarm.inputs["threshold"], alarm.inputs["period"]) == (5, 2, 300)
    assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["okActions"] == [topic]


def test_created_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(run):
    result = run(pipe_program(**BASIC, alarms=AlarmSettings(create_topic=True)))
    topic = result.one("aws:sns/topic:Topic")
    key = result.one("aws:kms/key:Key")
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    policy = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert policy["CloudWatchAlarmsPublish"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert policy["CloudWatchAlarmsPublish"]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert all("*" not in action for s in policy.values() for action in s["Action"])
    assert {tuple(a.inputs["alarmActions"]) for a in result.of_type(ALARM)} == {(topic.outputs["arn"],)}


def test_alarms_can_be_switched_off(run):
    assert run(pipe_program(**BASIC, alarms=AlarmSettings(enabled=False))).of_type(ALARM) == []


@pytest.mark.parametrize(("settings", "expected"), [
    (AlarmSettings(metrics=("Invocations",)), "alarm metrics ['Invocations'] are not among"),
    (AlarmSettings(period_seconds=45), "alarm period_seconds 45 must be 10, 20, 30 or a multiple of 60"),
    (AlarmSettings(evaluation_periods=0), "alarm evaluation_periods 0 must be 1..100"),
])
def test_bad_alarm_settings(run, settings, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        run(pipe_program(**BASIC, alarms=settings))


@pytest.mark.parametrize("state", ["RUNNING", "STOPPED"])
def test_desired_state_is_exposed_for_staged_cut_over(run, state):
    assert pipe_inputs(run(pipe_program(**BASIC, desired_state=state)))["desiredState"] == state


def test_pipe_name_too_long_is_refused(run):
    with pytest.raises(ConfigError, match="must be 1-64 characters"):
        run(pipe_program(**BASIC, pipe_name="x" * 60))
