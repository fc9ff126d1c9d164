"""Rules and targets of an event bus as validated settings: patterns, retry policies, refusals.

Everything here is checked before a resource is declared: event patterns (with the shared
pattern engine, also against sample events), the five-targets-per-rule limit and the rule count
guard per bus.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..consumers import LAMBDA_ARN, QueueConsumer, check_queue_consumers
from ..errors import ConfigError
from ..events.patterns import PatternError, validate_pattern
from ..events.samples import SampleEvents, check_sample_events
from ..validators import check_name
from .limits import (
    DEFAULT_MAX_RULES_PER_BUS,
    MAX_EVENT_AGE_SECONDS,
    MAX_EVENT_PATTERN_LENGTH,
    MAX_RETRY_ATTEMPTS,
    MAX_TARGETS_PER_RULE,
    MIN_EVENT_AGE_SECONDS,
    REGIONAL_RULES_PER_BUS,
)


class RetryPolicy(BaseModel):
    """How long and how often EventBridge retries a failed delivery before the DLQ gets the event."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    max_age_seconds: int = Field(default=MAX_EVENT_AGE_SECONDS, ge=MIN_EVENT_AGE_SECONDS,
                                 le=MAX_EVENT_AGE_SECONDS, alias="maxAgeSeconds")
    max_attempts: int = Field(default=MAX_RETRY_ATTEMPTS, ge=0, le=MAX_RETRY_ATTEMPTS, alias="maxAttempts")

    def as_input(self) -> dict[str, int]:
        return {"maximum_event_age_in_seconds": self.max_age_seconds,
                "maximum_retry_attempts": self.max_attempts}


class _Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str = Field(description="target id, unique within the rule")
    retry: RetryPolicy = Field(default_factory=RetryPolicy)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)


class SqsBufferTarget(_Target):
    """A queue the component creates to buffer events for batch consumers (offloading)."""

    type: Literal["sqsBuffer"]
    fifo: bool = False
    message_group_id: str | None = Field(default=None, alias="messageGroupId")
    retention_seconds: int = Field(default=345600, ge=60, le=1209600, alias="retentionSeconds")
    visibility_timeout_seconds: int = Field(default=30, ge=0, le=43200, alias="visibilityTimeoutSeconds")
    max_receive_count: int = Field(default=5, ge=1, le=1000, alias="maxReceiveCount")
    consumers: list[QueueConsumer] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fifo_group(self) -> SqsBufferTarget:
        if self.fifo and not self.message_group_id:
            raise ValueError("a FIFO buffer needs messageGroupId (EventBridge sets it on every message)")
        if self.message_group_id and not self.fifo:
            raise ValueError("messageGroupId only applies to a FIFO buffer (fifo: true)")
        return self


class ApiDestinationTarget(_Target):
    """One of the bus's ``apiDestinations``, invoked through a role EventBridge assumes."""

    type: Literal["apiDestination"]
    destination: str


class LambdaTarget(_Target):
    """An existing function; the component grants EventBridge invoke permission for this rule only."""

    type: Literal["lambda"]
    function_arn: str = Field(alias="functionArn")

    @field_validator("function_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not LAMBDA_ARN.match(value):
            raise ValueError("must be a Lambda function ARN")
        return value


Target = Annotated[SqsBufferTarget | ApiDestinationTarget | LambdaTarget, Field(discriminator="type")]


class RuleSettings(BaseModel):
    """An event-pattern rule with 1-5 targets."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    description: str | None = Field(default=None, max_length=512)
    pattern: dict[str, Any]
    enabled: bool = True
    samples: SampleEvents | None = None
    targets: list[Target] = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return validate_pattern(value)
        except PatternError as error:
            raise ValueError(f"invalid event pattern at {error.path}: {error.reason}") from None

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[Any]) -> list[Any]:
        if len(value) > MAX_TARGETS_PER_RULE:
            raise ValueError(
                f"{len(value)} targets; EventBridge allows at most {MAX_TARGETS_PER_RULE} targets per "
                "rule. Split them over several rules with the same pattern (AWS recommends one target "
                "per rule, so each can change independently)"
            )
        names = [t.name for t in value]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"target names must be unique within a rule; repeated: {', '.join(repeated)}")
        return value


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


def check_pattern_length(where: str, rule: RuleSettings, limit: int | None) -> None:
    """Refuse a pattern longer than the 'Event pattern size' quota (2048 characters by default)."""
    limit = limit or MAX_EVENT_PATTERN_LENGTH
    try:
        validate_pattern(rule.pattern, max_length=limit)
    except PatternError as error:
        raise ConfigError(
            f"{where}: {error.reason} (the EventBridge quota 'Event pattern size' is {MAX_EVENT_PATTERN_LENGTH} "
            "characters by default and adjustable; raise maxPatternLength after a quota increase)"
        ) from None


def check_rule_samples(where: str, rule: RuleSettings) -> None:
    """The rule's pattern must match every ``samples.mustMatch`` event and none of ``mustNotMatch``
    (inline events or JSON/JSON5 files, the same shape Pipes filters use)."""
    check_sample_events(rule.pattern, rule.samples, where=where)


def check_buffer_consumers(where: str, rule: RuleSettings, *, warn: bool = True) -> None:
    """A buffer queue fed to several filtered consumers loses messages: refuse it."""
    for target in rule.targets:
        if isinstance(target, SqsBufferTarget):
            check_queue_consumers(f"{where}.targets.{target.name}", list(target.consumers), warn=warn)
