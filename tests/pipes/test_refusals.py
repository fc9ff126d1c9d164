"""Every pitfall is refused before anything is declared, with a message that says why and what to do."""

from __future__ import annotations

import pytest
from groundwork.errors import ConfigError
from groundwork.pipes import (
    ApiGatewayEnrichment,
    DynamoDBStreamSource,
    EventBusTarget,
    KinesisStreamSource,
    LambdaEnrichment,
    LambdaTarget,
    LoggingSettings,
    MskSource,
    SampleEvents,
    SelfManagedKafkaSource,
    SnsTarget,
    SqsSource,
    SqsTarget,
    StepFunctionsEnrichment,
    StepFunctionsTarget,
)

from tests.conftest import stack_config
from tests.pipes.helpers import (
    BUS,
    DDB_STREAM,
    DLQ,
    ENRICHER,
    EXECUTE_API,
    FIFO_QUEUE,
    FUNCTION,
    KINESIS,
    MSK,
    QUEUE,
    STATE_MACHINE,
    TOPIC,
    pipe_inputs,
    pipe_program,
)

TO_LAMBDA = LambdaTarget(function_arn=FUNCTION)
FROM_QUEUE = SqsSource(queue_arn=QUEUE, batch_size=1)


def refused(run, **fields) -> str:
    with pytest.raises(ConfigError) as caught:
        run(pipe_program(**fields))
    return str(caught.value)


def test_standard_step_functions_target_needs_batch_size_one(run):
    message = refused(run, source=SqsSource(queue_arn=QUEUE, batch_size=10),
                      target=StepFunctionsTarget(state_machine_arn=STATE_MACHINE))
    assert "batch_size 10 is too large: a Standard Step Functions target must get batch size 1" in message
    assert "set batch_size=1" in message


def test_standard_step_functions_target_defaults_the_batch_to_one(run):
    result = run(pipe_program(source=SqsSource(queue_arn=QUEUE),
                              target=StepFunctionsTarget(state_machine_arn=STATE_MACHINE)))
    assert pipe_inputs(result)["sourceParameters"]["sqsQueueParameters"] == {"batchSize": 1}


def test_more_than_five_filters(run):
    filters = [{"body": {"kind": [str(n)]}} for n in range(6)]
    message = refused(run, source=FROM_QUEUE, target=TO_LAMBDA, filters=filters)
    assert "6 filters were given; a pipe takes at most 5" in message
    assert "$or" in message


def test_filter_longer_than_4096_characters(run):
    message = refused(run, source=FROM_QUEUE, target=TO_LAMBDA, filters=[{"body": {"id": ["x" * 4100]}}])
    assert "filter #1 is not a valid Pipes event pattern" in message
    assert "the limit is 4096" in message


def test_invalid_filter_names_the_path(run):
    message = refused(run, source=FROM_QUEUE, target=TO_LAMBDA, filters=[{"body": {"amount": [{"numeric": [">"]}]}}])
    assert "filter #1" in message and "body.amount" in message


def test_dead_letter_queue_on_an_sqs_source(run):
    message = refused(run, source=SqsSource(queue_arn=QUEUE, batch_size=1, dead_letter_arn=DLQ), target=TO_LAMBDA)
    assert "a SQS source has no pipe dead-letter queue" in message
    assert "redrive policy" in message


def test_dead_letter_queue_on_an_msk_source(run):
    message = refused(run, source=MskSource(cluster_arn=MSK, topic_name="clicks", batch_size=1, dead_letter_arn=DLQ),
                      target=TO_LAMBDA)
    assert "a MSK source has no pipe dead-letter queue" in message
    assert "blocks the partition" in message


def test_msk_without_dlq_warns_about_the_blocked_partition(run):
    result = run(pipe_program(source=MskSource(cluster_arn=MSK, topic_name="clicks", batch_size=1), target=TO_LAMBDA))
    assert any("blocks the partition" in warning for warning in result.warnings())


@pytest.mark.parametrize("source_type", [MskSource, SelfManagedKafkaSource])
def test_kafka_starting_position_at_timestamp(run, source_type):
    location = ({"cluster_arn": MSK} if source_type is MskSource
                else {"bootstrap_servers": ["b1.kafka.example:9092"]})
    message = refused(run, source=source_type(topic_name="clicks", starting_position="AT_TIMESTAMP", batch_size=1,
                                              **location), target=TO_LAMBDA)
    assert "starting_position 'AT_TIMESTAMP' is not supported" in message
    assert "only LATEST or TRIM_HORIZON" in message


