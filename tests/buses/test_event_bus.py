"""EventBusPlatform under mocks: bus, archive, discovery, producer policy, rules, targets, DLQs."""

from __future__ import annotations

import json

import pulumi
import pytest

from features.program import build
from tests.buses.helpers import bus_config, bus_settings

BUS_ARN = "arn:aws:events:eu-west-1:123456789012:event-bus/shop-dev-orders"


def test_bus_archive_and_schema_discovery(run):
    result = run(build, config=bus_config())
    component = result.one("groundwork:events:EventBusPlatform", "bus-orders")
    bus = result.one("aws:cloudwatch/eventBus:EventBus")
    assert bus.inputs["name"] == "shop-dev-orders"
    assert bus.parent == component.urn
    archive = result.one("aws:cloudwatch/eventArchive:EventArchive")
    assert archive.inputs["eventSourceArn"] == BUS_ARN
    assert archive.inputs["retentionDays"] == 30
    assert result.one("aws:schemas/discoverer:Discoverer").inputs["sourceArn"] == BUS_ARN
    assert result.stack_outputs["eventBusArns"] == {"orders": BUS_ARN}


def test_archive_and_discovery_are_optional(run):
    settings = bus_settings(archive=None, schemaDiscovery=False)
    del settings["buses"]["orders"]["archive"]
    result = run(build, config=bus_config(settings))
    assert not result.of_type("aws:cloudwatch/eventArchive:EventArchive")
    assert not result.of_type("aws:schemas/discoverer:Discoverer")


def test_bus_policy_lets_only_the_named_producer_accounts_put_events(run):
    settings = bus_settings(producers=["shop-prod", "payments-prod"])
    settings["accountIds"]["payments-prod"] = "444455556666"
    settings["accountIds"]["unused-account"] = "777788889999"
    result = run(build, config=bus_config(settings))
    policy = json.loads(result.one("aws:cloudwatch/eventBusPolicy:EventBusPolicy").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == BUS_ARN
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::111122223333:root",
                                              "arn:aws:iam::444455556666:root"]}


def test_no_producers_no_bus_policy(run):
    result = run(build, config=bus_config(bus_settings(producers=[])))
    assert not result.of_type("aws:cloudwatch/eventBusPolicy:EventBusPolicy")


