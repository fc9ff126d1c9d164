"""Realistic ids and ARNs for mocked resources, so dependent policies and names look real."""

from __future__ import annotations

import hashlib

ACCOUNT_ID = "123456789012"
PARTITION = "aws"

# Pulumi type token -> (service, ARN resource part with {name}, or None for the name itself).
# "{region}" empty for global services is handled by GLOBAL_SERVICES.
ARN_FORMATS: dict[str, tuple[str, str]] = {
    "aws:s3/bucket:Bucket": ("s3", "{name}"),
    "aws:s3/bucketV2:BucketV2": ("s3", "{name}"),
    "aws:sqs/queue:Queue": ("sqs", "{name}"),
    "aws:sns/topic:Topic": ("sns", "{name}"),
    "aws:lambda/function:Function": ("lambda", "function:{name}"),
    "aws:iam/role:Role": ("iam", "role/{name}"),
    "aws:iam/policy:Policy": ("iam", "policy/{name}"),
    "aws:iam/user:User": ("iam", "user/{name}"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("iam", "oidc-provider/{name}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group:{name}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "alarm:{name}"),
    "aws:cloudwatch/eventBus:EventBus": ("events", "event-bus/{name}"),
    "aws:cloudwatch/eventRule:EventRule": ("events", "rule/{name}"),
    "aws:cloudwatch/eventArchive:EventArchive": ("events", "archive/{name}"),
    "aws:cloudwatch/eventConnection:EventConnection": ("events", "connection/{name}/00000000-0000-0000-0000-000000000000"),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": ("events", "api-destination/{name}/00000000-0000-0000-0000-000000000000"),
    "aws:pipes/pipe:Pipe": ("pipes", "pipe/{name}"),
    "aws:sfn/stateMachine:StateMachine": ("states", "stateMachine:{name}"),
    "aws:kinesis/stream:Stream": ("kinesis", "stream/{name}"),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": ("firehose", "deliverystream/{name}"),
    "aws:dynamodb/table:Table": ("dynamodb", "table/{name}"),
    "aws:kms/key:Key": ("kms", "key/{id}"),
    "aws:kms/alias:Alias": ("kms", "{name}"),
    "aws:ssm/parameter:Parameter": ("ssm", "parameter{name}"),
    "aws:scheduler/schedule:Schedule": ("scheduler", "schedule/default/{name}"),
    "aws:codebuild/project:Project": ("codebuild", "project/{name}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", "secret:{name}-AbCdEf"),
    "aws:organizations/organization:Organization": ("organizations", "organization/o-abcdef1234"),
    "aws:organizations/organizationalUnit:OrganizationalUnit": ("organizations", "ou/o-abcdef1234/{id}"),
    "aws:organizations/account:Account": ("organizations", "account/o-abcdef1234/{id}"),
    "aws:organizations/policy:Policy": ("organizations", "policy/o-abcdef1234/service_control_policy/{id}"),
    "aws:ses/domainIdentity:DomainIdentity": ("ses", "identity/{name}"),
    "aws:ses/receiptRuleSet:ReceiptRuleSet": ("ses", "receipt-rule-set/{name}"),
    "aws:ses/receiptRule:ReceiptRule": ("ses", "receipt-rule-set/rules:receipt-rule/{name}"),
    "aws:route53/zone:Zone": ("route53", "hostedzone/{id}"),
    "aws:cloudformation/stackSet:StackSet": ("cloudformation", "stackset/{name}:00000000-0000-0000-0000-000000000000"),
    "aws:ssoadmin/permissionSet:PermissionSet": ("sso", "permissionSet/ssoins-0000000000000000/{id}"),
    "aws:ecs/cluster:Cluster": ("ecs", "cluster/{name}"),
    "aws:ecs/taskDefinition:TaskDefinition": ("ecs", "task-definition/{name}:1"),
    "aws:batch/jobQueue:JobQueue": ("batch", "job-queue/{name}"),
    "aws:batch/jobDefinition:JobDefinition": ("batch", "job-definition/{name}:1"),
    "aws:apigateway/restApi:RestApi": ("apigateway", "/restapis/{id}"),
    "aws:msk/cluster:Cluster": ("kafka", "cluster/{name}/00000000-0000-0000-0000-000000000000-1"),
    "aws:mq/broker:Broker": ("mq", "broker:{name}:{id}"),
    "aws:ram/resourceShare:ResourceShare": ("ram", "resource-share/{id}"),
    "aws:schemas/discoverer:Discoverer": ("schemas", "discoverer/{id}"),
}
GLOBAL_SERVICES = {"s3", "iam", "organizations", "route53", "cloudfront"}
# Services whose ARN has no region but an account (IAM) or neither (S3).
NO_ACCOUNT_SERVICES = {"s3", "route53"}


def fake_id(type_: str, name: str, length: int = 12) -> str:
    """A stable, hex-looking id derived from the resource's type and name."""
    return hashlib.sha256(f"{type_}/{name}".encode()).hexdigest()[:length]


def resource_id(type_: str, name: str, physical_name: str) -> str:
    """The id AWS would return for this kind of resource."""
    digest = fake_id(type_, name)
    if type_ == "aws:organizations/account:Account":
        return str(int(digest, 16) % 10**12).zfill(12)
    if type_ == "aws:organizations/organizationalUnit:OrganizationalUnit":
        return f"ou-{digest[:4]}-{digest[4:12]}"
    if type_ == "aws:organizations/organization:Organization":
        return "o-abcdef1234"
    if type_ == "aws:organizations/policy:Policy":
        return f"p-{digest[:8]}"
    if type_ == "aws:route53/zone:Zone":
        return "Z" + digest[:12].upper()
    if type_ == "aws:kms/key:Key":
        return f"{digest[:8]}-{digest[8:12]}-4000-8000-{fake_id(type_, name + 'k', 12)}"
    return physical_name or f"{name}-{digest[:7]}"


def arn_for(type_: str, physical_name: str, id_: str, region: str = "us-east-1") -> str:
    """The ARN of a mocked resource, in the shape its service uses."""
    service, resource = ARN_FORMATS.get(type_, ("", ""))
    if not service:
        module = type_.split(":")[1].split("/")[0] if ":" in type_ else "unknown"
        service, resource = module.lower(), f"{type_.rsplit(':', 1)[-1].lower()}/{{name}}"
    resource_part = resource.format(name=physical_name, id=id_)
    arn_region = "" if service in GLOBAL_SERVICES else region
    account = "" if service in NO_ACCOUNT_SERVICES else ACCOUNT_ID
    return f"arn:{PARTITION}:{service}:{arn_region}:{account}:{resource_part}"
