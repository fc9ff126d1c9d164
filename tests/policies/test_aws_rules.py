"""AWS rules over the analyzer protocol: each rule flags its violating input and not a compliant one.

Every case is a pair of stacks that differ in the one input the rule is about. The violating stack
gets exactly one AWS-rule diagnostic, naming the resource, the field, the value and the rule; the
compliant stack gets none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from org.plan.analyzer import UNKNOWN, ResourceDescription
from tests.policies.conftest import evaluate
from tests.policies.corpus.builders import (
    ACCOUNT,
    DEV,
    MINIMAL_DEFINITION,
    Case,
    arn,
    function,
    log_group,
    pipe,
    policy_json,
    queue,
    res,
    role_policy,
    state_machine,
    tags,
)

AWS_RULES = {"aws-rules", "aws-rules-advice", "aws-rules-stack"}
STREAM = arn("kinesis", "stream/shop-dev-clicks")
DDB_STREAM = arn("dynamodb", "table/shop-dev-items/stream/2026-01-01T00:00:00.000")
DLQ = {"arn": arn("sqs", "shop-dev-failed")}


def allow(action, resource) -> str:
    return policy_json({"Sid": "Grant", "Effect": "Allow", "Action": action, "Resource": resource})


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def role(label: str, service: str = "lambda.amazonaws.com", **inputs) -> ResourceDescription:
    return res("aws:iam/role:Role", label, {"name": f"shop-dev-{label}", "assumeRolePolicy": trust(service),
                                           "tags": tags(), **inputs})


def named_role_policy(label: str, role_name: str, document: str) -> ResourceDescription:
    return res("aws:iam/rolePolicy:RolePolicy", label, {"role": role_name, "policy": document})


def stream_pipe(label: str = "pipe", **params) -> ResourceDescription:
    return pipe(label=label, source=STREAM, source_parameters={"kinesisStreamParameters": {
        "startingPosition": "LATEST", "batchSize": 10, **params}})


def esm(**inputs) -> ResourceDescription:
    return res("aws:lambda/eventSourceMapping:EventSourceMapping", "mapping", {
        "eventSourceArn": arn("sqs", "shop-dev-jobs"), "functionName": "shop-dev-handler", "tags": tags(), **inputs})


def rule(pattern: str) -> ResourceDescription:
    return res("aws:cloudwatch/eventRule:EventRule", "rule", {
        "name": "shop-dev-orders", "eventBusName": "shop-dev-bus", "eventPattern": pattern, "tags": tags()})


def traced(role_name: str) -> ResourceDescription:
    return function(label="traced", role=f"arn:aws:iam::{ACCOUNT}:role/{role_name}", tracingConfig={"mode": "Active"})


def stack_set(template: str) -> ResourceDescription:
    return res("aws:cloudformation/stackSet:StackSet", "bootstrap", {
        "name": "shop-dev-bootstrap", "permissionModel": "SERVICE_MANAGED", "capabilities": ["CAPABILITY_NAMED_IAM"],
        "templateBody": template, "tags": tags()})


CFN_ROLE = """\
Resources:
  Deploy:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${AWS::StackName}-deploy"
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: cloudformation.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [ACTION]
                Resource: !Sub "arn:${AWS::Partition}:s3:::${AWS::AccountId}-state/*"
