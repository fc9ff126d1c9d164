"""``EventPipe``: one EventBridge pipe with its least-privilege role, logging and alarms.

Everything is checked before anything is declared: a design AWS would reject, or one that would
misbehave (the pitfalls in docs/pipes.md), stops the program with one ConfigError listing every
problem, each saying why and what to do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from ..context import StackContext
from ..conventions import with_conventions
from ..errors import ConfigError
from ..events.patterns import pattern_json
from .enrichments import Enrichment
from .monitoring import (
    AlarmSettings,
    AlarmTopic,
    LoggingSettings,
    OnFailureQueue,
    on_failure_queue,
    pipe_alarms,
)
from .pitfalls import (
    Findings,
    SampleEvents,
    check_filters,
    check_samples,
    check_templates,
    fit_batch,
    single_target,
)
from .policy import AwsScope, Statement, policy_document, trust_policy
from .sources import KinesisStreamSource, MskSource, Source, SqsSource
from .targets import StepFunctionsTarget, Target

MAX_PIPE_NAME = 64
PIPE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


@dataclass(kw_only=True)
class EventPipeArgs:
    """Inputs of :class:`EventPipe`: the four stages plus operations settings."""

    context: StackContext
    source: Source
    target: Target | Sequence[Target]
    enrichment: Enrichment | None = None
    filters: list[dict[str, Any]] = field(default_factory=list)
    samples: SampleEvents = field(default_factory=SampleEvents)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    desired_state: Literal["RUNNING", "STOPPED"] = "RUNNING"
    description: str | None = None
    pipe_name: str | None = None  # physical name suffix after {context}-{stage}-; defaults to the resource name


@dataclass
class PipeDesign:
    """A checked design, ready to declare."""

    pipe_name: str
    source: Source
    target: Target
    enrichment: Enrichment | None
    filters: list[dict[str, Any]]
    notes: list[str]


def plan_pipe(name: str, args: EventPipeArgs) -> PipeDesign:
    """Check every stage and their combination; raise one ConfigError listing all problems."""
    ctx = args.context
    findings = Findings()
    pipe_name = ctx.name(args.pipe_name or name)
    if len(pipe_name) > MAX_PIPE_NAME or not set(pipe_name) <= PIPE_NAME_CHARS:
        findings.problems.append(f"pipe name {pipe_name!r} must be 1-{MAX_PIPE_NAME} characters of "
                                 "letters, digits, '.', '-' and '_'")
    target, fan_out = single_target(args.target)
    findings.problems += fan_out
    source = args.source
    if isinstance(source, MskSource):
        source = source.with_group(pipe_name)
    findings.problems += source.problems()
    findings.notes += source.notes()
    if args.enrichment is not None:
        findings.problems += args.enrichment.problems()
    filters = check_filters(args.filters, findings)
    if len(filters) == len(args.filters):  # sample checks only make sense with every filter valid
        check_samples(filters, args.samples, findings)
    if target is not None:
        findings.problems += target.problems()
        source = fit_batch(source, target, args.enrichment, findings)
        check_templates(args.enrichment, target, args.samples, findings)
    if (isinstance(source, SqsSource) and isinstance(target, StepFunctionsTarget) and not target.synchronous
            and "<$.messageId>" not in (target.input_template or "")):
        findings.notes.append("SQS delivers at least once and a pipe cannot name Step Functions executions, so "
                              "a redelivered message starts a second execution: pass <$.messageId> in the input "
                              "template as an idempotency key and deduplicate on it in the workflow")
    if isinstance(source, KinesisStreamSource) and any("data" in f for f in filters):
        findings.notes.append("Kinesis filter on 'data': records whose data is not JSON never match and are "
                              "dropped silently; omit the filter and decide in an enrichment if such records "
                              "must be kept")
    findings.problems += args.logging.problems(ctx) + args.alarms.problems()
    if args.logging.level == "OFF":
        findings.notes.append("logging is OFF: failed executions leave no trace but the alarms; ERROR costs "
                              "almost nothing")
    if findings.problems:
        raise ConfigError(f"EventPipe '{name}' ({pipe_name}) cannot be deployed:\n"
                          + "\n".join(f"  - {problem}" for problem in findings.problems))
    assert target is not None
    return PipeDesign(pipe_name, source, target, args.enrichment, filters, findings.notes)


def role_statements(design: PipeDesign, scope: AwsScope,
                    log_group_arn: pulumi.Input[str] | None) -> list[Statement]:
    """Read the source, invoke the enrichment and the target, write the pipe's own logs."""
    statements = design.source.statements(scope)
    if design.enrichment is not None:
        statements += design.enrichment.statements(scope)
    statements += design.target.statements(scope)
    if log_group_arn is not None:
        statements.append(Statement("WritePipeLogs", ("logs:CreateLogStream", "logs:PutLogEvents"),
                                    (pulumi.Output.concat(log_group_arn, ":*"),)))
    return statements


