"""Mock outputs that look like what AWS returns: ids, ARNs, URLs and the values data sources give.

``known_outputs=False`` answers as the engine does in a first preview: nothing exists yet, so a
resource's id and every output it did not get as an input are unknown.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from org.plan.arns import ACCOUNT_ID, arn_for, fake_id, resource_id

# Input property that holds the physical name, per type (default: "name").
NAME_PROPERTIES = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:route53/zone:Zone": "name",
    "aws:ses/domainIdentity:DomainIdentity": "domain",
    "aws:codebuild/project:Project": "name",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "name",
}
# Types that never get a generated name when none is given (their name is not a physical id).
UNNAMED_TYPES = {"aws:iam/rolePolicy:RolePolicy"}


class GroundworkMocks(pulumi.runtime.Mocks):
    """Pulumi mocks with realistic outputs for the resource types Groundwork declares."""

    def __init__(self, region: str = "us-east-1", account_id: str = ACCOUNT_ID, *,
                 known_outputs: bool = True) -> None:
        self.region = region
        self.account_id = account_id
        self.known_outputs = known_outputs

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = {key: _as_policy_json(value) for key, value in args.inputs.items()}
        if not self.known_outputs:
            # As a first preview: the inputs come back as given, everything else (id included) is
            # unknown until the resource exists.
            return "", inputs
        type_ = args.typ
        name_prop = NAME_PROPERTIES.get(type_, "name")
        physical = inputs.get(name_prop)
        if not physical and type_ not in UNNAMED_TYPES:
            physical = f"{args.name}-{fake_id(type_, args.name, 7)}"
            inputs[name_prop] = physical
        physical = str(physical or args.name)
        id_ = args.resource_id or resource_id(type_, args.name, physical)
        state: dict[str, Any] = {**inputs, "id": id_}
        state["arn"] = inputs.get("arn") or arn_for(type_, physical, id_, self.region)
        state.update(self._extras(type_, physical, id_, state, inputs))
        if "tags" in inputs:
            state["tagsAll"] = inputs["tags"]
        return id_, state

    def _extras(self, type_: str, physical: str, id_: str, state: dict, inputs: dict) -> dict[str, Any]:
        region, account = self.region, self.account_id
        if type_ == "aws:sqs/queue:Queue":
            url = f"https://sqs.{region}.amazonaws.com/{account}/{physical}"
            return {"url": url, "id": url}
        if type_ == "aws:lambda/function:Function":
            arn = state["arn"]
            return {
                "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
                "qualifiedArn": f"{arn}:$LATEST",
                "version": "$LATEST",
            }
        if type_ == "aws:cloudwatch/logGroup:LogGroup":
            return {"arn": f"arn:aws:logs:{region}:{account}:log-group:{physical}"}
        if type_ == "aws:s3/bucket:Bucket" or type_ == "aws:s3/bucketV2:BucketV2":
            return {
                "bucketDomainName": f"{physical}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{physical}.s3.{region}.amazonaws.com",
                "region": region,
            }
        if type_ == "aws:route53/zone:Zone":
            return {
                "zoneId": id_,
                "nameServers": [f"ns-{n}.awsdns-{n:02d}.org" for n in (101, 202, 303, 404)],
            }
        if type_ == "aws:ses/domainIdentity:DomainIdentity":
            return {"verificationToken": fake_id(type_, physical, 32)}
        if type_ == "aws:ses/domainDkim:DomainDkim":
            return {"dkimTokens": [fake_id(type_, f"{physical}{n}", 32) for n in range(3)]}
        if type_ == "aws:organizations/account:Account":
            return {"email": inputs.get("email"), "status": "ACTIVE"}
        if type_ == "aws:organizations/organization:Organization":
            root = "r-" + fake_id(type_, "root", 4)
            return {
                "masterAccountId": account,
                "masterAccountArn": f"arn:aws:organizations::{account}:account/o-abcdef1234/{account}",
                "roots": [{"id": root, "arn": f"arn:aws:organizations::{account}:root/o-abcdef1234/{root}", "name": "Root", "policyTypes": []}],
            }
        if type_ == "aws:kms/key:Key":
            return {"keyId": id_}
        if type_ == "aws:dynamodb/table:Table" and inputs.get("streamEnabled"):
            label = "2026-01-01T00:00:00.000"
            return {"streamArn": f"{state['arn']}/stream/{label}", "streamLabel": label}
        if type_ == "aws:iam/role:Role":
            return {"uniqueId": "AROA" + fake_id(type_, physical, 17).upper()}
        if type_ == "aws:sns/topic:Topic":
            return {"id": state["arn"]}
        if type_ == "aws:cloudwatch/eventRule:EventRule":
            bus = inputs.get("eventBusName")
            if bus and bus != "default":  # rules on a custom bus: rule/<bus>/<name>
                return {"arn": f"arn:aws:events:{region}:{account}:rule/{bus}/{physical}",
                        "id": f"{bus}|{physical}"}
            return {}
        if type_ == "aws:sns/topicSubscription:TopicSubscription":
            topic = str(inputs.get("topic") or f"arn:aws:sns:{region}:{account}:topic")
            arn = f"{topic}:{fake_id(type_, physical, 8)}-0000-4000-8000-{fake_id(type_, physical + 's', 12)}"
            return {"arn": arn, "id": arn}
        if type_ == "aws:identitystore/group:Group":
            return {"groupId": f"{fake_id(type_, physical, 8)}-{fake_id(type_, physical + 'g', 4)}-4000-8000-{fake_id(type_, physical + 'h', 12)}"}
        if type_ == "aws:ssoadmin/permissionSet:PermissionSet":
            instance = str(inputs.get("instanceArn") or "arn:aws:sso:::instance/ssoins-0000000000000000")
            arn = f"arn:aws:sso:::permissionSet/{instance.rsplit('/', 1)[-1]}/ps-{fake_id(type_, physical, 16)}"
            return {"arn": arn, "createdDate": "2026-01-01T00:00:00Z"}
        if type_ == "aws:cloudformation/stackSet:StackSet":
            return {"stackSetId": f"{physical}:{fake_id(type_, physical, 8)}-0000-4000-8000-{fake_id(type_, physical, 12)}"}
        return {}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": self.account_id,
                "arn": f"arn:aws:iam::{self.account_id}:user/planner",
                "userId": "AIDAPLANNER",
                "id": self.account_id,
            }
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region,
                    "endpoint": f"ec2.{self.region}.amazonaws.com", "description": self.region}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws",
                    "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:ssoadmin/getInstances:getInstances":
            return {"arns": [], "identityStoreIds": [], "id": self.region}
        if token == "aws:iam/getPolicyDocument:getPolicyDocument":
            document = policy_document(args.args)
            return {"json": json.dumps(document, indent=2), "minifiedJson": json.dumps(document, separators=(",", ":")),
                    "id": fake_id(token, json.dumps(document), 10)}
        return self._data_source(token, args.args)

    def _data_source(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        """Plausible answers of common lookups (default VPC, subnets, AMIs, zones), so programs that
        read them declare what they would declare against a real account."""
        region, seed = self.region, json.dumps(args, sort_keys=True, default=str)
        if token == "aws:ec2/getVpc:getVpc":
            vpc = "vpc-" + fake_id(token, seed, 17)
            return {"id": vpc, "arn": f"arn:aws:ec2:{region}:{self.account_id}:vpc/{vpc}",
                    "cidrBlock": "172.31.0.0/16", "default": bool(args.get("default")), "ownerId": self.account_id}
        if token == "aws:ec2/getSubnets:getSubnets":
            return {"id": region, "ids": ["subnet-" + fake_id(token, f"{seed}{n}", 17) for n in range(3)]}
        if token == "aws:ec2/getSubnet:getSubnet":
            subnet = "subnet-" + fake_id(token, seed, 17)
            return {"id": subnet, "availabilityZone": f"{region}a", "cidrBlock": "172.31.0.0/20",
                    "vpcId": "vpc-" + fake_id(token, "vpc", 17)}
        if token == "aws:ec2/getAmi:getAmi":
            ami = "ami-" + fake_id(token, seed, 17)
            return {"id": ami, "imageId": ami, "architecture": "x86_64", "name": "plan-ami",
                    "ownerId": "137112412989", "rootDeviceName": "/dev/xvda"}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = [f"{region}{letter}" for letter in "abc"]
            return {"id": region, "names": zones, "zoneIds": [f"use1-az{n}" for n in (1, 2, 3)]}
        return {}


def _as_policy_json(value: Any) -> Any:
    """A policy document given as an object comes back as the JSON string AWS stores."""
    if isinstance(value, dict) and "Statement" in value:
        return json.dumps(value)
    return value


def policy_document(args: dict[str, Any]) -> dict[str, Any]:
    """The IAM JSON document ``aws.iam.get_policy_document`` renders from its arguments: single
    values unwrapped from their lists, principals grouped by type, conditions by operator."""

    def one_or_many(values: Any) -> Any:
        values = list(values or [])
        return values[0] if len(values) == 1 else values

    def principals(entries: Any) -> Any:
        grouped: dict[str, list[str]] = {}
        for entry in entries or []:
            grouped.setdefault(entry.get("type"), []).extend(entry.get("identifiers") or [])
        if list(grouped) == ["*"]:
            return "*"
        return {kind: one_or_many(ids) for kind, ids in grouped.items()}

    statements = []
    for given in args.get("statements") or []:
        statement: dict[str, Any] = {}
        if given.get("sid"):
            statement["Sid"] = given["sid"]
        statement["Effect"] = given.get("effect") or "Allow"
        for key, field_ in (("actions", "Action"), ("notActions", "NotAction"),
                            ("resources", "Resource"), ("notResources", "NotResource")):
            if given.get(key):
                statement[field_] = one_or_many(given[key])
        for key, field_ in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            if given.get(key):
                statement[field_] = principals(given[key])
        conditions: dict[str, dict[str, Any]] = {}
        for condition in given.get("conditions") or []:
            conditions.setdefault(condition["test"], {})[condition["variable"]] = one_or_many(condition["values"])
        if conditions:
            statement["Condition"] = conditions
        statements.append(statement)
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    if args.get("policyId"):
        document = {"Version": document["Version"], "Id": args["policyId"], "Statement": statements}
    return document
