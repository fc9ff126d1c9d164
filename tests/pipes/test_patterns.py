"""The five ready patterns, compared property by property with the reference snippets.

The REFERENCE_* trees transcribe the article's CloudFormation/Terraform and the Kraken SAM template
(property names as CloudFormation spells them). Each is converted to the engine's camelCase and
every reference property must appear on the declared pipe with the same value, except the
documented deviations (listed per pattern, each with its reason).
"""

from __future__ import annotations

import json
import re

import pytest
from groundwork.context import load_context
from groundwork.errors import ConfigError
from groundwork.pipes import AlarmSettings
from groundwork.pipes.patterns import (
    DynamoDBStreamToEventBus,
    DynamoDBStreamToEventBusArgs,
    KinesisToFirehose,
    KinesisToFirehoseArgs,
    MskToLambda,
    MskToLambdaArgs,
    SqsEnrichedToStepFunctions,
    SqsEnrichedToStepFunctionsArgs,
    SqsToStepFunctions,
    SqsToStepFunctionsArgs,
)

from tests.pipes.helpers import (
    BUS,
    DDB_STREAM,
    ENRICHER,
    EXECUTE_API,
    FIREHOSE,
    FUNCTION,
    KINESIS,
    MSK,
    QUEUE,
    STATE_MACHINE,
    TOPIC,
    pipe_inputs,
)

# Section 3 (CloudFormation), pattern 1.
REFERENCE_SQS_TO_SFN = {
    "Source": QUEUE,
    "SourceParameters": {"SqsQueueParameters": {"BatchSize": 1}},
    "Target": STATE_MACHINE,
    "TargetParameters": {
        "StepFunctionStateMachineParameters": {"InvocationType": "FIRE_AND_FORGET"},
        "InputTemplate": '{\n  "orderId": <$.body.orderId>,\n  "items":   <$.body.items>\n}\n',
    },
}
# Section 4 (Terraform), pattern 2.
REFERENCE_DDB_TO_BUS_TERRAFORM = {
    "Source": DDB_STREAM,
    "SourceParameters": {"DynamoDBStreamParameters": {"StartingPosition": "LATEST", "BatchSize": 10}},
    "Target": BUS,
    "TargetParameters": {"EventBridgeEventBusParameters": {"DetailType": "user.updated",
                                                           "Source": "com.example.user-service"}},
}
# Kraken write-up (SAM), pattern 2 as run in production, and its ExecutionFailed alarm.
REFERENCE_KRAKEN = {
    "DesiredState": "RUNNING",
    "Source": DDB_STREAM,
    "SourceParameters": {
        "DynamoDBStreamParameters": {"BatchSize": 10, "MaximumBatchingWindowInSeconds": 5,
                                     "OnPartialBatchItemFailure": "AUTOMATIC_BISECT", "StartingPosition": "TRIM_HORIZON"},
        "FilterCriteria": {"Filters": [{"Pattern": '{ "eventName": ["INSERT", "MODIFY"] }'}]},
    },
    "Target": BUS,
    "TargetParameters": {"InputTemplate": '{ "subjectId": <$.dynamodb.NewImage.subjectId.S> }'},
}
REFERENCE_KRAKEN_ALARM = {
    "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 15, "MetricName": "ExecutionFailed",
    "Namespace": "AWS/EventBridge/Pipes", "Period": 60, "Statistic": "Sum", "Threshold": 0,
    "TreatMissingData": "notBreaching", "AlarmActions": [TOPIC], "OKActions": [TOPIC],
}
# Section 5 (CloudFormation), pattern 3.
REFERENCE_KINESIS_TO_FIREHOSE = {
    "Source": KINESIS,
    "SourceParameters": {
        "KinesisStreamParameters": {"StartingPosition": "LATEST", "BatchSize": 100, "MaximumBatchingWindowInSeconds": 5},
        "FilterCriteria": {"Filters": [
            {"Pattern": '{"data":{"eventType":["purchase","refund"],"amount":[{"numeric":[">=",100]}]}}'}]},
    },
    "Target": FIREHOSE,
    "TargetParameters": {"InputTemplate": '{\n  "ts":     <$.approximateArrivalTimestamp>,\n'
                                          '  "type":   <$.data.eventType>,\n  "amount": <$.data.amount>,\n'
                                          '  "userId": <$.data.userId>\n}\n'},
}
# Section 6 (CloudFormation), pattern 4.
REFERENCE_SQS_ENRICHED = {
    "Source": QUEUE,
    "SourceParameters": {"SqsQueueParameters": {"BatchSize": 1}},
    "Enrichment": ENRICHER,
    "Target": STATE_MACHINE,
    "TargetParameters": {"StepFunctionStateMachineParameters": {"InvocationType": "FIRE_AND_FORGET"}},
}
# Section 7 (CloudFormation), pattern 5.
REFERENCE_MSK_TO_LAMBDA = {
    "Source": MSK,
    "SourceParameters": {"ManagedStreamingKafkaParameters": {"TopicName": "clickstream", "StartingPosition": "LATEST",
                                                             "BatchSize": 100}},
    "Enrichment": EXECUTE_API,
    "EnrichmentParameters": {"HttpParameters": {"HeaderParameters": {"Content-Type": "application/json"}}},
    "Target": FUNCTION,
}

