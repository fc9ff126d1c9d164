"""Event platform practices for EventBridge Pipes: batch size for Standard workflows, logging and
alarms in production, DLQ settings only where the source has them, at most five filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import prop, schema
from groundwork_policies.framework import Context, Finding, Resource, by_type, resource_policy, stack_policy
from groundwork_policies.values import UNKNOWN, as_list, dig

PIPE = "aws:pipes/pipe:Pipe"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
# sourceParameters section -> (source kind, batch size Pipes uses when none is given).
SOURCE_SECTIONS = {
    "sqsQueueParameters": ("sqs", 10),
    "kinesisStreamParameters": ("kinesis", 100),
    "dynamodbStreamParameters": ("dynamodb", 100),
    "managedStreamingKafkaParameters": ("kafka", 100),
    "selfManagedKafkaParameters": ("kafka", 100),
    "activemqBrokerParameters": ("mq", 100),
    "rabbitmqBrokerParameters": ("mq", 100),
}
DEFAULT_BATCH = {"sqs": 10, "kinesis": 100, "dynamodb": 100, "kafka": 100, "mq": 100}
DLQ_SOURCES = ("kinesis", "dynamodb")  # the only Pipes sources with a deadLetterConfig
LOG_DESTINATIONS = ("cloudwatchLogsLogDestination", "firehoseLogDestination", "s3LogDestination")


def source_kind(pipe: Resource) -> str | None:
    source = pipe.props.get("source")
    if isinstance(source, str) and source.startswith("arn:"):
        service = source.split(":")[2] if source.count(":") >= 2 else ""
        if service == "dynamodb" and "/stream/" in source:
            return "dynamodb"
        return {"sqs": "sqs", "kinesis": "kinesis", "kafka": "kafka", "mq": "mq"}.get(service)
    for section, (kind, _default) in SOURCE_SECTIONS.items():
        if isinstance(dig(pipe.props, "sourceParameters", section), Mapping):
            return kind
    return None


def batch_size(pipe: Resource) -> tuple[object, str]:
    """The pipe's batch size (UNKNOWN if computed) and where it comes from."""
    params = pipe.props.get("sourceParameters")
    if params is UNKNOWN:
        return UNKNOWN, "unknown"
    for section in SOURCE_SECTIONS:
        size = dig(params, section, "batchSize")
        if size is UNKNOWN:
            return UNKNOWN, section
        if size is not None:
            return size, f"sourceParameters.{section}.batchSize"
    kind = source_kind(pipe)
    if kind is None:
        return UNKNOWN, "unknown"
    return DEFAULT_BATCH[kind], f"the {kind} default (no batchSize given)"


def _state_machine_of(pipe: Resource, machines: list[Resource]) -> Resource | None:
    target = pipe.props.get("target")
    for machine in machines:
        name = machine.props.get("name")
        if isinstance(target, str) and isinstance(name, str) and target.endswith(f":stateMachine:{name}"):
            return machine
    if target is UNKNOWN or (isinstance(target, str) and ":states:" in target):
        related = [m for m in machines if pipe.related(m)]
        if len(related) == 1:
            return related[0]
    return None


def check_standard_batch(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    machines = by_type(resources, STATE_MACHINE)
    for pipe in by_type(resources, PIPE):
        machine = _state_machine_of(pipe, machines)
        if machine is None:
            continue
        kind = machine.props.get("type")
        if kind is UNKNOWN or (kind or "STANDARD").upper() != "STANDARD":
            continue
        size, origin = batch_size(pipe)
        if size is not UNKNOWN and size != 1:
            shown = int(size) if isinstance(size, float) and size.is_integer() else size
            yield Finding(f"pipe '{pipe.name}' targets Standard state machine '{machine.name}' with batch "
                          f"size {shown} ({origin}): only the first record of each batch would start an "
                          "execution; set batchSize 1", resource=pipe)


def _alarm_names_pipe(alarm: Resource) -> set[str]:
    names = set()
    dimensions = [alarm.props.get("dimensions")]
    dimensions += [dig(q, "metric", "dimensions") for q in as_list(alarm.props.get("metricQueries"))]
    for dims in dimensions:
        if isinstance(dims, Mapping) and isinstance(dims.get("PipeName"), str):
            names.add(dims["PipeName"])
    return names


def check_production_observability(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    if not ctx.stack.is_production:
        return
    alarms = by_type(resources, METRIC_ALARM)
    for pipe in by_type(resources, PIPE):
        log = pipe.props.get("logConfiguration")
        if log is not UNKNOWN:
            level = dig(log, "level")
            has_destination = any(dig(log, d) for d in LOG_DESTINATIONS)
            if level is not UNKNOWN and (not isinstance(level, str) or level.upper() == "OFF"
                                         or not has_destination):
                yield Finding(f"pipe '{pipe.name}' has no execution logging (logConfiguration with level "
                              "ERROR/INFO/TRACE and a destination)", resource=pipe, check="logging")
        name = pipe.props.get("name")
        if name is UNKNOWN:
            continue
        if ctx.settings["requireAlarms"] and not any(
                (isinstance(name, str) and name in _alarm_names_pipe(a)) or a.related(pipe) for a in alarms):
            yield Finding(f"pipe '{pipe.name}' has no CloudWatch alarm (e.g. on ExecutionFailed with "
                          "dimension PipeName)", resource=pipe, check="alarms")


def check_source_parameters(resource: Resource, ctx: Context) -> Iterable[Finding]:
    params = resource.props.get("sourceParameters")
    if not isinstance(params, Mapping):
        return
    kind = source_kind(resource)
    for section, value in params.items():
        if not isinstance(value, Mapping) or "deadLetterConfig" not in value:
            continue
        section_kind = SOURCE_SECTIONS.get(section, (None, 0))[0]
        if section_kind not in DLQ_SOURCES or (kind is not None and kind not in DLQ_SOURCES):
            yield Finding(f"sourceParameters.{section}.deadLetterConfig: a {kind or section_kind} source has no "
                          "dead-letter config in Pipes (use the queue's redrive policy or the target's DLQ)",
                          check="dlq-supported")
    filters = dig(params, "filterCriteria", "filters")
    limit = int(ctx.settings["maxFilters"])
    if isinstance(filters, list) and len(filters) > limit:
        yield Finding(f"{len(filters)} filters: a pipe accepts at most {limit}; merge patterns", check="filter-limit")


def policies() -> list:
    return [
        stack_policy(
            name="pipe-standard-workflow-batch",
            description="A pipe targeting a Standard Step Functions state machine uses batch size 1.",
            check=check_standard_batch, enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH, config_schema=schema(),
        ),
        stack_policy(
            name="pipe-production-observability",
            description="Pipes in PRODUCTION stacks log executions and have an alarm.",
            check=check_production_observability, enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.MEDIUM,
            config_schema=schema(requireAlarms=prop("boolean", True, "require a CloudWatch alarm per pipe")),
        ),
        resource_policy(
            name="pipe-source-parameters",
            description="Pipe source settings AWS accepts: dead-letter config only for Kinesis/DynamoDB "
                        "stream sources, at most 5 filters.",
            check=check_source_parameters, types=[PIPE], enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.MEDIUM,
            config_schema=schema(maxFilters=prop("integer", 5, "maximum number of filters per pipe", minimum=1)),
        ),
    ]
