"""``groundwork:pipes``: an event platform of the five reference pipe patterns, driven by stack config.

Each pattern key present under ``groundwork:pipes`` deploys that pattern together with its example
source and target (queues, tables with streams, a Kinesis stream, state machines, Lambdas, an event
bus, Firehose with its bucket). The DynamoDB -> bus pattern puts its events on a bus of
``groundwork:eventBuses`` when its ``bus`` setting names one (that feature comes first and its
``BusTargets`` are this feature's inputs), else on an example bus of its own. The MSK
cluster and the lookup API of pattern 5 are existing resources given by ARN. Config is validated and
every pipe design checked before anything is declared.
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from groundwork.buses.bus import EventBusPlatform
from groundwork.errors import ConfigError, NotCheckedError
from groundwork.events.patterns import matches
from groundwork.pipes.component import plan_pipe
from groundwork.pipes.monitoring import AlarmSettings, AlarmTopic, LoggingSettings
from groundwork.pipes.patterns import (
    DynamoDBStreamToEventBus,
    DynamoDBStreamToEventBusArgs,
    KinesisToFirehose,
    KinesisToFirehoseArgs,
    MskToLambda,
    MskToLambdaArgs,
    SqsEnrichedToStepFunctions,
    SqsEnrichedToStepFunctionsArgs,
    SqsToStepFunctions,
    SqsToStepFunctionsArgs,
)
from groundwork.pipes.pitfalls import SampleEvents
from groundwork.validators import LogRetentionDays
from pydantic import BaseModel, ConfigDict, Field

from features.buses.program import BusTargets
from features.pipes import example
from features.settings import parse_settings
from features.stack import Feature, Stack

KEY = "groundwork:pipes"
BUSES_KEY = "groundwork:eventBuses"
MSK_CLUSTER_ARN = r"^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9-]+/[A-Za-z0-9-]+$"
EXECUTE_API_ARN = (r"^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]{10}/[A-Za-z0-9_-]+/"
                   r"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|\*)/[A-Za-z0-9_./{}*-]+$")
EVENT_SOURCE = r"^[a-z0-9][a-z0-9.-]{1,254}$"  # "aws." prefixes are refused by EventBusTarget
State = Literal["RUNNING", "STOPPED"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class SamplesConfig(_Model):
    """Source records (as the filter sees them) the pattern's filters must pass / must drop."""

    must_match: list[dict[str, Any]] = Field(default_factory=list, alias="mustMatch")
    must_not_match: list[dict[str, Any]] = Field(default_factory=list, alias="mustNotMatch")


class PatternSettings(_Model):
    desired_state: State | None = Field(default=None, alias="desiredState")
    samples: SamplesConfig = SamplesConfig()


class SqsToStepFunctionsSettings(PatternSettings):
    input_template: str | None = Field(default=None, alias="inputTemplate")


class DynamoDBToBusSettings(PatternSettings):
    bus: str | None = Field(default=None, min_length=1,
                            description="a bus of groundwork:eventBuses in this stack; unset: an example bus")
    detail_type: str = Field(default="power.updated", alias="detailType", min_length=1, max_length=128)
    event_source: str = Field(default="com.example.power-api", alias="eventSource", pattern=EVENT_SOURCE)
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = Field(default="TRIM_HORIZON", alias="startingPosition")


class KinesisToFirehoseSettings(PatternSettings):
    minimum_amount: float = Field(default=100, alias="minimumAmount", ge=0)
    event_types: list[str] = Field(default=["purchase", "refund"], alias="eventTypes", min_length=1)


class SqsEnrichedSettings(PatternSettings):
    model_id: str = Field(default="anthropic.claude-3-haiku-20240307-v1:0", alias="modelId",
                          pattern=r"^[a-z0-9.-]+\.[A-Za-z0-9.:-]+$")


class MskToLambdaSettings(PatternSettings):
    cluster_arn: str = Field(alias="clusterArn", pattern=MSK_CLUSTER_ARN)
    topic_name: str = Field(default="clickstream", alias="topicName", pattern=r"^[A-Za-z0-9._-]{1,249}$")
    lookup_api_arn: str = Field(alias="lookupApiArn", pattern=EXECUTE_API_ARN)
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = Field(default="LATEST", alias="startingPosition")


class AlarmConfig(_Model):
    enabled: bool = True
    evaluation_periods: int = Field(default=15, alias="evaluationPeriods", ge=1, le=100)
    period_seconds: int = Field(default=60, alias="periodSeconds", ge=10)
    threshold: float = Field(default=0, ge=0)
    notify: bool = True


