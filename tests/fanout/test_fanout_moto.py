"""The deployed filter policies, exercised by SNS itself (moto): who receives which CloudEvents.

The policies come from the example stack file through the same code the component uses
(``fanout_args`` -> ``subscriber_policies``), and are subscribed the way the component subscribes
them: raw message delivery, filter policy scope MessageBody.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from components.fanout.component import subscriber_policies
from components.fanout.filter_policy import CloudEventsFilter, build_filter_policy, filter_policy_json
from components.fanout.program import fanout_args, parse

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "com.acme.orders"


class _Program:
    """Just what ``fanout_args`` reads from a Program."""

    def __init__(self) -> None:
        from components.context import context_from_mapping

        self.context = context_from_mapping(
            {"context": "orders", "stage": "dev", "owner": "orders-team@acme-corp.example", "usage": "POC"}
        )


def example_policies() -> dict[str, dict | None]:
    stack = yaml.safe_load((ROOT / "Pulumi.events-dev.yaml").read_text())
    settings = parse(stack["config"]["groundwork:fanouts"])
    args = fanout_args(_Program(), "orders", settings["orders"])
    return subscriber_policies("fanout-orders", args.subscribers)


def cloud_event(type_: str, version: str, source: str = SOURCE, **extensions: str) -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": type_,
        "dataversion": version,
        "time": "2026-11-24T10:00:00Z",
        "datacontenttype": "application/json",
        "data": {"orderId": "o-42", "amount": 1000},
        **extensions,
    }


@pytest.fixture
def sns_sqs():
    with mock_aws():
        yield boto3.client("sns", region_name="eu-west-1"), boto3.client("sqs", region_name="eu-west-1")


def subscribe_all(sns, sqs, topic_arn: str, policies: dict[str, dict | None]) -> dict[str, str]:
    """Queue per subscriber, subscribed exactly as CloudEventsFanout does; returns name -> queue URL."""
    urls = {}
    for name, policy in policies.items():
        url = sqs.create_queue(QueueName=f"orders-dev-orders-{name}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {"RawMessageDelivery": "true"}
        if policy:
            attributes |= {"FilterPolicy": filter_policy_json(policy), "FilterPolicyScope": "MessageBody"}
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        urls[name] = url
    return urls


def received(sqs, url: str) -> list[dict]:
    bodies = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        for message in batch:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_each_consumer_receives_exactly_its_versions(sns_sqs):
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(Name="orders-dev-orders")["TopicArn"]
    urls = subscribe_all(sns, sqs, topic_arn, example_policies())
    events = [
        cloud_event("order.placed", "1.0"),
        cloud_event("order.placed", "2.0"),
        cloud_event("order.cancelled", "1.0"),
        cloud_event("order.placed", "1.0", source="com.acme.legacy-shop"),
        cloud_event("payment.captured", "1.0"),
    ]
    for event in events:
        sns.publish(TopicArn=topic_arn, Message=json.dumps(event))

    got = {name: sorted((e["source"], e["type"], e["dataversion"]) for e in received(sqs, url))
           for name, url in urls.items()}
    assert got == {
        "billing": [(SOURCE, "order.placed", "1.0")],
        "shipping": [(SOURCE, "order.placed", "2.0")],
        "analytics": sorted([(SOURCE, "order.cancelled", "1.0"), (SOURCE, "order.placed", "1.0"),
                             (SOURCE, "order.placed", "2.0")]),
    }


def test_raw_delivery_hands_consumers_the_cloudevent_itself(sns_sqs):
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(Name="orders-dev-orders")["TopicArn"]
    urls = subscribe_all(sns, sqs, topic_arn, example_policies())
    event = cloud_event("order.placed", "1.0")
    sns.publish(TopicArn=topic_arn, Message=json.dumps(event))
    # No SNS envelope (Type/MessageId/TopicArn): the body is the CloudEvent as published.
    assert received(sqs, urls["billing"]) == [event]


def test_extension_attribute_filter_is_applied_by_sns(sns_sqs):
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(Name="orders-dev-orders")["TopicArn"]
    policy = build_filter_policy(CloudEventsFilter.of(
        type=["order.placed"], dataversion=["2.0"], extensions={"tenant": ["eu", "uk"]},
    ))
    urls = subscribe_all(sns, sqs, topic_arn, {"eu-shipping": policy})
    for tenant in ("eu", "us", "uk"):
        sns.publish(TopicArn=topic_arn, Message=json.dumps(cloud_event("order.placed", "2.0", tenant=tenant)))
    sns.publish(TopicArn=topic_arn, Message=json.dumps(cloud_event("order.placed", "2.0")))  # no tenant
    assert sorted(e["tenant"] for e in received(sqs, urls["eu-shipping"])) == ["eu", "uk"]


def test_anything_but_excludes_a_version(sns_sqs):
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(Name="orders-dev-orders")["TopicArn"]
    policy = build_filter_policy(CloudEventsFilter.of(
        type=["order.placed"], dataversion=[{"anything-but": ["1.0"]}],
    ))
    urls = subscribe_all(sns, sqs, topic_arn, {"modern": policy})
    for version in ("1.0", "2.0", "3.0"):
        sns.publish(TopicArn=topic_arn, Message=json.dumps(cloud_event("order.placed", version)))
    assert sorted(e["dataversion"] for e in received(sqs, urls["modern"])) == ["2.0", "3.0"]


def test_fifo_topic_with_content_based_dedup_filters_the_same_way(sns_sqs):
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(
        Name="orders-dev-orders.fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    urls = {}
    for name, policy in example_policies().items():
        url = sqs.create_queue(QueueName=f"orders-dev-orders-{name}.fifo",
                               Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={
            "RawMessageDelivery": "true", "FilterPolicy": filter_policy_json(policy),
            "FilterPolicyScope": "MessageBody"})
        urls[name] = url
    for version in ("1.0", "2.0"):
        sns.publish(TopicArn=topic_arn, Message=json.dumps(cloud_event("order.placed", version)),
                    MessageGroupId="o-42")
    assert [e["dataversion"] for e in received(sqs, urls["billing"])] == ["1.0"]
    assert [e["dataversion"] for e in received(sqs, urls["shipping"])] == ["2.0"]
    assert sorted(e["dataversion"] for e in received(sqs, urls["analytics"])) == ["1.0", "2.0"]


def test_sns_itself_rejects_what_the_builder_refuses(sns_sqs):
    """The builder's combination limit is the service's: moto (modelled on SNS) refuses 151+."""
    sns, sqs = sns_sqs
    topic_arn = sns.create_topic(Name="t")["TopicArn"]
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    too_complex = {"type": [f"t{i}" for i in range(16)], "dataversion": [f"{i}.0" for i in range(10)]}
    with pytest.raises(sns.exceptions.InvalidParameterException, match="too complex"):
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={
            "RawMessageDelivery": "true", "FilterPolicy": json.dumps(too_complex),
            "FilterPolicyScope": "MessageBody"})
