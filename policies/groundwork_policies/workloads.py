"""Workload configuration: secrets written as plain environment values of Lambda functions and ECS
task definitions, and EC2 instances or launch templates that do not require IMDSv2."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import prop, schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy
from groundwork_policies.values import UNKNOWN, as_list, dig

LAMBDA = "aws:lambda/function:Function"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
INSTANCE, LAUNCH_TEMPLATE = "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"
# A bare KEY is left out: S3 object keys (ROUTES_KEY=routes.json) are the common case.
SECRET_NAME = (r"(PASSWORD|PASSWD|PWD|SECRET|TOKEN|CREDENTIALS?|^KEY$|"
               r"(API|ACCESS|PRIVATE|SIGNING|ENCRYPTION|AUTH|CLIENT|MASTER|LICEN[CS]E)_?KEY)")
# Names that hold a reference to a secret, not the secret (SECRET_ARN, KMS_KEY_ID, TOKEN_URL...).
REFERENCE_SUFFIX = re.compile(r"_(ARN|ID|NAME|PATH|URL|URI|FILE|PARAM|PARAMETER|REGION|TYPE|HEADER)$")


def _secret_like(name: str, pattern: re.Pattern[str]) -> bool:
    upper = name.upper()
    return bool(pattern.search(upper)) and not REFERENCE_SUFFIX.search(upper)


def _literal(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != "" and not value.startswith("arn:")


def _environment(resource: Resource) -> list[tuple[str, Any]]:
    if resource.type == LAMBDA:
        variables = dig(resource.props, "environment", "variables")
        return list(variables.items()) if isinstance(variables, Mapping) else []
    definitions = resource.props.get("containerDefinitions")
    if isinstance(definitions, str):
        try:
            definitions = json.loads(definitions)
        except ValueError:
            return []
    pairs = []
    for container in as_list(definitions):
        for entry in as_list(dig(container, "environment")):
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                pairs.append((entry["name"], entry.get("value")))
    return pairs


def check_plaintext_secrets(resource: Resource, ctx: Context) -> Iterable[Finding]:
    pattern = re.compile(ctx.settings.get("namePattern") or SECRET_NAME)
    allowed = set(ctx.settings.get("allowNames") or ())
    names = sorted({name for name, value in _environment(resource)
                    if name not in allowed and _secret_like(name, pattern) and _literal(value)})
    if names:
        # Never the values: they are the secrets.
        yield Finding(f"environment variable(s) {', '.join(names)} hold a literal value that looks like a "
                      "secret: keep it in Secrets Manager or SSM (SecureString) and pass its ARN or name")


def check_imdsv2(resource: Resource, ctx: Context) -> Iterable[Finding]:
    tokens = dig(resource.props, "metadataOptions", "httpTokens")
    endpoint = dig(resource.props, "metadataOptions", "httpEndpoint")
    if tokens == "required" or tokens is UNKNOWN or endpoint == "disabled":
        return
    yield Finding("metadata_options.http_tokens is not 'required': IMDSv1 stays reachable unless the AMI "
                  "or the account's metadata defaults require IMDSv2; set http_tokens='required'")


def policies() -> list:
    return [
        resource_policy(
            name="plaintext-secrets-in-environment",
            description="Lambda and ECS environments hold no secret as a literal value.",
            check=check_plaintext_secrets, types=[LAMBDA, TASK_DEFINITION],
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH,
            config_schema=schema(
                namePattern=prop("string", SECRET_NAME, "regex (on the upper-cased name) of secret-like names"),
                allowNames=prop("array", [], "variable names accepted with a literal value",
                                items={"type": "string"})),
            remediation_steps="Store the value in Secrets Manager or SSM Parameter Store; pass the ARN or name "
                              "(ECS: containerDefinitions[].secrets) and read it at start-up.",
        ),
        resource_policy(
            name="ec2-imdsv2-required",
            description="EC2 instances and launch templates require IMDSv2 (session tokens).",
            check=check_imdsv2, types=[INSTANCE, LAUNCH_TEMPLATE],
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.MEDIUM, config_schema=schema(),
            remediation_steps="Set metadata_options={'http_tokens': 'required', 'http_endpoint': 'enabled'}.",
        ),
    ]
