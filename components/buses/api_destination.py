"""ApiDestination: an EventBridge connection (API key, basic or OAuth client credentials) and the
HTTPS destination it authorizes, with the role a rule assumes to invoke it.

Credentials only ever arrive as Pulumi secrets (``pulumi config set --secret``); settings name the
config key that holds them, never the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..context import StackContext
from ..conventions import with_conventions
from .limits import (
    API_DESTINATION_METHODS,
    MAX_ENDPOINT_LENGTH,
    MAX_INVOCATION_RATE,
    MIN_INVOCATION_RATE,
    REFUSED_HTTP_METHODS,
)

AuthType = Literal["API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS"]
PLAIN_SECRET_KEYS = {"value": "valueConfig", "password": "passwordConfig", "clientSecret": "clientSecretConfig"}


def https_url(value: str) -> str:
    """Accept only absolute https:// URLs with a host (EventBridge calls HTTPS endpoints only)."""
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.hostname:
        raise ValueError("must be an https:// URL (EventBridge API destinations call HTTPS endpoints only)")
    if len(value) > MAX_ENDPOINT_LENGTH:
        raise ValueError(f"must be at most {MAX_ENDPOINT_LENGTH} characters")
    return value


def http_method(value: str) -> str:
    method = value.upper()
    if method in REFUSED_HTTP_METHODS:
        raise ValueError(
            f"{method} is not supported by EventBridge API destinations (every method except "
            f"{' and '.join(REFUSED_HTTP_METHODS)} is); use one of {', '.join(API_DESTINATION_METHODS)}"
        )
    if method not in API_DESTINATION_METHODS:
        raise ValueError(f"must be one of {', '.join(API_DESTINATION_METHODS)}")
    return method


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


@dataclass
class ApiDestinationArgs:
    """Inputs of :class:`ApiDestination`; ``secret`` is the resolved credential (made secret here)."""

    context: StackContext
    bus: str
    name: str
    settings: ApiDestinationSettings
    secret: pulumi.Input[str]


def auth_parameters(connection: ConnectionSettings, secret: pulumi.Output[str]) -> dict[str, Any]:
    """``auth_parameters`` of the EventConnection; the credential stays a secret Output."""
    if connection.api_key:
        return {"api_key": {"key": connection.api_key.header, "value": secret}}
    if connection.basic:
        return {"basic": {"username": connection.basic.username, "password": secret}}
    oauth = connection.oauth
    assert oauth is not None
    body = dict(oauth.body_parameters)
    if oauth.scope:
        body.setdefault("scope", oauth.scope)
    return {
        "oauth": {
            "authorization_endpoint": oauth.authorization_endpoint,
            "http_method": oauth.http_method,
            "client_parameters": {"client_id": oauth.client_id, "client_secret": secret},
            "oauth_http_parameters": {
                "bodies": [{"key": k, "value": v, "is_value_secret": False} for k, v in sorted(body.items())]
                or None,
            },
        }
    }


def invoke_policy_document(destination_arn: str) -> dict[str, Any]:
    """The one action a rule needs to call this destination, on this destination only."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "InvokeApiDestination",
            "Effect": "Allow",
            "Action": "events:InvokeApiDestination",
            "Resource": destination_arn,
        }],
    }


def events_trust_policy(account_id: str) -> dict[str, Any]:
    """Trust for events.amazonaws.com, limited to rules of this account."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    }


class ApiDestination(pulumi.ComponentResource):
    """Connection + API destination + the role EventBridge rules assume to invoke it."""

    def __init__(self, name: str, args: ApiDestinationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:events:ApiDestination", name, None, with_conventions(args.context, opts))
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        secret = pulumi.Output.secret(args.secret)
        physical = ctx.name(args.bus, args.name)[:64]
        self.connection = aws.cloudwatch.EventConnection(
            f"{name}-connection",
            name=physical,
            description=f"Authorization for API destination {args.name} of bus {args.bus}",
            authorization_type=settings.connection.auth,
            auth_parameters=auth_parameters(settings.connection, secret),
            opts=child,
        )
        self.destination = aws.cloudwatch.EventApiDestination(
            f"{name}-destination",
            name=physical,
            description=settings.description or f"{settings.method} {settings.endpoint}",
            connection_arn=self.connection.arn,
            http_method=settings.method,
            invocation_endpoint=settings.endpoint,
            invocation_rate_limit_per_second=settings.rate_limit_per_second,
            opts=child,
        )
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        self.invoke_role = aws.iam.Role(
            f"{name}-invoke-role",
            name=ctx.name(args.bus, args.name, "invoke")[:64],
            description=f"Lets EventBridge rules of this account call API destination {args.name}",
            assume_role_policy=account_id.apply(lambda a: json.dumps(events_trust_policy(a))),
            opts=child,
        )
        self.invoke_policy = aws.iam.RolePolicy(
            f"{name}-invoke-policy",
            role=self.invoke_role.id,
            policy=self.destination.arn.apply(lambda arn: json.dumps(invoke_policy_document(arn))),
            opts=child,
        )
        self.arn = self.destination.arn
        self.register_outputs({
            "apiDestinationArn": self.destination.arn,
            "connectionArn": self.connection.arn,
            "invokeRoleArn": self.invoke_role.arn,
        })
