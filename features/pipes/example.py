"""The sources and targets the example pipes stack deploys around the five patterns.

Everything meets the stack's security baseline: SQS with SSE and a redrive dead-letter queue,
DynamoDB with SSE and point-in-time recovery, Kinesis encrypted with KMS, the Firehose bucket
encrypted, private and TLS-only, Lambda on python3.12 with its own log group and a scoped role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
from groundwork.context import StackContext

HANDLERS = Path(__file__).parent / "handlers"
LAMBDA_RUNTIME = "python3.12"
LOG_RETENTION_DAYS = 30
# Active tracing: Lambda sends segments with the function's role, and these two X-Ray actions
# support no resource-level permissions (Service Authorization Reference), hence "*".
XRAY_STATEMENT = {"Sid": "WriteTraces", "Effect": "Allow", "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                  "Resource": "*"}


@dataclass
class Scope:
    """What the example resources share: the stack context, the parent and the account."""

    ctx: StackContext
    parent: pulumi.Resource
    account: pulumi.Output[str]
    region: pulumi.Output[str]
    partition: pulumi.Output[str]

    @property
    def opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)


def service_trust(service: str, scope: Scope) -> pulumi.Output[str]:
    """Trust for an AWS service principal, limited to this account."""
    return scope.account.apply(lambda account: json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"aws:SourceAccount": account}}}],
    }))


def role_with_policy(name: str, scope: Scope, service: str, statements: pulumi.Input[list]) -> aws.iam.Role:
    role = aws.iam.Role(f"{name}-role", name=scope.ctx.name(name)[:64], assume_role_policy=service_trust(service, scope),
                        opts=scope.opts)
    aws.iam.RolePolicy(
        f"{name}-policy", role=role.id,
        policy=pulumi.Output.from_input(statements).apply(
            lambda s: json.dumps({"Version": "2012-10-17", "Statement": s})),
        opts=scope.opts)
    return role


def queue_with_dlq(name: str, scope: Scope, *, max_receive_count: int = 5,
                   visibility_timeout_seconds: int = 60) -> aws.sqs.Queue:
    """A queue whose failed messages move to its own dead-letter queue (SQS sources have no pipe DLQ)."""
    dlq = aws.sqs.Queue(f"{name}-dlq", name=scope.ctx.name(name, "dlq"), sqs_managed_sse_enabled=True,
                        message_retention_seconds=1209600, opts=scope.opts)
    return aws.sqs.Queue(
        name, name=scope.ctx.name(name), sqs_managed_sse_enabled=True,
        visibility_timeout_seconds=visibility_timeout_seconds,
        redrive_policy=dlq.arn.apply(lambda arn: json.dumps(
            {"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})),
        opts=scope.opts)


def table(name: str, scope: Scope, *, stream: bool) -> aws.dynamodb.Table:
    return aws.dynamodb.Table(
        name, name=scope.ctx.name(name), billing_mode="PAY_PER_REQUEST", hash_key="pk",
        attributes=[{"name": "pk", "type": "S"}],
        stream_enabled=stream or None, stream_view_type="NEW_AND_OLD_IMAGES" if stream else None,
        server_side_encryption={"enabled": True}, point_in_time_recovery={"enabled": True},
        opts=scope.opts)


def state_machine(name: str, scope: Scope, idempotency: aws.dynamodb.Table) -> aws.sfn.StateMachine:
    """A Standard workflow that records each idempotency key once and skips duplicates.

    The pipe cannot name executions, so a redelivered SQS message starts a second execution; the
    conditional put makes that second execution end as ``AlreadyProcessed`` without side effects.
    """
    role = role_with_policy(f"{name}-sfn", scope, "states.amazonaws.com", [
        {"Sid": "RecordIdempotencyKey", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
         "Resource": idempotency.arn},
    ])
    definition = idempotency.name.apply(lambda table_name: json.dumps({
        "Comment": "Process each message once: the idempotency key is claimed before any work",
        "StartAt": "ClaimIdempotencyKey",
        "States": {
            "ClaimIdempotencyKey": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {
                    "TableName": table_name,
                    "Item": {"pk": {"S.$": "$[0].idempotencyKey"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                },
                "ResultPath": None,
                "Catch": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "Next": "AlreadyProcessed"}],
                "Next": "Process",
            },
            "Process": {"Type": "Pass", "End": True},
            "AlreadyProcessed": {"Type": "Succeed"},
        },
    }))
    return aws.sfn.StateMachine(name, name=scope.ctx.name(name), role_arn=role.arn, type="STANDARD",
                                definition=definition, opts=scope.opts)


def function(name: str, scope: Scope, handler_file: str, *, timeout: int, environment: dict[str, str] | None = None,
             extra_statements: list | None = None) -> aws.lambda_.Function:
    """A python3.12 Lambda from one handler file, with its log group and a role scoped to it."""
    function_name = scope.ctx.name(name)[:64]
    log_group = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/aws/lambda/{function_name}",
                                        retention_in_days=LOG_RETENTION_DAYS, opts=scope.opts)
    role = role_with_policy(f"{name}-fn", scope, "lambda.amazonaws.com", pulumi.Output.all(log_group.arn).apply(
        lambda arns: [{"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                       "Resource": f"{arns[0]}:*"}, XRAY_STATEMENT, *(extra_statements or [])]))
    return aws.lambda_.Function(
        name, name=function_name, runtime=LAMBDA_RUNTIME, handler=f"{Path(handler_file).stem}.handler",
        role=role.arn, timeout=timeout, memory_size=256,
        code=pulumi.AssetArchive({Path(handler_file).name: pulumi.FileAsset(str(HANDLERS / handler_file))}),
        environment={"variables": environment} if environment else None,
        tracing_config={"mode": "Active"},
        opts=pulumi.ResourceOptions(parent=scope.parent, depends_on=[log_group]))


def archive_bucket(name: str, scope: Scope) -> aws.s3.Bucket:
    """Encrypted, private, TLS-only bucket for the Firehose archive."""
    # Bucket names are global: the account id keeps the conventional name unique.
    bucket = aws.s3.Bucket(name, bucket=scope.account.apply(lambda account: f"{scope.ctx.name(name)}-{account}"[:63]),
                           opts=scope.opts)
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse", bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}, "bucket_key_enabled": True}],
        opts=scope.opts)
    aws.s3.BucketPublicAccessBlock(f"{name}-public-access", bucket=bucket.id, block_public_acls=True,
                                   block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
                                   opts=scope.opts)
    aws.s3.BucketPolicy(f"{name}-tls-only", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
    })), opts=scope.opts)
    return bucket


def firehose_to_bucket(name: str, scope: Scope, bucket: aws.s3.Bucket) -> aws.kinesis.FirehoseDeliveryStream:
    role = role_with_policy(f"{name}-firehose", scope, "firehose.amazonaws.com", bucket.arn.apply(lambda arn: [
        {"Sid": "WriteArchive", "Effect": "Allow",
         "Action": ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket",
                    "s3:ListBucketMultipartUploads", "s3:PutObject"],
         "Resource": [arn, f"{arn}/*"]},
    ]))
    return aws.kinesis.FirehoseDeliveryStream(
        name, name=scope.ctx.name(name), destination="extended_s3",
        server_side_encryption={"enabled": True, "key_type": "AWS_OWNED_CMK"},
        extended_s3_configuration={
            "role_arn": role.arn, "bucket_arn": bucket.arn, "prefix": "high-value/",
            "error_output_prefix": "errors/", "buffering_interval": 300, "buffering_size": 5,
            "compression_format": "GZIP"},
        opts=scope.opts)
