"""CloudEventsFanout under mocks: topic, per-subscriber queues, DLQs, subscriptions, policies, refusals."""

from __future__ import annotations

import copy
import json

import pytest
from groundwork.errors import ConfigError

from features.program import build
from tests.conftest import assert_refused, stack_config

SUBSCRIBERS = {
    "billing": {"filter": {"source": ["com.acme.orders"], "type": ["order.placed"], "dataversion": ["1.0"]}},
    "shipping": {"filter": {"source": ["com.acme.orders"], "type": ["order.placed"], "dataversion": ["2.0"]}},
    "analytics": {"filter": {"source": ["com.acme.orders"], "type": ["order.*"]}},
}
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:shop-dev-orders"


def fanout_config(**topic_overrides) -> dict:
    topic = {"subscribers": copy.deepcopy(SUBSCRIBERS)}
    topic.update(topic_overrides)
    return stack_config(fanouts={"orders": topic})


def queue_named(result, name):
    return result.one("aws:sqs/queue:Queue", name)


def test_topic_is_encrypted_with_the_aws_managed_key_by_default(run):
    result = run(build, config=fanout_config())
    topic = result.one("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "shop-dev-orders"
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert "fifoTopic" not in topic.inputs
    assert topic.parent == result.one("groundwork:events:CloudEventsFanout").urn
    assert result.stack_outputs["fanoutTopicArns"] == {"orders": TOPIC_ARN}


def test_each_subscriber_gets_raw_delivery_and_a_message_body_filter(run):
    result = run(build, config=fanout_config())
    expected = {
        "billing": {"source": ["com.acme.orders"], "type": ["order.placed"], "dataversion": ["1.0"]},
        "shipping": {"source": ["com.acme.orders"], "type": ["order.placed"], "dataversion": ["2.0"]},
        "analytics": {"source": ["com.acme.orders"], "type": [{"prefix": "order."}]},
    }
    for name, policy in expected.items():
        sub = result.one("aws:sns/topicSubscription:TopicSubscription", f"fanout-orders-{name}-subscription")
        queue = queue_named(result, f"fanout-orders-{name}-queue")
        assert sub.inputs["topic"] == TOPIC_ARN
        assert sub.inputs["protocol"] == "sqs"
        assert sub.inputs["endpoint"] == queue.outputs["arn"]
        assert sub.inputs["rawMessageDelivery"] is True
        assert sub.inputs["filterPolicyScope"] == "MessageBody"
        assert json.loads(sub.inputs["filterPolicy"]) == policy


def test_queues_have_dlq_redrive_and_sse(run):
    result = run(build, config=fanout_config())
    for name in SUBSCRIBERS:
        queue = queue_named(result, f"fanout-orders-{name}-queue")
        dlq = queue_named(result, f"fanout-orders-{name}-dlq")
        assert queue.inputs["name"] == f"shop-dev-orders-{name}"
        assert queue.inputs["sqsManagedSseEnabled"] is True
        assert dlq.inputs["sqsManagedSseEnabled"] is True
        assert json.loads(queue.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"],
                                                             "maxReceiveCount": 5}
        sub = result.one("aws:sns/topicSubscription:TopicSubscription", f"fanout-orders-{name}-subscription")
        assert json.loads(sub.inputs["redrivePolicy"]) == {"deadLetterTargetArn": dlq.outputs["arn"]}


def test_queue_policies_allow_only_this_topic(run):
    result = run(build, config=fanout_config())
    policies = result.of_type("aws:sqs/queuePolicy:QueuePolicy")
    assert len(policies) == 2 * len(SUBSCRIBERS)
    for policy in policies:
        statements = json.loads(policy.inputs["policy"])["Statement"]
        allows = [s for s in statements if s["Effect"] == "Allow"]
        assert allows == [{
            "Sid": "AllowSendFromSource", "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": allows[0]["Resource"],
            "Condition": {"ArnEquals": {"aws:SourceArn": [TOPIC_ARN]}},
        }]
        queue = next(q for q in result.of_type("aws:sqs/queue:Queue") if q.outputs["url"] == policy.inputs["queueUrl"])
        assert allows[0]["Resource"] == queue.outputs["arn"]
        deny = next(s for s in statements if s["Effect"] == "Deny")
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_subscriptions_wait_for_the_queue_policies(run):
    result = run(build, config=fanout_config())
    sub = result.one("aws:sns/topicSubscription:TopicSubscription", "fanout-orders-billing-subscription")
    policy = result.one("aws:sqs/queuePolicy:QueuePolicy", "fanout-orders-billing-queue-policy")
    assert policy.urn in sub.dependencies


def test_given_kms_keys_are_used(run):
    key = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555"
    result = run(build, config=fanout_config(kmsKeyId=key, queueKmsKeyId=key))
    assert result.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == key
    for queue in result.of_type("aws:sqs/queue:Queue"):
        assert queue.inputs["kmsMasterKeyId"] == key
        assert "sqsManagedSseEnabled" not in queue.inputs


def test_fifo_topic_with_content_based_dedup_and_fifo_queues(run):
    result = run(build, config=fanout_config(fifo=True))
    topic = result.one("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "shop-dev-orders.fifo"
    assert topic.inputs["fifoTopic"] is True
    assert topic.inputs["contentBasedDeduplication"] is True
    for queue in result.of_type("aws:sqs/queue:Queue"):
        assert queue.inputs["fifoQueue"] is True
        assert queue.inputs["name"].endswith(".fifo")


def test_dlq_depth_alarms(run):
    result = run(build, config=fanout_config(alarmTopicArn="arn:aws:sns:eu-west-1:123456789012:ops"))
    alarms = result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == len(SUBSCRIBERS)
    alarm = result.one("aws:cloudwatch/metricAlarm:MetricAlarm", "fanout-orders-billing-dlq-alarm")
    assert alarm.inputs["dimensions"] == {"QueueName": "shop-dev-orders-billing-dlq"}
    assert alarm.inputs["alarmActions"] == ["arn:aws:sns:eu-west-1:123456789012:ops"]


def test_unfiltered_subscriber_gets_everything(run):
    config = fanout_config(subscribers={"audit": {}})
    result = run(build, config=config)
    sub = result.one("aws:sns/topicSubscription:TopicSubscription")
    assert "filterPolicy" not in sub.inputs
    assert sub.inputs["rawMessageDelivery"] is True


def test_one_consumer_per_queue_is_wired_with_its_filter(run):
    subscribers = copy.deepcopy(SUBSCRIBERS)
    subscribers["billing"]["consumers"] = [{
        "name": "invoicer", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:invoicer",
        "filter": {"body": {"data": {"amount": [{"numeric": [">", 0]}]}}}}]
    result = run(build, config=fanout_config(subscribers=subscribers))
    mapping = result.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["eventSourceArn"] == queue_named(result, "fanout-orders-billing-queue").outputs["arn"]
    assert json.loads(mapping.inputs["filterCriteria"]["filters"][0]["pattern"]) == {
        "body": {"data": {"amount": [{"numeric": [">", 0]}]}}}
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]


# --- refusals -------------------------------------------------------------------------------


def test_several_filtered_consumers_on_one_queue_are_refused_with_the_hazard(run):
    subscribers = copy.deepcopy(SUBSCRIBERS)
    subscribers["analytics"]["consumers"] = [
        {"name": "placed", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:placed",
         "filter": {"body": {"type": ["order.placed"]}}},
        {"name": "cancelled", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:cancelled",
         "filter": {"body": {"type": ["order.cancelled"]}}},
    ]
    message = assert_refused(run, fanout_config(subscribers=subscribers),
                      "subscriber 'analytics'", "event source of 2 consumers (placed, cancelled)",
                      "lost for the others", "add one subscriber per consumer")
    assert "CloudEventsFanout" in message


def test_several_unfiltered_consumers_only_warn(run):
    subscribers = copy.deepcopy(SUBSCRIBERS)
    subscribers["analytics"]["consumers"] = [
        {"name": "a", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:a"},
        {"name": "b", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:b"},
    ]
    result = run(build, config=fanout_config(subscribers=subscribers))
    assert len(result.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")) == 2
    assert any("each message reaches only one of them" in w for w in result.warnings())


def test_filter_policy_over_the_combination_limit_is_refused(run):
    subscribers = {"noisy": {"filter": {"type": [f"order.t{i}" for i in range(16)],
                                        "dataversion": [f"{i}.0" for i in range(10)]}}}
    assert_refused(run, fanout_config(subscribers=subscribers),
            "CloudEventsFanout 'fanout-orders': subscriber 'noisy'", "160 combinations", "at most 150")


def test_filter_policy_with_too_many_keys_is_refused(run):
    subscribers = {"picky": {"filter": {"type": ["a"], "source": ["s"], "dataversion": ["1"],
                                        "extensions": {"a1": ["x"], "a2": ["y"], "a3": ["z"]}}}}
    assert_refused(run, fanout_config(subscribers=subscribers), "subscriber 'picky'", "SNS allows at most 5 keys")


def test_bad_names_and_settings(run):
    assert_refused(run, stack_config(fanouts={"Orders": {"subscribers": {"a": {}}}}), "groundwork:fanouts",
            "lower-case")
    assert_refused(run, fanout_config(subscribers={}), "groundwork:fanouts.orders.subscribers")
    assert_refused(run, fanout_config(kmsKeyId="my-key"), "groundwork:fanouts.orders.kmsKeyId")
    assert_refused(run, fanout_config(subscribers={"a": {"filter": {"typo": ["x"]}}}),
            "groundwork:fanouts.orders.subscribers.a.filter.typo is not a known setting")
    assert_refused(run, fanout_config(subscribers={"a": {"maxReceiveCount": 0}}), "maxReceiveCount")


def test_invalid_consumer_filter_pattern(run):
    subscribers = {"a": {"consumers": [{"name": "x", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:x",
                                        "filter": {"body": {"type": "order.placed"}}}]}}
    assert_refused(run, fanout_config(subscribers=subscribers), "consumers[0].filter", "not a valid event pattern")


def test_component_used_directly_refuses_before_registering_anything(run):
    from groundwork.context import context_from_mapping
    from groundwork.fanout.component import CloudEventsFanout, CloudEventsFanoutArgs, Subscriber
    from groundwork.fanout.filter_policy import CloudEventsFilter

    ctx = context_from_mapping({"context": "shop", "stage": "dev", "owner": "team-shop@example.com",
                                "usage": "PRODUCTION"})

    def program():
        CloudEventsFanout("orders", CloudEventsFanoutArgs(context=ctx, topic="orders", subscribers=[
            Subscriber("ok", CloudEventsFilter.of(type=["order.placed"])),
            Subscriber("noisy", CloudEventsFilter.of(type=[f"t{i}" for i in range(151)])),
        ]))

    from org.plan.runtime import RecordingMonitor

    recorded = []
    original = RecordingMonitor.RegisterResource

    def spy(self, request):
        recorded.append(request.type)
        return original(self, request)

    RecordingMonitor.RegisterResource = spy
    try:
        with pytest.raises(ConfigError, match="subscriber 'noisy': filter policy is too complex: 151 = 151"):
            run(program)
    finally:
        RecordingMonitor.RegisterResource = original
    assert [t for t in recorded if t != "pulumi:pulumi:Stack"] == []


def test_subscriber_samples_that_agree_with_the_filter_pass(run):
    subscribers = copy.deepcopy(SUBSCRIBERS)
    subscribers["billing"]["samples"] = {
        "mustMatch": [{"source": "com.acme.orders", "type": "order.placed", "dataversion": "1.0"}],
        "mustNotMatch": [{"source": "com.acme.orders", "type": "order.placed", "dataversion": "2.0"}],
    }
    result = run(build, config=stack_config(fanouts={"orders": {"subscribers": subscribers}}))
    assert result.one("aws:sns/topicSubscription:TopicSubscription", "fanout-orders-billing-subscription")


def test_subscriber_samples_that_disagree_stop_the_deploy_before_anything_is_declared(run):
    subscribers = copy.deepcopy(SUBSCRIBERS)
    subscribers["analytics"]["samples"] = {
        "mustMatch": [{"source": "com.acme.orders", "type": "refund.issued"}],
        "mustNotMatch": [{"source": "com.acme.orders", "type": "order.cancelled"}],
    }
    message = assert_refused(run, stack_config(fanouts={"orders": {"subscribers": subscribers}}),
                             "subscriber 'analytics': samples.mustMatch[0] should be delivered but the filter "
                             "policy drops it (first mismatch: type)",
                             "subscriber 'analytics': samples.mustNotMatch[0] should not be delivered but the "
                             "filter policy delivers it")
    assert "Traceback" not in message


def test_samples_on_an_unfiltered_subscriber_catch_a_forgotten_filter(run):
    subscribers = {"everything": {"samples": {"mustNotMatch": [{"type": "order.placed"}]}}}
    assert_refused(run, stack_config(fanouts={"orders": {"subscribers": subscribers}}),
                   "samples.mustNotMatch[0] should not be delivered but the subscriber has no filter")


def test_unknown_sample_keys_are_refused(run):
    subscribers = copy.deepcopy(SUBSCRIBERS)
    subscribers["billing"]["samples"] = {"mustMatchh": []}
    assert_refused(run, stack_config(fanouts={"orders": {"subscribers": subscribers}}), "mustMatchh")


def test_subscriber_samples_can_be_files_relative_to_the_project(run):
    subscribers = copy.deepcopy(SUBSCRIBERS)
    subscribers["billing"]["samples"] = {"mustMatch": ["tests/fanout/data/order-placed-v1.json5"]}
    subscribers["shipping"]["samples"] = {"mustMatch": ["tests/fanout/data/order-placed-v1.json5"]}
    assert_refused(run, stack_config(fanouts={"orders": {"subscribers": subscribers}}),
                   "subscriber 'shipping': samples.mustMatch[0] should be delivered but the filter policy drops it "
                   "(first mismatch: dataversion)")
    subscribers["shipping"]["samples"] = {"mustMatch": ["tests/fanout/data/missing.json"]}
    assert_refused(run, stack_config(fanouts={"orders": {"subscribers": subscribers}}),
                   "subscriber 'shipping'.samples.mustMatch[0]: sample event file", "missing.json")
