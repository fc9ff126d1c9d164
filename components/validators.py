"""Typed config values shared by the features' settings models (ARNs and ids AWS would reject)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator


def _matching(pattern: str, what: str):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"must be {what}")
        return value

    return AfterValidator(check)


SnsTopicArn = Annotated[str, _matching(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$",
                                       "an SNS topic ARN")]
"""An SNS topic ARN (standard or FIFO), e.g. where alarms notify."""


SHORT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")


def check_name(value: str) -> str:
    """Names of buses, rules, topics and subscribers become part of physical names
    (``{context}-{stage}-<name>-...``): keep them short and DNS-like."""
    if not SHORT_NAME.match(value):
        raise ValueError(f"{value!r} is not a valid name: names are 1-30 lower-case letters, digits or '-', "
                         "starting with a letter")
    return value


# botocore logs model, shape ``Days`` (PutRetentionPolicy.retentionInDays): the only values
# CloudWatch Logs accepts; any other number is refused by AWS at deploy time.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)


def check_log_retention(value: int) -> int:
    """A CloudWatch Logs retention in days: one of the values AWS allows."""
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(f"CloudWatch Logs keeps logs for one of {', '.join(map(str, LOG_RETENTION_DAYS))} days")
    return value


LogRetentionDays = Annotated[int, AfterValidator(check_log_retention)]
"""Days a log group keeps its events (CloudWatch Logs' allowed values only)."""


# botocore lambda model, CreateEventSourceMapping.BatchSize / MaximumBatchingWindowInSeconds:
# standard SQS queues take batches up to 10,000 (FIFO: 10), and a batch above 10 needs a
# batching window of at least one second.
SQS_FIFO_MAX_BATCH_SIZE, SQS_BATCH_WITHOUT_WINDOW = 10, 10


def sqs_batching_problem(batch_size: int, window_seconds: int, *, fifo: bool = False) -> str | None:
    """Why Lambda would refuse this SQS event source batching, or None."""
    if fifo and batch_size > SQS_FIFO_MAX_BATCH_SIZE:
        return f"batchSize {batch_size}: a FIFO queue delivers at most {SQS_FIFO_MAX_BATCH_SIZE} messages per batch"
    if batch_size > SQS_BATCH_WITHOUT_WINDOW and window_seconds < 1:
        return (f"batchSize {batch_size} needs maxBatchingWindowSeconds of at least 1 (Lambda requires a "
                f"batching window for SQS batches above {SQS_BATCH_WITHOUT_WINDOW})")
    return None
