"""EventBusPlatform: a custom event bus with archive, schema discovery, cross-account producers,
pattern rules and targets that each carry a retry policy, a DLQ and a DLQ-depth alarm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..consumers import wire_consumers
from ..context import StackContext
from ..conventions import with_conventions
from ..errors import ConfigError
from ..events.patterns import PatternError, validate_pattern
from ..validators import check_name
from .api_destination import ApiDestination, ApiDestinationArgs, ApiEndpoint, check_endpoint
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
    Rule,
    SqsBufferTarget,
    check_buffer_consumers,
    check_pattern_length,
    check_rule_count,
    check_rule_samples,
    check_targets,
    max_rules_for,
)


@dataclass(frozen=True, kw_only=True)
class Archive:
    """Keep (a filtered subset of) the bus's events for replay; ``retention_days`` 0 keeps them
    indefinitely."""

    retention_days: int
    pattern: dict[str, Any] | None = None


@dataclass(kw_only=True)
class EventBusArgs:
    """Inputs of :class:`EventBusPlatform`: one custom bus, its rules, API destinations and who may
    put events on it.

    ``producers`` are account names allowed to PutEvents and ``producer_account_ids`` maps each to
    its id; ``api_secrets`` maps each API destination to its resolved credential (a Pulumi secret).
    """

    context: StackContext
    bus: str
    description: str | None = None
    archive: Archive | None = None
    schema_discovery: bool = False
    producers: list[str] = field(default_factory=list)
    api_destinations: dict[str, ApiEndpoint] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    producer_account_ids: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    api_secrets: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    alarm_actions: list[str] = field(default_factory=list)
    max_rules_per_bus: int | None = None  # None: the region's default quota
    max_pattern_length: int | None = None  # None: the default quota (2048)


def check_bus(where: str, args: EventBusArgs, *, warn: bool = True) -> None:
    """Every refusal for one bus, before anything is declared."""
    for name in [args.bus, *args.rules, *args.api_destinations]:
        try:
            check_name(name)
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from None
    if args.archive is not None:
        check_archive(f"{where}.archive", args.archive)
    limit = max_rules_for(pulumi.Config("aws").get("region"), args.max_rules_per_bus)
    check_rule_count(where, len(args.rules), limit, args.max_rules_per_bus is not None)
    for rule_name, rule in args.rules.items():
        check_pattern_length(f"{where}.rules.{rule_name}.pattern", rule, args.max_pattern_length)
        check_targets(f"{where}.rules.{rule_name}", rule)
        check_rule_samples(f"{where}.rules.{rule_name}", rule)
        check_buffer_consumers(f"{where}.rules.{rule_name}", rule, warn=warn)
        for target in rule.targets:
            if isinstance(target, ApiDestinationTarget) and target.destination not in args.api_destinations:
                known = ", ".join(sorted(args.api_destinations)) or "none declared"
                raise ConfigError(f"{where}.rules.{rule_name}.targets.{target.name}: API destination "
                                  f"{target.destination!r} is not one of the bus's API destinations ({known})")
    for dest_name, endpoint in args.api_destinations.items():
        check_endpoint(f"{where}.apiDestinations.{dest_name}", endpoint)
    missing = [p for p in args.producers if p not in args.producer_account_ids]
    if missing:
        raise ConfigError(f"{where}: no account id for producer(s) {', '.join(missing)}")
    unresolved = [d for d in args.api_destinations if d not in args.api_secrets]
    if unresolved:
        raise ConfigError(f"{where}: no credential for API destination(s) {', '.join(unresolved)}")


def check_archive(where: str, archive: Archive) -> None:
    """Refuse a retention EventBridge refuses and an invalid archive pattern."""
    if not 0 <= archive.retention_days <= MAX_ARCHIVE_RETENTION_DAYS:
        raise ConfigError(f"{where}: retention_days {archive.retention_days} is outside "
                          f"0..{MAX_ARCHIVE_RETENTION_DAYS}")
    if archive.pattern is not None:
        try:
            validate_pattern(archive.pattern, max_length=MAX_EVENT_PATTERN_LENGTH)
        except PatternError as error:
            raise ConfigError(f"{where}: invalid event pattern at {error.path}: {error.reason}") from None


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
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        self.bus = aws.cloudwatch.EventBus(
            f"{name}-bus", name=ctx.name(args.bus),
            description=args.description or f"{args.bus} events of {ctx.context} ({ctx.stage})",
            opts=child,
        )
        self.archive = None
        if args.archive:
            self.archive = aws.cloudwatch.EventArchive(
                f"{name}-archive",
                name=ctx.name(args.bus, "archive")[:48],
                event_source_arn=self.bus.arn,
                retention_days=args.archive.retention_days,
                event_pattern=json.dumps(args.archive.pattern) if args.archive.pattern else None,
                description=f"Replayable copy of bus {args.bus}",
                opts=child,
            )
        self.discoverer = None
        if args.schema_discovery:
            self.discoverer = aws.schemas.Discoverer(
                f"{name}-discoverer", source_arn=self.bus.arn,
                description=f"Schema discovery for bus {args.bus}", opts=child,
            )
        self.policy = None
        if args.producers:
            ids = [args.producer_account_ids[p] for p in args.producers]
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
            for dest_name, dest in args.api_destinations.items()
        }
        self.rules: dict[str, aws.cloudwatch.EventRule] = {}
        self.targets: dict[str, dict[str, aws.cloudwatch.EventTarget]] = {}
        self.dead_letter_queues: dict[str, dict[str, aws.sqs.Queue]] = {}
        self.buffers: dict[str, dict[str, aws.sqs.Queue]] = {}
        for rule_name, rule in args.rules.items():
            self._rule(name, args, rule_name, rule, child)
        self.bus_arn = self.bus.arn
        self.bus_name = self.bus.name
        # What features feeding this bus check their events against (e.g. a pipe targeting it).
        self.rule_patterns: dict[str, dict[str, Any]] = {
            rule_name: rule.pattern for rule_name, rule in args.rules.items() if rule.enabled}
        self.register_outputs({
            "busArn": self.bus.arn,
            "busName": self.bus.name,
            "ruleArns": {k: r.arn for k, r in self.rules.items()},
            "bufferQueueUrls": {f"{r}.{t}": q.url for r, qs in self.buffers.items() for t, q in qs.items()},
        })

    def _rule(self, name: str, args: EventBusArgs, rule_name: str, rule: Rule,
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
