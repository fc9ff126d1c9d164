"""Data at rest: RDS storage encryption and supported engine versions, Kinesis stream encryption,
log group retention.

What AWS does by default decides what is true to say: an RDS DB instance is unencrypted unless
``storage_encrypted`` is set (CreateDBInstance, botocore's RDS model); Aurora encrypts every
cluster created on or after 2026-02-18 with an AWS owned key
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Overview.Encryption.html); a
Kinesis stream is not encrypted unless ``encryption_type`` is KMS; a log group's events never
expire without a retention policy (PutRetentionPolicy / DeleteRetentionPolicy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies import awsdata
from groundwork_policies.config import prop, schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy
from groundwork_policies.values import UNKNOWN

RDS_INSTANCE, RDS_CLUSTER = "aws:rds/instance:Instance", "aws:rds/cluster:Cluster"
KINESIS_STREAM = "aws:kinesis/stream:Stream"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
AURORA_DEFAULT_ENCRYPTION = "2026-02-18"
_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?")


def _is_aurora(resource: Resource) -> bool:
    engine = resource.props.get("engine")
    return isinstance(engine, str) and engine.startswith("aurora")


def check_rds_encryption(resource: Resource, ctx: Context) -> Iterable[Finding]:
    props = resource.props
    encrypted = props.get("storageEncrypted")
    if encrypted is True or encrypted is UNKNOWN or props.get("engine") is UNKNOWN:
        return
    if resource.type == RDS_INSTANCE:
        if _is_aurora(resource) or props.get("replicateSourceDb") or props.get("snapshotIdentifier"):
            return  # encryption comes from the cluster, the source database or the snapshot
        yield Finding("storage is not encrypted: RDS creates a DB instance unencrypted unless "
                      "storage_encrypted=True, and it cannot be turned on later without a snapshot copy")
    elif _is_aurora(resource):
        if ctx.settings.get("makeExplicit"):
            yield Finding("make explicit: Aurora encrypts clusters created since "
                          f"{AURORA_DEFAULT_ENCRYPTION} with an AWS owned key; set storage_encrypted=True "
                          "(and kms_key_id for your own key) to state it")
    elif encrypted is False:
        yield Finding("storage_encrypted is False: the Multi-AZ DB cluster's storage is not encrypted")


def major_version(engine: str, version: str) -> str | None:
    """The major version RDS's support calendar uses: PostgreSQL 10+ by its first number (9.6
    before), MySQL and MariaDB by the first two."""
    match = _VERSION.match(version)
    if not match:
        return None
    first, second = match.group(1), match.group(2)
    if engine in ("postgres", "aurora-postgresql") and int(first) >= 10:
        return first
    return f"{first}.{second}" if second is not None else None


def check_rds_engine(resource: Resource, ctx: Context) -> Iterable[Finding]:
    engine, version = resource.props.get("engine"), resource.props.get("engineVersion")
    if not isinstance(engine, str) or not isinstance(version, str):
        return  # no version given: RDS picks its current default
    calendar = awsdata.rds_end_of_standard_support().get(engine)
    major = major_version(engine, version) if calendar else None
    ends = calendar.get(major) if calendar and major else None
    if ends and date.fromisoformat(ends) <= ctx.now.date() and major not in (ctx.settings.get("allowed") or ()):
        yield Finding(f"{engine} {major} is past the end of RDS standard support ({ends}, "
                      f"{awsdata.rds_source(engine)}): upgrade to a supported major version")


def check_kinesis_encryption(resource: Resource, ctx: Context) -> Iterable[Finding]:
    kind = resource.props.get("encryptionType")
    if kind is UNKNOWN or kind == "KMS":
        return
    yield Finding("stream is not encrypted at rest: set encryption_type='KMS' (kms_key_id alias/aws/kinesis "
                  "or your own key)")


def check_log_retention(resource: Resource, ctx: Context) -> Iterable[Finding]:
    days = resource.props.get("retentionInDays")
    if days is UNKNOWN or (isinstance(days, (int, float)) and days > 0):
        return
    yield Finding("log events never expire (no retention_in_days): set a retention period")


def policies() -> list:
    mandatory = EnforcementLevel.MANDATORY
    return [
        resource_policy(
            name="rds-storage-encrypted",
            description="RDS DB instances and Multi-AZ DB clusters encrypt their storage.",
            check=check_rds_encryption, types=[RDS_INSTANCE, RDS_CLUSTER],
            enforcement_level=mandatory, severity=Severity.HIGH,
            config_schema=schema(makeExplicit=prop(
                "boolean", False, "require Aurora clusters to state storage_encrypted (encrypted by default "
                                  f"since {AURORA_DEFAULT_ENCRYPTION})")),
            remediation_steps="Set storage_encrypted=True (optionally kms_key_id) when creating the database.",
        ),
        resource_policy(
            name="rds-engine-supported",
            description="RDS engine versions are within RDS standard support (rds_engines.json, from AWS's "
                        "release calendars).",
            check=check_rds_engine, types=[RDS_INSTANCE, RDS_CLUSTER],
            enforcement_level=mandatory, severity=Severity.MEDIUM,
            config_schema=schema(allowed=prop("array", [], "major versions accepted regardless of date",
                                              items={"type": "string"})),
            remediation_steps="Upgrade engine_version to a major version RDS still supports.",
        ),
        resource_policy(
            name="kinesis-stream-encryption",
            description="Kinesis data streams are encrypted at rest.",
            check=check_kinesis_encryption, types=[KINESIS_STREAM],
            enforcement_level=mandatory, severity=Severity.MEDIUM, config_schema=schema(),
            remediation_steps="Set encryption_type='KMS' and kms_key_id (alias/aws/kinesis or a customer key).",
        ),
        resource_policy(
            name="log-group-retention",
            description="CloudWatch log groups have a retention period.",
            check=check_log_retention, types=[LOG_GROUP],
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW, config_schema=schema(),
            remediation_steps="Set retention_in_days (e.g. 14, 30, 90, 365).",
        ),
    ]
