"""``groundwork:pipes`` end to end: the events-dev stack's offline plan and config validation."""

from __future__ import annotations

import json

import pulumi
import pytest
from groundwork.errors import ConfigError
from groundwork.events.patterns import matches

from features.buses.program import BusTargets
from features.pipes import program as pipes_program
from features.program import build, read_stack
from org.plan.command import plan_stack
from tests.buses.helpers import bus_config, bus_settings
from tests.conftest import stack_config

MSK_BLOCK = {
    "clusterArn": "arn:aws:kafka:eu-west-1:123456789012:cluster/clickstream/7e2c1a3b-0f4d-4c55-9a8e-3b9d2f1c6a70-2",
    "lookupApiArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/lookup",
}
ALL_PATTERNS = {"sqsToStepFunctions": {}, "dynamodbToEventBus": {}, "kinesisToFirehose": {},
                "sqsEnrichedToStepFunctions": {}, "mskToLambda": MSK_BLOCK}
PATTERN_TYPES = {"groundwork:pipes:SqsToStepFunctions", "groundwork:pipes:DynamoDBStreamToEventBus",
                 "groundwork:pipes:KinesisToFirehose", "groundwork:pipes:SqsEnrichedToStepFunctions",
                 "groundwork:pipes:MskToLambda"}


def pipe_alarms(run):
    """The stack's alarms on pipe metrics (the same stack also has bus and fan-out alarms)."""
    return [a for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
            if a.inputs["namespace"] == "AWS/EventBridge/Pipes"]


@pytest.fixture(scope="module")
def events_dev():
    return plan_stack("events-dev")


def test_events_dev_plan_shows_the_full_platform(events_dev):
    pipes = events_dev.of_type("aws:pipes/pipe:Pipe")
    assert {p.inputs["name"] for p in pipes} == {
        "orders-dev-order-fulfillment", "orders-dev-power-events", "orders-dev-high-value-archive",
        "orders-dev-inquiry-handoff", "orders-dev-clickstream"}
    assert {r.type for r in events_dev.resources} >= PATTERN_TYPES | {
        "aws:sqs/queue:Queue", "aws:dynamodb/table:Table", "aws:kinesis/stream:Stream", "aws:sfn/stateMachine:StateMachine",
        "aws:lambda/function:Function", "aws:cloudwatch/eventBus:EventBus",
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "aws:s3/bucket:Bucket", "aws:sns/topic:Topic"}
    assert len(pipe_alarms(events_dev)) == 15


