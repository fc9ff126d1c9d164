"""The forwarder's role is exactly what its handler calls: derived from the calls, not a hand list.

The mail program is declared under the mock runtime; its forwarder environment (bucket, routing
table object, sender, loop key) is recreated in moto and the handler is driven through every
branch (forward, duplicate, tags, drops, notice, missing object, failed send). Each boto3 call it makes
is recorded and turned into the IAM request AWS evaluates (action, resource ARN, condition
context), and each must be allowed by the role policy the component generated. The other way
round, the policy holds no action that no call (or Lambda itself, for logs and the failure
queue) needs.
"""

from __future__ import annotations

import fnmatch
import json
import re

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from features.mail.forwarder import handler, markers
from tests.mail.corpus_files import corpus
from tests.mail.support import LOOP_KEY, event
from tests.mail.test_components import ACCOUNT, BUCKET, DOMAIN, REGION, SETTINGS, mail_program

# IAM service prefixes that differ from botocore's signing name.
IAM_PREFIX = {"monitoring": "cloudwatch"}
# What the Lambda service itself does with the function's role: write its logs, send failed
# async events to the on-failure destination.
USED_BY_LAMBDA = {"logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage"}


def iam_requests(call: dict) -> list[tuple[str, str, dict[str, str]]]:
    """(action, resource, condition context) AWS authorizes for one recorded API call."""
    prefix = IAM_PREFIX.get(call["signing_name"], call["signing_name"])
    action, params = f"{prefix}:{call['operation']}", call["params"]
    if prefix == "s3":
        requests = [(action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}", {})]
        if call["operation"] == "GetObject":  # NoSuchKey (not AccessDenied) needs s3:ListBucket
            requests.append(("s3:ListBucket", f"arn:aws:s3:::{params['Bucket']}", {}))
        return requests
    if prefix == "ses":  # SES v2 SendEmail: authorized on the identity of the From address
        domain = params["FromEmailAddress"].rpartition("@")[2]
        return [(action, f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}", {})]
    if prefix == "secretsmanager":
        return [(action, params["SecretId"], {})]
    if prefix == "cloudwatch":  # PutMetricData has no resource type
        return [(action, "*", {"cloudwatch:namespace": params["Namespace"]})]
    raise AssertionError(f"no IAM mapping for {action}")


def allowed(policy: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        conditions = statement.get("Condition", {})
        assert set(conditions) <= {"StringEquals"}, "extend the evaluator for other operators"
        if (any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions)
                and any(fnmatch.fnmatchcase(resource, r) for r in resources)
                and all(context.get(key) == value for key, value in conditions.get("StringEquals", {}).items())):
            return True
    return False


@pytest.fixture
def deployed(run):
    result = run(mail_program({**SETTINGS, "subjectPrefix": "[aws]"}))
    function = result.one("aws:lambda/function:Function")
    return {
        "policy": json.loads(result.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"]),
        "env": function.inputs["environment"]["variables"],
        "function": function.inputs,
        "routes": result.one("aws:s3/bucketObjectv2:BucketObjectv2", "mail-routes").inputs["content"],
    }


@pytest.fixture
def recorded_calls(deployed, monkeypatch):
    """Drive the handler through its branches in the deployed environment; record every call."""
    env = deployed["env"]
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing", **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ROUTES", raising=False)
    monkeypatch.setattr(handler, "_sleep", lambda seconds: None)
    monkeypatch.setattr(markers, "_sleep", lambda seconds: None)
    calls: list[dict] = []
    create = handler._client

    def recording_client(service: str):
        client = create(service)
        if not getattr(client, "_recorded", False):
            def record(params, model, **_):
                calls.append({"signing_name": model.service_model.signing_name,
                              "operation": model.name, "params": dict(params)})
            client.meta.events.register("before-parameter-build", record)
            client._recorded = True
        return client

    monkeypatch.setattr(handler, "_client", recording_client)
    with mock_aws():
        handler.reset_clients()
        assert DEFAULT_ACCOUNT_ID == ACCOUNT
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket=BUCKET, Key=env["ROUTES_KEY"], Body=deployed["routes"])
        boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=DOMAIN)
        # The deployed key's ARN is a mock value; moto names its own. Same key, moto's ARN.
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="loop-key", SecretString=LOOP_KEY)
        monkeypatch.setenv("LOOP_SECRET_ARN", secret["ARN"])
        message = corpus("spamassassin-nice-002")
        s3.put_object(Bucket=BUCKET, Key="inbound/plain0001", Body=message)
        handler.handler(event("plain0001", [f"shop-prod@{DOMAIN}", f"data-lake@{DOMAIN}"]))  # forward
        handler.handler(event("plain0001", [f"shop-prod@{DOMAIN}"]))  # duplicate
        s3.put_object(Bucket=BUCKET, Key="inbound/spam0001", Body=message)
        handler.handler(event("spam0001", [f"nobody@{DOMAIN}"], spam="FAIL"))  # tagged, catch-all
        handler.handler(event("virus0001", [f"shop-prod@{DOMAIN}"], virus="FAIL"))  # dropped, metric
        with pytest.raises(ClientError, match="NoSuchKey"):
            handler.handler(event("missing0001", [f"shop-prod@{DOMAIN}"]))  # nothing claimed
        def ses_fails(**_):
            raise ClientError({"Error": {"Code": "InternalFailure", "Message": "SES fault"}}, "SendEmail")

        ses = handler._client("sesv2")
        ses.meta.events.register("before-parameter-build.sesv2.SendEmail", ses_fails)
        s3.put_object(Bucket=BUCKET, Key="inbound/fault0001", Body=message)
        with pytest.raises(ClientError, match="InternalFailure"):
            handler.handler(event("fault0001", [f"shop-prod@{DOMAIN}"]))  # claim released for the retry
        ses.meta.events.unregister("before-parameter-build.sesv2.SendEmail", ses_fails)
        monkeypatch.setattr(handler, "MAX_RAW_BYTES", 100)
        s3.put_object(Bucket=BUCKET, Key="inbound/big0001", Body=message)
        handler.handler(event("big0001", [f"shop-prod@{DOMAIN}"]))  # notice
        handler.reset_clients()
    return [{**c, "params": {**c["params"], "SecretId": env["LOOP_SECRET_ARN"]}}
            if c["operation"] == "GetSecretValue" else c for c in calls]


