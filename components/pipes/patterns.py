"""The five pipe patterns of the reference article as ready components (thin wrappers over EventPipe).

1. ``SqsToStepFunctions`` — one Standard workflow execution per SQS message.
2. ``DynamoDBStreamToEventBus`` — table changes as domain events (the Kraken Power API pipe).
3. ``KinesisToFirehose`` — keep only matching records before they reach Firehose.
4. ``SqsEnrichedToStepFunctions`` — SQS -> Lambda enrichment (e.g. Bedrock) -> Step Functions.
5. ``MskToLambda`` — Kafka records enriched by an API Gateway lookup, processed by Lambda.

Each wrapper builds its :class:`EventPipeArgs` in ``pipe_args()`` (pure), so callers can check a
design before declaring anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

import pulumi

from ..context import StackContext
from ..errors import ConfigError
from .component import EventPipe, EventPipeArgs, plan_pipe
from .enrichments import ApiGatewayEnrichment, LambdaEnrichment
from .monitoring import AlarmSettings, LoggingSettings
from .pitfalls import SampleEvents
from .sources import DynamoDBStreamSource, KinesisStreamSource, MskSource, SqsSource
from .targets import (
    EventBusTarget,
    FirehoseTarget,
    HttpParameters,
    LambdaTarget,
    StepFunctionsTarget,
)

IDEMPOTENCY_TOKEN = "<$.messageId>"
# Pattern 1: the reference's template plus the SQS message id as an idempotency key (see docs/pipes.md:
# the Pipes API cannot set the execution name, so the workflow must deduplicate on this key).
SQS_TO_SFN_TEMPLATE = '{\n  "idempotencyKey": "<$.messageId>",\n  "orderId": <$.body.orderId>,\n  "items": <$.body.items>\n}'
# Pattern 2: the Kraken Power API template and filter.
KRAKEN_TEMPLATE = '{ "subjectId": <$.dynamodb.NewImage.subjectId.S> }'
KRAKEN_EVENT_NAMES = ("INSERT", "MODIFY")
# Pattern 3: the reference's content filter and Firehose record shape.
HIGH_VALUE_FILTER: dict[str, Any] = {"data": {"eventType": ["purchase", "refund"], "amount": [{"numeric": [">=", 100]}]}}
FIREHOSE_TEMPLATE = ('{\n  "ts": <$.approximateArrivalTimestamp>,\n  "type": <$.data.eventType>,\n'
                     '  "amount": <$.data.amount>,\n  "userId": <$.data.userId>\n}')


@dataclass(kw_only=True)
class _PatternArgs:
    """Operations settings every pattern passes through to EventPipe."""

    context: StackContext
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    desired_state: Literal["RUNNING", "STOPPED"] = "RUNNING"
    samples: SampleEvents = field(default_factory=SampleEvents)
    pipe_name: str | None = None

    def pipe_args(self, where: str) -> EventPipeArgs:
        """The EventPipe this pattern builds (each pattern defines it)."""
        raise NotImplementedError

    def _common(self) -> dict[str, Any]:
        return {"context": self.context, "logging": self.logging, "alarms": self.alarms,
                "desired_state": self.desired_state, "samples": self.samples, "pipe_name": self.pipe_name}


def _require_idempotency_key(template: str, where: str) -> None:
    if IDEMPOTENCY_TOKEN not in template:
        raise ConfigError(
            f"{where}: the input template must carry {IDEMPOTENCY_TOKEN} (e.g. \"idempotencyKey\": "
            f"\"{IDEMPOTENCY_TOKEN}\"). SQS delivers at least once and a pipe cannot name the execution, so "
            "a redelivered message starts a second execution; the workflow needs the message id to skip it")


@dataclass(kw_only=True)
class SqsToStepFunctionsArgs(_PatternArgs):
    queue_arn: pulumi.Input[str]
    state_machine_arn: pulumi.Input[str]
    workflow_type: Literal["STANDARD", "EXPRESS"] = "STANDARD"
    input_template: str = SQS_TO_SFN_TEMPLATE
    fifo: bool | None = None
    filters: list[dict[str, Any]] = field(default_factory=list)

    def pipe_args(self, where: str) -> EventPipeArgs:
        _require_idempotency_key(self.input_template, where)
        return EventPipeArgs(
            **self._common(),
            source=SqsSource(queue_arn=self.queue_arn, batch_size=1, fifo=self.fifo),
            filters=self.filters,
            target=StepFunctionsTarget(state_machine_arn=self.state_machine_arn, workflow_type=self.workflow_type,
                                       invocation_type="FIRE_AND_FORGET", input_template=self.input_template),
            description="SQS -> Step Functions: one workflow execution per message",
        )


@dataclass(kw_only=True)
class DynamoDBStreamToEventBusArgs(_PatternArgs):
    stream_arn: pulumi.Input[str]
    event_bus_arn: pulumi.Input[str]
    detail_type: str
    source: str
    event_names: tuple[str, ...] = KRAKEN_EVENT_NAMES
    input_template: str = KRAKEN_TEMPLATE
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = "TRIM_HORIZON"
    batch_size: int = 10
    maximum_batching_window_in_seconds: int = 5
    dead_letter_arn: pulumi.Input[str] | None = None

    def pipe_args(self, where: str) -> EventPipeArgs:
        return EventPipeArgs(
            **self._common(),
            source=DynamoDBStreamSource(
                stream_arn=self.stream_arn, starting_position=self.starting_position, batch_size=self.batch_size,
                maximum_batching_window_in_seconds=self.maximum_batching_window_in_seconds,
                on_partial_batch_item_failure="AUTOMATIC_BISECT", dead_letter_arn=self.dead_letter_arn),
            filters=[{"eventName": list(self.event_names)}],
            target=EventBusTarget(event_bus_arn=self.event_bus_arn, detail_type=self.detail_type, source=self.source,
                                  input_template=self.input_template),
            description="DynamoDB Streams -> EventBridge bus: table changes as domain events",
        )


@dataclass(kw_only=True)
class KinesisToFirehoseArgs(_PatternArgs):
    stream_arn: pulumi.Input[str]
    delivery_stream_arn: pulumi.Input[str]
    content_filter: dict[str, Any] = field(default_factory=lambda: dict(HIGH_VALUE_FILTER))
    input_template: str = FIREHOSE_TEMPLATE
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = "LATEST"
    batch_size: int = 100
    maximum_batching_window_in_seconds: int = 5
    dead_letter_arn: pulumi.Input[str] | None = None

    def pipe_args(self, where: str) -> EventPipeArgs:
        return EventPipeArgs(
            **self._common(),
            source=KinesisStreamSource(
                stream_arn=self.stream_arn, starting_position=self.starting_position, batch_size=self.batch_size,
                maximum_batching_window_in_seconds=self.maximum_batching_window_in_seconds,
                dead_letter_arn=self.dead_letter_arn),
            filters=[self.content_filter],
            target=FirehoseTarget(delivery_stream_arn=self.delivery_stream_arn, input_template=self.input_template),
            description="Kinesis -> Firehose, filtered before ingest",
        )


@dataclass(kw_only=True)
class SqsEnrichedToStepFunctionsArgs(_PatternArgs):
    queue_arn: pulumi.Input[str]
    enrichment_function_arn: pulumi.Input[str]
    state_machine_arn: pulumi.Input[str]
    enrichment_timeout_seconds: int | None = None
    enrichment_input_template: str | None = None
    target_input_template: str | None = None
    workflow_type: Literal["STANDARD", "EXPRESS"] = "STANDARD"

    def pipe_args(self, where: str) -> EventPipeArgs:
        return EventPipeArgs(
            **self._common(),
            source=SqsSource(queue_arn=self.queue_arn, batch_size=1),
            enrichment=LambdaEnrichment(function_arn=self.enrichment_function_arn,
                                        timeout_seconds=self.enrichment_timeout_seconds,
                                        input_template=self.enrichment_input_template),
            target=StepFunctionsTarget(state_machine_arn=self.state_machine_arn, workflow_type=self.workflow_type,
                                       invocation_type="FIRE_AND_FORGET", input_template=self.target_input_template),
            description="SQS -> Lambda enrichment -> Step Functions",
        )


@dataclass(kw_only=True)
class MskToLambdaArgs(_PatternArgs):
    cluster_arn: pulumi.Input[str]
    topic_name: str
    lookup_api_arn: pulumi.Input[str]  # execute-api ARN: arn:aws:execute-api:<r>:<a>:<api>/<stage>/POST/lookup
    function_arn: pulumi.Input[str]
    function_timeout_seconds: int | None = None
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = "LATEST"
    # AWS accepts only batch size 1 with an API Gateway enrichment (the reference's 100 is rejected).
    batch_size: int = 1
    consumer_group_id: str | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    def pipe_args(self, where: str) -> EventPipeArgs:
        return EventPipeArgs(
            **self._common(),
            source=MskSource(cluster_arn=self.cluster_arn, topic_name=self.topic_name,
                             starting_position=self.starting_position, batch_size=self.batch_size,
                             consumer_group_id=self.consumer_group_id),
            enrichment=ApiGatewayEnrichment(execute_api_arn=self.lookup_api_arn,
                                            http=HttpParameters(header_parameters=dict(self.headers))),
            target=LambdaTarget(function_arn=self.function_arn, timeout_seconds=self.function_timeout_seconds),
            description="MSK -> API Gateway enrichment -> Lambda",
        )


ArgsT = TypeVar("ArgsT", bound=_PatternArgs)


class _Pattern(pulumi.ComponentResource, Generic[ArgsT]):
    """One ready pattern: an EventPipe built from the pattern's own typed args (``args_type``)."""

    type_name: ClassVar[str] = "groundwork:pipes:Pattern"
    args_type: ClassVar[type[_PatternArgs]] = _PatternArgs

    def __init__(self, name: str, args: ArgsT, opts: pulumi.ResourceOptions | None = None) -> None:
        kind = self.type_name.rsplit(":", 1)[-1]
        if not isinstance(args, self.args_type):  # another pattern's args would build another pipe
            raise TypeError(f"{kind} '{name}' takes {self.args_type.__name__}, not {type(args).__name__}")
        pipe_args = args.pipe_args(f"{kind} '{name}'")
        plan_pipe(name, pipe_args)  # refuse before anything is registered
        super().__init__(self.type_name, name, None, opts)
        self.pipe = EventPipe(name, pipe_args, opts=pulumi.ResourceOptions(parent=self))
        self.arn = self.pipe.arn
        self.pipe_name = self.pipe.pipe_name
        self.desired_state = self.pipe.desired_state
        self.register_outputs({"arn": self.arn, "name": self.pipe_name, "desiredState": self.desired_state})