# CloudFormation names whose engine (Pulumi) spelling is not simply lower-camel-case.
RENAMES = {"DynamoDBStreamParameters": "dynamodbStreamParameters",
           "EventBridgeEventBusParameters": "eventbridgeEventBusParameters",
           "OKActions": "okActions"}


def engine_shape(tree, *, keep_keys: bool = False):
    """CloudFormation PascalCase -> the camelCase inputs the engine records (header names kept)."""
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            name = key if keep_keys else RENAMES.get(key, key[:1].lower() + key[1:])
            out[name] = engine_shape(value, keep_keys=key == "HeaderParameters")
        return out
    if isinstance(tree, list):
        return [engine_shape(item) for item in tree]
    return tree


def normalized(template: str) -> str:
    return re.sub(r"\s+", "", template)


def compare(reference: dict, actual: dict, path: str = "") -> list[str]:
    """Every reference property must be in ``actual`` with the same value; returns the differences."""
    differences = []
    for key, expected in reference.items():
        where = f"{path}.{key}" if path else key
        if key not in actual:
            differences.append(f"{where}: missing")
        elif isinstance(expected, dict):
            differences += compare(expected, actual[key], where)
        elif key == "inputTemplate":
            if normalized(expected) != normalized(actual[key]):
                differences.append(f"{where}: {actual[key]!r} != {expected!r}")
        elif key == "filters":
            got = [json.loads(f["pattern"]) for f in actual[key]]
            if got != [json.loads(f["pattern"]) for f in expected]:
                differences.append(f"{where}: {got!r}")
        elif actual[key] != expected:
            differences.append(f"{where}: {actual[key]!r} != {expected!r}")
    return differences


def declare(component, args_type, **fields):
    def program():
        component("pattern", args_type(context=load_context(), **fields))

    return program


def test_sqs_to_step_functions_matches_the_reference_plus_an_idempotency_key(run):
    result = run(declare(SqsToStepFunctions, SqsToStepFunctionsArgs, queue_arn=QUEUE, state_machine_arn=STATE_MACHINE))
    inputs = pipe_inputs(result)
    differences = compare(engine_shape(REFERENCE_SQS_TO_SFN), inputs)
    # Deviation: the template also carries the message id, because the pipe cannot name executions.
    assert differences == [f"targetParameters.inputTemplate: {inputs['targetParameters']['inputTemplate']!r} != "
                           f"{REFERENCE_SQS_TO_SFN['TargetParameters']['InputTemplate']!r}"]
    template = inputs["targetParameters"]["inputTemplate"]
    assert normalized(template) == normalized(
        '{"idempotencyKey": "<$.messageId>", "orderId": <$.body.orderId>, "items": <$.body.items>}')
    assert result.one("groundwork:pipes:SqsToStepFunctions")


def test_sqs_to_step_functions_refuses_a_template_without_the_message_id(run):
    with pytest.raises(ConfigError, match=r"must carry <\$\.messageId>.*a redelivered message starts a second"):
        run(declare(SqsToStepFunctions, SqsToStepFunctionsArgs, queue_arn=QUEUE, state_machine_arn=STATE_MACHINE,
                    input_template='{"orderId": <$.body.orderId>}'))


