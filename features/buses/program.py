"""``groundwork:eventBuses``: custom event buses, their rules, targets and API destinations.

Example::

    groundwork:eventBuses:
      buses:
        orders:
          archive: {retentionDays: 30}
          producers: [shop-prod]            # account names (org data or accountIds)
          rules:
            placed-to-buffer:
              pattern: {source: [com.acme.orders], detail-type: [OrderPlaced]}
              targets: [{type: sqsBuffer, name: buffer}]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pulumi
from groundwork.buses.bus import EventBusArgs, EventBusPlatform, check_bus
from groundwork.context import NAMESPACE
from groundwork.errors import ConfigError
from groundwork.validators import SnsTopicArn, check_name
from pydantic import BaseModel, ConfigDict, Field, field_validator

from features.buses.settings import BusSettings, bus_args
from features.organization.source import OrgSource
from features.settings import StackSecrets, parse_settings
from features.stack import Feature, Stack

CONFIG_KEY = f"{NAMESPACE}:eventBuses"
ACCOUNT_ID = re.compile(r"^\d{12}$")


class EventBusesConfig(BaseModel):
    """The whole ``groundwork:eventBuses`` object."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    buses: dict[str, BusSettings] = Field(min_length=1)
    account_ids: dict[str, str] = Field(default_factory=dict, alias="accountIds",
                                        description="account name -> id, when the org is another stack")
    max_rules_per_bus: int | None = Field(default=None, ge=1, alias="maxRulesPerBus")
    max_pattern_length: int | None = Field(default=None, ge=1, alias="maxPatternLength")
    alarm_topic_arn: SnsTopicArn | None = Field(default=None, alias="alarmTopicArn")

    @field_validator("buses")
    @classmethod
    def _bus_names(cls, value: dict[str, BusSettings]) -> dict[str, BusSettings]:
        for name in value:
            check_name(name)
        return value

    @field_validator("account_ids")
    @classmethod
    def _ids(cls, value: dict[str, str]) -> dict[str, str]:
        for name, account_id in value.items():
            if not ACCOUNT_ID.match(str(account_id)):
                raise ValueError(f"account {name!r}: {account_id!r} is not a 12-digit account id")
        return value


def parse(settings: object) -> EventBusesConfig:
    """Validate the config; one ConfigError listing every problem with its key path."""
    return parse_settings(EventBusesConfig, settings, CONFIG_KEY, shape="an object with 'buses'")


def resolve_producers(org: OrgSource, config: EventBusesConfig) -> dict[str, pulumi.Input[str]]:
    """Producer account names -> ids: from the org feature in this stack, else ``accountIds``.

    While the program checks (before the organization is declared) the ids are the account names
    the org feature will publish ids for; when the org feature failed its checks, every producer.
    """
    if org.check_failed:  # the org's own problem is reported; its account names are unknown
        return {p: p for bus in config.buses.values() for p in bus.producers}
    published = org.account_ids
    known: dict[str, pulumi.Input[str]] = dict(published) if published is not None else dict(config.account_ids)
    origin = "the organization in this stack" if published is not None else f"{CONFIG_KEY}.accountIds"
    resolved: dict[str, pulumi.Input[str]] = {}
    for bus_name, bus in config.buses.items():
        for producer in bus.producers:
            if producer not in known:
                raise ConfigError(
                    f"{CONFIG_KEY}.buses.{bus_name}.producers: unknown account {producer!r}; "
                    f"known in {origin}: {', '.join(sorted(known)) or 'none'}"
                )
            resolved[producer] = known[producer]
    return resolved


def resolve_secrets(secrets: StackSecrets, bus_name: str, bus: BusSettings) -> dict[str, pulumi.Output[str]]:
    """Each API destination's credential from its secret config key (missing or plain text = ConfigError)."""
    resolved: dict[str, pulumi.Output[str]] = {}
    for dest_name, dest in bus.api_destinations.items():
        key = dest.connection.secret_config_key
        setting = secrets.get(key)
        if setting.value is None:
            raise ConfigError(
                f"{CONFIG_KEY}.buses.{bus_name}.apiDestinations.{dest_name}.connection: the secret "
                f"config key {NAMESPACE}:{key} is not set; set it with "
                f"`pulumi config set --secret {key} <value>`"
            )
        if setting.plain_text:
            raise ConfigError(
                f"{CONFIG_KEY}.buses.{bus_name}.apiDestinations.{dest_name}.connection: "
                f"{NAMESPACE}:{key} is stored in plain text; credentials must be Pulumi secrets: "
                f"`pulumi config set --secret {key} <value>`"
            )
        resolved[dest_name] = setting.value
    return resolved


@dataclass(frozen=True)
class BusTargets:
    """The buses of ``groundwork:eventBuses`` as later features of the stack see them (a pipe's target).

    ``names``: the buses the feature checked (None: it is not in this stack); ``check_failed``: its
    problems are reported already, so references to it are not checked again; ``buses``: the
    declared components (phase 2), with ``bus_arn`` and ``bus_name``.
    """

    names: list[str] | None = None
    check_failed: bool = False
    buses: Mapping[str, EventBusPlatform] = field(default_factory=dict)


def check(stack: Stack, settings: object, org: OrgSource) -> dict[str, EventBusArgs]:
    """Validate everything (all buses); declare nothing. Returns each bus's args."""
    config = parse(settings)
    producers = resolve_producers(org, config)
    alarm_actions = [config.alarm_topic_arn] if config.alarm_topic_arn else []
    all_args = {}
    for name, bus in config.buses.items():
        all_args[name] = bus_args(
            stack.context, name, bus,
            producer_account_ids={p: producers[p] for p in bus.producers},
            api_secrets=resolve_secrets(stack.secrets, name, bus),
            alarm_actions=alarm_actions,
            max_rules_per_bus=config.max_rules_per_bus,
            max_pattern_length=config.max_pattern_length,
        )
        check_bus(f"{CONFIG_KEY}.buses.{name}", all_args[name], warn=False)
    return all_args


def declare(stack: Stack, all_args: dict[str, EventBusArgs], org: OrgSource) -> dict[str, EventBusPlatform]:
    """Declare one EventBusPlatform per bus, with the producers' account ids of the organization
    when it is declared in this stack (the plan has their names)."""
    if org.account_ids is not None:
        published = org.account_ids
        all_args = {name: replace(args, producer_account_ids={p: published[p] for p in args.producer_account_ids})
                    for name, args in all_args.items()}
    buses = {name: EventBusPlatform(f"bus-{name}", args) for name, args in all_args.items()}
    pulumi.export("eventBusArns", {name: b.bus_arn for name, b in buses.items()})
    return buses


FEATURE: Feature[OrgSource, dict[str, EventBusArgs], dict[str, EventBusPlatform]] = Feature(
    "eventBuses", check, declare)