class SqsToStepFunctions(_Pattern[SqsToStepFunctionsArgs]):
    """Pattern 1: SQS -> Step Functions, batch size 1, message id carried as idempotency key."""

    type_name = "groundwork:pipes:SqsToStepFunctions"
    args_type = SqsToStepFunctionsArgs


class DynamoDBStreamToEventBus(_Pattern[DynamoDBStreamToEventBusArgs]):
    """Pattern 2: DynamoDB Streams -> EventBridge bus, deletions filtered out, Kraken template."""

    type_name = "groundwork:pipes:DynamoDBStreamToEventBus"
    args_type = DynamoDBStreamToEventBusArgs


class KinesisToFirehose(_Pattern[KinesisToFirehoseArgs]):
    """Pattern 3: Kinesis -> Firehose with a content filter in front of the ingest."""

    type_name = "groundwork:pipes:KinesisToFirehose"
    args_type = KinesisToFirehoseArgs


class SqsEnrichedToStepFunctions(_Pattern[SqsEnrichedToStepFunctionsArgs]):
    """Pattern 4: SQS -> Lambda enrichment -> Step Functions."""

    type_name = "groundwork:pipes:SqsEnrichedToStepFunctions"
    args_type = SqsEnrichedToStepFunctionsArgs


class MskToLambda(_Pattern[MskToLambdaArgs]):
    """Pattern 5: MSK -> API Gateway enrichment -> Lambda."""

    type_name = "groundwork:pipes:MskToLambda"
    args_type = MskToLambdaArgs
