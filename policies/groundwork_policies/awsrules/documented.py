"""Documented AWS rules the service models do not express (each cites its AWS page in docs/policies.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from groundwork_policies.awsrules import sqs_attributes
from groundwork_policies.awsrules.findings import Rule
from groundwork_policies.framework import Resource
from groundwork_policies.values import UNKNOWN, dig

MAX_TAGS = 50  # "Tagging AWS resources": maximum user tags per resource
# CloudWatch Logs PutRetentionPolicy: the only values retentionInDays takes (0: never expire, the
# provider's way of calling DeleteRetentionPolicy).
LOG_RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                                2192, 2557, 2922, 3288, 3653})
SQS_UNWINDOWED_BATCH = 10  # Lambda CreateEventSourceMapping: SQS BatchSize > 10 needs a batching window >= 1
SQS_FIFO_MAX_BATCH = 10
STREAM_SECTIONS = ("dynamodbStreamParameters", "kinesisStreamParameters")
PIPE = "aws:pipes/pipe:Pipe"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def tag_count(resource: Resource) -> Iterator[Rule]:
    tags = resource.effective_tags
    if tags is UNKNOWN or not isinstance(tags, Mapping):
        return
    user = [k for k in tags if not (isinstance(k, str) and k.startswith("aws:"))]
    if len(user) > MAX_TAGS:
        yield Rule("tags", f"{len(user)} tags (own and provider default tags)",
                   f"a resource takes at most {MAX_TAGS} user tags; drop or merge tags", "aws-tag-limit")


def log_retention(resource: Resource) -> Iterator[Rule]:
    days = resource.props.get("retentionInDays")
    if resource.type != LOG_GROUP or _number(days) is None:
        return
    if days != 0 and days not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda allowed: (abs(allowed - days), allowed))
        yield Rule("retentionInDays", days, f"CloudWatch Logs keeps events only for {sorted(LOG_RETENTION_DAYS)} "
                                            f"days (or 0: never expire); e.g. {nearest}", "aws-log-retention")


def sqs_batching(resource: Resource) -> Iterator[Rule]:
    if resource.type == ESM:
        source = resource.props.get("eventSourceArn")
        if not (isinstance(source, str) and ":sqs:" in source):
            return
        yield from _sqs_batch(resource.props, "", source.endswith(".fifo"), documented=True)
    elif resource.type == PIPE:
        params = dig(resource.props, "sourceParameters", "sqsQueueParameters")
        if isinstance(params, Mapping):
            source = resource.props.get("source")
            # The Pipes reference does not state the window rule for SQS sources: advice there.
            yield from _sqs_batch(params, "sourceParameters.sqsQueueParameters.",
                                  isinstance(source, str) and source.endswith(".fifo"), documented=False)


def _sqs_batch(params: Mapping[str, Any], prefix: str, fifo: bool, *, documented: bool) -> Iterator[Rule]:
    size = _number(params.get("batchSize"))
    window = params.get("maximumBatchingWindowInSeconds")
    if size is None or window is UNKNOWN:
        return
    if fifo and size > SQS_FIFO_MAX_BATCH:
        yield Rule(f"{prefix}batchSize", size, f"a FIFO queue source takes at most {SQS_FIFO_MAX_BATCH} records "
                                               "per batch", "aws-sqs-batch", error=documented)
    elif size > SQS_UNWINDOWED_BATCH and not (_number(window) or 0) >= 1:
        yield Rule(f"{prefix}batchSize", size,
                   f"an SQS batch over {SQS_UNWINDOWED_BATCH} needs maximumBatchingWindowInSeconds of at least 1 "
                   f"(it is {window!r})", "aws-sqs-batch", error=documented)


def stream_failure_handling(resource: Resource) -> Iterator[Rule]:
    """Issue 12 defect 6: a stream source that retries a poison record until it expires, with
    nowhere to put it, blocks its shard for up to the stream's retention."""
    if resource.type != PIPE:
        return
    for section in STREAM_SECTIONS:
        params = dig(resource.props, "sourceParameters", section)
        if not isinstance(params, Mapping):
            continue
        retries, age = params.get("maximumRetryAttempts"), params.get("maximumRecordAgeInSeconds")
        dlq = params.get("deadLetterConfig")
        if UNKNOWN in (retries, age, dlq):
            continue
        missing = []
        if retries in (None, -1) and age in (None, -1):
            missing.append("maximumRetryAttempts (0..10000) or maximumRecordAgeInSeconds (60..604800)")
        if not isinstance(dlq, Mapping) or not dlq.get("arn"):
            missing.append("deadLetterConfig.arn (an SQS queue, with an alarm on it)")
        if missing:
            yield Rule(f"sourceParameters.{section}",
                       f"maximumRetryAttempts={retries!r}, maximumRecordAgeInSeconds={age!r}, "
                       f"deadLetterConfig={'set' if dlq else 'none'}",
                       "a poison record is retried until it expires and blocks its shard meanwhile; set "
                       + " and ".join(missing), "aws-stream-failure-handling")


CHECKS = (tag_count, log_retention, sqs_batching, stream_failure_handling, sqs_attributes.queue_attributes)
