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

import os
import re
from dataclasses import replace
from typing import Any

import pulumi
from groundwork.buses.bus import EventBusArgs, EventBusPlatform, check_bus
from groundwork.context import NAMESPACE
from groundwork.errors import ConfigError
from groundwork.validators import SnsTopicArn, check_name
from pydantic import BaseModel, ConfigDict, Field, field_validator

from features.buses.settings import BusSettings, bus_args
from features.settings import parse_settings
from features.stack import Program
from org.inputs import known_ids, org_check_failed

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


def parse(settings: Any) -> EventBusesConfig:
    """Validate the config; one ConfigError listing every problem with its key path."""
    return parse_settings(EventBusesConfig, settings, CONFIG_KEY, shape="an object with 'buses'")


def resolve_producers(program: Program, config: EventBusesConfig) -> dict[str, pulumi.Input[str]]:
    """Producer account names -> ids: from the org feature in this stack, else ``accountIds``.

    While the program checks (before the organization is declared) the ids are the account names
    the org feature will publish ids for; when the org feature failed its checks, every producer.
    """
    if org_check_failed(program):  # the org's own problem is reported; its account names are unknown
        return {p: p for bus in config.buses.values() for p in bus.producers}
    published = known_ids(program, "account_ids")
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


def engine_secret_keys() -> set[str] | None:
    """Config keys the engine reported as secret; None when nothing reported them (unit tests
    under mocks). The language host always sets PULUMI_CONFIG_SECRET_KEYS, even to ``[]``."""
    reported = "PULUMI_CONFIG_SECRET_KEYS" in os.environ
    keys = set(pulumi.runtime.get_config_secret_keys_env())
    known = getattr(pulumi.runtime.config, "_SECRET_KEYS", None)  # set by the language host
    if known is not None:
        keys |= set(known.get())
    return keys if keys or reported else None


def resolve_secrets(program: Program, bus_name: str, bus: BusSettings) -> dict[str, pulumi.Output[str]]:
    """Each API destination's credential from its secret config key (missing key = ConfigError)."""
    secrets: dict[str, pulumi.Output[str]] = {}
    for dest_name, dest in bus.api_destinations.items():
        key = dest.connection.secret_config_key
        value = program.config.get_secret(key)
        if value is None:
            raise ConfigError(
                f"{CONFIG_KEY}.buses.{bus_name}.apiDestinations.{dest_name}.connection: the secret "
                f"config key {NAMESPACE}:{key} is not set; set it with "
                f"`pulumi config set --secret {key} <value>`"
            )
        reported = engine_secret_keys()
        if reported is not None and f"{NAMESPACE}:{key}" not in reported:
            raise ConfigError(
                f"{CONFIG_KEY}.buses.{bus_name}.apiDestinations.{dest_name}.connection: "
                f"{NAMESPACE}:{key} is stored in plain text; credentials must be Pulumi secrets: "
                f"`pulumi config set --secret {key} <value>`"
            )
        secrets[dest_name] = value
    return secrets


def prepare(program: Program, settings: Any) -> dict[str, EventBusArgs]:
    """Validate everything (all buses); declare nothing. Returns each bus's args.

    Publishes ``program.shared.event_bus_names`` as soon as the config parses, so a pipe's
    check can refer to these buses.
    """
    config = parse(settings)
    program.shared.event_bus_names = list(config.buses)
    producers = resolve_producers(program, config)
    alarm_actions = [config.alarm_topic_arn] if config.alarm_topic_arn else []
    all_args = {}
    for name, bus in config.buses.items():
        all_args[name] = bus_args(
            program.context, name, bus,
            producer_account_ids={p: producers[p] for p in bus.producers},
            api_secrets=resolve_secrets(program, name, bus),
            alarm_actions=alarm_actions,
            max_rules_per_bus=config.max_rules_per_bus,
            max_pattern_length=config.max_pattern_length,
        )
        check_bus(f"{CONFIG_KEY}.buses.{name}", all_args[name], warn=False)
    return all_args


def declare(program: Program, all_args: dict[str, EventBusArgs]) -> dict[str, EventBusPlatform]:
    """Declare one EventBusPlatform per bus, with the producers' account ids of the organization.

    Publishes ``program.shared.event_buses`` (bus name -> component, with ``bus_arn`` and
    ``bus_name``) so later features of the stack can put events on these buses.
    """
    published = known_ids(program, "account_ids")
    if published is not None:  # the organization is declared now: its ids replace the names
        all_args = {name: replace(args, producer_account_ids={p: published[p] for p in args.producer_account_ids})
                    for name, args in all_args.items()}
    buses = {name: EventBusPlatform(f"bus-{name}", args) for name, args in all_args.items()}
    program.shared.event_buses = buses  # read by features built later (a pipe targeting a bus)
    pulumi.export("eventBusArns", {name: b.bus_arn for name, b in buses.items()})
    return buses


def build(program: Program, settings: Any) -> dict[str, EventBusPlatform]:
    """Check, then declare ``groundwork:eventBuses`` alone (the program runs the two phases for all features)."""
    return declare(program, prepare(program, settings))
