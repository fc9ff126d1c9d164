"""The fan-out's own subscriptions, exercised by SNS itself (moto): who receives which CloudEvents.

The program runs under Pulumi's mock runtime; every ``aws.sns.TopicSubscription`` it registers is
then created in moto from exactly the inputs the component gave it (protocol, raw message
delivery, filter policy and its scope) and the queue its endpoint points at. Nothing here builds a
policy or picks a scope itself, so a component that filtered on the wrong scope, sent wrapped
messages or built a wrong policy fails these tests. Every delivery is also checked against
``matches`` (the design-time matcher), so the two agree on these policies.
"""

from __future__ import annotations

import copy
import json
import uuid

import boto3
import pytest
from groundwork.fanout.filter_policy import matches
from moto import mock_aws

from features.program import build
from tests.conftest import stack_config

SOURCE = "com.acme.orders"
SUBSCRIBERS = {
    "billing": {"filter": {"source": [SOURCE], "type": ["order.placed"], "dataversion": ["1.0"]}},
    "shipping": {"filter": {"source": [SOURCE], "type": ["order.placed"], "dataversion": ["2.0"],
                            "extensions": {"tenant": ["eu", "uk"]}}},
    "analytics": {"filter": {"source": [SOURCE], "type": ["order.*"],
                             "dataversion": [{"anything-but": ["0.9"]}]}},
    "audit": {},  # no filter: everything
}
# pulumi-aws TopicSubscription input -> SNS subscription attribute
ATTRIBUTES = {"rawMessageDelivery": "RawMessageDelivery", "filterPolicy": "FilterPolicy",
              "filterPolicyScope": "FilterPolicyScope"}


def cloud_event(type_: str, version: str, source: str = SOURCE, **extensions: str) -> dict:
    return {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": source, "type": type_, "dataversion": version,
        "time": "2026-11-24T10:00:00Z", "datacontenttype": "application/json",
        "data": {"orderId": "o-42", "amount": 1000}, **extensions,
    }


EVENTS = [
    cloud_event("order.placed", "1.0"),
    cloud_event("order.placed", "2.0", tenant="eu"),
    cloud_event("order.placed", "2.0", tenant="us"),
    cloud_event("order.placed", "2.0"),
    cloud_event("order.cancelled", "1.0"),
    cloud_event("order.placed", "0.9"),
    cloud_event("order.placed", "1.0", source="com.acme.legacy-shop"),
    cloud_event("payment.captured", "1.0"),
]


def declared(run, fifo: bool = False):
    """The subscriptions and queues the component registered under the mock runtime."""
    topic = {"subscribers": copy.deepcopy(SUBSCRIBERS), "fifo": fifo}
    result = run(build, config=stack_config(fanouts={"orders": topic}))
    queues = {q.outputs["arn"]: q for q in result.of_type("aws:sqs/queue:Queue")}
    subscriptions = {}
    for sub in result.of_type("aws:sns/topicSubscription:TopicSubscription"):
        name = sub.name.removeprefix("fanout-orders-").removesuffix("-subscription")
        subscriptions[name] = (sub.inputs, queues[sub.inputs["endpoint"]].inputs)
    return result.one("aws:sns/topic:Topic").inputs, subscriptions


