"""EventBusPlatform: a custom event bus with archive, schema discovery, cross-account producers,
pattern rules and targets that each carry a retry policy, a DLQ and a DLQ-depth alarm.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..consumers import wire_consumers
from ..context import StackContext
from ..conventions import with_conventions
from ..errors import ConfigError
from ..events.patterns import PatternError, validate_pattern
from ..validators import check_name
from .api_destination import ApiDestination, ApiDestinationArgs, ApiDestinationSettings
from .limits import (
    MAX_ARCHIVE_RETENTION_DAYS,
    MAX_BUS_POLICY_LENGTH,
    MAX_EVENT_PATTERN_LENGTH,
)
from .queues import (
    QueueSettings,
    allow_send,
    dead_letter_queue,
    depth_alarm,
    queue_with_redrive,
)
from .rules import (
    ApiDestinationTarget,
    LambdaTarget,
    RuleSettings,
    SqsBufferTarget,
    check_buffer_consumers,
    check_pattern_length,
    check_rule_count,
    check_rule_samples,
    max_rules_for,
)

ACCOUNT_NAME_SHAPE = re.compile(r"^[a-z][a-z0-9-]{2,49}$")


class ArchiveSettings(BaseModel):
    """Keep (a filtered subset of) the bus's events for replay."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    retention_days: int = Field(ge=0, le=MAX_ARCHIVE_RETENTION_DAYS, alias="retentionDays",
                                description="0 keeps events indefinitely")
    pattern: dict[str, Any] | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            return validate_pattern(value, max_length=MAX_EVENT_PATTERN_LENGTH)
        except PatternError as error:
            raise ValueError(f"invalid event pattern at {error.path}: {error.reason}") from None


class BusSettings(BaseModel):
    """One custom bus: its rules, API destinations and who may put events on it."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    description: str | None = Field(default=None, max_length=512)
    archive: ArchiveSettings | None = None
    schema_discovery: bool = Field(default=False, alias="schemaDiscovery")
    producers: list[str] = Field(default_factory=list, description="account names allowed to PutEvents")
    api_destinations: dict[str, ApiDestinationSettings] = Field(default_factory=dict, alias="apiDestinations")
    rules: dict[str, RuleSettings] = Field(default_factory=dict)

    @field_validator("producers")
    @classmethod
    def _producers(cls, value: list[str]) -> list[str]:
        for name in value:
            if not ACCOUNT_NAME_SHAPE.match(name):
                raise ValueError(f"{name!r} is not an account name (lower-case, 3-50 characters)")
        if len(set(value)) != len(value):
            raise ValueError("producer account names must be unique")
        return value

    @field_validator("api_destinations", "rules")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            check_name(name)
        return value

    @model_validator(mode="after")
    def _destinations_exist(self) -> BusSettings:
        for rule_name, rule in self.rules.items():
            for target in rule.targets:
                if isinstance(target, ApiDestinationTarget) and target.destination not in self.api_destinations:
                    known = ", ".join(sorted(self.api_destinations)) or "none declared"
                    raise ValueError(
                        f"rule {rule_name!r} target {target.name!r}: API destination "
                        f"{target.destination!r} is not under apiDestinations ({known})"
                    )
        return self


@dataclass
class EventBusArgs:
    """Inputs of :class:`EventBusPlatform`.

    ``producer_account_ids`` maps each producer account name to its id; ``api_secrets`` maps each
    API destination to its resolved credential (a Pulumi secret).
    """

    context: StackContext
    bus: str
    settings: BusSettings
    producer_account_ids: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    api_secrets: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    alarm_actions: list[str] = field(default_factory=list)
    max_rules_per_bus: int | None = None  # None: the region's default quota
    max_pattern_length: int | None = None  # None: the default quota (2048)


def check_bus(where: str, args: EventBusArgs, *, warn: bool = True) -> None:
    """Every refusal for one bus, before anything is declared."""
    settings = args.settings
    limit = max_rules_for(pulumi.Config("aws").get("region"), args.max_rules_per_bus)
    check_rule_count(where, len(settings.rules), limit, args.max_rules_per_bus is not None)
    for rule_name, rule in settings.rules.items():
        check_pattern_length(f"{where}.rules.{rule_name}.pattern", rule, args.max_pattern_length)
        check_rule_samples(f"{where}.rules.{rule_name}", rule)
        check_buffer_consumers(f"{where}.rules.{rule_name}", rule, warn=warn)
    missing = [p for p in settings.producers if p not in args.producer_account_ids]
    if missing:
        raise ConfigError(f"{where}: no account id for producer(s) {', '.join(missing)}")
    unresolved = [d for d in settings.api_destinations if d not in args.api_secrets]
    if unresolved:
        raise ConfigError(f"{where}: no credential for API destination(s) {', '.join(unresolved)}")


def bus_policy_document(bus_arn: str, account_ids: list[str]) -> dict[str, Any]:
    """Let exactly the producer accounts put events on this bus (nothing else)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowProducerAccountsPutEvents",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in sorted(set(account_ids))]},
            "Action": "events:PutEvents",
            "Resource": bus_arn,
        }],
    }