class LoggingConfig(_Model):
    level: Literal["OFF", "ERROR", "INFO", "TRACE"] = "ERROR"
    include_execution_data: bool = Field(default=False, alias="includeExecutionData")
    retention_in_days: LogRetentionDays = Field(default=30, alias="retentionInDays")
    allow_trace_in_production: bool = Field(default=False, alias="allowTraceInProduction")


class PipesSettings(_Model):
    """``groundwork:pipes``: shared operations settings and one optional block per pattern."""

    desired_state: State = Field(default="RUNNING", alias="desiredState")
    alarms: AlarmConfig = AlarmConfig()
    logging: LoggingConfig = LoggingConfig()
    sqs_to_step_functions: SqsToStepFunctionsSettings | None = Field(default=None, alias="sqsToStepFunctions")
    dynamodb_to_event_bus: DynamoDBToBusSettings | None = Field(default=None, alias="dynamodbToEventBus")
    kinesis_to_firehose: KinesisToFirehoseSettings | None = Field(default=None, alias="kinesisToFirehose")
    sqs_enriched_to_step_functions: SqsEnrichedSettings | None = Field(default=None,
                                                                       alias="sqsEnrichedToStepFunctions")
    msk_to_lambda: MskToLambdaSettings | None = Field(default=None, alias="mskToLambda")

    @classmethod
    def parse(cls, raw: Any) -> PipesSettings:
        return parse_settings(cls, raw, KEY, shape="an object (see docs/pipes.md)")


def check_target_bus(buses: BusTargets, settings: PipesSettings) -> None:
    """Refuse a ``dynamodbToEventBus.bus`` that is not a bus of ``groundwork:eventBuses`` in this stack.

    An unknown name is one ConfigError naming the key, the value and the buses this stack declares.
    """
    block = settings.dynamodb_to_event_bus
    if block is None or block.bus is None:
        return
    if buses.check_failed:
        raise NotCheckedError(f"{KEY}.dynamodbToEventBus.bus = {block.bus!r}: not checked, "
                              f"{BUSES_KEY} is invalid (see above)")
    names = buses.names or []
    if block.bus not in names:
        known = ", ".join(sorted(names)) if names else f"none ({BUSES_KEY} is not set in this stack)"
        raise ConfigError(f"{KEY}.dynamodbToEventBus.bus = {block.bus!r} is not a bus declared under "
                          f"{BUSES_KEY} in this stack; known buses: {known}")


def resolve_target_bus(buses: BusTargets, settings: PipesSettings) -> EventBusPlatform | None:
    """The declared ``groundwork:eventBuses`` bus the DynamoDB -> bus pipe targets (None: its own example bus)."""
    block = settings.dynamodb_to_event_bus
    if block is None or block.bus is None:
        return None
    check_target_bus(buses, settings)
    return buses.buses[block.bus]


def unmatched_bus_warning(settings: PipesSettings, bus: EventBusPlatform) -> str | None:
    """A warning when no enabled rule of the target bus selects the pipe's source and detail-type.

    Only the envelope is compared (the detail is the pipe's template output); a rule using ``$or``
    at the top level or not naming source/detail-type counts as a match.
    """
    block = settings.dynamodb_to_event_bus
    if block is None:
        return None
    envelope = {"source": block.event_source, "detail-type": block.detail_type}
    for pattern in bus.rule_patterns.values():
        selector = {key: pattern[key] for key in envelope if key in pattern}
        if "$or" in pattern or not selector or matches(selector, envelope):
            return None
    return (f"{KEY}.dynamodbToEventBus: the pipe puts events with source {block.event_source!r} and "
            f"detail-type {block.detail_type!r} on bus {block.bus!r}, but no enabled rule of that bus "
            f"selects them: add a rule under {BUSES_KEY}.buses.{block.bus}.rules or they reach no target")


def _placeholder(service: str, resource: str) -> str:
    return f"arn:aws:{service}:us-east-1:000000000000:{resource}"