"""
XRAY = {"Sid": "Traces", "Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        "Resource": "*"}
LOGS = {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": arn("logs", "log-group:/aws/lambda/shop-dev-traced:*")}


@dataclass
class Pair:
    id: str
    rule: str
    policy: str
    violating: list[ResourceDescription]
    compliant: list[ResourceDescription]
    shows: tuple[str, ...] = ()  # texts the one message must contain (resource, field, value)


PAIRS = [
    Pair("api-enum", "aws-api-constraint", "aws-rules", [pipe(desiredState="PAUSED")], [pipe(desiredState="RUNNING")],
         ("'pipe'", "desiredState", "PAUSED", "RUNNING, STOPPED")),
    Pair("api-length", "aws-api-constraint", "aws-rules", [pipe(name="shop-dev-" + "p" * 60)], [pipe()],
         ("name", "69 characters, at most 64")),
    Pair("api-range", "aws-api-constraint", "aws-rules",
         [stream_pipe(maximumRetryAttempts=10001, deadLetterConfig=DLQ)],
         [stream_pipe(maximumRetryAttempts=10000, deadLetterConfig=DLQ)],
         ("sourceParameters.kinesisStreamParameters.maximumRetryAttempts", "10001", "above the maximum 10000")),
    Pair("api-pattern", "aws-api-constraint", "aws-rules", [function(name="shop dev handler")], [function()],
         ("'handler'", "name", "shop dev handler", "does not match the pattern")),
    Pair("api-tag-value-length", "aws-api-constraint", "aws-rules", [pipe(tags=tags(note="x" * 257))],
         [pipe(tags=tags(note="x" * 256))], ("tags['note']", "at most 256")),
    Pair("iam-action-misspelt", "iam-action-exists", "aws-rules",
         [role_policy(document=allow("sqs:SendMesage", arn("sqs", "shop-dev-orders")))],
         [role_policy(document=allow("sqs:SendMessage", arn("sqs", "shop-dev-orders")))],
         ("'send'", "policy Statement[0] (Sid Grant) Action", "sqs:SendMesage")),
    Pair("iam-wildcard-matches-nothing", "iam-action-exists", "aws-rules",
         [role_policy(document=allow("sqs:Frobnicate*", arn("sqs", "shop-dev-orders")))],
         [role_policy(document=allow("sqs:Send*", arn("sqs", "shop-dev-orders")))], ("sqs:Frobnicate*",)),
    Pair("iam-resource-of-another-type", "iam-resource-type", "aws-rules",
         [role_policy(document=allow("sqs:SendMessage", arn("sns", "shop-dev-orders")))],
         [role_policy(document=allow("sqs:SendMessage", arn("sqs", "shop-dev-orders")))],
         ("sqs:SendMessage", "arn:aws:sns:eu-west-1:123456789012:shop-dev-orders")),
    # Issue 12 defect 4, reintroduced: ListStreams on the stream ARN grants nothing.
    Pair("defect-4-list-streams", "iam-resource-level", "aws-rules",
         [role_policy(document=allow(["dynamodb:GetRecords", "dynamodb:ListStreams"], DDB_STREAM))],
         [role_policy(document=policy_json(
             {"Sid": "Grant", "Effect": "Allow", "Action": ["dynamodb:GetRecords"], "Resource": DDB_STREAM},
             {"Sid": "List", "Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": "*"}))],
         ("'send'", "policy Statement[0] (Sid Grant) Action", "dynamodb:ListStreams", DDB_STREAM)),
    Pair("defect-4-subscribe-to-shard", "iam-resource-type", "aws-rules",
         [role_policy(document=allow("kinesis:SubscribeToShard", STREAM))],
         [role_policy(document=allow("kinesis:SubscribeToShard", STREAM + "/consumer/*"))],
         ("kinesis:SubscribeToShard", "consumer")),
    Pair("iam-unknown-service-principal", "iam-service-principal", "aws-rules",
         [role("fn", "lamda.amazonaws.com")], [role("fn")], ("assumeRolePolicy", "lamda.amazonaws.com")),
    Pair("resource-policy-unknown-service-principal", "iam-service-principal", "aws-rules",
         [res("aws:sqs/queuePolicy:QueuePolicy", "qp", {"queueUrl": UNKNOWN, "policy": policy_json(
             {"Effect": "Allow", "Principal": {"Service": "event.amazonaws.com"}, "Action": "sqs:SendMessage",
              "Resource": arn("sqs", "shop-dev-orders")})})],
         [res("aws:sqs/queuePolicy:QueuePolicy", "qp", {"queueUrl": UNKNOWN, "policy": policy_json(
             {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
              "Resource": arn("sqs", "shop-dev-orders")})})], ("'qp'", "event.amazonaws.com")),
    Pair("iam-not-json", "iam-policy-grammar", "aws-rules",
         [role_policy(document="Allow everything")], [role_policy()], ("'send'", "policy", "Allow everything")),
    Pair("iam-principal-in-identity-policy", "iam-policy-grammar", "aws-rules",
         [role_policy(document=policy_json({"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                                            "Resource": arn("sqs", "shop-dev-orders")}))],
         [role_policy()], ("Principal",)),
    Pair("iam-scp-action", "iam-action-exists", "aws-rules",
         [res("aws:organizations/policy:Policy", "scp", {
             "name": "deny-leave", "type": "SERVICE_CONTROL_POLICY", "tags": tags(),
             "content": policy_json({"Effect": "Deny", "Action": "organizations:LeaveOrganisation", "Resource": "*"})})],
         [res("aws:organizations/policy:Policy", "scp", {
             "name": "deny-leave", "type": "SERVICE_CONTROL_POLICY", "tags": tags(),
             "content": policy_json({"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})})],
         ("content", "organizations:LeaveOrganisation")),
    Pair("iam-in-stack-set-template", "iam-action-exists", "aws-rules",
         [stack_set(CFN_ROLE.replace("ACTION", "s3:GetObjects"))], [stack_set(CFN_ROLE.replace("ACTION", "s3:GetObject"))],
         ("templateBody Resources.Deploy.Properties.Policies[0].PolicyDocument", "s3:GetObjects")),
    Pair("iam-deny-on-wrong-resource-is-advice", "iam-resource-type", "aws-rules-advice",
         [role_policy(document=policy_json({"Effect": "Deny", "Action": "s3:GetObject",
                                            "Resource": arn("sqs", "shop-dev-orders")}))],
         [role_policy(document=policy_json({"Effect": "Deny", "Action": "s3:GetObject",
                                            "Resource": "arn:aws:s3:::shop-dev-data/*"}))], ("s3:GetObject",)),
    Pair("tags-over-50", "aws-tag-limit", "aws-rules",
         [queue(tags={**tags(), **{f"k{i}": "v" for i in range(47)}})],
         [queue(tags={**tags(), **{f"k{i}": "v" for i in range(46)}})], ("tags", "51 tags")),
    Pair("log-retention", "aws-log-retention", "aws-rules", [log_group(retentionInDays=10)],
         [log_group(retentionInDays=14)], ("retentionInDays", "10", "e.g. 7")),
    # Ranges stated in botocore's SQS model docs (the model types the attributes as strings).
    Pair("sqs-message-size-over-1-mib", "aws-sqs-attribute-range", "aws-rules", [queue(maxMessageSize=2_097_152)],
         [queue(maxMessageSize=1_048_576, messageRetentionSeconds=1_209_600, visibilityTimeoutSeconds=43_200)],
         ("maxMessageSize", "2097152", "MaximumMessageSize as an integer from 1,024 to 1,048,576")),
    Pair("sqs-delay-over-15-minutes", "aws-sqs-attribute-range", "aws-rules", [queue(delaySeconds=901)],
         [queue(delaySeconds=900, receiveWaitTimeSeconds=20)], ("delaySeconds", "901", "from 0 to 900")),
    Pair("sqs-batch-without-window", "aws-sqs-batch", "aws-rules", [esm(batchSize=100)],
         [esm(batchSize=100, maximumBatchingWindowInSeconds=1)], ("batchSize", "100")),
    Pair("sqs-pipe-batch-without-window", "aws-sqs-batch", "aws-rules-advice",
         [pipe(source_parameters={"sqsQueueParameters": {"batchSize": 50}})],
         [pipe(source_parameters={"sqsQueueParameters": {"batchSize": 50, "maximumBatchingWindowInSeconds": 5}})],
         ("sourceParameters.sqsQueueParameters.batchSize", "50")),
    # Issue 12 defect 6, reintroduced: AWS's defaults on a stream source.
    Pair("defect-6-stream-defaults", "aws-stream-failure-handling", "aws-rules", [stream_pipe()],
         [stream_pipe(maximumRetryAttempts=10, maximumRecordAgeInSeconds=3600,
                      onPartialBatchItemFailure="AUTOMATIC_BISECT", deadLetterConfig=DLQ)],
         ("'pipe'", "sourceParameters.kinesisStreamParameters", "maximumRetryAttempts=None", "deadLetterConfig")),
    Pair("states-unknown-next", "aws-states-language", "aws-rules",
         [res("aws:sfn/stateMachine:StateMachine", "flow", {
             "name": "shop-dev-flow", "roleArn": UNKNOWN, "type": "STANDARD", "tags": tags(),
             "definition": '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}'})],
         [state_machine()], ("definition", "goes to 'B'")),
    Pair("event-pattern-not-array", "aws-event-pattern", "aws-rules", [rule('{"source":"com.shop"}')],
         [rule('{"source":["com.shop"]}')], ("eventPattern", "com.shop")),
    Pair("pipe-template", "aws-pipe-input-template", "aws-rules",
         [pipe(targetParameters={"inputTemplate": '{"id": <$.body.id}'})],
         [pipe(targetParameters={"inputTemplate": '{"id": <$.body.id>}'})], ("targetParameters.inputTemplate",)),
    Pair("duplicate-queue-name", "aws-duplicate-name", "aws-rules-stack",
         [queue(label="a", name="shop-dev-jobs"), queue(label="b", name="shop-dev-jobs")],
         [queue(label="a", name="shop-dev-jobs"), queue(label="b", name="shop-dev-jobs-2")], ("'b'", "shop-dev-jobs", "'a'")),
    Pair("duplicate-role-name-ignoring-case", "aws-duplicate-name", "aws-rules-stack",
         [role("deploy"), role("deploy-2", name="Shop-Dev-Deploy")],
         [role("deploy"), role("deploy-2", name="shop-dev-deploy-2")], ("'deploy-2'", "Shop-Dev-Deploy")),
    # The same with an auto-named role, found through the function's and the policy's dependencies.
    Pair("defect-5-tracing-auto-named-role", "aws-lambda-tracing", "aws-rules-stack",
         [auto := res("aws:iam/role:Role", "auto", {"assumeRolePolicy": trust("lambda.amazonaws.com"), "tags": tags()}),
          res("aws:iam/rolePolicy:RolePolicy", "auto-policy", {"role": "auto-1a2b3c", "policy": policy_json(LOGS)},
              property_dependencies={"role": [auto.urn]}),
          res("aws:lambda/function:Function", "auto-fn", {
              **function(label="auto-fn").inputs, "role": f"arn:aws:iam::{ACCOUNT}:role/auto-1a2b3c",
              "tracingConfig": {"mode": "Active"}}, property_dependencies={"role": [auto.urn]})],
         [auto,
          res("aws:iam/rolePolicy:RolePolicy", "auto-policy", {"role": "auto-1a2b3c", "policy": policy_json(LOGS, XRAY)},
              property_dependencies={"role": [auto.urn]}),
          res("aws:lambda/function:Function", "auto-fn", {
              **function(label="auto-fn").inputs, "role": f"arn:aws:iam::{ACCOUNT}:role/auto-1a2b3c",
              "tracingConfig": {"mode": "Active"}}, property_dependencies={"role": [auto.urn]})],
         ("'auto-fn'", "tracingConfig.mode", "auto-1a2b3c")),
    Pair("role-trust-for-its-user", "aws-role-trust", "aws-rules-stack",
         [role("fn", "states.amazonaws.com"), function(role=f"arn:aws:iam::{ACCOUNT}:role/shop-dev-fn")],
         [role("fn"), function(role=f"arn:aws:iam::{ACCOUNT}:role/shop-dev-fn")],
         ("assumeRolePolicy", "states.amazonaws.com", "lambda.amazonaws.com")),
    # Issue 12 defect 5, reintroduced: a traced function whose role cannot write traces.
    Pair("defect-5-tracing", "aws-lambda-tracing", "aws-rules-stack",
         [role("traced-fn"), named_role_policy("traced-policy", "shop-dev-traced-fn", policy_json(LOGS)),
          traced("shop-dev-traced-fn")],
         [role("traced-fn"), named_role_policy("traced-policy", "shop-dev-traced-fn", policy_json(LOGS, XRAY)),
          traced("shop-dev-traced-fn")],
         ("'traced'", "tracingConfig.mode", "Active", "xray:puttracesegments")),
]


def _aws(diagnostics):
    return [d for d in diagnostics if d.policy_name in AWS_RULES]


def test_sqs_attribute_ranges_are_the_ones_botocore_documents():
    """Parsed from the pinned botocore's SetQueueAttributes docs; a botocore upgrade that changes
    one shows here (the 1 MiB message size dates from 2025)."""
    from groundwork_policies.awsrules.sqs_attributes import attribute_ranges

    assert attribute_ranges() == {
        "DelaySeconds": (0, 900), "MaximumMessageSize": (1_024, 1_048_576),
        "MessageRetentionPeriod": (60, 1_209_600), "ReceiveMessageWaitTimeSeconds": (0, 20),
        "VisibilityTimeout": (0, 43_200), "KmsDataKeyReusePeriodSeconds": (60, 86_400)}


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_violating_input_is_flagged_once_with_resource_field_value_and_rule(packs, pair):
    found = _aws(evaluate(packs.get(DEV), Case(pair.id, pair.violating)))
    assert len(found) == 1, "\n".join(f"{d.policy_name}: {d.message}" for d in found)
    diagnostic = found[0]
    assert diagnostic.policy_name == pair.policy
    assert f"[rule {pair.rule}]" in diagnostic.message
    for text in pair.shows:
        assert text in diagnostic.message, diagnostic.message


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_compliant_input_is_not_flagged(packs, pair):
    found = _aws(evaluate(packs.get(DEV), Case(pair.id, pair.compliant)))
    assert found == [], "\n".join(f"{d.policy_name}: {d.message}" for d in found)


def test_unknown_values_are_skipped_during_a_preview(packs):
    unknown = [pipe(desiredState=UNKNOWN), role_policy(document=UNKNOWN), log_group(retentionInDays=UNKNOWN),
               stream_pipe("stream", maximumRetryAttempts=UNKNOWN, deadLetterConfig=UNKNOWN)]
    assert _aws(evaluate(packs.get(DEV), Case("unknown", unknown))) == []


def test_every_rule_has_a_pair():
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "policies" / "groundwork_policies" / "awsrules"
    named = set()
    for source in package.glob("*.py"):
        named |= set(re.findall(r'"((?:aws|iam)-[a-z-]+)"', source.read_text()))
    rules = {n for n in named if n not in AWS_RULES}
    assert rules == {p.rule for p in PAIRS}
    assert MINIMAL_DEFINITION  # the corpus' state machines carry a valid definition


COMPLIANT_EDGES = [
    # A resource control policy names a Principal (an SCP must not).
    res("aws:organizations/policy:Policy", "rcp", {
        "name": "tls-only", "type": "RESOURCE_CONTROL_POLICY", "tags": tags(),
        "content": policy_json({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                                "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}})}),
    # "*" among the resources covers actions without resource-level permissions.
    role_policy("list", allow(["dynamodb:ListStreams", "dynamodb:GetRecords"], ["*", DDB_STREAM])),
    # Service principals with a sub-name of a known service.
    role("logs-delivery", "delivery.logs.amazonaws.com"),
    # Regional service principals: pulumi/examples aws-py-stepfunctions (vendored in
    # tests/plan_programs) trusts states.<region>.amazonaws.com; CloudWatch Logs subscriptions
    # document logs.<region>.amazonaws.com.
    role("sfn-regional", "states.us-east-1.amazonaws.com"),
    role("logs-regional", "logs.eu-west-1.amazonaws.com"),
    # A wildcard service prefix is every action, nothing to look up.
    role_policy("admin-like", allow("*:*", "*")),
]


def test_edge_cases_that_aws_accepts_are_not_flagged(packs):
    found = [d for d in evaluate(packs.get(DEV), Case("edges", COMPLIANT_EDGES))
             if d.policy_name in AWS_RULES]
    assert found == [], "\n".join(d.message for d in found)
