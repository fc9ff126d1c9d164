"""CloudEventsFanout: one SNS topic, one SQS queue per subscriber, filtered on CloudEvents attributes.

Each subscriber gets its own encrypted queue (with a DLQ and redrive), subscribed with raw message
delivery and a message-body filter policy on ``source``/``type``/``dataversion``/extensions, so a
consumer of ``order.placed`` 1.0 never sees 2.0. Queue policies let only this topic send.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..buses.limits import MAX_FILTER_POLICIES_PER_TOPIC
from ..buses.queues import (
    QueueSettings,
    allow_send,
    dead_letter_queue,
    depth_alarm,
    queue_with_redrive,
)
from ..consumers import QueueConsumer, check_queue_consumers, wire_consumers
from ..context import StackContext
from ..conventions import with_conventions
from ..errors import ConfigError
from ..events.samples import SampleEvents, load_sample_events
from .filter_policy import (
    CloudEventsFilter,
    FilterPolicyError,
    build_filter_policy,
    check_policy_samples,
    filter_policy_json,
)

AWS_MANAGED_SNS_KEY = "alias/aws/sns"
# Subscribers filter on the CloudEvent itself (the message body), delivered raw to their queue.
FILTER_POLICY_SCOPE = "MessageBody"


@dataclass
class Subscriber:
    """One consumer group: its queue receives exactly the CloudEvents ``filter`` selects.

    ``samples`` are CloudEvents (message bodies) the filter must deliver (``mustMatch``) and must
    drop (``mustNotMatch``), checked before anything is declared.
    """

    name: str
    filter: CloudEventsFilter = field(default_factory=CloudEventsFilter)
    consumers: list[QueueConsumer] = field(default_factory=list)
    max_receive_count: int = 5
    retention_seconds: int = 345600
    visibility_timeout_seconds: int = 30
    samples: SampleEvents | None = None


@dataclass
class CloudEventsFanoutArgs:
    """Inputs of :class:`CloudEventsFanout`."""

    context: StackContext
    topic: str
    subscribers: list[Subscriber]
    fifo: bool = False
    topic_kms_key_id: str = AWS_MANAGED_SNS_KEY
    queue_kms_key_id: str | None = None  # None: SQS-managed SSE (SNS can't use the aws/sqs key)
    alarm_actions: list[str] = field(default_factory=list)


def subscriber_policies(name: str, subscribers: list[Subscriber], *, warn: bool = True) -> dict[str, dict | None]:
    """Every subscriber's filter policy, built and checked before anything is declared."""
    where = f"CloudEventsFanout '{name}'"
    names = [s.name for s in subscribers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{where}: subscriber names must be unique; repeated: {', '.join(repeated)}")
    policies: dict[str, dict | None] = {}
    for subscriber in subscribers:
        try:
            policies[subscriber.name] = build_filter_policy(subscriber.filter)
        except FilterPolicyError as error:
            raise ConfigError(f"{where}: subscriber '{subscriber.name}': {error}") from None
        if subscriber.samples is not None:
            label = f"{where}: subscriber '{subscriber.name}'"
            must_match, must_not_match = load_sample_events(subscriber.samples, where=label)
            check_policy_samples(policies[subscriber.name], must_match=must_match, must_not_match=must_not_match,
                                 scope=FILTER_POLICY_SCOPE, where=label)
        check_queue_consumers(f"{where}: subscriber '{subscriber.name}'", subscriber.consumers, warn=warn)
    filtered = sum(1 for policy in policies.values() if policy)
    if filtered > MAX_FILTER_POLICIES_PER_TOPIC:
        raise ConfigError(
            f"{where}: {filtered} filtered subscriptions; SNS allows {MAX_FILTER_POLICIES_PER_TOPIC} "
            "filter policies per topic by default (raise the quota first, or split the topic)"
        )
    return policies


class CloudEventsFanout(pulumi.ComponentResource):
    """SNS topic -> per-subscriber SQS queues with CloudEvents filter policies, DLQs and alarms."""

    def __init__(self, name: str, args: CloudEventsFanoutArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.subscribers:
            raise ConfigError(f"CloudEventsFanout '{name}': at least one subscriber is required")
        policies = subscriber_policies(name, args.subscribers)  # refusals before registering
        super().__init__("groundwork:events:CloudEventsFanout", name, None, with_conventions(args.context, opts))
        self.filter_policies = policies
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        topic_name = ctx.name(args.topic) + (".fifo" if args.fifo else "")
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=topic_name,
            fifo_topic=args.fifo or None,
            content_based_deduplication=True if args.fifo else None,
            kms_master_key_id=args.topic_kms_key_id,
            opts=child,
        )
        self.queues: dict[str, aws.sqs.Queue] = {}
        self.dead_letter_queues: dict[str, aws.sqs.Queue] = {}
        self.subscriptions: dict[str, aws.sns.TopicSubscription] = {}
        self.consumer_mappings: dict[str, list[aws.lambda_.EventSourceMapping]] = {}
        for subscriber in args.subscribers:
            self._subscriber(name, args, subscriber, child)
        self.topic_arn = self.topic.arn
        self.register_outputs({
            "topicArn": self.topic.arn,
            "queueUrls": {k: q.url for k, q in self.queues.items()},
            "queueArns": {k: q.arn for k, q in self.queues.items()},
            "deadLetterQueueArns": {k: q.arn for k, q in self.dead_letter_queues.items()},
        })

    def _subscriber(self, name: str, args: CloudEventsFanoutArgs, subscriber: Subscriber,
                    child: pulumi.ResourceOptions) -> None:
        ctx = args.context
        base = f"{name}-{subscriber.name}"
        settings = QueueSettings(
            fifo=args.fifo,
            kms_key_id=args.queue_kms_key_id,
            retention_seconds=subscriber.retention_seconds,
            visibility_timeout_seconds=subscriber.visibility_timeout_seconds,
            max_receive_count=subscriber.max_receive_count,
        )
        physical = ctx.name(args.topic, subscriber.name)
        dlq = dead_letter_queue(f"{base}-dlq", f"{physical}-dlq", settings, child)
        queue = queue_with_redrive(f"{base}-queue", physical, settings, dlq, child)
        # Only this topic may send: to the queue (deliveries) and to the DLQ (subscription redrive).
        queue_policy = allow_send(f"{base}-queue-policy", queue, "sns.amazonaws.com", [self.topic.arn], child)
        dlq_policy = allow_send(f"{base}-dlq-policy", dlq, "sns.amazonaws.com", [self.topic.arn], child)
        policy = self.filter_policies[subscriber.name]
        self.subscriptions[subscriber.name] = aws.sns.TopicSubscription(
            f"{base}-subscription",
            topic=self.topic.arn,
            protocol="sqs",
            endpoint=queue.arn,
            raw_message_delivery=True,
            filter_policy=filter_policy_json(policy) if policy else None,
            filter_policy_scope=FILTER_POLICY_SCOPE if policy else None,
            redrive_policy=dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn})),
            # The queue policy must exist first or the first deliveries are refused.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[queue_policy, dlq_policy]),
        )
        depth_alarm(
            f"{base}-dlq-alarm", f"{physical}-dlq-depth", dlq,
            f"Messages for subscriber {subscriber.name} of topic {args.topic} failed delivery or processing",
            args.alarm_actions, child,
        )
        self.queues[subscriber.name] = queue
        self.dead_letter_queues[subscriber.name] = dlq
        self.consumer_mappings[subscriber.name] = wire_consumers(
            f"{base}-consumer", queue, subscriber.consumers, child
        )
