"""The ``groundwork:eventBuses`` settings of one bus as pydantic models (camelCase keys, every
problem named by its config path), and their conversion into the library's typed args.

The library (``groundwork.buses``) takes plain dataclasses; this module is where config meets it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pulumi
from groundwork.buses import api_destination as api
from groundwork.buses import bus as library
from groundwork.buses import rules
from groundwork.buses.api_destination import http_method, https_url
from groundwork.buses.limits import (
    MAX_ARCHIVE_RETENTION_DAYS,
    MAX_EVENT_AGE_SECONDS,
    MAX_EVENT_PATTERN_LENGTH,
    MAX_INVOCATION_RATE,
    MAX_RETRY_ATTEMPTS,
    MAX_TARGETS_PER_RULE,
    MIN_EVENT_AGE_SECONDS,
    MIN_INVOCATION_RATE,
)
from groundwork.consumers import LAMBDA_ARN, QueueConsumer
from groundwork.context import StackContext
from groundwork.events.patterns import PatternError, validate_pattern
from groundwork.events.samples import SampleEvents
from groundwork.validators import check_name
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ACCOUNT_NAME_SHAPE = re.compile(r"^[a-z][a-z0-9-]{2,49}$")
AuthType = Literal["API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS"]
PLAIN_SECRET_KEYS = {"value": "valueConfig", "password": "passwordConfig", "clientSecret": "clientSecretConfig"}


class _Auth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _no_plain_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for plain, reference in PLAIN_SECRET_KEYS.items():
                if plain in data:
                    raise ValueError(
                        f"'{plain}' must not be given in plain config: store it with "
                        f"`pulumi config set --secret <key> <value>` and write {reference}: <key>"
                    )
        return data


class ApiKeyAuth(_Auth):
    header: str = Field(default="x-api-key", min_length=1, max_length=512)
    value_config: str = Field(alias="valueConfig", description="secret config key holding the API key")


class BasicAuth(_Auth):
    username: str = Field(min_length=1, max_length=512)
    password_config: str = Field(alias="passwordConfig", description="secret config key holding the password")


class OAuthClientCredentials(_Auth):
    authorization_endpoint: str = Field(alias="authorizationEndpoint")
    http_method: Literal["GET", "POST", "PUT"] = Field(default="POST", alias="httpMethod")
    client_id: str = Field(alias="clientId", min_length=1, max_length=512)
    client_secret_config: str = Field(alias="clientSecretConfig",
                                      description="secret config key holding the client secret")
    scope: str | None = None
    body_parameters: dict[str, str] = Field(default_factory=dict, alias="bodyParameters")

    @field_validator("authorization_endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        return https_url(value)


class ConnectionSettings(BaseModel):
    """Exactly the block that matches ``auth``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    auth: AuthType
    api_key: ApiKeyAuth | None = Field(default=None, alias="apiKey")
    basic: BasicAuth | None = None
    oauth: OAuthClientCredentials | None = None

    @model_validator(mode="after")
    def _one_block(self) -> ConnectionSettings:
        wanted = {"API_KEY": "apiKey", "BASIC": "basic", "OAUTH_CLIENT_CREDENTIALS": "oauth"}[self.auth]
        given = [k for k, v in (("apiKey", self.api_key), ("basic", self.basic), ("oauth", self.oauth)) if v]
        if given != [wanted]:
            raise ValueError(f"auth {self.auth} needs exactly the '{wanted}' block (given: {given or 'none'})")
        return self

    @property
    def secret_config_key(self) -> str:
        if self.api_key:
            return self.api_key.value_config
        if self.basic:
            return self.basic.password_config
        assert self.oauth is not None
        return self.oauth.client_secret_config


