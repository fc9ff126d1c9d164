"""Lambda consumers polling a queue, and the refusal of a queue shared by filtered consumers.

Lambda (and EventBridge Pipes) apply a consumer's filter after they receive a batch from SQS, and
delete every message that does not match as if it had been processed. Two filtered consumers on
one queue therefore steal each other's messages: whatever one of them polls and rejects is gone
for the other. One queue per consumer, each subscribed to the topic with its own filter policy,
is the safe shape, and the only one these components build.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import ConfigError
from .validators import sqs_batching_problem

LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[\w$-]+)?$")
CONSUMER_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


class QueueConsumer(BaseModel):
    """A Lambda function reading a queue through an event source mapping, optionally filtered."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str
    function_arn: str = Field(alias="functionArn")
    filter: dict[str, Any] | None = Field(
        default=None, description="event pattern on the SQS record, e.g. {body: {type: [order.placed]}}"
    )
    batch_size: int = Field(default=10, ge=1, le=10000, alias="batchSize")
    max_batching_window_seconds: int = Field(default=0, ge=0, le=300, alias="maxBatchingWindowSeconds")

    @model_validator(mode="after")
    def _batching(self) -> QueueConsumer:
        problem = sqs_batching_problem(self.batch_size, self.max_batching_window_seconds)
        if problem:
            raise ValueError(problem)
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not CONSUMER_NAME.match(value):
            raise ValueError("must be 1-40 lower-case letters, digits or '-', starting with a letter")
        return value

    @field_validator("function_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not LAMBDA_ARN.match(value):
            raise ValueError("must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)")
        return value

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        from .events.patterns import PatternError, validate_pattern

        try:
            return validate_pattern(value)
        except PatternError as error:
            raise ValueError(f"not a valid event pattern: {error}") from None


def check_queue_consumers(where: str, consumers: list[QueueConsumer], *, warn: bool = True) -> None:
    """Refuse one queue feeding several consumers when any of them filters (message-loss hazard)."""
    names = [c.name for c in consumers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{where}: consumer names must be unique; repeated: {', '.join(duplicates)}")
    if len(consumers) < 2:
        return
    filtered = [c.name for c in consumers if c.filter]
    if filtered:
        raise ConfigError(
            f"{where}: one SQS queue is the event source of {len(consumers)} consumers "
            f"({', '.join(names)}) and {', '.join(filtered)} filter(s) messages. Lambda and Pipes "
            "delete a message that does not match a consumer's filter as if it had been processed, "
            "so the consumers compete for every message: what one polls and rejects is lost for the "
            "others (messages discarded from a failed batch are lost the same way). Give each "
            "consumer its own queue: add one subscriber per consumer to the CloudEventsFanout "
            "topic, each with the filter policy for the events it wants."
        )
    if warn:
        pulumi.log.warn(
            f"{where}: {len(consumers)} consumers ({', '.join(names)}) share one queue; each message "
            "reaches only one of them. If each needs every message, give each its own subscriber queue."
        )


def filter_criteria(pattern: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``filter_criteria`` input of an event source mapping for ``pattern``."""
    if not pattern:
        return None
    return {"filters": [{"pattern": json.dumps(pattern, sort_keys=True)}]}


def wire_consumers(prefix: str, queue: aws.sqs.Queue, consumers: list[QueueConsumer],
                   opts: pulumi.ResourceOptions) -> list[aws.lambda_.EventSourceMapping]:
    """One event source mapping per consumer (the function's role must be allowed to read the queue)."""
    return [
        aws.lambda_.EventSourceMapping(
            f"{prefix}-{consumer.name}",
            event_source_arn=queue.arn,
            function_name=consumer.function_arn,
            batch_size=consumer.batch_size,
            maximum_batching_window_in_seconds=consumer.max_batching_window_seconds or None,
            function_response_types=["ReportBatchItemFailures"],
            filter_criteria=filter_criteria(consumer.filter),
            opts=opts,
        )
        for consumer in consumers
    ]