def create_in_moto(sns, sqs, topic_inputs: dict, subscriptions: dict) -> tuple[str, dict[str, str]]:
    """The topic, queues and subscriptions in moto, from the recorded inputs only."""
    topic_attributes = {}
    if topic_inputs.get("fifoTopic"):
        topic_attributes = {"FifoTopic": "true", "ContentBasedDeduplication": "true"}
    topic_arn = sns.create_topic(Name=topic_inputs["name"], Attributes=topic_attributes)["TopicArn"]
    urls = {}
    for name, (inputs, queue_inputs) in subscriptions.items():
        queue_attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if queue_inputs.get(
            "fifoQueue") else {}
        url = sqs.create_queue(QueueName=queue_inputs["name"], Attributes=queue_attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {aws_name: str(inputs[key]).lower() if isinstance(inputs[key], bool) else inputs[key]
                      for key, aws_name in ATTRIBUTES.items() if inputs.get(key) is not None}
        sns.subscribe(TopicArn=topic_arn, Protocol=inputs["protocol"], Endpoint=arn, Attributes=attributes)
        urls[name] = url
    return topic_arn, urls


def received(sqs, url: str) -> list[str]:
    bodies = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def ids(events: list[dict]) -> list[str]:
    return sorted(event["id"] for event in events)


EXPECTED = {  # indexes into EVENTS
    "billing": [0],
    "shipping": [1],
    "analytics": [0, 1, 2, 3, 4],
    "audit": list(range(len(EVENTS))),
}


@pytest.fixture
def aws():
    with mock_aws():
        yield boto3.client("sns", region_name="eu-west-1"), boto3.client("sqs", region_name="eu-west-1")


def test_each_subscriber_receives_exactly_what_its_filter_selects(run, aws):
    sns, sqs = aws
    topic_inputs, subscriptions = declared(run)
    topic_arn, urls = create_in_moto(sns, sqs, topic_inputs, subscriptions)
    for event in EVENTS:
        sns.publish(TopicArn=topic_arn, Message=json.dumps(event))
    for name, url in urls.items():
        got = [json.loads(body) for body in received(sqs, url)]  # raw delivery: the CloudEvent itself
        assert ids(got) == ids([EVENTS[i] for i in EXPECTED[name]]), name
        policy = subscriptions[name][0].get("filterPolicy")
        if policy:  # the design-time matcher decides the same way
            predicted = [e for e in EVENTS if matches(policy, e, subscriptions[name][0]["filterPolicyScope"])]
            assert ids(predicted) == ids(got), name


def test_raw_delivery_hands_consumers_the_cloudevent_itself(run, aws):
    sns, sqs = aws
    topic_inputs, subscriptions = declared(run)
    topic_arn, urls = create_in_moto(sns, sqs, topic_inputs, subscriptions)
    sns.publish(TopicArn=topic_arn, Message=json.dumps(EVENTS[0]))
    # No SNS envelope (Type/MessageId/TopicArn): the body is the CloudEvent as published.
    assert [json.loads(body) for body in received(sqs, urls["billing"])] == [EVENTS[0]]


def test_message_attributes_alone_do_not_route_cloudevents(run, aws):
    """The filter reads the CloudEvent in the body: attributes that say otherwise change nothing."""
    sns, sqs = aws
    topic_inputs, subscriptions = declared(run)
    topic_arn, urls = create_in_moto(sns, sqs, topic_inputs, subscriptions)
    sns.publish(TopicArn=topic_arn, Message=json.dumps(EVENTS[7]), MessageAttributes={
        "source": {"DataType": "String", "StringValue": SOURCE},
        "type": {"DataType": "String", "StringValue": "order.placed"},
        "dataversion": {"DataType": "String", "StringValue": "1.0"}})
    assert received(sqs, urls["billing"]) == []
    assert len(received(sqs, urls["audit"])) == 1


def test_fifo_topic_filters_the_same_way(run, aws):
    sns, sqs = aws
    topic_inputs, subscriptions = declared(run, fifo=True)
    assert topic_inputs["name"].endswith(".fifo")
    topic_arn, urls = create_in_moto(sns, sqs, topic_inputs, subscriptions)
    for event in EVENTS:
        sns.publish(TopicArn=topic_arn, Message=json.dumps(event), MessageGroupId="o-42")
    for name, url in urls.items():
        got = [json.loads(body) for body in received(sqs, url)]
        assert ids(got) == ids([EVENTS[i] for i in EXPECTED[name]]), name


def test_sns_itself_rejects_what_the_builder_refuses(aws):
    """The 150-combination limit is the service's: moto (modelled on SNS) refuses 151+."""
    sns, sqs = aws
    topic_arn = sns.create_topic(Name="t")["TopicArn"]
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    too_complex = {"type": [f"t{i}" for i in range(16)], "dataversion": [f"{i}.0" for i in range(10)]}
    with pytest.raises(sns.exceptions.InvalidParameterException, match="too complex"):
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={
            "RawMessageDelivery": "true", "FilterPolicy": json.dumps(too_complex),
            "FilterPolicyScope": "MessageBody"})


