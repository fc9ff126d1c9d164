"""Encrypted SQS queues with dead-letter queues, and queue policies scoped to one sender.

Shared by the bus targets (buffer queues, target DLQs) and the SNS fan-out subscribers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

DLQ_RETENTION_SECONDS = 1209600  # 14 days, the SQS maximum: time to inspect and redrive


@dataclass(frozen=True)
class QueueSettings:
    """How a queue is built: FIFO or not, encryption key (None = SQS-managed SSE), retention."""

    fifo: bool = False
    kms_key_id: str | None = None
    retention_seconds: int = 345600
    visibility_timeout_seconds: int = 30
    max_receive_count: int = 5


def queue_name(base: str, fifo: bool) -> str:
    """SQS requires the ``.fifo`` suffix on FIFO queue names (80 characters in all)."""
    suffix = ".fifo" if fifo else ""
    return base[: 80 - len(suffix)] + suffix


def _encryption(settings: QueueSettings) -> dict[str, Any]:
    if settings.kms_key_id:
        return {"kms_master_key_id": settings.kms_key_id, "kms_data_key_reuse_period_seconds": 300}
    return {"sqs_managed_sse_enabled": True}


def dead_letter_queue(resource_name: str, physical: str, settings: QueueSettings,
                      opts: pulumi.ResourceOptions) -> aws.sqs.Queue:
    """A DLQ kept for the SQS maximum of 14 days, encrypted like its source queue."""
    return aws.sqs.Queue(
        resource_name,
        name=queue_name(physical, settings.fifo),
        fifo_queue=settings.fifo or None,
        message_retention_seconds=DLQ_RETENTION_SECONDS,
        **_encryption(settings),
        opts=opts,
    )


def queue_with_redrive(resource_name: str, physical: str, settings: QueueSettings,
                       dlq: aws.sqs.Queue, opts: pulumi.ResourceOptions) -> aws.sqs.Queue:
    """A working queue that moves a message to ``dlq`` after ``max_receive_count`` failed receives."""
    return aws.sqs.Queue(
        resource_name,
        name=queue_name(physical, settings.fifo),
        fifo_queue=settings.fifo or None,
        content_based_deduplication=True if settings.fifo else None,
        message_retention_seconds=settings.retention_seconds,
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        redrive_policy=dlq.arn.apply(
            lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": settings.max_receive_count})
        ),
        **_encryption(settings),
        opts=opts,
    )


def send_policy_document(queue_arn: str, service: str, source_arns: list[str]) -> dict[str, Any]:
    """Queue policy: only ``service`` may send, and only on behalf of ``source_arns``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSendFromSource",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sorted(set(source_arns))}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def allow_send(resource_name: str, queue: aws.sqs.Queue, service: str,
               source_arns: list[pulumi.Input[str]], opts: pulumi.ResourceOptions) -> aws.sqs.QueuePolicy:
    """Attach :func:`send_policy_document` to ``queue``."""
    return aws.sqs.QueuePolicy(
        resource_name,
        queue_url=queue.url,
        policy=pulumi.Output.all(queue.arn, *source_arns).apply(
            lambda values: json.dumps(send_policy_document(values[0], service, list(values[1:])))
        ),
        opts=opts,
    )


def depth_alarm(resource_name: str, physical: str, queue: aws.sqs.Queue, description: str,
                alarm_actions: list[str], opts: pulumi.ResourceOptions) -> aws.cloudwatch.MetricAlarm:
    """Alarm as soon as one message waits in ``queue`` (a DLQ should stay empty)."""
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=physical,
        alarm_description=description,
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue.name},
        statistic="Maximum",
        period=60,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=alarm_actions or None,
        ok_actions=alarm_actions or None,
        opts=opts,
    )