def test_dynamodb_to_bus_matches_the_kraken_pipe_and_alarm(run):
    result = run(declare(DynamoDBStreamToEventBus, DynamoDBStreamToEventBusArgs, stream_arn=DDB_STREAM,
                         event_bus_arn=BUS, detail_type="power.updated", source="com.example.power-api",
                         alarms=AlarmSettings(topic_arn=TOPIC)))
    inputs = pipe_inputs(result)
    assert compare(engine_shape(REFERENCE_KRAKEN), inputs) == []
    alarm = next(a for a in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
                 if a.inputs["metricName"] == "ExecutionFailed")
    assert compare(engine_shape(REFERENCE_KRAKEN_ALARM), alarm.inputs) == []
    assert alarm.inputs["dimensions"] == {"PipeName": inputs["name"]}


def test_dynamodb_to_bus_matches_the_terraform_snippet(run):
    result = run(declare(DynamoDBStreamToEventBus, DynamoDBStreamToEventBusArgs, stream_arn=DDB_STREAM,
                         event_bus_arn=BUS, detail_type="user.updated", source="com.example.user-service",
                         starting_position="LATEST"))
    assert compare(engine_shape(REFERENCE_DDB_TO_BUS_TERRAFORM), pipe_inputs(result)) == []


def test_kinesis_to_firehose_matches_the_reference(run):
    result = run(declare(KinesisToFirehose, KinesisToFirehoseArgs, stream_arn=KINESIS, delivery_stream_arn=FIREHOSE))
    inputs = pipe_inputs(result)
    assert compare(engine_shape(REFERENCE_KINESIS_TO_FIREHOSE), inputs) == []
    # The filter string is byte-identical to the reference's compact JSON.
    assert inputs["sourceParameters"]["filterCriteria"]["filters"][0]["pattern"] == \
        REFERENCE_KINESIS_TO_FIREHOSE["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"]


def test_sqs_enriched_to_step_functions_matches_the_reference(run):
    result = run(declare(SqsEnrichedToStepFunctions, SqsEnrichedToStepFunctionsArgs, queue_arn=QUEUE,
                         enrichment_function_arn=ENRICHER, state_machine_arn=STATE_MACHINE))
    assert compare(engine_shape(REFERENCE_SQS_ENRICHED), pipe_inputs(result)) == []


def test_msk_to_lambda_matches_the_reference_except_the_batch_size_aws_rejects(run):
    result = run(declare(MskToLambda, MskToLambdaArgs, cluster_arn=MSK, topic_name="clickstream",
                         lookup_api_arn=EXECUTE_API, function_arn=FUNCTION))
    inputs = pipe_inputs(result)
    # Deviation: AWS only accepts batch size 1 with an API Gateway enrichment.
    assert compare(engine_shape(REFERENCE_MSK_TO_LAMBDA), inputs) == [
        "sourceParameters.managedStreamingKafkaParameters.batchSize: 1.0 != 100"]
    assert inputs["sourceParameters"]["managedStreamingKafkaParameters"]["consumerGroupId"] == inputs["name"]


def test_msk_to_lambda_with_the_reference_batch_size_is_refused(run):
    with pytest.raises(ConfigError, match="an API Gateway enrichment only accepts batch size 1"):
        run(declare(MskToLambda, MskToLambdaArgs, cluster_arn=MSK, topic_name="clickstream",
                    lookup_api_arn=EXECUTE_API, function_arn=FUNCTION, batch_size=100))


@pytest.mark.parametrize("state", ["RUNNING", "STOPPED"])
def test_patterns_expose_desired_state(run, state):
    result = run(declare(SqsEnrichedToStepFunctions, SqsEnrichedToStepFunctionsArgs, queue_arn=QUEUE,
                         enrichment_function_arn=ENRICHER, state_machine_arn=STATE_MACHINE, desired_state=state))
    assert pipe_inputs(result)["desiredState"] == state


def test_a_pattern_refuses_another_patterns_args_before_declaring_anything(run):
    """Each pattern takes its own typed args; another pattern's would silently build another pipe."""
    with pytest.raises(TypeError, match="KinesisToFirehose 'mixed' takes KinesisToFirehoseArgs, not "
                                        "SqsToStepFunctionsArgs"):
        run(lambda: KinesisToFirehose("mixed", SqsToStepFunctionsArgs(context=load_context(), queue_arn=QUEUE,
                                                                      state_machine_arn=STATE_MACHINE)))
