"""Resources as the engine sends them to the analyzer (camelCase inputs of pulumi-aws 7).

Every builder returns a resource that passes every policy in the stack variant it is built for;
violating cases change exactly one thing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from org.plan.analyzer import UNKNOWN, ProviderDescription, ResourceDescription, make_urn

PROJECT, STACK = "groundwork", "test"
# The smallest state machine Step Functions accepts (StartAt naming a state of States).
MINIMAL_DEFINITION = '{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}'
ACCOUNT = "123456789012"
OWNER = "team-shop@example.com"
MAIL_DOMAIN = "aws.acme-corp.example"


@dataclass(frozen=True)
class Env:
    """A stack variant: the PULUMI_CONFIG the pack starts with and the matching tags."""

    key: str
    config: dict[str, Any]
    stage: str = "dev"
    usage: str = "POC"

    @property
    def prefix(self) -> str:
        return f"shop-{self.stage}-"


BASE = {"aws:region": "eu-west-1", "groundwork:context": "shop", "groundwork:owner": OWNER}
DEV = Env("dev", {**BASE, "groundwork:stage": "dev", "groundwork:usage": "POC"})
PROD = Env("prod", {**BASE, "groundwork:stage": "prod", "groundwork:usage": "PRODUCTION",
                    "groundwork:org": {"path": "org", "mailDomain": MAIL_DOMAIN},
                    "groundwork:policyWaivers": [
                        {"policy": "queue-topic-encryption", "name": "legacy-queue",
                         "reason": "replaced by shop-prod-orders in JIRA-12", "expires": "2099-12-31"}]},
           stage="prod", usage="PRODUCTION")
EPH = Env("eph", {**BASE, "groundwork:stage": "sandbox", "groundwork:usage": "EPHEMERAL",
                  "groundwork:ttlHours": "8"}, stage="sandbox", usage="EPHEMERAL")
EMPTY = Env("empty", {"aws:region": "eu-west-1"})  # stage/usage only from stack or resource tags
BAD_STAGE = Env("bad-stage", {**BASE, "groundwork:stage": "qa", "groundwork:usage": "POC"}, stage="qa")
PROD_POC = Env("prod-poc", {**BASE, "groundwork:stage": "prod", "groundwork:usage": "POC"}, stage="prod")
ENVS = {e.key: e for e in (DEV, PROD, EPH, EMPTY, BAD_STAGE, PROD_POC)}

PROVIDER = ProviderDescription(urn=make_urn(PROJECT, STACK, "pulumi:providers:aws", "default"),
                               inputs={"region": "eu-west-1"})


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def expires_at(hours: float = 8) -> str:
    return (now() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def tags(env: Env = DEV, **changes: Any) -> dict[str, Any]:
    """The convention tags for ``env``; ``key=None`` drops a tag."""
    result: dict[str, Any] = {"context": "shop", "stage": env.stage, "owner": OWNER, "usage": env.usage}
    if env.usage == "EPHEMERAL":
        result["expires-at"] = expires_at()
    for key, value in changes.items():
        key = key.replace("_", "-")
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def res(type_: str, name: str, inputs: dict[str, Any] | None = None, **options: Any) -> ResourceDescription:
    resource = ResourceDescription(type=type_, name=name, inputs=inputs or {}, **options)
    resource.urn = make_urn(PROJECT, STACK, type_, name)
    if resource.provider is None and type_.startswith("aws:"):
        resource.provider = PROVIDER
    return resource


def arn(service: str, resource: str, region: str = "eu-west-1") -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def policy_json(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- single resources -----------------------------------------------------------------------

def queue(env: Env = DEV, label: str = "orders", **inputs: Any) -> ResourceDescription:
    base = {"name": f"{env.prefix}{label}", "sqsManagedSseEnabled": True, "visibilityTimeoutSeconds": 30,
            "tags": tags(env)}
    return res("aws:sqs/queue:Queue", label, {**base, **inputs})


def topic(env: Env = DEV, label: str = "events", **inputs: Any) -> ResourceDescription:
    base = {"name": f"{env.prefix}{label}", "kmsMasterKeyId": "alias/aws/sns", "tags": tags(env)}
    return res("aws:sns/topic:Topic", label, {**base, **inputs})


def function(env: Env = DEV, label: str = "handler", runtime: str = "python3.12", **inputs: Any) -> ResourceDescription:
    base = {"name": f"{env.prefix}{label}", "runtime": runtime, "handler": "index.handler",
            "role": arn("iam", f"role/{env.prefix}{label}", region=""), "timeout": 30, "tags": tags(env)}
    return res("aws:lambda/function:Function", label, {**base, **inputs})


def kms_key(env: Env = DEV, label: str = "key", **inputs: Any) -> ResourceDescription:
    return res("aws:kms/key:Key", label, {"description": "shop data", "enableKeyRotation": True,
                                         "tags": tags(env), **inputs})


def log_group(env: Env = DEV, label: str = "logs", **inputs: Any) -> ResourceDescription:
    return res("aws:cloudwatch/logGroup:LogGroup", label,
               {"name": f"/aws/lambda/{env.prefix}{label}", "retentionInDays": 14, "tags": tags(env), **inputs})


def parameter(env: Env = DEV, label: str = "db-url", **inputs: Any) -> ResourceDescription:
    return res("aws:ssm/parameter:Parameter", label,
               {"name": f"/{env.stage}/shop/{label}", "type": "String", "value": "x", "tags": tags(env), **inputs})


def event_bus(env: Env = DEV, label: str = "bus", **inputs: Any) -> ResourceDescription:
    return res("aws:cloudwatch/eventBus:EventBus", label, {"name": f"{env.prefix}{label}", "tags": tags(env),
                                                          **inputs})


def role_policy(label: str = "send", document: str | None = None) -> ResourceDescription:
    document = document or policy_json({"Effect": "Allow", "Action": ["sqs:SendMessage"],
                                        "Resource": arn("sqs", "shop-dev-orders")})
    return res("aws:iam/rolePolicy:RolePolicy", label, {"role": UNKNOWN, "policy": document})


def receipt_rule(label: str = "inbound", **inputs: Any) -> ResourceDescription:
    base = {"ruleSetName": "shop-dev-rules", "name": "shop-dev-inbound", "enabled": True,
            "tlsPolicy": "Require", "scanEnabled": True, "recipients": ["shop@aws.acme-corp.example"]}
    return res("aws:ses/receiptRule:ReceiptRule", label, {**base, **inputs})


def table(env: Env = DEV, label: str = "items", **inputs: Any) -> ResourceDescription:
    base = {"name": f"{env.prefix}{label}", "billingMode": "PAY_PER_REQUEST", "hashKey": "pk",
            "attributes": [{"name": "pk", "type": "S"}], "tags": tags(env)}
    return res("aws:dynamodb/table:Table", label, {**base, **inputs})


def account(env: Env = PROD, label: str = "shop-prod", **inputs: Any) -> ResourceDescription:
    base = {"name": label, "email": f"{label}@{MAIL_DOMAIN}", "parentId": "ou-abcd-12345678",
            "closeOnDeletion": False, "tags": tags(env)}
    return res("aws:organizations/account:Account", label, {**base, **inputs})


def component(type_: str = "groundwork:events:Fanout", label: str = "fanout") -> ResourceDescription:
    return res(type_, label)


# --- groups ---------------------------------------------------------------------------------

def bucket_group(env: Env = DEV, label: str = "data", *, sse: bool = True, pab: dict[str, Any] | None = None,
                 with_pab: bool = True, policy: Any = "tls", bucket_type: str = "aws:s3/bucket:Bucket",
                 sse_type: str = ("aws:s3/bucketServerSideEncryptionConfiguration:"
                                  "BucketServerSideEncryptionConfiguration"),
                 **bucket_inputs: Any) -> list[ResourceDescription]:
    """A bucket with SSE, a full public access block and a TLS-only policy (each switchable)."""
    bucket_name = f"{env.prefix}{label}"
    bucket = res(bucket_type, label, {"bucket": bucket_name, "forceDestroy": True, "tags": tags(env),
                                     **bucket_inputs})
    depends = {"dependencies": [bucket.urn], "property_dependencies": {"bucket": [bucket.urn]}}
    group = [bucket]
    if sse:
        group.append(res(sse_type, f"{label}-sse", {
            "bucket": UNKNOWN, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"},
                                          "bucketKeyEnabled": True}]}, **depends))
    if with_pab:
        flags = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
                 "restrictPublicBuckets": True, **(pab or {})}
        group.append(res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{label}-pab",
                         {"bucket": UNKNOWN, **flags}, **depends))
    if policy is not None:
        document = policy
        if policy == "tls":
            document = policy_json({
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
        group.append(res("aws:s3/bucketPolicy:BucketPolicy", f"{label}-policy", {"bucket": UNKNOWN,
                                                                               "policy": document}, **depends))
    return group


def teardown(env: Env = EPH, hours: float = 8, expression: str | None = None,
             timezone: str | None = "UTC") -> list[ResourceDescription]:
    """The EphemeralTeardown component and its one-time schedule."""
    owner = component("groundwork:lifecycle:EphemeralTeardown", "teardown")
    when = (now() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S")
    inputs = {"name": f"{env.prefix}teardown-test", "scheduleExpression": expression or f"at({when})",
              "flexibleTimeWindow": {"mode": "OFF"}, "actionAfterCompletion": "DELETE",
              "target": {"arn": UNKNOWN, "roleArn": UNKNOWN}}
    if timezone is not None:
        inputs["scheduleExpressionTimezone"] = timezone
    schedule = res("aws:scheduler/schedule:Schedule", "teardown-schedule", inputs, parent=owner.urn)
    return [owner, schedule]


def state_machine(env: Env = DEV, label: str = "flow", kind: str | None = "STANDARD") -> ResourceDescription:
    inputs = {"name": f"{env.prefix}{label}", "roleArn": UNKNOWN, "definition": MINIMAL_DEFINITION, "tags": tags(env)}
    if kind is not None:
        inputs["type"] = kind
    return res("aws:sfn/stateMachine:StateMachine", label, inputs)


def pipe(env: Env = DEV, label: str = "pipe", *, source: str | None = None, target: Any = None,
         source_parameters: dict[str, Any] | None = None, logging: bool = True,
         depends_on: list[ResourceDescription] | None = None, **inputs: Any) -> ResourceDescription:
    base: dict[str, Any] = {
        "name": f"{env.prefix}{label}", "roleArn": UNKNOWN,
        "source": source or arn("sqs", f"{env.prefix}{label}-in"),
        "target": target or arn("events", f"event-bus/{env.prefix}bus"),
        "sourceParameters": source_parameters if source_parameters is not None else
        {"sqsQueueParameters": {"batchSize": 10}},
        "tags": tags(env),
    }
    if logging:
        base["logConfiguration"] = {"level": "ERROR", "cloudwatchLogsLogDestination": {"logGroupArn": UNKNOWN}}
    deps = [d.urn for d in depends_on or []]
    return res("aws:pipes/pipe:Pipe", label, {**base, **inputs}, dependencies=deps)


def pipe_alarm(env: Env, pipe_: ResourceDescription, *, by_dimension: bool = True) -> ResourceDescription:
    inputs = {"name": f"{env.prefix}{pipe_.name}-failures", "namespace": "AWS/EventBridge/Pipes",
              "metricName": "ExecutionFailed", "comparisonOperator": "GreaterThanThreshold", "threshold": 0,
              "evaluationPeriods": 1, "period": 300, "statistic": "Sum", "tags": tags(env)}
    if by_dimension:
        inputs["dimensions"] = {"PipeName": pipe_.inputs["name"]}
    return res("aws:cloudwatch/metricAlarm:MetricAlarm", f"{pipe_.name}-alarm", inputs,
               dependencies=[] if by_dimension else [pipe_.urn])


@dataclass
class Case:
    """Resources of one stack, the variant it runs in, and the policies expected to report."""

    id: str
    resources: list[ResourceDescription]
    expect: set[str] = field(default_factory=set)
    env: Env = DEV
    policy_config: dict[str, Any] = field(default_factory=dict)
    stack_tags: dict[str, str] = field(default_factory=dict)
    contains: str = ""  # a text one of the diagnostics must contain
