"""ApiDestination: connection auth kinds, secrets only from secret config, HTTPS, methods, rate."""

from __future__ import annotations

import copy
import json

import pytest
from groundwork.buses.api_destination import ApiDestination, ApiDestinationArgs
from groundwork.context import context_from_mapping
from groundwork.errors import ConfigError

from features.buses.settings import ApiDestinationSettings, endpoint_args
from features.program import build
from tests.buses.helpers import OAUTH_DESTINATION, bus_config, bus_settings

DEST_ARN = ("arn:aws:events:eu-west-1:123456789012:api-destination/shop-dev-orders-partner/"
            "00000000-0000-0000-0000-000000000000")


def with_destination(destination: dict) -> dict:
    settings = bus_settings()
    settings["buses"]["orders"]["apiDestinations"]["partner"] = destination
    return settings


def test_oauth_client_credentials_connection_uses_the_secret_config_value(run):
    result = run(build, config=bus_config())
    connection = result.one("aws:cloudwatch/eventConnection:EventConnection")
    assert connection.inputs["authorizationType"] == "OAUTH_CLIENT_CREDENTIALS"
    oauth = connection.inputs["authParameters"]["oauth"]
    assert oauth["authorizationEndpoint"] == "https://auth.partner.example/oauth2/token"
    assert oauth["httpMethod"] == "POST"
    assert oauth["clientParameters"] == {"clientId": "acme-orders", "clientSecret": "s3cr3t-value"}
    assert oauth["oauthHttpParameters"]["bodies"] == [
        {"key": "scope", "value": "orders.write", "isValueSecret": False}]


def test_destination_method_endpoint_rate_and_rule_target(run):
    result = run(build, config=bus_config())
    destination = result.one("aws:cloudwatch/eventApiDestination:EventApiDestination")
    connection = result.one("aws:cloudwatch/eventConnection:EventConnection")
    assert destination.inputs["httpMethod"] == "POST"
    assert destination.inputs["invocationEndpoint"] == "https://api.partner.example/v1/orders"
    assert destination.inputs["invocationRateLimitPerSecond"] == 10
    assert destination.inputs["connectionArn"] == connection.outputs["arn"]
    target = result.one("aws:cloudwatch/eventTarget:EventTarget", "bus-orders-shipped-to-partner-partner-target")
    role = result.one("aws:iam/role:Role", "bus-orders-partner-invoke-role")
    assert target.inputs["arn"] == DEST_ARN
    assert target.inputs["roleArn"] == role.outputs["arn"]
    assert target.inputs["retryPolicy"] == {"maximumEventAgeInSeconds": 7200, "maximumRetryAttempts": 50}
    assert target.inputs["deadLetterConfig"]["arn"].endswith(":shop-dev-orders-shipped-to-partner-partner-dlq")


def test_invoke_role_is_least_privilege_and_trusts_only_this_accounts_rules(run):
    result = run(build, config=bus_config())
    role = result.one("aws:iam/role:Role", "bus-orders-partner-invoke-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                      "Action": "sts:AssumeRole",
                      "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]
    policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Statement"] == [{"Sid": "InvokeApiDestination", "Effect": "Allow",
                                    "Action": "events:InvokeApiDestination", "Resource": DEST_ARN}]


def test_api_key_and_basic_connections(run):
    api_key = copy.deepcopy(OAUTH_DESTINATION)
    api_key["connection"] = {"auth": "API_KEY", "apiKey": {"header": "x-api-key", "valueConfig": "partnerClientSecret"}}
    result = run(build, config=bus_config(with_destination(api_key)))
    connection = result.one("aws:cloudwatch/eventConnection:EventConnection")
    assert connection.inputs["authorizationType"] == "API_KEY"
    assert connection.inputs["authParameters"] == {"apiKey": {"key": "x-api-key", "value": "s3cr3t-value"}}

    basic = copy.deepcopy(OAUTH_DESTINATION)
    basic["connection"] = {"auth": "BASIC", "basic": {"username": "acme", "passwordConfig": "partnerClientSecret"}}
    result = run(build, config=bus_config(with_destination(basic)))
    connection = result.one("aws:cloudwatch/eventConnection:EventConnection")
    assert connection.inputs["authorizationType"] == "BASIC"
    assert connection.inputs["authParameters"] == {"basic": {"username": "acme", "password": "s3cr3t-value"}}