def test_producer_ids_come_from_the_org_feature_when_it_is_in_the_stack(run):
    import pulumi

    import features.buses.program as buses
    from features.organization.source import OrgSource
    from features.program import read_stack
    from org.inputs import OrgDataLoads

    declared_org = OrgSource(OrgDataLoads(), account_ids={"shop-prod": pulumi.Output.from_input("210987654321")})

    def with_org():
        stack = read_stack(pulumi.Config("groundwork"))
        buses.FEATURE.build(stack, bus_settings(), declared_org)  # accountIds says 111122223333: the org wins

    result = run(with_org, config=bus_config())
    policy = json.loads(result.one("aws:cloudwatch/eventBusPolicy:EventBusPolicy").inputs["policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": ["arn:aws:iam::210987654321:root"]}


def test_program_publishes_its_buses_for_later_features(run):
    def program():
        buses = build().event_buses
        pulumi.export("published", {name: {"arn": bus.bus_arn, "name": bus.bus_name} for name, bus in buses.items()})

    result = run(program, config=bus_config())
    bus = result.one("aws:cloudwatch/eventBus:EventBus", "bus-orders-bus")
    assert result.stack_outputs["published"] == {"orders": {"arn": bus.outputs["arn"], "name": bus.outputs["name"]}}


def test_rules_carry_the_validated_pattern_on_the_bus(run):
    result = run(build, config=bus_config())
    rule = result.one("aws:cloudwatch/eventRule:EventRule", "bus-orders-placed-to-buffer-rule")
    assert rule.inputs["name"] == "shop-dev-orders-placed-to-buffer"
    assert rule.inputs["eventBusName"] == "shop-dev-orders"
    assert rule.inputs["state"] == "ENABLED"
    assert json.loads(rule.inputs["eventPattern"]) == {"source": ["com.acme.orders"],
                                                       "detail-type": ["order.placed"]}


def test_every_target_has_retry_policy_and_its_own_dlq_only_this_rule_may_fill(run):
    result = run(build, config=bus_config())
    targets = result.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert {t.inputs["targetId"] for t in targets} == {"importer", "partner"}
    expected_retry = {"importer": (3600, 20), "partner": (7200, 50)}
    for target in targets:
        tid = target.inputs["targetId"]
        retry = target.inputs["retryPolicy"]
        assert (retry["maximumEventAgeInSeconds"], retry["maximumRetryAttempts"]) == expected_retry[tid]
        rule_name = target.inputs["rule"]
        rule = next(r for r in result.of_type("aws:cloudwatch/eventRule:EventRule")
                    if r.inputs["name"] == rule_name)
        dlq_arn = target.inputs["deadLetterConfig"]["arn"]
        dlq = next(q for q in result.of_type("aws:sqs/queue:Queue") if q.outputs["arn"] == dlq_arn)
        assert dlq.inputs["messageRetentionSeconds"] == 1209600
        assert dlq.inputs["sqsManagedSseEnabled"] is True
        assert "fifoQueue" not in dlq.inputs  # EventBridge DLQs are standard queues
        policy = next(p for p in result.of_type("aws:sqs/queuePolicy:QueuePolicy")
                      if p.inputs["queueUrl"] == dlq.outputs["url"])
        allow = json.loads(policy.inputs["policy"])["Statement"][0]
        assert allow["Principal"] == {"Service": "events.amazonaws.com"}
        assert allow["Action"] == "sqs:SendMessage"
        assert allow["Resource"] == dlq_arn
        assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": [rule.outputs["arn"]]}}
        assert policy.urn in target.dependencies


def test_every_target_dlq_has_a_depth_alarm(run):
    config = bus_config(bus_settings())
    config["groundwork:eventBuses"]["alarmTopicArn"] = "arn:aws:sns:eu-west-1:123456789012:ops-alerts"
    result = run(build, config=config)
    alarms = {a.name: a for a in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    alarm = alarms["bus-orders-shipped-to-partner-partner-dlq-alarm"]
    dlq = result.one("aws:sqs/queue:Queue", "bus-orders-shipped-to-partner-partner-dlq")
    assert alarm.inputs["namespace"] == "AWS/SQS"
    assert alarm.inputs["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm.inputs["dimensions"] == {"QueueName": dlq.outputs["name"]}
    assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm.inputs["threshold"] == 0
    assert alarm.inputs["alarmActions"] == ["arn:aws:sns:eu-west-1:123456789012:ops-alerts"]
    assert "bus-orders-placed-to-buffer-importer-dlq-alarm" in alarms
    buffer_alarm = alarms["bus-orders-placed-to-buffer-importer-buffer-dlq-alarm"]
    assert buffer_alarm.inputs["dimensions"] == {"QueueName": "shop-dev-orders-placed-to-buffer-importer-buffer-dlq"}


def test_sqs_buffer_target_is_an_encrypted_queue_only_the_rule_can_send_to(run):
    result = run(build, config=bus_config())
    buffer = result.one("aws:sqs/queue:Queue", "bus-orders-placed-to-buffer-importer-buffer")
    target = result.one("aws:cloudwatch/eventTarget:EventTarget", "bus-orders-placed-to-buffer-importer-target")
    assert target.inputs["arn"] == buffer.outputs["arn"]
    assert "roleArn" not in target.inputs
    assert buffer.inputs["sqsManagedSseEnabled"] is True
    redrive = json.loads(buffer.inputs["redrivePolicy"])
    buffer_dlq = result.one("aws:sqs/queue:Queue", "bus-orders-placed-to-buffer-importer-buffer-dlq")
    assert redrive == {"deadLetterTargetArn": buffer_dlq.outputs["arn"], "maxReceiveCount": 5}
    rule = result.one("aws:cloudwatch/eventRule:EventRule", "bus-orders-placed-to-buffer-rule")
    policy = json.loads(result.one("aws:sqs/queuePolicy:QueuePolicy",
                                   "bus-orders-placed-to-buffer-importer-buffer-policy").inputs["policy"])
    assert policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] == [rule.outputs["arn"]]


def test_fifo_buffer_sets_the_message_group(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["targets"] = [
        {"type": "sqsBuffer", "name": "importer", "fifo": True, "messageGroupId": "orders"}]
    result = run(build, config=bus_config(settings))
    buffer = result.one("aws:sqs/queue:Queue", "bus-orders-placed-to-buffer-importer-buffer")
    assert buffer.inputs["fifoQueue"] is True
    assert buffer.inputs["name"].endswith(".fifo")
    buffer_dlq = result.one("aws:sqs/queue:Queue", "bus-orders-placed-to-buffer-importer-buffer-dlq")
    assert buffer_dlq.inputs["fifoQueue"] is True  # SQS: a FIFO queue's DLQ must be FIFO
    target = result.one("aws:cloudwatch/eventTarget:EventTarget", "bus-orders-placed-to-buffer-importer-target")
    assert target.inputs["sqsTarget"] == {"messageGroupId": "orders"}


def test_lambda_target_gets_an_invoke_permission_scoped_to_its_rule(run):
    settings = bus_settings()
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:notify"
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["targets"].append(
        {"type": "lambda", "name": "notify", "functionArn": arn})
    result = run(build, config=bus_config(settings))
    permission = result.one("aws:lambda/permission:Permission")
    rule = result.one("aws:cloudwatch/eventRule:EventRule", "bus-orders-placed-to-buffer-rule")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["function"] == arn
    assert permission.inputs["sourceArn"] == rule.outputs["arn"]
    target = result.one("aws:cloudwatch/eventTarget:EventTarget", "bus-orders-placed-to-buffer-notify-target")
    assert target.inputs["arn"] == arn


def test_disabled_rule(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["enabled"] = False
    result = run(build, config=bus_config(settings))
    assert result.one("aws:cloudwatch/eventRule:EventRule", "bus-orders-placed-to-buffer-rule").inputs[
        "state"] == "DISABLED"


def test_every_resource_is_a_child_of_the_component(run):
    result = run(build, config=bus_config())
    component = result.one("groundwork:events:EventBusPlatform")
    api = result.one("groundwork:events:ApiDestination")
    assert api.parent == component.urn
    for resource in result.resources:
        if resource.type.startswith("aws:"):
            assert resource.parent in (component.urn, api.urn), resource.name


def test_component_used_directly_as_documented(run):
    from groundwork.buses.bus import EventBusArgs, EventBusPlatform
    from groundwork.buses.rules import Rule, SqsBufferTarget
    from groundwork.context import context_from_mapping

    ctx = context_from_mapping({"context": "shop", "stage": "dev", "owner": "team-shop@example.com",
                                "usage": "PRODUCTION"})
    built = {}

    def program():
        bus = EventBusPlatform("orders", EventBusArgs(
            context=ctx, bus="orders",
            rules={"placed": Rule(pattern={"source": ["com.acme.orders"]},
                                  targets=[SqsBufferTarget(name="importer")])},
            max_rules_per_bus=50,
        ))
        built["bus"] = bus

    result = run(program)
    bus = built["bus"]
    assert set(bus.buffers["placed"]) == {"importer"} and set(bus.dead_letter_queues["placed"]) == {"importer"}
    assert result.one("aws:cloudwatch/eventRule:EventRule").inputs["name"] == "shop-dev-orders-placed"
    assert not result.of_type("aws:cloudwatch/eventBusPolicy:EventBusPolicy")


def test_component_used_directly_refuses_what_eventbridge_refuses(run):
    """Without the app's config model, the library's typed args are still checked before anything
    is declared: a target on an undeclared API destination, a FIFO buffer without message group,
    a plain-http endpoint, an invalid archive pattern."""
    from groundwork.buses.api_destination import ApiEndpoint, ApiKeyAuth
    from groundwork.buses.bus import Archive, EventBusArgs, check_bus
    from groundwork.buses.rules import ApiDestinationTarget, Rule, SqsBufferTarget
    from groundwork.context import context_from_mapping
    from groundwork.errors import ConfigError

    ctx = context_from_mapping({"context": "shop", "stage": "dev", "owner": "team-shop@example.com",
                                "usage": "PRODUCTION"})
    pattern = {"source": ["com.acme.orders"]}
    refused = {
        "is not one of the bus's API destinations": EventBusArgs(context=ctx, bus="orders", rules={
            "placed": Rule(pattern=pattern, targets=[ApiDestinationTarget(name="partner", destination="nope")])}),
        "a FIFO buffer needs message_group_id": EventBusArgs(context=ctx, bus="orders", rules={
            "placed": Rule(pattern=pattern, targets=[SqsBufferTarget(name="importer", fifo=True)])}),
        "must be an https:// URL": EventBusArgs(
            context=ctx, bus="orders", api_secrets={"partner": "s"},
            api_destinations={"partner": ApiEndpoint(endpoint="http://example.com/hook", auth=ApiKeyAuth())}),
        "invalid event pattern": EventBusArgs(context=ctx, bus="orders",
                                              archive=Archive(retention_days=7, pattern={"source": "x"})),
    }
    for message, args in refused.items():
        with pytest.raises(ConfigError, match=message):
            check_bus("bus", args)