# Where moto 5.2.1's SNS disagrees with what AWS recorded or documents (tests/fanout/data). Our
# matcher follows AWS (test_filter_policy_corpus.py); the fan-out tests above use none of these.
MOTO_DIFFERS_FROM_AWS = {
    # moto refuses every cidr policy
    **dict.fromkeys([f"localstack/test_filter_policy_ip_address_condition/messages-queue/id-{i}" for i in range(1, 5)]
                    + [f"aws-docs/string-value-matching/ip-address-matching/{i}" for i in range(27, 33)], "cidr"),
    # moto refuses a $or inside a nested key, and counts combinations across $or as a product
    **dict.fromkeys([f"localstack/test_filter_policy_on_message_body_or_attribute/messages-queue/message-{i}"
                     for i in range(12)], "nested $or"),
    "localstack/test_policy_complexity_with_or/accepted-150-combinations": "$or combinations (AWS: 150, accepted)",
    # ...and fails publishing a body to a policy with a top-level $or
    **dict.fromkeys([f"aws-docs-current/and-or-logic/or-operator/{i}" for i in (16, 17)], "$or on a body"),
    # moto does not join nested body keys with dots for a dotted policy key
    **dict.fromkeys([f"localstack/test_filter_policy_on_message_body_dot_attribute/{key}" for key in
                     ("recv-nested-msg-0", "recv-deep-nested-msg-0", "recv-deep-nested-msg-2",
                      "recv-deep-nested-msg-3")], "dotted keys"),
    # arrays: moto needs every element to pass anything-but, and misses objects in nested arrays
    "aws-docs/string-value-matching/string-anything-but-matching/18": "anything-but on an array",
    "aws-docs/numeric-value-matching/numeric-anything-but-matching/43": "anything-but on an array",
    # ...and delivers a String.Array attribute whose only element anything-but excludes
    "aws-docs-current/string-value-matching/string-anything-but-matching/13": "anything-but on an array",
    "localstack/test_filter_policy_on_message_body_array_of_object_attributes/messages/multiple-records":
        "objects in nested arrays",
    # moto does not match wildcard, nor anything-but suffix/wildcard (SNS documents them now)
    **{f"aws-docs-current/string-value-matching/{section}/{n}": section for section, n in
       (("anything-but-wildcard", 18), ("anything-but-suffix", 20), ("wildcard", 22))},
}


def moto_delivers(sns, sqs, index: int, case: dict) -> bool | None:
    """Whether moto delivers the case's message; None if it refuses the policy or fails on the message."""
    topic_arn = sns.create_topic(Name=f"case-{index}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"case-{index}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    try:
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={
            "RawMessageDelivery": "true", "FilterPolicy": json.dumps(case["policy"]),
            "FilterPolicyScope": case["scope"]})
    except sns.exceptions.InvalidParameterException:
        return None
    if case["expected"] == "valid":
        return True
    message = case["message"]
    if case["scope"] == "MessageBody":
        try:
            sns.publish(TopicArn=topic_arn, Message=message if isinstance(message, str) else json.dumps(message))
        except TypeError:  # moto 5.2.1 reads a body value as an attribute under a top-level $or
            return None
    else:
        attributes = {name: {"DataType": a["Type"], "StringValue": a["Value"]} for name, a in message.items()}
        sns.publish(TopicArn=topic_arn, Message="x", **({"MessageAttributes": attributes} if attributes else {}))
    return bool(sqs.receive_message(QueueUrl=url).get("Messages"))


def test_moto_agrees_with_aws_on_the_recorded_cases_except_where_known(aws):
    from tests.fanout.test_filter_policy_corpus import CASES

    sns, sqs = aws
    differs = set()
    for index, case in enumerate(CASES):
        if case["expected"] == "invalid":
            continue  # moto accepts many policies AWS refuses; check_filter_policy refuses them
        delivered = moto_delivers(sns, sqs, index, case)
        if delivered is None or delivered != (case["expected"] in ("match", "valid")):
            differs.add(case["id"])
    assert differs == set(MOTO_DIFFERS_FROM_AWS)
