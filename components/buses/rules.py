"""Rules and targets of an event bus as typed args: patterns, retry policies, refusals.

Everything here is checked before a resource is declared: event patterns (with the shared
pattern engine, also against sample events), the five-targets-per-rule limit and the rule count
guard per bus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..consumers import LAMBDA_ARN, QueueConsumer, check_queue_consumers
from ..errors import ConfigError
from ..events.patterns import PatternError, validate_pattern
from ..events.samples import SampleEvents, check_sample_events
from .limits import (
    DEFAULT_MAX_RULES_PER_BUS,
    MAX_EVENT_AGE_SECONDS,
    MAX_EVENT_PATTERN_LENGTH,
    MAX_RETRY_ATTEMPTS,
    MAX_TARGETS_PER_RULE,
    REGIONAL_RULES_PER_BUS,
)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How long and how often EventBridge retries a failed delivery before the DLQ gets the event."""

    max_age_seconds: int = MAX_EVENT_AGE_SECONDS
    max_attempts: int = MAX_RETRY_ATTEMPTS

    def as_input(self) -> dict[str, int]:
        return {"maximum_event_age_in_seconds": self.max_age_seconds,
                "maximum_retry_attempts": self.max_attempts}


@dataclass(frozen=True, kw_only=True)
class SqsBufferTarget:
    """A queue the component creates to buffer events for batch consumers (offloading)."""

    name: str
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    fifo: bool = False
    message_group_id: str | None = None  # required for (and only for) a FIFO buffer
    retention_seconds: int = 345600
    visibility_timeout_seconds: int = 30
    max_receive_count: int = 5
    consumers: list[QueueConsumer] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ApiDestinationTarget:
    """One of the bus's ``api_destinations``, invoked through a role EventBridge assumes."""

    name: str
    destination: str
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass(frozen=True, kw_only=True)
class LambdaTarget:
    """An existing function; the component grants EventBridge invoke permission for this rule only."""

    name: str
    function_arn: str
    retry: RetryPolicy = field(default_factory=RetryPolicy)


Target = SqsBufferTarget | ApiDestinationTarget | LambdaTarget


@dataclass(frozen=True, kw_only=True)
class Rule:
    """An event-pattern rule with 1-5 targets; ``samples`` are events its pattern must (not) match."""

    pattern: dict[str, Any]
    targets: list[Target]
    description: str | None = None
    enabled: bool = True
    samples: SampleEvents | None = None


def max_rules_for(region: str | None, configured: int | None) -> int:
    """The rule-count guard: the configured value, else the region's default quota."""
    if configured is not None:
        return configured
    return REGIONAL_RULES_PER_BUS.get(region or "", DEFAULT_MAX_RULES_PER_BUS)


def check_rule_count(where: str, count: int, limit: int, configured: bool) -> None:
    """Refuse more rules on one bus than the quota (or the team's own guard) allows."""
    if count > limit:
        origin = ("the configured guard maxRulesPerBus" if configured
                  else "the default EventBridge quota 'Rules per event bus' for this region")
        raise ConfigError(
            f"{where}: {count} rules on one bus, more than {limit} ({origin}). Request a quota "
            "increase in Service Quotas and raise maxRulesPerBus, or move a domain to its own bus"
        )


def check_pattern_length(where: str, rule: Rule, limit: int | None) -> None:
    """Refuse a pattern longer than the 'Event pattern size' quota (2048 characters by default)."""
    limit = limit or MAX_EVENT_PATTERN_LENGTH
    try:
        validate_pattern(rule.pattern, max_length=limit)
    except PatternError as error:
        raise ConfigError(
            f"{where}: {error.reason} (the EventBridge quota 'Event pattern size' is {MAX_EVENT_PATTERN_LENGTH} "
            "characters by default and adjustable; raise maxPatternLength after a quota increase)"
        ) from None


def check_rule_samples(where: str, rule: Rule) -> None:
    """The rule's pattern must match every ``samples.mustMatch`` event and none of ``mustNotMatch``
    (inline events or JSON/JSON5 files, the same shape Pipes filters use)."""
    check_sample_events(rule.pattern, rule.samples, where=where)


def check_buffer_consumers(where: str, rule: Rule, *, warn: bool = True) -> None:
    """A buffer queue fed to several filtered consumers loses messages: refuse it."""
    for target in rule.targets:
        if isinstance(target, SqsBufferTarget):
            check_queue_consumers(f"{where}.targets.{target.name}", list(target.consumers), warn=warn)


def check_targets(where: str, rule: Rule) -> None:
    """Refuse what EventBridge refuses for a rule's targets: none or more than five, repeated ids,
    a Lambda target that is no function ARN, a FIFO buffer without message group (or vice versa)."""
    if not 1 <= len(rule.targets) <= MAX_TARGETS_PER_RULE:
        raise ConfigError(f"{where}.targets: {len(rule.targets)} targets; EventBridge allows 1 to "
                          f"{MAX_TARGETS_PER_RULE} targets per rule")
    names = [t.name for t in rule.targets]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"{where}.targets: target names must be unique within a rule; repeated: "
                          f"{', '.join(repeated)}")
    for target in rule.targets:
        if isinstance(target, LambdaTarget) and not LAMBDA_ARN.match(target.function_arn):
            raise ConfigError(f"{where}.targets.{target.name}: {target.function_arn!r} is not a Lambda function ARN")
        if isinstance(target, SqsBufferTarget) and bool(target.fifo) != bool(target.message_group_id):
            raise ConfigError(f"{where}.targets.{target.name}: a FIFO buffer needs message_group_id, and "
                              "message_group_id only applies to a FIFO buffer")