class ApiDestinationSettings(BaseModel):
    """An HTTPS endpoint, its method and invocation rate limit, and the connection that authorizes it."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    endpoint: str
    method: str = "POST"
    rate_limit_per_second: int = Field(default=MAX_INVOCATION_RATE, ge=MIN_INVOCATION_RATE,
                                       le=MAX_INVOCATION_RATE, alias="rateLimitPerSecond")
    connection: ConnectionSettings
    description: str | None = Field(default=None, max_length=512)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return https_url(value)

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        return http_method(value)




class RetryPolicy(BaseModel):
    """How long and how often EventBridge retries a failed delivery before the DLQ gets the event."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    max_age_seconds: int = Field(default=MAX_EVENT_AGE_SECONDS, ge=MIN_EVENT_AGE_SECONDS,
                                 le=MAX_EVENT_AGE_SECONDS, alias="maxAgeSeconds")
    max_attempts: int = Field(default=MAX_RETRY_ATTEMPTS, ge=0, le=MAX_RETRY_ATTEMPTS, alias="maxAttempts")

    def to_args(self) -> rules.RetryPolicy:
        return rules.RetryPolicy(max_age_seconds=self.max_age_seconds, max_attempts=self.max_attempts)


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


def target_args(target: Target) -> rules.Target:
    """One validated target as the library's typed target."""
    retry = target.retry.to_args()
    if isinstance(target, SqsBufferTarget):
        return rules.SqsBufferTarget(
            name=target.name, retry=retry, fifo=target.fifo, message_group_id=target.message_group_id,
            retention_seconds=target.retention_seconds,
            visibility_timeout_seconds=target.visibility_timeout_seconds,
            max_receive_count=target.max_receive_count, consumers=list(target.consumers))
    if isinstance(target, ApiDestinationTarget):
        return rules.ApiDestinationTarget(name=target.name, retry=retry, destination=target.destination)
    return rules.LambdaTarget(name=target.name, retry=retry, function_arn=target.function_arn)


def rule_args(rule: RuleSettings) -> rules.Rule:
    """One validated rule as the library's typed rule."""
    return rules.Rule(pattern=rule.pattern, targets=[target_args(t) for t in rule.targets],
                      description=rule.description, enabled=rule.enabled, samples=rule.samples)


def auth_args(connection: ConnectionSettings) -> api.Auth:
    """The connection's one auth block as the library's typed auth (the secret is resolved apart)."""
    if connection.api_key:
        return api.ApiKeyAuth(header=connection.api_key.header)
    if connection.basic:
        return api.BasicAuth(username=connection.basic.username)
    oauth = connection.oauth
    assert oauth is not None
    return api.OAuthClientCredentials(
        authorization_endpoint=oauth.authorization_endpoint, http_method=oauth.http_method,
        client_id=oauth.client_id, scope=oauth.scope, body_parameters=dict(oauth.body_parameters))


def endpoint_args(destination: ApiDestinationSettings) -> api.ApiEndpoint:
    """One validated API destination as the library's typed endpoint."""
    return api.ApiEndpoint(endpoint=destination.endpoint, auth=auth_args(destination.connection),
                           method=destination.method, rate_limit_per_second=destination.rate_limit_per_second,
                           description=destination.description)


def bus_args(context: StackContext, name: str, bus: BusSettings, *,
             producer_account_ids: Mapping[str, pulumi.Input[str]] | None = None,
             api_secrets: Mapping[str, pulumi.Input[str]] | None = None,
             alarm_actions: list[str] | None = None, max_rules_per_bus: int | None = None,
             max_pattern_length: int | None = None) -> library.EventBusArgs:
    """The library's args for one validated bus of the config."""
    archive = (library.Archive(retention_days=bus.archive.retention_days, pattern=bus.archive.pattern)
               if bus.archive else None)
    return library.EventBusArgs(
        context=context, bus=name, description=bus.description, archive=archive,
        schema_discovery=bus.schema_discovery, producers=list(bus.producers),
        api_destinations={n: endpoint_args(d) for n, d in bus.api_destinations.items()},
        rules={n: rule_args(r) for n, r in bus.rules.items()},
        producer_account_ids=dict(producer_account_ids or {}), api_secrets=dict(api_secrets or {}),
        alarm_actions=list(alarm_actions or []), max_rules_per_bus=max_rules_per_bus,
        max_pattern_length=max_pattern_length,
    )