def _pipe_specs(settings: PipesSettings, stack: Stack, arns: dict[str, Any]) -> list[tuple[str, type, Any]]:
    """(name, component, args) for every enabled pattern; ``arns`` supplies each stage's ARN."""
    ctx = stack.context
    logging = LoggingSettings(level=settings.logging.level,
                              include_execution_data=settings.logging.include_execution_data,
                              retention_in_days=settings.logging.retention_in_days,
                              allow_trace_in_production=settings.logging.allow_trace_in_production)

    def common(block: PatternSettings) -> dict[str, Any]:
        return {"context": ctx, "logging": logging,
                "alarms": AlarmSettings(enabled=settings.alarms.enabled,
                                        evaluation_periods=settings.alarms.evaluation_periods,
                                        period_seconds=settings.alarms.period_seconds,
                                        threshold=settings.alarms.threshold, topic_arn=arns.get("alarmTopic")),
                "desired_state": block.desired_state or settings.desired_state,
                "samples": SampleEvents(must_match=list(block.samples.must_match),
                                        must_not_match=list(block.samples.must_not_match))}

    specs: list[tuple[str, type, Any]] = []
    if (block := settings.sqs_to_step_functions) is not None:
        extra = {"input_template": block.input_template} if block.input_template else {}
        specs.append(("order-fulfillment", SqsToStepFunctions, SqsToStepFunctionsArgs(
            **common(block), queue_arn=arns["orderQueue"], state_machine_arn=arns["fulfillment"], **extra)))
    if (stream := settings.dynamodb_to_event_bus) is not None:
        specs.append(("power-events", DynamoDBStreamToEventBus, DynamoDBStreamToEventBusArgs(
            **common(stream), stream_arn=arns["powersStream"], event_bus_arn=arns["domainBus"],
            detail_type=stream.detail_type, source=stream.event_source, starting_position=stream.starting_position)))
    if (kinesis := settings.kinesis_to_firehose) is not None:
        content_filter = {"data": {"eventType": list(kinesis.event_types),
                                   "amount": [{"numeric": [">=", kinesis.minimum_amount]}]}}
        specs.append(("high-value-archive", KinesisToFirehose, KinesisToFirehoseArgs(
            **common(kinesis), stream_arn=arns["eventStream"], delivery_stream_arn=arns["archive"],
            content_filter=content_filter)))
    if (enriched := settings.sqs_enriched_to_step_functions) is not None:
        specs.append(("inquiry-handoff", SqsEnrichedToStepFunctions, SqsEnrichedToStepFunctionsArgs(
            **common(enriched), queue_arn=arns["inquiryQueue"], enrichment_function_arn=arns["inquiryEnricher"],
            enrichment_timeout_seconds=example_timeouts["inquiry-enricher"], state_machine_arn=arns["handoff"])))
    if (msk := settings.msk_to_lambda) is not None:
        specs.append(("clickstream", MskToLambda, MskToLambdaArgs(
            **common(msk), cluster_arn=msk.cluster_arn, topic_name=msk.topic_name,
            lookup_api_arn=msk.lookup_api_arn, function_arn=arns["clickProcessor"],
            function_timeout_seconds=example_timeouts["click-processor"],
            starting_position=msk.starting_position)))
    return specs


CONFIG_BLOCKS = {"order-fulfillment": "sqsToStepFunctions", "power-events": "dynamodbToEventBus",
                 "high-value-archive": "kinesisToFirehose", "inquiry-handoff": "sqsEnrichedToStepFunctions",
                 "clickstream": "mskToLambda"}
example_timeouts = {"inquiry-enricher": 120, "click-processor": 60}
PLACEHOLDER_ARNS = {
    "orderQueue": _placeholder("sqs", "orders"), "fulfillment": _placeholder("states", "stateMachine:f"),
    "powersStream": _placeholder("dynamodb", "table/p/stream/x"), "domainBus": _placeholder("events", "event-bus/d"),
    "eventStream": _placeholder("kinesis", "stream/e"), "archive": _placeholder("firehose", "deliverystream/a"),
    "inquiryQueue": _placeholder("sqs", "inquiries"), "inquiryEnricher": _placeholder("lambda", "function:e"),
    "handoff": _placeholder("states", "stateMachine:h"), "clickProcessor": _placeholder("lambda", "function:c"),
}


