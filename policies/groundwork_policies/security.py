"""Security baseline: encrypted and private buckets, encrypted queues and topics, safe SES rules,
no IAM admin wildcards, supported Lambda runtimes, rotating KMS keys."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import prop, schema
from groundwork_policies.framework import Context, Finding, Resource, by_type, resource_policy, stack_policy
from groundwork_policies.values import UNKNOWN, as_list, dig, json_document

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
SSE_CONFIGS = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
               "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
QUEUE, TOPIC = "aws:sqs/queue:Queue", "aws:sns/topic:Topic"
RECEIPT_RULE = "aws:ses/receiptRule:ReceiptRule"
LAMBDA = "aws:lambda/function:Function"
KMS_KEY = "aws:kms/key:Key"
# Type -> input holding a policy document (a list of such documents for role inline policies).
IAM_DOCUMENTS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:iam/role:Role": "inlinePolicies",
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
}
# Lambda runtime -> date from which AWS no longer supports it (Lambda runtimes page, Nov 2026).
RUNTIME_DEPRECATION = {
    "python2.7": "2021-07-15", "python3.6": "2022-07-18", "python3.7": "2023-12-04",
    "python3.8": "2024-10-14", "python3.9": "2025-12-15", "python3.10": "2026-06-30",
    "nodejs": "2016-10-31", "nodejs4.3": "2020-03-05", "nodejs6.10": "2019-08-12",
    "nodejs8.10": "2020-03-06", "nodejs10.x": "2021-07-30", "nodejs12.x": "2023-03-31",
    "nodejs14.x": "2023-12-04", "nodejs16.x": "2024-06-12", "nodejs18.x": "2025-09-01",
    "nodejs20.x": "2026-04-30", "java8": "2024-01-08", "go1.x": "2024-01-08", "provided": "2024-01-08",
    "ruby2.5": "2021-07-30", "ruby2.7": "2023-12-07", "ruby3.2": "2026-03-31",
    "dotnetcore1.0": "2019-07-30", "dotnetcore2.0": "2019-05-30", "dotnetcore2.1": "2022-01-05",
    "dotnetcore3.1": "2023-04-03", "dotnet5.0": "2022-05-10", "dotnet6": "2024-12-20", "dotnet7": "2024-05-14",
}

CURRENT_RUNTIMES = {"python": "python3.12 or newer", "nodejs": "nodejs22.x or newer", "java": "java21",
                    "dotnet": "dotnet8", "ruby": "ruby3.4", "go": "provided.al2023", "provided": "provided.al2023"}


# --- S3 ---------------------------------------------------------------------------------------

def _linked(bucket: Resource, other: Resource) -> bool:
    name, target = bucket.props.get("bucket"), other.props.get("bucket")
    if isinstance(name, str) and isinstance(target, str) and name == target:
        return True
    return other.related(bucket)


def _encrypted_inline(bucket: Resource) -> bool | None:
    config = bucket.props.get("serverSideEncryptionConfiguration")
    if config is UNKNOWN:
        return None
    algorithm = dig(config, "rule", "applyServerSideEncryptionByDefault", "sseAlgorithm")
    return algorithm is UNKNOWN or algorithm in SSE_ALGORITHMS


def _sse_ok(sse: Resource) -> bool:
    rules = sse.props.get("rules")
    if rules is UNKNOWN:
        return True
    return any(
        (alg := dig(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")) is UNKNOWN or alg in SSE_ALGORITHMS
        for rule in as_list(rules))


def _pab_missing(pab: Resource) -> list[str]:
    return [flag for flag in PAB_FLAGS if pab.props.get(flag) is not True and pab.props.get(flag) is not UNKNOWN]


def _denies_insecure_transport(document: Any) -> bool:
    for statement in as_list(dig(document, "Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
            continue
        for operator, conditions in (statement.get("Condition") or {}).items():
            if operator.lower() != "bool" or not isinstance(conditions, Mapping):
                continue
            for key, value in conditions.items():
                values = [str(v).lower() for v in as_list(value)]
                if key.lower() == "aws:securetransport" and "false" in values:
                    return True
    return False


def check_bucket_baseline(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    sse_configs = by_type(resources, *SSE_CONFIGS)
    blocks = by_type(resources, PUBLIC_ACCESS_BLOCK)
    bucket_policies = by_type(resources, BUCKET_POLICY)
    for bucket in by_type(resources, *BUCKETS):
        inline = _encrypted_inline(bucket)
        linked_sse = [s for s in sse_configs if _linked(bucket, s)]
        if inline is not True and inline is not None and not any(_sse_ok(s) for s in linked_sse):
            yield Finding(f"bucket '{bucket.name}' has no server-side encryption configuration "
                          "(aws.s3.BucketServerSideEncryptionConfiguration)", resource=bucket, check="encryption")
        linked_pab = [b for b in blocks if _linked(bucket, b)]
        if not linked_pab:
            yield Finding(f"bucket '{bucket.name}' has no public access block (aws.s3.BucketPublicAccessBlock "
                          "with all four settings true)", resource=bucket, check="public-access-block")
        elif all(_pab_missing(b) for b in linked_pab):
            yield Finding(f"bucket '{bucket.name}' public access block leaves "
                          f"{', '.join(_pab_missing(linked_pab[0]))} off", resource=bucket,
                          check="public-access-block")
        documents = [json_document(p.props.get("policy")) for p in bucket_policies if _linked(bucket, p)]
        if not any(d is UNKNOWN or _denies_insecure_transport(d) for d in documents):
            yield Finding(f"bucket '{bucket.name}' has no bucket policy denying aws:SecureTransport=false",
                          resource=bucket, check="tls-only")


# --- queues, topics, SES -------------------------------------------------------------------------

def check_queue_topic_encryption(resource: Resource, ctx: Context) -> Iterable[Finding]:
    kms = resource.props.get("kmsMasterKeyId")
    if kms is UNKNOWN or (isinstance(kms, str) and kms):
        return
    if resource.type == QUEUE:
        managed = resource.props.get("sqsManagedSseEnabled")
        if managed is UNKNOWN or managed is True:
            return
        yield Finding("queue is not encrypted: set sqs_managed_sse_enabled=True or kms_master_key_id")
    else:
        yield Finding("topic is not encrypted: set kms_master_key_id (e.g. alias/aws/sns or a CMK)")


def check_receipt_rule(resource: Resource, ctx: Context) -> Iterable[Finding]:
    tls, scan = resource.props.get("tlsPolicy"), resource.props.get("scanEnabled")
    if tls is not UNKNOWN and (not isinstance(tls, str) or tls.lower() != "require"):
        yield Finding(f"tls_policy is {tls!r}: set 'Require' so mail is only accepted over TLS")
    if scan is not UNKNOWN and scan is not True:
        yield Finding("scan_enabled is off: turn on spam and virus scanning")


# --- IAM, Lambda, KMS ----------------------------------------------------------------------------

def _admin_statements(document: Any) -> list[int]:
    found = []
    for index, statement in enumerate(as_list(dig(document, "Statement"))):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions, targets = as_list(statement.get("Action")), as_list(statement.get("Resource"))
        if any(a in ("*", "*:*") for a in actions) and "*" in targets:
            found.append(index)
    return found


def check_iam_wildcard(resource: Resource, ctx: Context) -> Iterable[Finding]:
    allowed = set(ctx.settings.get("allowList") or ())
    if resource.name in allowed or resource.urn in allowed:
        return
    key = IAM_DOCUMENTS[resource.type]
    value = resource.props.get(key)
    documents = ([dig(p, "policy") for p in as_list(value)] if resource.type == "aws:iam/role:Role" else [value])
    for document in documents:
        parsed = json_document(document)
        if parsed is UNKNOWN or parsed is None:
            continue
        for index in _admin_statements(parsed):
            yield Finding(f"statement {index} allows Action '*' on Resource '*' (full admin); name the "
                          "actions and resources, or add the resource to allowList with a reason")


def check_lambda_runtime(resource: Resource, ctx: Context) -> Iterable[Finding]:
    runtime = resource.props.get("runtime")
    if not isinstance(runtime, str) or runtime in (ctx.settings.get("allowedRuntimes") or ()):
        return
    today = ctx.now.date()
    dates = {**RUNTIME_DEPRECATION, **(ctx.settings.get("deprecationDates") or {})}
    since = dates.get(runtime)
    if since and date.fromisoformat(since) <= today:
        family = next((f for f in CURRENT_RUNTIMES if runtime.startswith(f)), "")
        suggestion = CURRENT_RUNTIMES.get(family, "a supported runtime")
        yield Finding(f"runtime {runtime} is deprecated since {since}: move to {suggestion}")
    elif runtime in (ctx.settings.get("deprecatedRuntimes") or ()):
        yield Finding(f"runtime {runtime} is refused by this organization's deprecatedRuntimes")


def check_kms_rotation(resource: Resource, ctx: Context) -> Iterable[Finding]:
    spec = resource.props.get("customerMasterKeySpec") or resource.props.get("keySpec")
    usage = resource.props.get("keyUsage")
    if spec is UNKNOWN or spec not in (None, "SYMMETRIC_DEFAULT") or usage not in (None, "ENCRYPT_DECRYPT"):
        return  # AWS rotates only symmetric encryption keys
    rotation = resource.props.get("enableKeyRotation")
    if rotation is not UNKNOWN and rotation is not True:
        yield Finding("key rotation is off: set enable_key_rotation=True")


def policies() -> list:
    mandatory, high = EnforcementLevel.MANDATORY, Severity.HIGH
    return [
        stack_policy(
            name="s3-bucket-baseline",
            description="S3 buckets have server-side encryption, a full public access block and a "
                        "TLS-only bucket policy.",
            check=check_bucket_baseline, enforcement_level=mandatory, severity=high, config_schema=schema(),
            remediation_steps="Add BucketServerSideEncryptionConfiguration, BucketPublicAccessBlock (all four "
                              "true) and a BucketPolicy denying aws:SecureTransport=false.",
        ),
        resource_policy(
            name="queue-topic-encryption",
            description="SQS queues and SNS topics are encrypted at rest.",
            check=check_queue_topic_encryption, types=[QUEUE, TOPIC],
            enforcement_level=mandatory, severity=high, config_schema=schema(),
        ),
        resource_policy(
            name="ses-receipt-rule-security",
            description="SES receipt rules require TLS and scan for spam and viruses.",
            check=check_receipt_rule, types=[RECEIPT_RULE],
            enforcement_level=mandatory, severity=high, config_schema=schema(),
        ),
        resource_policy(
            name="iam-no-admin-wildcard",
            description="IAM policies never allow Action '*' on Resource '*' outside an explicit allow-list.",
            check=check_iam_wildcard, types=list(IAM_DOCUMENTS),
            enforcement_level=mandatory, severity=Severity.CRITICAL,
            config_schema=schema(allowList=prop("array", [], "resource names or URNs allowed full admin",
                                                items={"type": "string"})),
        ),
        resource_policy(
            name="lambda-runtime",
            description="Lambda functions run on a runtime AWS still supports.",
            check=check_lambda_runtime, types=[LAMBDA],
            enforcement_level=mandatory, severity=Severity.MEDIUM,
            config_schema=schema(
                deprecationDates=prop("object", {}, "extra runtime -> deprecation date (YYYY-MM-DD)",
                                      additionalProperties={"type": "string"}),
                deprecatedRuntimes=prop("array", [], "runtimes refused regardless of date",
                                        items={"type": "string"}),
                allowedRuntimes=prop("array", [], "runtimes accepted regardless of date",
                                     items={"type": "string"}),
            ),
        ),
        resource_policy(
            name="kms-key-rotation",
            description="Symmetric KMS keys rotate their key material.",
            check=check_kms_rotation, types=[KMS_KEY],
            enforcement_level=mandatory, severity=Severity.MEDIUM, config_schema=schema(),
        ),
    ]
