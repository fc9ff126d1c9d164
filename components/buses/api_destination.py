"""ApiDestination: an EventBridge connection (API key, basic or OAuth client credentials) and the
HTTPS destination it authorizes, with the role a rule assumes to invoke it.

The credential arrives as its own argument and is kept a Pulumi secret; the typed auth args
(:class:`ApiKeyAuth`, :class:`BasicAuth`, :class:`OAuthClientCredentials`) never hold it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

import pulumi
import pulumi_aws as aws

from ..context import StackContext
from ..conventions import with_conventions
from ..errors import ConfigError
from .limits import (
    API_DESTINATION_METHODS,
    MAX_ENDPOINT_LENGTH,
    MAX_INVOCATION_RATE,
    MIN_INVOCATION_RATE,
    REFUSED_HTTP_METHODS,
)

AuthType = Literal["API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS"]


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


@dataclass(frozen=True, kw_only=True)
class ApiKeyAuth:
    """An API key sent in ``header``; the key itself is the destination's secret."""

    header: str = "x-api-key"


@dataclass(frozen=True, kw_only=True)
class BasicAuth:
    """HTTP basic auth; the password is the destination's secret."""

    username: str


@dataclass(frozen=True, kw_only=True)
class OAuthClientCredentials:
    """OAuth client credentials; the client secret is the destination's secret."""

    authorization_endpoint: str
    client_id: str
    http_method: Literal["GET", "POST", "PUT"] = "POST"
    scope: str | None = None
    body_parameters: dict[str, str] = field(default_factory=dict)


Auth = ApiKeyAuth | BasicAuth | OAuthClientCredentials
AUTHORIZATION_TYPES: dict[type, AuthType] = {
    ApiKeyAuth: "API_KEY", BasicAuth: "BASIC", OAuthClientCredentials: "OAUTH_CLIENT_CREDENTIALS"}


@dataclass(frozen=True, kw_only=True)
class ApiEndpoint:
    """An HTTPS endpoint, its method and invocation rate limit, and how EventBridge authorizes calls."""

    endpoint: str
    auth: Auth
    method: str = "POST"
    rate_limit_per_second: int = MAX_INVOCATION_RATE
    description: str | None = None


@dataclass
class ApiDestinationArgs:
    """Inputs of :class:`ApiDestination`; ``secret`` is the resolved credential (made secret here)."""

    context: StackContext
    bus: str
    name: str
    settings: ApiEndpoint
    secret: pulumi.Input[str]


def check_endpoint(where: str, endpoint: ApiEndpoint) -> None:
    """Refuse what EventBridge refuses: a non-HTTPS endpoint, an unsupported method, a rate out of range."""
    try:
        https_url(endpoint.endpoint)
        http_method(endpoint.method)
        if isinstance(endpoint.auth, OAuthClientCredentials):
            https_url(endpoint.auth.authorization_endpoint)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None
    if not MIN_INVOCATION_RATE <= endpoint.rate_limit_per_second <= MAX_INVOCATION_RATE:
        raise ConfigError(f"{where}: rate_limit_per_second {endpoint.rate_limit_per_second} is outside "
                          f"{MIN_INVOCATION_RATE}..{MAX_INVOCATION_RATE}")


def auth_parameters(auth: Auth, secret: pulumi.Output[str]) -> dict[str, Any]:
    """``auth_parameters`` of the EventConnection; the credential stays a secret Output."""
    if isinstance(auth, ApiKeyAuth):
        return {"api_key": {"key": auth.header, "value": secret}}
    if isinstance(auth, BasicAuth):
        return {"basic": {"username": auth.username, "password": secret}}
    oauth = auth
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
        check_endpoint(f"ApiDestination '{name}'", args.settings)
        super().__init__("groundwork:events:ApiDestination", name, None, with_conventions(args.context, opts))
        ctx, settings = args.context, args.settings
        child = pulumi.ResourceOptions(parent=self)
        secret = pulumi.Output.secret(args.secret)
        physical = ctx.name(args.bus, args.name)[:64]
        self.connection = aws.cloudwatch.EventConnection(
            f"{name}-connection",
            name=physical,
            description=f"Authorization for API destination {args.name} of bus {args.bus}",
            authorization_type=AUTHORIZATION_TYPES[type(settings.auth)],
            auth_parameters=auth_parameters(settings.auth, secret),
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