class PipesPlatform(pulumi.ComponentResource):
    """The example event platform: every enabled pattern with its sources and targets."""

    def __init__(self, name: str, stack: Stack, settings: PipesSettings,
                 opts: pulumi.ResourceOptions | None = None, *, target_bus: EventBusPlatform | None = None) -> None:
        super().__init__("groundwork:pipes:PipesPlatform", name, None, opts)
        ctx = stack.context
        invoke = pulumi.InvokeOptions(parent=self)
        scope = example.Scope(ctx=ctx, parent=self, account=aws.get_caller_identity_output(opts=invoke).account_id,
                              region=aws.get_region_output(opts=invoke).region,
                              partition=aws.get_partition_output(opts=invoke).partition)
        arns: dict[str, Any] = {}
        if settings.alarms.enabled and settings.alarms.notify:
            self.alarm_topic = AlarmTopic("pipe-alarms", ctx, ctx.name("pipe-alarms"),
                                          opts=pulumi.ResourceOptions(parent=self))
            arns["alarmTopic"] = self.alarm_topic.arn
        if settings.sqs_to_step_functions is not None or settings.sqs_enriched_to_step_functions is not None:
            idempotency = example.table("idempotency-keys", scope, stream=False)
        if settings.sqs_to_step_functions is not None:
            arns["orderQueue"] = example.queue_with_dlq("orders", scope).arn
            arns["fulfillment"] = example.state_machine("fulfillment", scope, idempotency).arn
        if settings.dynamodb_to_event_bus is not None:
            arns["powersStream"] = example.table("powers", scope, stream=True).stream_arn
            # The stack's own bus (groundwork:eventBuses) when named, so its rules see the events.
            arns["domainBus"] = (target_bus.bus_arn if target_bus is not None else
                                 aws.cloudwatch.EventBus("domain-bus", name=ctx.name("domain"), opts=scope.opts).arn)
        if settings.kinesis_to_firehose is not None:
            arns["eventStream"] = aws.kinesis.Stream(
                "events-stream", name=ctx.name("events"), stream_mode_details={"stream_mode": "ON_DEMAND"},
                encryption_type="KMS", kms_key_id="alias/aws/kinesis", retention_period=24, opts=scope.opts).arn
            bucket = example.archive_bucket("high-value-archive", scope)
            arns["archive"] = example.firehose_to_bucket("high-value-archive", scope, bucket).arn
        if (block := settings.sqs_enriched_to_step_functions) is not None:
            arns["inquiryQueue"] = example.queue_with_dlq("inquiries", scope, visibility_timeout_seconds=180).arn
            model_arn = pulumi.Output.concat("arn:", scope.partition, ":bedrock:", scope.region,
                                             "::foundation-model/", block.model_id)
            arns["inquiryEnricher"] = example.function(
                "inquiry-enricher", scope, "inquiry_enricher.py", timeout=example_timeouts["inquiry-enricher"],
                environment={"MODEL_ID": block.model_id},
                extra_statements=[{"Sid": "AskModel", "Effect": "Allow", "Action": ["bedrock:InvokeModel"],
                                   "Resource": model_arn}]).arn
            arns["handoff"] = example.state_machine("handoff", scope, idempotency).arn
        if settings.msk_to_lambda is not None:
            arns["clickProcessor"] = example.function("click-processor", scope, "click_processor.py",
                                                      timeout=example_timeouts["click-processor"]).arn
        self.pipes = {
            pipe_name: component(pipe_name, args, opts=pulumi.ResourceOptions(parent=self))
            for pipe_name, component, args in _pipe_specs(settings, stack, arns)
        }
        self.register_outputs({"pipes": {n: p.pipe_name for n, p in self.pipes.items()}})


def check(stack: Stack, settings: object, buses: BusTargets) -> PipesSettings:
    """Validate ``groundwork:pipes`` and its target bus, and check every pipe design; declare nothing."""
    parsed = PipesSettings.parse(settings)
    check_target_bus(buses, parsed)
    for name, _component, args in _pipe_specs(parsed, stack, {**PLACEHOLDER_ARNS, "alarmTopic": None}):
        where = f"{KEY}.{CONFIG_BLOCKS[name]}"
        try:
            plan_pipe(name, args.pipe_args(where))
        except ConfigError as error:
            raise ConfigError(f"Invalid stack config ({where}):\n{error}") from None
    return parsed


def declare(stack: Stack, parsed: PipesSettings, buses: BusTargets) -> PipesPlatform:
    """Declare the platform, on the stack's own bus when ``dynamodbToEventBus.bus`` names one."""
    target_bus = resolve_target_bus(buses, parsed)
    if target_bus is not None and (warning := unmatched_bus_warning(parsed, target_bus)) is not None:
        pulumi.log.warn(warning)
    platform = PipesPlatform("pipes", stack, parsed, target_bus=target_bus)
    pulumi.export("pipes", {name: {"name": pipe.pipe_name, "arn": pipe.arn, "desiredState": pipe.desired_state}
                            for name, pipe in platform.pipes.items()})
    return platform


FEATURE: Feature[BusTargets, PipesSettings, PipesPlatform] = Feature("pipes", check, declare)