def test_pipes_point_at_the_declared_sources_and_targets(events_dev):
    pipe = {p.inputs["name"]: p.inputs for p in events_dev.of_type("aws:pipes/pipe:Pipe")}
    table = events_dev.one("aws:dynamodb/table:Table", "powers")
    assert pipe["orders-dev-power-events"]["source"] == table.outputs["streamArn"]
    assert pipe["orders-dev-power-events"]["target"] == events_dev.one(
        "aws:cloudwatch/eventBus:EventBus", "bus-orders-bus").outputs["arn"]
    assert pipe["orders-dev-order-fulfillment"]["source"] == events_dev.one("aws:sqs/queue:Queue", "orders").outputs["arn"]
    assert pipe["orders-dev-high-value-archive"]["target"] == events_dev.one(
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").outputs["arn"]
    assert pipe["orders-dev-inquiry-handoff"]["enrichment"] == events_dev.one(
        "aws:lambda/function:Function", "inquiry-enricher").outputs["arn"]
    assert pipe["orders-dev-clickstream"]["desiredState"] == "STOPPED"
    assert pipe["orders-dev-power-events"]["targetParameters"]["eventbridgeEventBusParameters"] == {
        "detailType": "power.updated", "source": "com.acme.orders.power-api"}


def test_power_events_reach_the_rules_of_the_stacks_orders_bus(events_dev):
    """pipe -> orders bus -> rule -> buffer: one bus, the pipe may put events on exactly that bus."""
    bus = events_dev.one("aws:cloudwatch/eventBus:EventBus")  # the example bus of its own is gone
    assert bus.name == "bus-orders-bus" and bus.inputs["name"] == "orders-dev-orders"
    pipe = events_dev.one("aws:pipes/pipe:Pipe", "power-events")
    assert pipe.inputs["target"] == bus.outputs["arn"] == "arn:aws:events:eu-west-1:123456789012:event-bus/orders-dev-orders"
    role_policy = json.loads(events_dev.one("aws:iam/rolePolicy:RolePolicy", "power-events-policy").inputs["policy"])
    put = [s for s in role_policy["Statement"] if any(a.startswith("events:") for a in s["Action"])]
    assert put == [{"Sid": "PutEventsOnTargetBus", "Effect": "Allow", "Action": ["events:PutEvents"],
                    "Resource": bus.outputs["arn"]}]
    rule = events_dev.one("aws:cloudwatch/eventRule:EventRule", "bus-orders-power-updated-to-buffer-rule")
    assert rule.inputs["eventBusName"] == bus.outputs["name"]
    parameters = pipe.inputs["targetParameters"]["eventbridgeEventBusParameters"]
    emitted = {"source": parameters["source"], "detail-type": parameters["detailType"], "detail": {"subjectId": "b-7"}}
    assert matches(json.loads(rule.inputs["eventPattern"]), emitted)
    target = events_dev.one("aws:cloudwatch/eventTarget:EventTarget",
                            "bus-orders-power-updated-to-buffer-power-history-target")
    assert target.inputs["rule"] == rule.outputs["name"]
    assert target.inputs["arn"] == events_dev.one(
        "aws:sqs/queue:Queue", "bus-orders-power-updated-to-buffer-power-history-buffer").outputs["arn"]


def test_without_a_bus_setting_the_pipe_targets_an_example_bus_of_its_own(run):
    config = bus_config(pipes={"dynamodbToEventBus": {}, "alarms": {"notify": False}})
    result = run(build, config=config)
    own = result.one("aws:cloudwatch/eventBus:EventBus", "domain-bus")
    assert own.inputs["name"] == "shop-dev-domain"
    assert {b.name for b in result.of_type("aws:cloudwatch/eventBus:EventBus")} == {"domain-bus", "bus-orders-bus"}
    assert result.one("aws:pipes/pipe:Pipe").inputs["target"] == own.outputs["arn"]
    role_policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy", "power-events-policy").inputs["policy"])
    assert [s["Resource"] for s in role_policy["Statement"] if s["Action"] == ["events:PutEvents"]] == [
        own.outputs["arn"]]


def test_the_bus_setting_targets_the_named_bus_of_the_stack(run):
    settings = bus_settings()
    settings["buses"]["payments"] = {"description": "Payment events"}
    config = bus_config(settings, pipes={"dynamodbToEventBus": {"bus": "payments"}, "alarms": {"notify": False}})
    result = run(build, config=config)
    assert {b.inputs["name"] for b in result.of_type("aws:cloudwatch/eventBus:EventBus")} == {
        "shop-dev-orders", "shop-dev-payments"}
    payments = result.one("aws:cloudwatch/eventBus:EventBus", "bus-payments-bus")
    assert result.one("aws:pipes/pipe:Pipe").inputs["target"] == payments.outputs["arn"]


def test_a_pipe_whose_events_no_rule_of_the_bus_selects_is_warned_about(run):
    pipes = {"dynamodbToEventBus": {"bus": "orders", "eventSource": "com.acme.power", "detailType": "power.updated"},
             "alarms": {"notify": False}}
    warned = run(build, config=bus_config(pipes=pipes)).warnings()
    assert [w for w in warned if "dynamodbToEventBus" in w] == [
        "groundwork:pipes.dynamodbToEventBus: the pipe puts events with source 'com.acme.power' and detail-type "
        "'power.updated' on bus 'orders', but no enabled rule of that bus selects them: add a rule under "
        "groundwork:eventBuses.buses.orders.rules or they reach no target"]
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["power"] = {
        "pattern": {"source": [{"prefix": "com.acme."}], "detail": {"subjectId": [{"exists": True}]}},
        "targets": [{"type": "sqsBuffer", "name": "power"}]}
    warned = run(build, config=bus_config(settings, pipes=pipes)).warnings()
    assert [w for w in warned if "dynamodbToEventBus" in w] == []


@pytest.mark.parametrize(("extra", "known"), [
    ({"eventBuses": bus_settings(), "partnerClientSecret": "s3cr3t-value"}, "known buses: orders"),
    ({}, "known buses: none (groundwork:eventBuses is not set in this stack)"),
])
def test_an_unknown_bus_is_refused_naming_the_key_value_and_known_buses(run, extra, known):
    pipes = {"dynamodbToEventBus": {"bus": "payments"}, "alarms": {"notify": False}}
    with pytest.raises(ConfigError) as caught:
        run(build, config=stack_config(pipes=pipes, **extra))
    message = str(caught.value)
    assert message.count("groundwork:pipes.dynamodbToEventBus.bus = 'payments' is not a bus declared under "
                         "groundwork:eventBuses in this stack") == 1
    assert known in message


def test_an_unknown_bus_declares_no_pipe_resource(run):
    def program():
        try:
            pipes_program.FEATURE.build(read_stack(pulumi.Config("groundwork")),
                                        {"dynamodbToEventBus": {"bus": "orders"}}, BusTargets())
        except ConfigError as error:
            pulumi.export("error", str(error))

    result = run(program)
    assert "'orders' is not a bus declared under groundwork:eventBuses" in result.stack_outputs["error"]
    assert result.resources == []


def test_every_pipe_and_alarm_is_tagged_and_alarms_notify_the_encrypted_topic(events_dev):
    topic = events_dev.one("aws:sns/topic:Topic", "pipe-alarms-topic")
    assert topic.inputs["kmsMasterKeyId"] == events_dev.one("aws:kms/key:Key").outputs["arn"]
    for pipe in events_dev.of_type("aws:pipes/pipe:Pipe"):
        assert pipe.inputs["tags"]["context"] == "orders" and pipe.inputs["tags"]["usage"] == "POC"
    for alarm in pipe_alarms(events_dev):
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]