def _checked_policy(bus_arn: str, account_ids: list[str]) -> str:
    text = json.dumps(bus_policy_document(bus_arn, account_ids))
    if len(text) > MAX_BUS_POLICY_LENGTH:
        raise ConfigError(
            f"event bus policy for {len(account_ids)} producer accounts is {len(text)} characters; "
            f"EventBridge allows {MAX_BUS_POLICY_LENGTH} (raise the quota or grant by organization)"
        )
    return text


class EventBusPlatform(pulumi.ComponentResource):
    """A custom bus with archive, schema discovery, producer policy, rules, targets and DLQs."""

    def __init__(self, name: str, args: EventBusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_bus(f"EventBusPlatform '{name}'", args)
        super().__init__("groundwork:events:EventBusPlatform", name, None, with_conventions(args.context, opts))
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.bus = aws.cloudwatch.EventBus(
            f"{name}-bus", name=ctx.name(args.bus),
            description=settings.description or f"{args.bus} events of {ctx.context} ({ctx.stage})",
            opts=child,
        )
        self.archive = None
        if settings.archive:
            self.archive = aws.cloudwatch.EventArchive(
                f"{name}-archive",
                name=ctx.name(args.bus, "archive")[:48],
                event_source_arn=self.bus.arn,
                retention_days=settings.archive.retention_days,
                event_pattern=json.dumps(settings.archive.pattern) if settings.archive.pattern else None,
                description=f"Replayable copy of bus {args.bus}",
                opts=child,
            )
        self.discoverer = None
        if settings.schema_discovery:
            self.discoverer = aws.schemas.Discoverer(
                f"{name}-discoverer", source_arn=self.bus.arn,
                description=f"Schema discovery for bus {args.bus}", opts=child,
            )
        self.policy = None
        if settings.producers:
            ids = [args.producer_account_ids[p] for p in settings.producers]
            self.policy = aws.cloudwatch.EventBusPolicy(
                f"{name}-policy",
                event_bus_name=self.bus.name,
                policy=pulumi.Output.all(self.bus.arn, *ids).apply(lambda v: _checked_policy(v[0], list(v[1:]))),
                opts=child,
            )
        self.api_destinations: dict[str, ApiDestination] = {
            dest_name: ApiDestination(
                f"{name}-{dest_name}",
                ApiDestinationArgs(context=ctx, bus=args.bus, name=dest_name, settings=dest,
                                   secret=args.api_secrets[dest_name]),
                opts=child,
            )
            for dest_name, dest in settings.api_destinations.items()
        }
        self.rules: dict[str, aws.cloudwatch.EventRule] = {}
        self.targets: dict[str, dict[str, aws.cloudwatch.EventTarget]] = {}
        self.dead_letter_queues: dict[str, dict[str, aws.sqs.Queue]] = {}
        self.buffers: dict[str, dict[str, aws.sqs.Queue]] = {}
        for rule_name, rule in settings.rules.items():
            self._rule(name, args, rule_name, rule, child)
        self.bus_arn = self.bus.arn
        self.bus_name = self.bus.name
        # What features feeding this bus check their events against (e.g. a pipe targeting it).
        self.rule_patterns: dict[str, dict[str, Any]] = {
            rule_name: rule.pattern for rule_name, rule in settings.rules.items() if rule.enabled}
        self.register_outputs({
            "busArn": self.bus.arn,
            "busName": self.bus.name,
            "ruleArns": {k: r.arn for k, r in self.rules.items()},
            "bufferQueueUrls": {f"{r}.{t}": q.url for r, qs in self.buffers.items() for t, q in qs.items()},
        })

    def _rule(self, name: str, args: EventBusArgs, rule_name: str, rule: RuleSettings,
              child: pulumi.ResourceOptions) -> None:
        ctx = args.context
        base = f"{name}-{rule_name}"
        event_rule = aws.cloudwatch.EventRule(
            f"{base}-rule",
            name=ctx.name(args.bus, rule_name)[:64],
            description=rule.description,
            event_bus_name=self.bus.name,
            event_pattern=json.dumps(rule.pattern, sort_keys=True),
            state="ENABLED" if rule.enabled else "DISABLED",
            opts=child,
        )
        self.rules[rule_name] = event_rule
        self.targets[rule_name] = {}
        self.dead_letter_queues[rule_name] = {}
        self.buffers[rule_name] = {}
        for target in rule.targets:
            tbase = f"{base}-{target.name}"
            physical = ctx.name(args.bus, rule_name, target.name)
            # EventBridge DLQs are standard queues; only EventBridge, for this rule, may send.
            dlq = dead_letter_queue(f"{tbase}-dlq", f"{physical}-dlq", QueueSettings(), child)
            dlq_policy = allow_send(f"{tbase}-dlq-policy", dlq, "events.amazonaws.com", [event_rule.arn], child)
            depth_alarm(
                f"{tbase}-dlq-alarm", f"{physical}-dlq-depth", dlq,
                f"Events of rule {rule_name} on bus {args.bus} that target {target.name} could not deliver",
                args.alarm_actions, child,
            )
            extra: dict[str, Any] = {}
            depends: list[pulumi.Resource] = [dlq_policy]
            if isinstance(target, SqsBufferTarget):
                arn, more = self._buffer(tbase, physical, event_rule, target, args.alarm_actions, child)
                self.buffers[rule_name][target.name] = more["queue"]
                depends.append(more["policy"])
                if target.fifo:
                    extra["sqs_target"] = {"message_group_id": target.message_group_id}
            elif isinstance(target, ApiDestinationTarget):
                destination = self.api_destinations[target.destination]
                arn = destination.arn
                extra["role_arn"] = destination.invoke_role.arn
                depends.append(destination.invoke_policy)
            elif isinstance(target, LambdaTarget):
                arn = target.function_arn
                depends.append(aws.lambda_.Permission(
                    f"{tbase}-invoke",
                    action="lambda:InvokeFunction",
                    function=target.function_arn,
                    principal="events.amazonaws.com",
                    source_arn=event_rule.arn,
                    opts=child,
                ))
            else:  # pragma: no cover - the settings model admits no other kind
                raise ConfigError(f"unknown target kind {type(target).__name__}")
            self.targets[rule_name][target.name] = aws.cloudwatch.EventTarget(
                f"{tbase}-target",
                rule=event_rule.name,
                event_bus_name=self.bus.name,
                target_id=target.name,
                arn=arn,
                retry_policy=target.retry.as_input(),
                dead_letter_config={"arn": dlq.arn},
                **extra,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
            self.dead_letter_queues[rule_name][target.name] = dlq

    def _buffer(self, tbase: str, physical: str, event_rule: aws.cloudwatch.EventRule,
                target: SqsBufferTarget, alarm_actions: list[str],
                child: pulumi.ResourceOptions) -> tuple[pulumi.Output[str], dict]:
        settings = QueueSettings(
            fifo=target.fifo, retention_seconds=target.retention_seconds,
            visibility_timeout_seconds=target.visibility_timeout_seconds,
            max_receive_count=target.max_receive_count,
        )
        # The buffer's own DLQ (same type as the buffer, as SQS requires) catches consumer failures.
        buffer_dlq = dead_letter_queue(f"{tbase}-buffer-dlq", f"{physical}-buffer-dlq", settings, child)
        queue = queue_with_redrive(f"{tbase}-buffer", f"{physical}-buffer", settings, buffer_dlq, child)
        policy = allow_send(f"{tbase}-buffer-policy", queue, "events.amazonaws.com", [event_rule.arn], child)
        depth_alarm(
            f"{tbase}-buffer-dlq-alarm", f"{physical}-buffer-dlq-depth", buffer_dlq,
            f"Buffered events of target {target.name} that its consumers failed to process",
            alarm_actions, child,
        )
        wire_consumers(f"{tbase}-consumer", queue, list(target.consumers), child)
        return queue.arn, {"queue": queue, "policy": policy}
