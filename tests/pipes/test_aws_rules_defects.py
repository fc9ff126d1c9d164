"""Issue 12 defects 4-6 in the pipes components, checked with the policy pack's AWS rules.

4: actions without resource-level permissions get "*", SubscribeToShard a consumer ARN (judged by
the IAM dataset, not by a list in this test). 5: traced example Lambdas may write traces.
6: stream sources bound retries and record age, bisect, and get an alarmed on-failure queue.
"""

from __future__ import annotations

import sys

import pytest
from groundwork.errors import ConfigError
from groundwork.pipes import DynamoDBStreamSource, KinesisStreamSource, MskSource, SqsTarget

from org.plan.command import plan_stack
from tests.pipes.helpers import ACCOUNT, DDB_STREAM, KINESIS, MSK, REGION, TOPIC, pipe_inputs, pipe_program
from tests.policies.conftest import PACK_DIR

if str(PACK_DIR) not in sys.path:
    sys.path.append(str(PACK_DIR))

from groundwork_policies.awsrules import crossresource, documented, iam
from groundwork_policies.framework import Resource

OUT = dict(target=SqsTarget(queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:out"))


def _resource(recorded) -> Resource:
    return Resource(type=recorded.type, name=recorded.name, urn=recorded.urn, props=recorded.inputs)


def _iam_errors(result) -> list[str]:
    policy = result.one("aws:iam/rolePolicy:RolePolicy")
    found = []
    for document in iam.documents(policy.type, policy.inputs):
        found += [r.message(policy.type, policy.name) for r in iam.check_document(document) if r.error]
    return found


@pytest.mark.parametrize("source", [
    DynamoDBStreamSource(stream_arn=DDB_STREAM, batch_size=10),
    KinesisStreamSource(stream_arn=KINESIS, batch_size=10),
    MskSource(cluster_arn=MSK, topic_name="clicks", batch_size=10),
], ids=["dynamodb", "kinesis", "msk"])
def test_defect_4_source_grants_take_effect(run, source):
    """Every action of the role fits its resource per the IAM dataset (ListStreams and
    GetBootstrapBrokers on "*", SubscribeToShard on the stream's consumers)."""
    result = run(pipe_program(source=source, **OUT))
    assert _iam_errors(result) == []


@pytest.fixture(scope="module")
def events_dev():
    return plan_stack("events-dev")


def test_defect_5_traced_example_lambdas_may_write_traces(events_dev):
    resources = [_resource(r) for r in events_dev.resources]
    traced = [r for r in resources if r.type == "aws:lambda/function:Function"
              and r.props.get("tracingConfig", {}).get("mode") == "Active"]
    assert len(traced) >= 2  # the inquiry enricher and the click processor
    assert list(crossresource.traced_functions_write_traces(resources)) == []


@pytest.mark.parametrize(("source", "key"), [
    (DynamoDBStreamSource(stream_arn=DDB_STREAM, batch_size=10), "dynamodbStreamParameters"),
    (KinesisStreamSource(stream_arn=KINESIS, batch_size=10), "kinesisStreamParameters"),
], ids=["dynamodb", "kinesis"])
def test_defect_6_stream_sources_default_to_bounded_retries_and_an_alarmed_failure_queue(run, source, key):
    from groundwork.pipes import AlarmSettings

    result = run(pipe_program(source=source, alarms=AlarmSettings(topic_arn=TOPIC), **OUT))
    params = pipe_inputs(result)["sourceParameters"][key]
    assert params["maximumRetryAttempts"] == 10
    assert params["maximumRecordAgeInSeconds"] == 3600
    assert params["onPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
    queue = result.one("aws:sqs/queue:Queue", "orders-failed")
    assert params["deadLetterConfig"] == {"arn": queue.outputs["arn"]}
    assert queue.inputs["sqsManagedSseEnabled"] is True
    alarm = result.one("aws:cloudwatch/metricAlarm:MetricAlarm", "orders-failed-records")
    assert alarm.inputs["dimensions"] == {"QueueName": queue.outputs["name"]}
    assert alarm.inputs["alarmActions"] == [TOPIC]
    role_policy = result.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"]
    assert '"sqs:SendMessage"' in role_policy and queue.outputs["arn"] in role_policy
    pipe = _resource(result.one("aws:pipes/pipe:Pipe"))
    assert list(documented.stream_failure_handling(pipe)) == []


def test_defect_6_unbounded_retries_and_age_are_refused(run):
    with pytest.raises(ConfigError) as caught:
        run(pipe_program(source=KinesisStreamSource(stream_arn=KINESIS, batch_size=10, maximum_retry_attempts=-1,
                                                    maximum_record_age_in_seconds=-1), **OUT))
    message = str(caught.value)
    assert "maximum_retry_attempts=-1 with maximum_record_age_in_seconds=-1" in message
    assert "set maximum_retry_attempts (0..10000" in message and "maximum_record_age_in_seconds (60..604800" in message


def test_defect_6_a_bounded_age_alone_is_enough(run):
    result = run(pipe_program(source=KinesisStreamSource(stream_arn=KINESIS, batch_size=10, maximum_retry_attempts=-1,
                                                         maximum_record_age_in_seconds=600), **OUT))
    assert pipe_inputs(result)["sourceParameters"]["kinesisStreamParameters"]["maximumRetryAttempts"] == -1