class EventPipe(pulumi.ComponentResource):
    """An EventBridge pipe (source -> filter -> enrichment -> target), refused at design time if unsafe."""

    def __init__(self, name: str, args: EventPipeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        design = plan_pipe(name, args)
        super().__init__("groundwork:pipes:EventPipe", name, None, with_conventions(args.context, opts))
        for note in design.notes:
            pulumi.log.warn(f"EventPipe '{name}': {note}", resource=self)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        scope = AwsScope(
            partition=aws.get_partition_output(opts=invoke).partition,
            region=aws.get_region_output(opts=invoke).region,
            account=aws.get_caller_identity_output(opts=invoke).account_id,
        )
        self.pipe_name = design.pipe_name
        self.log_group: aws.cloudwatch.LogGroup | None = None
        if args.logging.level != "OFF":
            self.log_group = aws.cloudwatch.LogGroup(
                f"{name}-logs", name=f"/aws/vendedlogs/pipes/{design.pipe_name}",
                retention_in_days=args.logging.retention_in_days, opts=child)
        self.topic_arn: pulumi.Input[str] | None = args.alarms.topic_arn
        if args.alarms.enabled and args.alarms.create_topic:
            self.alarm_topic = AlarmTopic(f"{name}-alarm-topic", args.context, f"{design.pipe_name}-alarms",
                                          opts=child)
            self.topic_arn = self.alarm_topic.arn
        # A stream source without an on-failure destination gets one (pointers to the records it gave up on).
        self.on_failure: OnFailureQueue | None = None
        if design.source.supports_dead_letter and design.source.dead_letter_arn is None:
            self.on_failure = on_failure_queue(name, design.pipe_name, args.alarms, self.topic_arn, child)
            design.source = dataclasses.replace(design.source, dead_letter_arn=self.on_failure.queue.arn)
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"{design.pipe_name}-pipe"[:64],
            description=f"Execution role of EventBridge pipe {design.pipe_name}",
            assume_role_policy=trust_policy(scope, design.pipe_name),
            opts=child,
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=policy_document(role_statements(design, scope, self.log_group.arn if self.log_group else None)),
            opts=child,
        )
        self.pipe = aws.pipes.Pipe(
            name,
            name=design.pipe_name,
            description=args.description or f"{design.source.kind} -> {design.target.kind}",
            role_arn=self.role.arn,
            source=design.source.arn,
            source_parameters=_source_parameters(design),
            enrichment=design.enrichment.arn if design.enrichment else None,
            enrichment_parameters=(design.enrichment.parameters() or None) if design.enrichment else None,
            target=design.target.arn,
            target_parameters=_target_parameters(design.target),
            log_configuration=_log_configuration(args.logging, self.log_group),
            desired_state=args.desired_state,
            # The role and its policy must exist before the pipe: AWS checks source access on create.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )
        self.alarms = (pipe_alarms(name, design.pipe_name, args.alarms, self.topic_arn,
                                   pulumi.ResourceOptions(parent=self, depends_on=[self.pipe]))
                       if args.alarms.enabled else {})
        self.arn = self.pipe.arn
        self.desired_state = args.desired_state
        self.role_arn = self.role.arn
        self.register_outputs({
            "arn": self.arn, "name": self.pipe_name, "roleArn": self.role_arn, "desiredState": self.desired_state,
            "alarms": {metric: alarm.name for metric, alarm in self.alarms.items()},
        })


def _source_parameters(design: PipeDesign) -> dict[str, Any]:
    params: dict[str, Any] = {design.source.parameters_key: design.source.parameters()}
    if design.filters:
        params["filter_criteria"] = {"filters": [{"pattern": pattern_json(p)} for p in design.filters]}
    return params


def _target_parameters(target: Target) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    specific = target.parameters()
    if target.parameters_key and specific:
        params[target.parameters_key] = specific
    if target.input_template is not None:
        params["input_template"] = target.input_template
    return params or None


def _log_configuration(settings: LoggingSettings, log_group: aws.cloudwatch.LogGroup | None) -> dict[str, Any]:
    if log_group is None:
        return {"level": "OFF"}
    config: dict[str, Any] = {
        "level": settings.level,
        "cloudwatch_logs_log_destination": {"log_group_arn": log_group.arn},
    }
    if settings.include_execution_data:
        config["include_execution_datas"] = ["ALL"]
    return config