def test_example_roles_are_scoped(events_dev):
    policies = {r.name: json.loads(r.inputs["policy"]) for r in events_dev.of_type("aws:iam/rolePolicy:RolePolicy")}
    table = events_dev.one("aws:dynamodb/table:Table", "idempotency-keys")
    assert policies["fulfillment-sfn-policy"]["Statement"] == [{
        "Sid": "RecordIdempotencyKey", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
        "Resource": table.outputs["arn"]}]
    enricher = {s["Sid"]: s for s in policies["inquiry-enricher-fn-policy"]["Statement"]}
    assert enricher["AskModel"]["Resource"] == (
        "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0")
    for name, policy in policies.items():
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in action for action in actions), name
    bucket_policy = json.loads(events_dev.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert bucket_policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_state_machine_deduplicates_on_the_idempotency_key(events_dev):
    definition = json.loads(events_dev.one("aws:sfn/stateMachine:StateMachine", "fulfillment").inputs["definition"])
    claim = definition["States"]["ClaimIdempotencyKey"]
    assert claim["Parameters"]["Item"] == {"pk": {"S.$": "$[0].idempotencyKey"}}
    assert claim["Parameters"]["ConditionExpression"] == "attribute_not_exists(pk)"
    assert claim["Catch"][0]["Next"] == "AlreadyProcessed"


def test_only_enabled_patterns_are_deployed(run):
    result = run(build, config=stack_config(pipes={"kinesisToFirehose": {}, "alarms": {"notify": False}}))
    assert [p.inputs["name"] for p in result.of_type("aws:pipes/pipe:Pipe")] == ["shop-dev-high-value-archive"]
    # The only queue is the Kinesis pipe's own on-failure queue; no alarm topic without notify.
    assert [q.inputs["name"] for q in result.of_type("aws:sqs/queue:Queue")] == ["shop-dev-high-value-archive-failed"]
    assert result.of_type("aws:sns/topic:Topic") == []


@pytest.mark.parametrize(("pipes", "expected"), [
    ({"mskToLambda": {**MSK_BLOCK, "clusterArn": "my-cluster"}}, "groundwork:pipes.mskToLambda.clusterArn = 'my-cluster'"),
    ({"kinesisToFirehose": {"batch": 5}}, "groundwork:pipes.kinesisToFirehose.batch is not a known setting"),
    ({"mskToLambda": {"topicName": "clicks"}}, "groundwork:pipes.mskToLambda.clusterArn is required"),
    ({"logging": {"level": "DEBUG"}}, "groundwork:pipes.logging.level = 'DEBUG'"),
    ({"desiredState": "PAUSED"}, "groundwork:pipes.desiredState = 'PAUSED'"),
    (["sqsToStepFunctions"], "groundwork:pipes must be an object"),
])
def test_bad_config_is_named(run, pipes, expected):
    with pytest.raises(ConfigError) as caught:
        run(build, config=stack_config(pipes=pipes))
    assert expected in str(caught.value)


def test_a_refused_design_declares_nothing(run):
    settings = {**ALL_PATTERNS, "logging": {"level": "TRACE"}}  # TRACE in a PRODUCTION stack

    def program():
        try:
            pipes_program.FEATURE.build(read_stack(pulumi.Config("groundwork")), settings, BusTargets())
        except ConfigError as error:
            pulumi.export("error", str(error))

    result = run(program)
    assert "logging.allowTraceInProduction is true" in result.stack_outputs["error"]
    assert result.resources == []


def test_all_patterns_deploy_in_a_production_stack(run):
    result = run(build, config=stack_config(pipes=ALL_PATTERNS))
    assert len(result.of_type("aws:pipes/pipe:Pipe")) == 5
    assert result.stack_outputs["pipes"]["clickstream"]["desiredState"] == "RUNNING"


def test_config_samples_are_checked_against_the_pattern_filter(run):
    samples = {"mustMatch": [{"eventName": "REMOVE", "dynamodb": {"Keys": {"pk": {"S": "a"}}}}]}
    with pytest.raises(ConfigError) as caught:
        run(build, config=stack_config(pipes={"dynamodbToEventBus": {"samples": samples}}))
    message = str(caught.value)
    assert "Invalid stack config (groundwork:pipes.dynamodbToEventBus)" in message
    assert "sample event #1 must pass the filters but is dropped (filter #1: eventName)" in message


def test_config_samples_check_the_kinesis_threshold(run):
    block = {"minimumAmount": 100, "samples": {"mustNotMatch": [{"data": {"eventType": "refund", "amount": 100}}]}}
    with pytest.raises(ConfigError, match="sample event #1 must be dropped but passes filter #1"):
        run(build, config=stack_config(pipes={"kinesisToFirehose": block}))


def test_template_paths_missing_from_a_sample_are_warned(run):
    samples = {"mustMatch": [{"eventName": "INSERT", "dynamodb": {"NewImage": {"other": {"S": "x"}}}}]}
    result = run(build, config=stack_config(pipes={"dynamodbToEventBus": {"samples": samples}}))
    assert any("<$.dynamodb.NewImage.subjectId.S> does not resolve in the sample event" in w
               for w in result.warnings())