def test_the_credential_reaches_the_connection_as_a_pulumi_secret(run, monkeypatch):
    """Even a plain value handed to the component is wrapped as a secret before it reaches AWS."""
    import asyncio

    import groundwork.buses.api_destination as module

    real = module.aws.cloudwatch.EventConnection
    seen: dict[str, bool] = {}

    def recording(*args, **kwargs):
        client_secret = kwargs["auth_parameters"]["oauth"]["client_parameters"]["client_secret"]
        future = asyncio.ensure_future(client_secret.is_secret())
        future.add_done_callback(lambda f: seen.setdefault("secret", f.result()))
        return real(*args, **kwargs)

    monkeypatch.setattr(module.aws.cloudwatch, "EventConnection", recording)

    def program():
        ctx = context_from_mapping({"context": "shop", "stage": "dev", "owner": "team-shop@example.com",
                                    "usage": "PRODUCTION"})
        ApiDestination("partner", ApiDestinationArgs(
            context=ctx, bus="orders", name="partner",
            settings=endpoint_args(ApiDestinationSettings.model_validate(OAUTH_DESTINATION)), secret="plain-in-test"))

    run(program)
    assert seen == {"secret": True}


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "trace"])
def test_trace_and_connect_are_refused(run, method):
    destination = copy.deepcopy(OAUTH_DESTINATION) | {"method": method}
    with pytest.raises(ConfigError) as error:
        run(build, config=bus_config(with_destination(destination)))
    message = str(error.value)
    assert "groundwork:eventBuses.buses.orders.apiDestinations.partner.method" in message
    assert "is not supported by EventBridge API destinations" in message


def test_unknown_method_lists_the_allowed_ones(run):
    destination = copy.deepcopy(OAUTH_DESTINATION) | {"method": "FETCH"}
    with pytest.raises(ConfigError, match="must be one of POST, GET, HEAD, OPTIONS, PUT, PATCH, DELETE"):
        run(build, config=bus_config(with_destination(destination)))


@pytest.mark.parametrize("endpoint", ["http://api.partner.example/orders", "ftp://x.example/", "https://", "api.partner.example"])
def test_only_https_endpoints(run, endpoint):
    destination = copy.deepcopy(OAUTH_DESTINATION) | {"endpoint": endpoint}
    with pytest.raises(ConfigError, match=r"apiDestinations\.partner\.endpoint .*must be an https:// URL"):
        run(build, config=bus_config(with_destination(destination)))


def test_oauth_token_endpoint_must_be_https_too(run):
    destination = copy.deepcopy(OAUTH_DESTINATION)
    destination["connection"]["oauth"]["authorizationEndpoint"] = "http://auth.partner.example/token"
    with pytest.raises(ConfigError, match=r"oauth\.authorizationEndpoint .*https://"):
        run(build, config=bus_config(with_destination(destination)))


@pytest.mark.parametrize("rate", [0, 301])
def test_invocation_rate_limit_range(run, rate):
    destination = copy.deepcopy(OAUTH_DESTINATION) | {"rateLimitPerSecond": rate}
    with pytest.raises(ConfigError, match="rateLimitPerSecond"):
        run(build, config=bus_config(with_destination(destination)))


@pytest.mark.parametrize("field,block,auth", [
    ("clientSecret", "oauth", "OAUTH_CLIENT_CREDENTIALS"),
    ("password", "basic", "BASIC"),
    ("value", "apiKey", "API_KEY"),
])
def test_plain_secrets_in_config_are_refused(run, field, block, auth):
    destination = copy.deepcopy(OAUTH_DESTINATION)
    blocks = {"oauth": dict(OAUTH_DESTINATION["connection"]["oauth"]),
              "basic": {"username": "acme"}, "apiKey": {"header": "x-api-key"}}
    body = blocks[block]
    body[field] = "hunter2"
    destination["connection"] = {"auth": auth, block: body}
    with pytest.raises(ConfigError) as error:
        run(build, config=bus_config(with_destination(destination)))
    message = str(error.value)
    assert f"'{field}' must not be given in plain config" in message
    assert "pulumi config set --secret" in message
    assert "hunter2" not in message.split("must not be given")[1]


def test_missing_secret_config_key_names_it(run):
    config = bus_config()
    del config["groundwork:partnerClientSecret"]
    with pytest.raises(ConfigError, match=r"groundwork:partnerClientSecret is not set; set it with "
                                          r"`pulumi config set --secret partnerClientSecret"):
        run(build, config=config)


def test_a_credential_stored_in_plain_config_is_refused(run, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["groundwork:somethingElse"]))
    with pytest.raises(ConfigError, match=r"groundwork:partnerClientSecret is stored in plain text; "
                                          r"credentials must be Pulumi secrets"):
        run(build, config=bus_config())


def test_a_credential_stored_as_secret_passes_the_engine_check(run, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["groundwork:partnerClientSecret"]))
    result = run(build, config=bus_config())
    assert result.one("aws:cloudwatch/eventConnection:EventConnection")


def test_auth_block_must_match_auth_type(run):
    destination = copy.deepcopy(OAUTH_DESTINATION)
    destination["connection"]["auth"] = "API_KEY"
    with pytest.raises(ConfigError, match="auth API_KEY needs exactly the 'apiKey' block"):
        run(build, config=bus_config(with_destination(destination)))


def test_rule_pointing_at_an_undeclared_destination_is_refused(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["shipped-to-partner"]["targets"][0]["destination"] = "nope"
    with pytest.raises(ConfigError, match="API destination 'nope' is not under apiDestinations \\(partner\\)"):
        run(build, config=bus_config(settings))