def test_synchronous_lambda_target_past_five_minutes(run):
    message = refused(run, source=FROM_QUEUE, target=LambdaTarget(function_arn=FUNCTION, timeout_seconds=900))
    assert "timeout of 900s but a pipe waits at most 300s" in message
    assert "FIRE_AND_FORGET" in message


def test_lambda_enrichment_past_five_minutes(run):
    message = refused(run, source=FROM_QUEUE, enrichment=LambdaEnrichment(function_arn=ENRICHER, timeout_seconds=600),
                      target=TO_LAMBDA)
    assert "the Lambda enrichment has a timeout of 600s" in message


def test_fan_out_to_many_targets(run):
    message = refused(run, source=FROM_QUEUE, target=[TO_LAMBDA, SnsTarget(topic_arn=TOPIC)])
    assert "2 targets were given, but a pipe delivers to exactly one target" in message
    assert "groundwork.buses" in message and "groundwork.fanout" in message


def test_fifo_sqs_source_is_noted_for_ordering_per_message_group(run):
    result = run(pipe_program(source=SqsSource(queue_arn=FIFO_QUEUE, batch_size=1), target=TO_LAMBDA))
    assert any("order is kept per MessageGroupId" in warning for warning in result.warnings())


def test_standard_workflow_cannot_be_started_synchronously(run):
    message = refused(run, source=FROM_QUEUE, target=StepFunctionsTarget(
        state_machine_arn=STATE_MACHINE, invocation_type="REQUEST_RESPONSE"))
    assert "can only be started asynchronously" in message


def test_standard_workflow_as_enrichment(run):
    message = refused(run, source=FROM_QUEUE, enrichment=StepFunctionsEnrichment(
        state_machine_arn=STATE_MACHINE, workflow_type="STANDARD"), target=TO_LAMBDA)
    assert "must be an Express workflow" in message


def test_api_gateway_enrichment_needs_batch_size_one(run):
    message = refused(run, source=MskSource(cluster_arn=MSK, topic_name="clicks", batch_size=100),
                      enrichment=ApiGatewayEnrichment(execute_api_arn=EXECUTE_API), target=TO_LAMBDA)
    assert "an API Gateway enrichment only accepts batch size 1" in message


def test_batch_larger_than_the_target_accepts(run):
    message = refused(run, source=KinesisStreamSource(stream_arn=KINESIS, batch_size=100),
                      target=EventBusTarget(event_bus_arn=BUS))
    assert "the EventBridge event bus target accepts at most 10 records per call" in message


def test_dead_letter_queue_on_a_stream_source_is_accepted(run):
    result = run(pipe_program(source=DynamoDBStreamSource(stream_arn=DDB_STREAM, batch_size=10, dead_letter_arn=DLQ),
                              target=EventBusTarget(event_bus_arn=BUS)))
    assert pipe_inputs(result)["sourceParameters"]["dynamodbStreamParameters"]["deadLetterConfig"] == {"arn": DLQ}


def test_fifo_sqs_target_needs_a_message_group(run):
    message = refused(run, source=FROM_QUEUE, target=SqsTarget(queue_arn=FIFO_QUEUE))
    assert "needs message_group_id" in message


def test_sns_fifo_topic_target(run):
    message = refused(run, source=FROM_QUEUE, target=SnsTarget(topic_arn=TOPIC + ".fifo"))
    assert "cannot target an SNS FIFO topic" in message


def test_trace_logging_in_production(run):
    message = refused(run, source=FROM_QUEUE, target=TO_LAMBDA, logging=LoggingSettings(level="TRACE"))
    assert "TRACE" in message and "logging.allowTraceInProduction is true" in message


def test_trace_logging_allowed_when_explicit_or_not_production(run):
    explicit = run(pipe_program(source=FROM_QUEUE, target=TO_LAMBDA,
                                logging=LoggingSettings(level="TRACE", allow_trace_in_production=True)))
    assert pipe_inputs(explicit)["logConfiguration"]["level"] == "TRACE"
    poc = run(pipe_program(source=FROM_QUEUE, target=TO_LAMBDA, logging=LoggingSettings(level="TRACE")),
              config=stack_config(usage="POC"))
    assert pipe_inputs(poc)["logConfiguration"]["level"] == "TRACE"


