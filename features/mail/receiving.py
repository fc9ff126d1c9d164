"""Receiving mail with SES: raw-mail bucket, receipt rules, the forwarder Lambda and its alarms.

Each receipt rule stores the message in S3 (action 1) and then invokes the forwarder
asynchronously (action 2). Failed invocations are retried by Lambda and then land in an SQS
queue (on-failure destination) that raises an alarm; the raw message stays in the bucket until
the lifecycle rule expires it, so nothing is lost while someone looks.

The rule set is made the region's active one. SES allows exactly one active receipt rule set
per region and account: activating this one deactivates whatever set was active before (its
rules stop receiving mail), and destroying the stack leaves the region without an active set.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from groundwork.context import StackContext

from features.mail.regions import require_receiving_region

FORWARDER_DIR = Path(__file__).parent / "forwarder"
INBOUND_PREFIX = "inbound/"
MARKER_PREFIX = "forwarded/"
# The routing table lives next to the mail under its own prefix: the receipt rule's S3 action
# writes only under INBOUND_PREFIX and the forwarder only under MARKER_PREFIX, so neither can
# overwrite it, and no lifecycle rule expires it.
ROUTES_KEY = "config/mail-routes.json"
# The forwarder re-checks the table's ETag this often, so routing changes apply without a deploy.
ROUTES_TTL_SECONDS = 300
RUNTIME = "python3.12"
# 1 GiB: a message at the SES v2 limit (~30 MB raw) is held once as bytes and once base64-encoded
# in the request, plus the runtime; more memory also means more CPU for the encoding.
MEMORY_MB = 1024
TIMEOUT_SECONDS = 120
RETRY_ATTEMPTS = 2
MAX_EVENT_AGE_SECONDS = 6 * 3600
# The forwarder's own metrics (dropped mail by reason, unknown send outcomes); the role may
# publish to this namespace only.
METRICS_NAMESPACE = "Groundwork/Mail"
# Verdict FAIL -> forward, tag (subject marked) or drop (log + metric). Safe defaults: a virus is
# dropped, everything else reaches the owner marked (the forwarder holds the same defaults).
VerdictAction = Literal["forward", "tag", "drop"]
DEFAULT_VERDICT_ACTIONS: dict[str, VerdictAction] = {
    "virus": "drop", "spam": "tag", "spf": "tag", "dkim": "tag", "dmarc": "tag"}

if ROUTES_KEY.startswith((INBOUND_PREFIX, MARKER_PREFIX)):  # pragma: no cover - guards an edit
    raise AssertionError("the routing table key must not be under a prefix SES or the forwarder write")


@dataclass(frozen=True)
class MailReceivingArgs:
    """Inputs of :class:`MailReceiving`; ``domains`` get one receipt rule each."""

    context: StackContext
    domains: list[str]
    region: str
    sender: str
    routes_json: str
    retention_days: int = 90
    verdict_actions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_VERDICT_ACTIONS))
    subject_prefix: str = ""
    allowed_sender_domains: list[str] = field(default_factory=list)
    alarm_actions: list[str] = field(default_factory=list)


class MailReceiving(pulumi.ComponentResource):
    """Receives mail for the domains with SES and forwards it to the account owners."""

    def __init__(self, name: str, args: MailReceivingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        region = require_receiving_region(args.region)
        super().__init__("groundwork:mail:MailReceiving", name, None, opts)
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition

        rule_set_name = ctx.name("mail")
        rule_names = {domain: ctx.name("mail", _slug(domain))[:64] for domain in args.domains}
        rule_arns = pulumi.Output.all(partition, account_id).apply(
            lambda pa: [f"arn:{pa[0]}:ses:{region}:{pa[1]}:receipt-rule-set/{rule_set_name}:receipt-rule/{rule}"
                        for rule in rule_names.values()]
        )

        # --- raw mail bucket -------------------------------------------------------------
        self.bucket = aws.s3.Bucket(
            f"{name}-raw",
            bucket=account_id.apply(lambda account: ctx.name("mail-raw", account, region)[:63].rstrip("-")),
            opts=child,
        )
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-raw-ownership", bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"}, opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-raw-public-access", bucket=self.bucket.id,
            block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True, opts=child,
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-raw-encryption", bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-raw-lifecycle", bucket=self.bucket.id,
            rules=[
                {"id": "expire-raw-mail", "status": "Enabled", "filter": {"prefix": INBOUND_PREFIX},
                 "expiration": {"days": args.retention_days}},
                {"id": "expire-forwarding-markers", "status": "Enabled", "filter": {"prefix": MARKER_PREFIX},
                 "expiration": {"days": args.retention_days}},
                {"id": "abort-incomplete-uploads", "status": "Enabled", "filter": {"prefix": ""},
                 "abort_incomplete_multipart_upload": {"days_after_initiation": 1}},
            ],
            opts=child,
        )
        self.bucket_policy = aws.s3.BucketPolicy(
            f"{name}-raw-policy", bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, account_id, rule_arns).apply(
                lambda a: json.dumps(bucket_policy(a[0], a[1], a[2]))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )

        # --- forwarder ---------------------------------------------------------------------
        function_name = ctx.name("mail-forwarder")
        self.failures = aws.sqs.Queue(
            f"{name}-failures", name=ctx.name("mail-forwarder-failures"),
            sqs_managed_sse_enabled=True, message_retention_seconds=14 * 24 * 3600, opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/lambda/{function_name}", retention_in_days=30, opts=child,
        )
        # One S3 object scales to any organization size (an SSM parameter stops at 8 KB).
        self.routes = aws.s3.BucketObjectv2(
            f"{name}-routes", bucket=self.bucket.id, key=ROUTES_KEY,
            content=args.routes_json, content_type="application/json",
            server_side_encryption="AES256",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.encryption]),
        )
        routes_arn = self.bucket.arn.apply(lambda arn: f"{arn}/{ROUTES_KEY}")
        # The key that signs the forwarder's loop trace header: generated once, stored in Secrets
        # Manager and in Pulumi state only as a secret; never plain config. Later deploys keep it.
        self.loop_key = aws.secretsmanager.Secret(
            f"{name}-loop-key",
            description="Mail forwarder: HMAC key of the loop trace header (X-Groundwork-Loop)",
            opts=child,
        )
        self.loop_key_version = aws.secretsmanager.SecretVersion(
            f"{name}-loop-key-value", secret_id=self.loop_key.id,
            secret_string=pulumi.Output.secret(secrets.token_urlsafe(48)),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secret_string"]),
        )
        self.role = aws.iam.Role(
            f"{name}-forwarder-role",
            description="Mail forwarder: read stored mail, send it on with SES, write logs",
            assume_role_policy=account_id.apply(lambda account: json.dumps(lambda_trust(account))),
            opts=child,
        )
        identity_arns = pulumi.Output.all(partition, account_id).apply(
            lambda pa: [f"arn:{pa[0]}:ses:{region}:{pa[1]}:identity/{domain}" for domain in args.domains]
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-forwarder-policy", role=self.role.id,
            policy=pulumi.Output.all(self.bucket.arn, self.log_group.arn, identity_arns,
                                     routes_arn, self.failures.arn, self.loop_key.arn).apply(
                lambda a: json.dumps(forwarder_policy(*a))
            ),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-forwarder",
            name=function_name,
            description="Forwards mail received by SES to the account owner's mailbox",
            runtime=RUNTIME,
            architectures=["arm64"],
            handler="handler.handler",
            code=forwarder_archive(),
            role=self.role.arn,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT_SECONDS,
            environment={"variables": {
                "MAIL_BUCKET": self.bucket.bucket,
                "MAIL_PREFIX": INBOUND_PREFIX,
                "MARKER_PREFIX": MARKER_PREFIX,
                "SENDER_ADDRESS": args.sender,
                "ROUTES_BUCKET": self.bucket.bucket,
                "ROUTES_KEY": self.routes.key,
                "ROUTES_TTL_SECONDS": str(ROUTES_TTL_SECONDS),
                # Changes with the table, so a deploy replaces warm containers' cached copy at once.
                "ROUTES_VERSION": _digest(args.routes_json),
                "VERDICT_ACTIONS": json.dumps(args.verdict_actions, sort_keys=True, separators=(",", ":")),
                "SUBJECT_PREFIX": args.subject_prefix,
                "ALLOWED_SENDER_DOMAINS": ",".join(args.allowed_sender_domains),
                "LOOP_SECRET_ARN": self.loop_key.arn,
                "METRICS_NAMESPACE": METRICS_NAMESPACE,
                "CLAIM_STALE_SECONDS": str(TIMEOUT_SECONDS * 2),
            }},
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy, self.log_group,
                                                                 self.loop_key_version]),
        )
        self.invoke_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-forwarder-async",
            function_name=self.function.name,
            maximum_retry_attempts=RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
            destination_config={"on_failure": {"destination": self.failures.arn}},
            opts=child,
        )
        self.permissions = [
            aws.lambda_.Permission(
                f"{name}-ses-invoke-{_slug(domain)}",
                action="lambda:InvokeFunction",
                function=self.function.name,
                principal="ses.amazonaws.com",
                source_account=account_id,
                source_arn=rule_arns.apply(lambda arns, i=index: arns[i]),
                opts=child,
            )
            for index, domain in enumerate(args.domains)
        ]

        # --- receipt rules -----------------------------------------------------------------
        self.rule_set = aws.ses.ReceiptRuleSet(f"{name}-rule-set", rule_set_name=rule_set_name, opts=child)
        self.rules = []
        previous: aws.ses.ReceiptRule | None = None
        for index, domain in enumerate(args.domains):
            rule = aws.ses.ReceiptRule(
                f"{name}-rule-{_slug(domain)}",
                name=rule_names[domain],
                rule_set_name=self.rule_set.rule_set_name,
                recipients=[domain],
                enabled=True,
                scan_enabled=True,
                tls_policy="Require",
                after=previous.name if previous else None,
                s3_actions=[{"bucket_name": self.bucket.bucket, "object_key_prefix": INBOUND_PREFIX,
                             "position": 1}],
                lambda_actions=[{"function_arn": self.function.arn, "invocation_type": "Event",
                                 "position": 2}],
                # SES checks on create that it may write to the bucket and invoke the function.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[
                    self.bucket_policy, self.permissions[index], self.encryption]),
            )
            self.rules.append(rule)
            previous = rule
        self.active_rule_set = aws.ses.ActiveReceiptRuleSet(
            f"{name}-active-rule-set", rule_set_name=self.rule_set.rule_set_name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.rules),
        )

        # --- alarms ------------------------------------------------------------------------
        def alarm(suffix: str, alarm_name: str, description: str, namespace: Any, metric: str,
                  dimensions: Any, statistic: str = "Sum") -> aws.cloudwatch.MetricAlarm:
            """One alarm on any datapoint above 0 in 5 minutes, to the mail alarm actions."""
            return aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}-alarm", name=ctx.name(alarm_name), alarm_description=description,
                namespace=namespace, metric_name=metric, dimensions=dimensions,
                statistic=statistic, period=300, evaluation_periods=1, threshold=0,
                comparison_operator="GreaterThanThreshold", treat_missing_data="notBreaching",
                alarm_actions=args.alarm_actions, ok_actions=args.alarm_actions, opts=child)

        self.failure_alarm = alarm(
            "failures", "mail-forwarding-failed",
            "Mail could not be forwarded after retries; the event is in the failure "
            "queue and the raw message in S3. Inspect, fix and redrive.",
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": self.failures.name},
            statistic="Maximum")
        self.error_alarm = alarm(
            "errors", "mail-forwarder-errors", "The mail forwarder raised errors (it will retry; see its logs).",
            "AWS/Lambda", "Errors", {"FunctionName": self.function.name})
        self.loop_alarm = alarm(
            "loop", "mail-loop-dropped",
            "The mail forwarder dropped a message as a forwarding loop (signed trace "
            "header, our own sender, or a route to our own domain). The raw message is "
            "in S3; check the owner's mailbox rules and the routing table.",
            METRICS_NAMESPACE, "Dropped", {"Reason": "loop"})
        self.unknown_alarm = alarm(
            "unknown-outcome", "mail-send-outcome-unknown",
            "A forward may or may not have reached its owner (the invocation died "
            "during the SES call). It is not re-sent automatically; see docs/mail.md.",
            METRICS_NAMESPACE, "OutcomeUnknown", None)
        self.refused_alarm = alarm(
            "refused", "mail-refused-by-ses",
            "SES refused to send a received message as it was; its owner got a notice "
            "with the S3 location of the original instead.",
            METRICS_NAMESPACE, "NoticeSent", {"Reason": "refused"})
        self.register_outputs({
            "bucket": self.bucket.bucket,
            "ruleSet": self.rule_set.rule_set_name,
            "functionName": self.function.name,
            "failureQueueUrl": self.failures.url,
        })


def bucket_policy(bucket_arn: str, account_id: str, rule_arns: list[str]) -> dict:
    """Only SES of this account, for these receipt rules, may put raw mail; TLS required."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSESPutsFromOurReceiptRules",
                "Effect": "Allow",
                "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{INBOUND_PREFIX}*",
                "Condition": {"StringEquals": {"AWS:SourceAccount": account_id,
                                               "AWS:SourceArn": rule_arns}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def lambda_trust(account_id: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }],
    }


