"""Real pulumi-aws programs, recorded under mocks and sent to the pack: inputs exactly as the
Python SDK serialises them (camelCase names, nested objects, JSON documents)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
from groundwork.context import load_context
from groundwork.conventions import apply_conventions

from org.plan.analyzer import PolicyPackProcess, describe_run
from org.plan.runtime import run_program
from tests.conftest import stack_config
from tests.policies.conftest import PACK_DIR

CONFIG = stack_config(usage="POC")  # shop / dev / POC


def _careless() -> None:
    """Everything declared straight with pulumi-aws, without the conventions or the baseline."""
    aws.s3.Bucket("bucket")
    aws.sqs.Queue("queue", sqs_managed_sse_enabled=False)
    aws.sns.Topic("topic", name="shop-dev-topic", kms_master_key_id="alias/aws/sns",
                  tags={"context": "shop", "stage": "dev", "owner": "team-shop", "usage": "POC"})
    aws.lambda_.Function("fn", role="arn:aws:iam::123456789012:role/x", runtime="python3.9",
                         handler="index.handler", code=pulumi.AssetArchive({}))
    aws.kms.Key("key")
    aws.iam.Policy("admin", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    aws.ses.ReceiptRule("rule", rule_set_name="rules", enabled=True)
    aws.ssm.Parameter("param", name="/shop/url", type="String", value="x")


def _careful() -> None:
    ctx = load_context()
    apply_conventions(ctx)
    name = ctx.name
    bucket = aws.s3.Bucket("bucket", bucket=name("data"))
    aws.s3.BucketServerSideEncryptionConfiguration("sse", bucket=bucket.id, rules=[{
        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}])
    aws.s3.BucketPublicAccessBlock("pab", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                                   ignore_public_acls=True, restrict_public_buckets=True)
    aws.s3.BucketPolicy("policy", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})))
    queue = aws.sqs.Queue("queue", name=name("jobs"), sqs_managed_sse_enabled=True)
    machine = aws.sfn.StateMachine("flow", name=name("flow"), role_arn="arn:aws:iam::123456789012:role/x",
                                   definition='{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}')
    aws.pipes.Pipe("pipe", name=name("pipe"), role_arn="arn:aws:iam::123456789012:role/x", source=queue.arn,
                   target=machine.arn, source_parameters={"sqs_queue_parameters": {"batch_size": 1}})
    aws.lambda_.Function("fn", name=name("fn"), role="arn:aws:iam::123456789012:role/x", runtime="python3.12",
                         handler="index.handler", code=pulumi.AssetArchive({}))
    aws.kms.Key("key", enable_key_rotation=True)
    aws.ssm.Parameter("param", name=f"{ctx.ssm_prefix}url", type="String", value="x")
    aws.cloudwatch.LogGroup("logs", name=f"/aws/lambda/{name('fn')}", retention_in_days=14)


def _analyse(program) -> dict[str, set[str]]:
    run = run_program(program, config=CONFIG)
    with PolicyPackProcess(PACK_DIR, config=CONFIG) as pack:
        pack.configure()
        pack.configure_stack()
        diagnostics = pack.analyze_all(describe_run(run.resources, CONFIG))
        # Stack findings name their resource; resource findings come back per Analyze call.
        by_resource: dict[str, set[str]] = {}
        for resource in describe_run(run.resources, CONFIG):
            for d in pack.analyze(resource):
                by_resource.setdefault(resource.name, set()).add(d.policy_name)
        for d in diagnostics:
            if d.urn:
                by_resource.setdefault(d.urn.rsplit("::", 1)[1], set()).add(d.policy_name)
    return by_resource


def test_careless_program_is_caught_resource_by_resource():
    found = _analyse(_careless)
    assert found == {
        "bucket": {"required-tags", "resource-naming", "s3-bucket-baseline"},
        "queue": {"required-tags", "resource-naming", "queue-topic-encryption"},
        "fn": {"required-tags", "lambda-runtime"},
        "key": {"required-tags", "kms-key-rotation"},
        "admin": {"required-tags", "iam-no-admin-wildcard"},
        "rule": {"ses-receipt-rule-security"},
        "param": {"required-tags", "ssm-parameter-naming"},
    }


def test_careful_program_with_conventions_passes():
    assert _analyse(_careful) == {}
