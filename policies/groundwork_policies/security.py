"""Security baseline: private buckets, encrypted queues and topics, safe SES rules, no IAM admin
wildcards, supported Lambda runtimes, rotating KMS keys.

Findings state only what is true of AWS today. S3 encrypts every bucket with SSE-S3 since
2023-01-05 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html),
new buckets block public access since April 2023
(https://aws.amazon.com/blogs/aws/heads-up-amazon-s3-security-changes-are-coming-in-april-of-2023/),
and new SQS queues get SSE-SQS by default
(https://aws.amazon.com/blogs/compute/announcing-server-side-encryption-with-amazon-simple-queue-service-managed-encryption-keys-sse-sqs-by-default/).
So these policies flag what a resource really turns off; an organisation that wants the defaults
stated in code asks for it with ``makeExplicit`` in the policy config ("make explicit" findings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies import awsdata
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
BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
# Canned ACLs that grant access to everyone or to any AWS account (both count as public for S3).
PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEE_URIS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                       "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
EXPLICIT_CHOICES = ["encryption", "public-access-block"]
S3_ENCRYPTION_DEFAULT = "2023-01-05"


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


def _public_acl(acl: Any) -> bool:
    return isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS


def _public_grants(grants: Any) -> bool:
    """Grants (``grants`` of a bucket, or ``grants`` of an ACL's access control policy) to everyone."""
    for grant in as_list(grants):
        grantee = dig(grant, "grantee") if isinstance(dig(grant, "grantee"), Mapping) else grant
        if isinstance(grantee, Mapping) and grantee.get("uri") in PUBLIC_GRANTEE_URIS:
            return True
    return False


def check_bucket_baseline(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    explicit = set(ctx.settings.get("makeExplicit") or ())
    sse_configs = by_type(resources, *SSE_CONFIGS)
    blocks = by_type(resources, PUBLIC_ACCESS_BLOCK)
    bucket_policies = by_type(resources, BUCKET_POLICY)
    acls = by_type(resources, *BUCKET_ACLS)
    for bucket in by_type(resources, *BUCKETS):
        if "encryption" in explicit:
            inline = _encrypted_inline(bucket)
            linked_sse = [s for s in sse_configs if _linked(bucket, s)]
            if inline is not True and inline is not None and not any(_sse_ok(s) for s in linked_sse):
                yield Finding(f"make explicit: bucket '{bucket.name}' relies on S3's default encryption "
                              f"(SSE-S3, applied to every bucket since {S3_ENCRYPTION_DEFAULT}); declare an "
                              "aws.s3.BucketServerSideEncryptionConfiguration to state it",
                              resource=bucket, check="encryption")
        linked_pab = [b for b in blocks if _linked(bucket, b)]
        if not linked_pab:
            if "public-access-block" in explicit:
                yield Finding(f"make explicit: bucket '{bucket.name}' relies on S3's default Block Public "
                              "Access (all four settings on for buckets created since April 2023); declare an "
                              "aws.s3.BucketPublicAccessBlock with all four settings true",
                              resource=bucket, check="public-access-block")
        elif all(_pab_missing(b) for b in linked_pab):
            yield Finding(f"bucket '{bucket.name}' public access block turns "
                          f"{', '.join(_pab_missing(linked_pab[0]))} off", resource=bucket,
                          check="public-access-block")
        bucket_acls = [a for a in acls if _linked(bucket, a)]
        if (_public_acl(bucket.props.get("acl")) or _public_grants(bucket.props.get("grants"))
                or any(_public_acl(a.props.get("acl"))
                       or _public_grants(dig(a.props, "accessControlPolicy", "grants")) for a in bucket_acls)):
            yield Finding(f"bucket '{bucket.name}' has an ACL granting access to everyone (AllUsers or "
                          "AuthenticatedUsers); keep ACLs disabled and grant access with a bucket policy",
                          resource=bucket, check="public-acl")
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
        if managed is False:
            yield Finding("queue is not encrypted: sqs_managed_sse_enabled is False and no kms_master_key_id "
                          "is set; remove the False (new queues get SSE-SQS) or set a KMS key")
        elif managed is None and ctx.settings.get("makeExplicit"):
            yield Finding("make explicit: queue relies on SQS's default SSE-SQS encryption for new queues; set "
                          "sqs_managed_sse_enabled=True or kms_master_key_id to state it")
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
    dates = {**awsdata.lambda_deprecations(), **(ctx.settings.get("deprecationDates") or {})}
    since = dates.get(runtime)
    if since and date.fromisoformat(since) <= today:
        current = awsdata.lambda_current()
        family = next((f for f in sorted(current, key=len, reverse=True) if runtime.startswith(f)), "")
        suggestion = current.get(family, "a supported runtime")
        yield Finding(f"runtime {runtime} is deprecated since {since} (AWS Lambda runtimes page): "
                      f"move to {suggestion}")
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
            description="S3 buckets are not opened up (no public access block settings turned off, no public "
                        "ACL) and accept only TLS requests.",
            check=check_bucket_baseline, enforcement_level=mandatory, severity=high,
            config_schema=schema(makeExplicit=prop(
                "array", [], "defaults AWS applies that must be declared anyway: encryption (SSE-S3 on "
                "every bucket since 2023-01-05), public-access-block (on for new buckets since April 2023)",
                items={"type": "string", "enum": EXPLICIT_CHOICES})),
            remediation_steps="Leave the BucketPublicAccessBlock settings true (or drop the resource: new buckets "
                              "block public access), drop public ACLs, and add a BucketPolicy denying "
                              "aws:SecureTransport=false.",
        ),
        resource_policy(
            name="queue-topic-encryption",
            description="SQS queues do not turn encryption at rest off, and SNS topics are encrypted.",
            check=check_queue_topic_encryption, types=[QUEUE, TOPIC],
            enforcement_level=mandatory, severity=high,
            config_schema=schema(makeExplicit=prop(
                "boolean", False, "require queues to state their encryption (new queues get SSE-SQS by default)")),
            remediation_steps="Queues: do not set sqs_managed_sse_enabled=False without a KMS key. Topics: set "
                              "kms_master_key_id (alias/aws/sns or a customer managed key).",
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