def test_sample_event_dropped_by_the_filters(run):
    samples = SampleEvents(must_match=[{"body": {"type": "refund"}}])
    message = refused(run, source=FROM_QUEUE, target=TO_LAMBDA, filters=[{"body": {"type": ["order"]}}],
                      samples=samples)
    assert "sample event #1 must pass the filters but is dropped (filter #1: body.type)" in message


def test_sample_event_that_should_be_dropped_passes(run):
    samples = SampleEvents(must_not_match=[{"body": {"type": "order"}}])
    message = refused(run, source=FROM_QUEUE, target=TO_LAMBDA,
                      filters=[{"body": {"type": ["refund"]}}, {"body": {"type": ["order"]}}], samples=samples)
    assert "sample event #1 must be dropped but passes filter #2" in message


def test_samples_that_behave_are_accepted(run):
    samples = SampleEvents(must_match=[{"body": {"type": "order"}}], must_not_match=[{"body": {"type": "x"}}])
    result = run(pipe_program(source=FROM_QUEUE, target=TO_LAMBDA, filters=[{"body": {"type": ["order"]}}],
                              samples=samples))
    assert pipe_inputs(result)["sourceParameters"]["filterCriteria"] == {
        "filters": [{"pattern": '{"body":{"type":["order"]}}'}]}


def test_bad_target_template_is_refused(run):
    message = refused(run, source=FROM_QUEUE, target=LambdaTarget(function_arn=FUNCTION, input_template='{"a": <$.x'))
    assert "target input_template: placeholder at offset 6 is not closed" in message


def test_all_problems_are_reported_together(run):
    message = refused(run, source=SqsSource(queue_arn=QUEUE, batch_size=10, dead_letter_arn=DLQ),
                      target=StepFunctionsTarget(state_machine_arn=STATE_MACHINE),
                      filters=[{"a": ["b"]}] * 6)
    assert message.count("\n  - ") == 3


@pytest.mark.parametrize(("source", "expected"), [
    (SqsSource(queue_arn=QUEUE, batch_size=0), "batch_size 0 is outside 1..10000"),
    (SqsSource(queue_arn=QUEUE, batch_size=1, maximum_batching_window_in_seconds=301),
     "maximum_batching_window_in_seconds 301 is outside 0..300"),
    (DynamoDBStreamSource(stream_arn=DDB_STREAM, starting_position="AT_TIMESTAMP", batch_size=1),
     "starting_position 'AT_TIMESTAMP' is not one of TRIM_HORIZON, LATEST for a DynamoDB Streams source"),
    (KinesisStreamSource(stream_arn=KINESIS, starting_position="AT_TIMESTAMP", batch_size=1),
     "starting_position_timestamp is required with AT_TIMESTAMP"),
    (KinesisStreamSource(stream_arn=KINESIS, batch_size=1, parallelization_factor=11), "parallelization_factor 11"),
    (DynamoDBStreamSource(stream_arn=DDB_STREAM, batch_size=1, maximum_record_age_in_seconds=30),
     "maximum_record_age_in_seconds 30 must be -1 (infinite) or 60..604800"),
    (SelfManagedKafkaSource(bootstrap_servers=["broker"], topic_name="t", batch_size=1), "'broker' is not host:port"),
])
def test_source_settings_out_of_range(run, source, expected):
    assert expected in refused(run, source=source, target=TO_LAMBDA)


def test_sqs_to_async_workflow_without_message_id_warns_about_duplicates(run):
    result = run(pipe_program(source=FROM_QUEUE, target=StepFunctionsTarget(state_machine_arn=STATE_MACHINE)))
    assert any("a redelivered message starts a second execution" in w for w in result.warnings())
    keyed = run(pipe_program(source=FROM_QUEUE, target=StepFunctionsTarget(
        state_machine_arn=STATE_MACHINE, input_template='{"idempotencyKey": "<$.messageId>"}')))
    assert not any("second execution" in w for w in keyed.warnings())


def test_stream_dlq_is_noted_as_pointers_only(run):
    result = run(pipe_program(source=DynamoDBStreamSource(stream_arn=DDB_STREAM, batch_size=10, dead_letter_arn=DLQ),
                              target=EventBusTarget(event_bus_arn=BUS)))
    assert any("pointers to the failed stream records" in w for w in result.warnings())
