"""Logging and alarms for pipes.

Namespace: AWS publishes pipe metrics under ``AWS/EventBridge/Pipes`` (CloudWatch User Guide,
"AWS services that publish CloudWatch metrics": AWS::Pipes::Pipe; also what the Kraken team alarm
on in production). ``AWS/Pipes``, used in some write-ups, holds no data, so an alarm there never
fires. Defaults follow the Kraken write-up: 1-minute periods, 15 consecutive breaching periods,
Sum > 0, missing data not breaching (failed executions are retried, so only persistent failure pages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from ..context import StackContext
from ..conventions import with_conventions

METRIC_NAMESPACE = "AWS/EventBridge/Pipes"
ALARM_METRICS = ("ExecutionFailed", "ExecutionThrottled", "ExecutionTimeout")
LogLevel = Literal["OFF", "ERROR", "INFO", "TRACE"]


@dataclass(kw_only=True)
class LoggingSettings:
    """Execution logging to a CloudWatch log group, ERROR by default (AWS's own default is OFF)."""

    level: LogLevel = "ERROR"
    include_execution_data: bool = False
    retention_in_days: int = 30
    allow_trace_in_production: bool = False

    def problems(self, ctx: StackContext) -> list[str]:
        found = []
        if self.level == "TRACE" and ctx.is_production and not self.allow_trace_in_production:
            found.append(
                "logging level TRACE writes every event payload at every stage to the logs; it is refused "
                "for PRODUCTION stacks unless logging.allowTraceInProduction is true (debug briefly, then go back "
                "to ERROR)")
        if self.include_execution_data and ctx.is_production and not self.allow_trace_in_production:
            found.append("logging.includeExecutionData copies payloads into the logs; in PRODUCTION it needs "
                         "logging.allowTraceInProduction: true")
        return found


@dataclass(kw_only=True)
class AlarmSettings:
    """CloudWatch alarms on the pipe's failure metrics, optionally notifying an SNS topic."""

    enabled: bool = True
    metrics: tuple[str, ...] = ALARM_METRICS
    evaluation_periods: int = 15
    period_seconds: int = 60
    threshold: float = 0
    topic_arn: pulumi.Input[str] | None = None
    create_topic: bool = False

    def problems(self) -> list[str]:
        found = []
        unknown = [m for m in self.metrics if m not in ALARM_METRICS]
        if unknown:
            found.append(f"alarm metrics {unknown} are not among {list(ALARM_METRICS)}")
        if not 1 <= self.evaluation_periods <= 100:
            found.append(f"alarm evaluation_periods {self.evaluation_periods} must be 1..100")
        if self.period_seconds not in (10, 20, 30) and self.period_seconds % 60:
            found.append(f"alarm period_seconds {self.period_seconds} must be 10, 20, 30 or a multiple of 60")
        if self.threshold < 0:
            found.append("alarm threshold must be >= 0")
        if self.topic_arn is not None and self.create_topic:
            found.append("give either alarms topic_arn or create_topic, not both")
        return found


FAILED_QUEUE_RETENTION = 1209600  # 14 days, the SQS maximum (MessageRetentionPeriod 60..1209600)


@dataclass
class OnFailureQueue:
    """Where a stream pipe puts records it gave up on, and the alarm that says some arrived."""

    queue: aws.sqs.Queue
    alarm: aws.cloudwatch.MetricAlarm | None


def on_failure_queue(name: str, pipe_name: str, settings: AlarmSettings, topic_arn: pulumi.Input[str] | None,
                     opts: pulumi.ResourceOptions) -> OnFailureQueue:
    """An encrypted SQS queue as the pipe's on-failure destination, alarmed on any visible message.

    The messages are pointers to the failed stream records (readable while the stream keeps them),
    so the alarm fires on the first one: waiting costs the records.
    """
    queue = aws.sqs.Queue(f"{name}-failed", name=f"{pipe_name}-failed", sqs_managed_sse_enabled=True,
                          message_retention_seconds=FAILED_QUEUE_RETENTION, opts=opts)
    alarm = None
    if settings.enabled:
        actions = [topic_arn] if topic_arn is not None else []
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-failed-records",
            name=f"{pipe_name}-failed-records",
            alarm_description=(f"EventBridge pipe {pipe_name} gave up on stream records: their pointers are in "
                               f"SQS queue {pipe_name}-failed; the records are readable only while the stream "
                               "retains them"),
            namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": queue.name}, statistic="Maximum", period=300, evaluation_periods=1,
            threshold=0, comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching",
            alarm_actions=actions, ok_actions=actions, opts=opts)
    return OnFailureQueue(queue, alarm)


def pipe_alarms(name: str, pipe_name: str, settings: AlarmSettings,
                topic_arn: pulumi.Input[str] | None, opts: pulumi.ResourceOptions) -> dict[str, aws.cloudwatch.MetricAlarm]:
    """One alarm per metric, on the PipeName dimension of the right namespace."""
    actions = [topic_arn] if topic_arn is not None else []
    alarms = {}
    for metric in settings.metrics:
        alarms[metric] = aws.cloudwatch.MetricAlarm(
            f"{name}-{metric}",
            name=f"{pipe_name}-{metric}",
            alarm_description=(
                f"EventBridge pipe {pipe_name}: {metric} above {settings.threshold:g} for "
                f"{settings.evaluation_periods} consecutive {settings.period_seconds}s periods "
                "(failures are retried, so only persistent trouble alarms)"),
            namespace=METRIC_NAMESPACE,
            metric_name=metric,
            dimensions={"PipeName": pipe_name},
            statistic="Sum",
            period=settings.period_seconds,
            evaluation_periods=settings.evaluation_periods,
            threshold=settings.threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
            opts=opts,
        )
    return alarms


class AlarmTopic(pulumi.ComponentResource):
    """An SNS topic for pipe alarms, encrypted with its own KMS key that CloudWatch may use.

    CloudWatch cannot publish to a topic encrypted with the AWS-managed ``alias/aws/sns`` key (its
    key policy can't be changed), so the topic gets a customer-managed key with rotation on whose
    policy lets ``cloudwatch.amazonaws.com`` (this account only) generate data keys.
    """

    def __init__(self, name: str, ctx: StackContext, topic_name: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:pipes:AlarmTopic", name, None, with_conventions(ctx, opts))
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self)).partition
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts the pipe alarm topic {topic_name}",
            enable_key_rotation=True,
            deletion_window_in_days=7 if not ctx.is_production else 30,
            policy=pulumi.Output.all(account, partition).apply(lambda a: json.dumps(_key_policy(a[0], a[1]))),
            opts=child,
        )
        self.topic = aws.sns.Topic(f"{name}-topic", name=topic_name, kms_master_key_id=self.key.arn, opts=child)
        self.arn = self.topic.arn
        self.register_outputs({"topicArn": self.arn})


def _key_policy(account: str, partition: str) -> dict:
    # In a key policy "Resource": "*" means "this key"; no narrower form exists.
    root = f"arn:{partition}:iam::{account}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministersKey", "Effect": "Allow", "Principal": {"AWS": root},
             "Action": ["kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
                        "kms:DisableKey", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
                        "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:PutKeyPolicy",
                        "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
                        "kms:UpdateKeyDescription", "kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": "*"},
            {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
        ],
    }