def forwarder_policy(bucket_arn: str, log_group_arn: str, identity_arns: list[str],
                     routes_arn: str, failures_arn: str, loop_key_arn: str) -> dict:
    """Exactly what the forwarder calls, plus what Lambda does with its role (logs, failure queue).

    ``s3:ListBucket`` makes a missing object answer NoSuchKey instead of AccessDenied (the
    forwarder's not-found branches depend on it). SES v2 ``SendEmail`` is authorized as
    ``ses:SendEmail`` on the sending identity; ``cloudwatch:PutMetricData`` has no resource type,
    so it gets ``*`` narrowed by the ``cloudwatch:namespace`` condition key.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadStoredMail", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": f"{bucket_arn}/{INBOUND_PREFIX}*"},
            {"Sid": "KeepForwardingMarkers", "Effect": "Allow",
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": f"{bucket_arn}/{MARKER_PREFIX}*"},
            {"Sid": "TellMissingFromForbidden", "Effect": "Allow", "Action": "s3:ListBucket",
             "Resource": bucket_arn},
            {"Sid": "SendAsOurDomain", "Effect": "Allow", "Action": "ses:SendEmail", "Resource": identity_arns},
            {"Sid": "ReadRoutingTable", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": routes_arn},
            {"Sid": "ReadLoopKey", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": loop_key_arn},
            {"Sid": "PublishMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
             "Condition": {"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}}},
            {"Sid": "ReportFailures", "Effect": "Allow", "Action": "sqs:SendMessage",
             "Resource": failures_arn},
            {"Sid": "WriteLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"{log_group_arn}:*"},
        ],
    }


def forwarder_archive() -> pulumi.AssetArchive:
    """The Lambda package: the Python files of the forwarder folder (no caches, no tests)."""
    return pulumi.AssetArchive({
        path.name: pulumi.FileAsset(str(path)) for path in sorted(FORWARDER_DIR.glob("*.py"))
        if path.name != "__init__.py"
    })


def _slug(domain: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", domain.lower()).strip("-")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