def test_every_call_the_forwarder_makes_is_allowed_by_its_role(deployed, recorded_calls):
    operations = {(c["signing_name"], c["operation"]) for c in recorded_calls}
    assert operations == {("s3", "GetObject"), ("s3", "PutObject"), ("s3", "DeleteObject"),
                          ("ses", "SendEmail"), ("secretsmanager", "GetSecretValue"),
                          ("monitoring", "PutMetricData")}
    denied = [request for call in recorded_calls for request in iam_requests(call)
              if not allowed(deployed["policy"], *request)]
    assert denied == []


def test_the_role_grants_nothing_the_forwarder_does_not_use(deployed, recorded_calls):
    needed = {action for call in recorded_calls for action, _, _ in iam_requests(call)} | USED_BY_LAMBDA
    if (deployed["function"].get("tracingConfig") or {}).get("mode") == "Active":
        needed |= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    granted = {a for s in deployed["policy"]["Statement"]
               for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert granted == needed
    assert "ses:SendRawEmail" not in granted


def test_wildcard_resources_only_where_aws_has_no_resource_type(deployed):
    for statement in deployed["policy"]["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if "*" in resources:
            assert statement["Action"] == "cloudwatch:PutMetricData" and statement["Condition"]
        for resource in resources:
            assert resource == "*" or re.match(r"^arn:aws:[a-z0-9-]+:", resource), resource
