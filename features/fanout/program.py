"""``groundwork:fanouts``: CloudEvents fan-out topics declared from stack config.

Example (one topic ``orders``; each subscriber gets its own filtered queue)::

    groundwork:fanouts:
      orders:
        subscribers:
          billing:
            filter: {source: [com.acme.orders], type: [order.placed], dataversion: ["1.0"]}
          analytics:
            filter: {type: ["order.*"]}
            samples:   # checked against the filter before anything is declared
              mustMatch: [{type: order.placed, source: com.acme.orders}]
              mustNotMatch: [{type: payment.captured, source: com.acme.orders}]
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
from groundwork.buses.limits import (
    MAX_MESSAGE_RETENTION_SECONDS,
    MAX_RECEIVE_COUNT,
    MIN_MESSAGE_RETENTION_SECONDS,
)
from groundwork.consumers import QueueConsumer
from groundwork.context import NAMESPACE
from groundwork.errors import ConfigError
from groundwork.events.samples import SampleEvents
from groundwork.fanout.component import (
    AWS_MANAGED_SNS_KEY,
    CloudEventsFanout,
    CloudEventsFanoutArgs,
    Subscriber,
    subscriber_policies,
)
from groundwork.fanout.filter_policy import CloudEventsFilter
from groundwork.validators import SnsTopicArn, check_name
from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from features.settings import parse_settings
from features.stack import Feature, Stack

CONFIG_KEY = f"{NAMESPACE}:fanouts"
KMS_KEY = re.compile(r"^(alias/[\w/-]+|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/-]+|[0-9a-f-]{36})$")

Matcher = str | dict[str, Any]


def _check_kms(value: str | None) -> str | None:
    if value is not None and not KMS_KEY.match(value):
        raise ValueError("must be a KMS key id, key ARN, alias ARN or alias/<name>")
    return value


class FilterSettings(BaseModel):
    """CloudEvents attributes to filter on; each lists accepted values (``order.*`` = prefix)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: list[Matcher] = Field(default_factory=list)
    type: list[Matcher] = Field(default_factory=list)
    dataversion: list[Matcher] = Field(default_factory=list)
    extensions: dict[str, list[Matcher]] = Field(default_factory=dict)

    def to_filter(self) -> CloudEventsFilter:
        return CloudEventsFilter.of(source=self.source, type=self.type,
                                    dataversion=self.dataversion, extensions=self.extensions)


class SubscriberSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    filter: FilterSettings = Field(default_factory=FilterSettings)
    samples: SampleEvents | None = Field(
        default=None, description="CloudEvents the filter must deliver (mustMatch) and drop (mustNotMatch)")
    consumers: list[QueueConsumer] = Field(default_factory=list)
    max_receive_count: int = Field(default=5, ge=1, le=MAX_RECEIVE_COUNT, alias="maxReceiveCount")
    retention_seconds: int = Field(default=345600, ge=MIN_MESSAGE_RETENTION_SECONDS,
                                   le=MAX_MESSAGE_RETENTION_SECONDS, alias="retentionSeconds")
    visibility_timeout_seconds: int = Field(default=30, ge=0, le=43200, alias="visibilityTimeoutSeconds")


class FanoutSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    fifo: bool = False
    kms_key_id: str = Field(default=AWS_MANAGED_SNS_KEY, alias="kmsKeyId")
    queue_kms_key_id: str | None = Field(default=None, alias="queueKmsKeyId")
    alarm_topic_arn: SnsTopicArn | None = Field(default=None, alias="alarmTopicArn")
    subscribers: dict[str, SubscriberSettings] = Field(min_length=1)

    @field_validator("kms_key_id", "queue_kms_key_id")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return _check_kms(value)

    @field_validator("subscribers")
    @classmethod
    def _subscriber_names(cls, value: dict[str, SubscriberSettings]) -> dict[str, SubscriberSettings]:
        for name in value:
            check_name(name)
        return value


class FanoutsConfig(RootModel[dict[str, FanoutSettings]]):
    @field_validator("root")
    @classmethod
    def _names(cls, value: dict[str, FanoutSettings]) -> dict[str, FanoutSettings]:
        for name in value:
            check_name(name)
        return value


def parse(settings: object) -> dict[str, FanoutSettings]:
    """Validate ``groundwork:fanouts``; one ConfigError listing every problem."""
    shape = "an object that maps topic names to fan-out settings"
    if not settings:
        raise ConfigError(f"Invalid stack config:\n{CONFIG_KEY} must be {shape}")
    return parse_settings(FanoutsConfig, settings, CONFIG_KEY, shape=shape).root


def fanout_args(stack: Stack, topic: str, settings: FanoutSettings) -> CloudEventsFanoutArgs:
    return CloudEventsFanoutArgs(
        context=stack.context,
        topic=topic,
        fifo=settings.fifo,
        topic_kms_key_id=settings.kms_key_id,
        queue_kms_key_id=settings.queue_kms_key_id,
        alarm_actions=[settings.alarm_topic_arn] if settings.alarm_topic_arn else [],
        subscribers=[
            Subscriber(
                name=name,
                filter=sub.filter.to_filter(),
                samples=sub.samples,
                consumers=list(sub.consumers),
                max_receive_count=sub.max_receive_count,
                retention_seconds=sub.retention_seconds,
                visibility_timeout_seconds=sub.visibility_timeout_seconds,
            )
            for name, sub in settings.subscribers.items()
        ],
    )


def check(stack: Stack, settings: object, inputs: None) -> dict[str, CloudEventsFanoutArgs]:
    """Validate ``groundwork:fanouts`` and every subscriber's filter policy; declare nothing.

    The fan-outs read nothing of other features (``inputs`` is None)."""
    parsed = parse(settings)
    all_args = {topic: fanout_args(stack, topic, s) for topic, s in parsed.items()}
    for topic, args in all_args.items():
        subscriber_policies(f"fanout-{topic}", args.subscribers, warn=False)  # refusals before any resource
    return all_args


def declare(stack: Stack, all_args: dict[str, CloudEventsFanoutArgs], inputs: None) -> dict[str, CloudEventsFanout]:
    """Declare one CloudEventsFanout per topic."""
    fanouts = {topic: CloudEventsFanout(f"fanout-{topic}", args) for topic, args in all_args.items()}
    pulumi.export("fanoutTopicArns", {topic: f.topic_arn for topic, f in fanouts.items()})
    return fanouts


FEATURE: Feature[None, dict[str, CloudEventsFanoutArgs], dict[str, CloudEventsFanout]] = Feature(
    "fanouts", check, declare)
