"""What a resource opens to the internet: security groups on admin, database or all ports, EKS
API endpoints, publicly accessible RDS, and resource policies granting ``Principal: "*"`` without a
condition. Defaults from the AWS API reference (botocore's service models): an EKS cluster's
endpoint is public and open to 0.0.0.0/0 unless ``vpc_config`` says otherwise; RDS is private
unless ``publicly_accessible`` is true."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import prop, schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy
from groundwork_policies.values import UNKNOWN, as_list, dig, json_document

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
RDS_INSTANCE, RDS_CLUSTER = "aws:rds/instance:Instance", "aws:rds/cluster:Cluster"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
ANYWHERE = ("0.0.0.0/0", "::/0")
# SSH, Telnet, RDP, WinRM, Docker API; MySQL/MariaDB, PostgreSQL, SQL Server, Oracle, Redshift,
# MongoDB, Redis, Memcached, Cassandra, Elasticsearch/OpenSearch, CouchDB.
ADMIN_AND_DATABASE_PORTS = [22, 23, 3389, 5985, 5986, 2375, 2376, 3306, 5432, 1433, 1521, 5439, 27017, 6379,
                            11211, 9042, 9200, 9300, 5984]
ALL_PROTOCOLS = ("-1", "all")
TCP_UDP = ("tcp", "udp", "6", "17")
# Type -> input holding a resource policy document.
RESOURCE_POLICIES = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
}


# --- security groups ----------------------------------------------------------------------------

def _port(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _rules(resource: Resource) -> list[dict[str, Any]]:
    """Ingress rules as (protocol, from, to, cidrs) dicts, whichever resource type declares them."""
    props = resource.props
    if resource.type == SECURITY_GROUP:
        return [{"protocol": dig(r, "protocol"), "from": dig(r, "fromPort"), "to": dig(r, "toPort"),
                 "cidrs": [*as_list(dig(r, "cidrBlocks")), *as_list(dig(r, "ipv6CidrBlocks"))]}
                for r in as_list(props.get("ingress")) if isinstance(r, Mapping)]
    if resource.type == SECURITY_GROUP_RULE:
        if props.get("type") != "ingress":
            return []
        return [{"protocol": props.get("protocol"), "from": props.get("fromPort"), "to": props.get("toPort"),
                 "cidrs": [*as_list(props.get("cidrBlocks")), *as_list(props.get("ipv6CidrBlocks"))]}]
    return [{"protocol": props.get("ipProtocol"), "from": props.get("fromPort"), "to": props.get("toPort"),
             "cidrs": [props.get("cidrIpv4"), props.get("cidrIpv6")]}]


def check_open_ingress(resource: Resource, ctx: Context) -> Iterable[Finding]:
    watched = sorted({int(p) for p in ctx.settings.get("ports") or ()})
    for rule in _rules(resource):
        open_to = [c for c in rule["cidrs"] if c in ANYWHERE]
        protocol = str(rule["protocol"]).lower() if rule["protocol"] not in (None, UNKNOWN) else None
        if not open_to or protocol is None:
            continue
        low, high = _port(rule["from"]), _port(rule["to"])
        where = " and ".join(open_to)
        if protocol in ALL_PROTOCOLS or (protocol in TCP_UDP and low == 0 and high == 65535):
            yield Finding(f"ingress from {where} on all ports: open only the ports the service needs, "
                          "to the sources that need them", check="all-ports")
        elif protocol in TCP_UDP and low is not None and high is not None:
            exposed = [p for p in watched if low <= p <= high]
            if exposed:
                yield Finding(f"ingress from {where} on {protocol} port(s) {', '.join(map(str, exposed))} "
                              "(administration or database): allow a VPN, bastion or security group "
                              "instead", check="admin-ports")


# --- EKS, RDS -----------------------------------------------------------------------------------

def check_eks_endpoint(resource: Resource, ctx: Context) -> Iterable[Finding]:
    public = dig(resource.props, "vpcConfig", "endpointPublicAccess")
    cidrs = dig(resource.props, "vpcConfig", "publicAccessCidrs")
    if public is False or public is UNKNOWN or cidrs is UNKNOWN:
        return
    if cidrs is None or any(c in ANYWHERE for c in as_list(cidrs)):
        default = " (EKS's default when vpc_config sets neither)" if public is None and cidrs is None else ""
        yield Finding(f"the Kubernetes API endpoint is public and open to 0.0.0.0/0{default}: set "
                      "endpoint_public_access=False, or public_access_cidrs to the networks that need it")


def check_rds_public(resource: Resource, ctx: Context) -> Iterable[Finding]:
    if resource.props.get("publiclyAccessible") is True:
        yield Finding("publicly_accessible is true: the database gets a public IP address; keep it private "
                      "and reach it from inside the VPC")


# --- resource policies --------------------------------------------------------------------------

def _public_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS"))


def public_statements(document: Any) -> list[str]:
    """Sids (or positions) of Allow statements granting ``Principal: "*"`` without a condition."""
    found = []
    for index, statement in enumerate(as_list(dig(document, "Statement"))):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        if _public_principal(statement.get("Principal")) and not statement.get("Condition"):
            found.append(repr(statement["Sid"]) if statement.get("Sid") else f"#{index}")
    return found


def check_public_principal(resource: Resource, ctx: Context) -> Iterable[Finding]:
    if resource.type == LAMBDA_PERMISSION:
        props = resource.props
        scoped = any(props.get(k) not in (None, "") for k in ("sourceArn", "sourceAccount", "principalOrgId"))
        if props.get("principal") == "*" and not scoped and props.get("functionUrlAuthType") != "AWS_IAM":
            yield Finding("permission lets anyone (principal '*') invoke the function, with no source_arn, "
                          "source_account or principal_org_id to narrow it")
        return
    document = json_document(resource.props.get(RESOURCE_POLICIES[resource.type]))
    if document is UNKNOWN or document is None:
        return
    statements = public_statements(document)
    if statements:
        yield Finding(f"policy statement(s) {', '.join(statements)} allow Principal '*' with no Condition: "
                      "name the principals, or add a condition (aws:SourceArn, aws:PrincipalOrgID, ...)")


def policies() -> list:
    mandatory = EnforcementLevel.MANDATORY
    return [
        resource_policy(
            name="security-group-open-ingress",
            description="Security groups do not accept traffic from 0.0.0.0/0 or ::/0 on all ports or on "
                        "administration and database ports.",
            check=check_open_ingress, types=[SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE],
            enforcement_level=mandatory, severity=Severity.HIGH,
            config_schema=schema(ports=prop("array", ADMIN_AND_DATABASE_PORTS,
                                            "ports that must not be open to the internet",
                                            items={"type": "integer"})),
            remediation_steps="Limit the rule's cidr_blocks to known networks or reference a security group; "
                              "reach administration ports through SSM Session Manager or a bastion.",
        ),
        resource_policy(
            name="eks-public-endpoint",
            description="EKS cluster API endpoints are private or limited to known networks.",
            check=check_eks_endpoint, types=[EKS_CLUSTER],
            enforcement_level=mandatory, severity=Severity.HIGH, config_schema=schema(),
            remediation_steps="Set vpc_config.endpoint_public_access=False (with endpoint_private_access=True), "
                              "or vpc_config.public_access_cidrs to the networks that need the API.",
        ),
        resource_policy(
            name="rds-not-public",
            description="RDS databases are not publicly accessible.",
            check=check_rds_public, types=[RDS_INSTANCE, RDS_CLUSTER],
            enforcement_level=mandatory, severity=Severity.HIGH, config_schema=schema(),
            remediation_steps="Drop publicly_accessible (false by default); connect from the VPC.",
        ),
        resource_policy(
            name="resource-policy-public-principal",
            description="Resource policies (S3, SQS, SNS, ECR, Lambda permissions) never grant Principal '*' "
                        "without a condition.",
            check=check_public_principal, types=[*RESOURCE_POLICIES, LAMBDA_PERMISSION],
            enforcement_level=mandatory, severity=Severity.CRITICAL, config_schema=schema(),
            remediation_steps="Name the principals (accounts, roles, services) or add a Condition such as "
                              "aws:SourceArn or aws:PrincipalOrgID; for Lambda set source_arn.",
        ),
    ]
