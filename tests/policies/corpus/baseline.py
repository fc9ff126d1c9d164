"""The security baseline of issue 19: each violating case is reported by its policy only; each
compliant case (the negative control) by nothing. Inputs as pulumi-aws 7 sends them."""

from __future__ import annotations

import json

from org.plan.analyzer import UNKNOWN
from tests.policies.corpus.builders import (
    Case,
    arn,
    function,
    log_group,
    policy_json,
    queue,
    res,
    role_policy,
    tags,
    topic,
)

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RDS, RDS_CLUSTER = "aws:rds/instance:Instance", "aws:rds/cluster:Cluster"
PUBLIC_READ = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
               "Resource": "arn:aws:s3:::shop-dev-site/*"}
ROLE_TRUST = policy_json({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                          "Action": "sts:AssumeRole"})


def group(*ingress, **inputs):
    return res(SG, "web", {"description": "web", "vpcId": "vpc-0abc", "ingress": list(ingress), "tags": tags(),
                           **inputs})


def rule(protocol="tcp", low=443, high=443, cidrs=("10.0.0.0/8",), v6=()):
    return {"protocol": protocol, "fromPort": low, "toPort": high, "cidrBlocks": list(cidrs),
            "ipv6CidrBlocks": list(v6)}


def database(**inputs):
    base = {"engine": "postgres", "engineVersion": "16.4", "instanceClass": "db.t4g.micro",
            "allocatedStorage": 20, "storageEncrypted": True, "username": "app",
            "manageMasterUserPassword": True, "skipFinalSnapshot": True, "tags": tags()}
    return res(RDS, "db", {**base, **inputs})


def cluster(**inputs):
    base = {"engine": "aurora-postgresql", "engineVersion": "16.4", "masterUsername": "app",
            "manageMasterUserPassword": True, "skipFinalSnapshot": True, "tags": tags()}
    return res(RDS_CLUSTER, "aurora", {**base, **inputs})


def eks(**vpc):
    return res("aws:eks/cluster:Cluster", "k8s", {"roleArn": arn("iam", "role/shop-dev-eks", region=""),
                                                 "vpcConfig": {"subnetIds": ["subnet-1", "subnet-2"], **vpc},
                                                 "tags": tags()})


def instance(**metadata):
    inputs = {"ami": "ami-0abc", "instanceType": "t3.micro", "tags": tags()}
    if metadata:
        inputs["metadataOptions"] = metadata
    return res("aws:ec2/instance:Instance", "vm", inputs)


def task(*environment):
    containers = [{"name": "app", "image": "nginx", "essential": True,
                   "environment": [{"name": n, "value": v} for n, v in environment]}]
    return res("aws:ecs/taskDefinition:TaskDefinition", "task", {
        "family": "shop-dev-app", "containerDefinitions": json.dumps(containers), "tags": tags()})


def attachment(policy_arn):
    return res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "attach",
               {"role": "shop-dev-app", "policyArn": policy_arn})


VIOLATIONS: list[Case] = [
    # --- security-group-open-ingress ---
    Case("sg-ssh-open", [group(rule(low=22, high=22, cidrs=["0.0.0.0/0"]))], {"security-group-open-ingress"},
         contains="port(s) 22"),
    Case("sg-postgres-open-ipv6", [group(rule(low=5432, high=5432, cidrs=[], v6=["::/0"]))],
         {"security-group-open-ingress"}, contains="::/0"),
    Case("sg-all-traffic", [group(rule(protocol="-1", low=0, high=0, cidrs=["0.0.0.0/0"]))],
         {"security-group-open-ingress"}, contains="[all-ports]"),
    Case("sg-range-covers-rdp", [group(rule(low=3000, high=4000, cidrs=["0.0.0.0/0"]))],
         {"security-group-open-ingress"}, contains="3306, 3389"),
    Case("sg-rule-resource", [res(SG_RULE, "ssh", {"type": "ingress", "securityGroupId": "sg-1", "protocol": "tcp",
                                                   "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]})],
         {"security-group-open-ingress"}),
    Case("sg-vpc-ingress-rule", [res(INGRESS, "mysql", {"securityGroupId": "sg-1", "ipProtocol": "tcp",
                                                        "fromPort": 3306, "toPort": 3306, "cidrIpv4": "0.0.0.0/0",
                                                        "tags": tags()})],
         {"security-group-open-ingress"}),
    Case("sg-configured-port", [group(rule(low=8080, high=8080, cidrs=["0.0.0.0/0"]))],
         {"security-group-open-ingress"}, policy_config={"security-group-open-ingress": {"ports": [8080]}}),
    # --- eks-public-endpoint ---
    Case("eks-default-endpoint", [eks()], {"eks-public-endpoint"}, contains="EKS's default"),
    Case("eks-open-cidrs", [eks(endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"])],
         {"eks-public-endpoint"}),
    # --- rds ---
    Case("rds-public", [database(publiclyAccessible=True)], {"rds-not-public"}),
    Case("rds-unencrypted-default", [database(storageEncrypted=None)], {"rds-storage-encrypted"}),
    Case("rds-unencrypted-explicit", [database(storageEncrypted=False)], {"rds-storage-encrypted"}),
    Case("rds-multi-az-cluster-unencrypted", [cluster(engine="postgres", storageEncrypted=False,
                                                      dbClusterInstanceClass="db.m6gd.large")],
         {"rds-storage-encrypted"}),
    Case("aurora-make-explicit", [cluster(storageEncrypted=None)], {"rds-storage-encrypted"},
         contains="make explicit", policy_config={"rds-storage-encrypted": {"makeExplicit": True}}),
    Case("rds-postgres-12", [database(engineVersion="12.19")], {"rds-engine-supported"},
         contains="postgres 12 is past the end of RDS standard support (2025-02-28"),
    Case("rds-mysql-5-7", [database(engine="mysql", engineVersion="5.7.44")], {"rds-engine-supported"}),
    Case("aurora-postgresql-11", [cluster(engineVersion="11.21")], {"rds-engine-supported"}),
    # Aurora MySQL versions name the community major first (the Aurora release calendar keys by it).
    Case("aurora-mysql-5-7", [cluster(engine="aurora-mysql", engineVersion="5.7.mysql_aurora.2.11.2")],
         {"rds-engine-supported"}, contains="aurora-mysql 5.7 is past the end of RDS standard support (2024-10-31"),
    Case("aurora-mysql-1-is-mysql-5-6", [cluster(engine="aurora", engineVersion="5.6.10a")],
         {"rds-engine-supported"}, contains="aurora 5.6"),
    # --- resource-policy-public-principal ---
    Case("s3-policy-public-read", [res("aws:s3/bucketPolicy:BucketPolicy", "site-policy", {
        "bucket": "shop-dev-site", "policy": policy_json(PUBLIC_READ)})], {"resource-policy-public-principal"},
         contains="PublicRead"),
    Case("sqs-inline-policy-aws-star", [queue(policy=policy_json({
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": "*"}))],
         {"resource-policy-public-principal"}),
    Case("sqs-queue-policy", [res("aws:sqs/queuePolicy:QueuePolicy", "qp", {"queueUrl": UNKNOWN, "policy": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*"}]}})],
         {"resource-policy-public-principal"}),
    Case("sns-topic-policy", [res("aws:sns/topicPolicy:TopicPolicy", "tp", {"arn": UNKNOWN, "policy": policy_json(
        {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sns:Publish", "Resource": "*"})})],
         {"resource-policy-public-principal"}),
    Case("sns-inline-policy", [topic(policy=policy_json(
        {"Effect": "Allow", "Principal": "*", "Action": "sns:Subscribe", "Resource": "*"}))],
         {"resource-policy-public-principal"}),
    Case("ecr-repository-policy", [res("aws:ecr/repositoryPolicy:RepositoryPolicy", "rp", {
        "repository": "shop", "policy": policy_json({"Effect": "Allow", "Principal": "*",
                                                     "Action": ["ecr:BatchGetImage"]})})],
         {"resource-policy-public-principal"}),
    Case("lambda-permission-anyone", [res("aws:lambda/permission:Permission", "invoke", {
        "action": "lambda:InvokeFunction", "function": "shop-dev-handler", "principal": "*"})],
         {"resource-policy-public-principal"}),
    # --- iam-service-wildcard, iam-full-access-attachment ---
    Case("iam-logs-star-on-star", [role_policy(document=policy_json(
        {"Effect": "Allow", "Action": ["logs:*", "cloudwatch:*"], "Resource": "*"}))],
         {"iam-service-wildcard"}, contains="logs:*, cloudwatch:*"),
    Case("iam-s3-full-access", [attachment("arn:aws:iam::aws:policy/AmazonS3FullAccess")],
         {"iam-full-access-attachment"}, contains="AmazonS3FullAccess"),
    Case("iam-role-managed-admin", [res("aws:iam/role:Role", "app", {
        "assumeRolePolicy": ROLE_TRUST, "tags": tags(),
        "managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]})],
         {"iam-full-access-attachment"}),
    Case("iam-policy-attachment-to-role", [res("aws:iam/policyAttachment:PolicyAttachment", "pa", {
        "roles": ["shop-dev-app"], "policyArn": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"})],
         {"iam-full-access-attachment"}),
    # --- plaintext-secrets-in-environment ---
    Case("lambda-env-password", [function(environment={"variables": {"DB_PASSWORD": "hunter2", "STAGE": "dev"}})],
         {"plaintext-secrets-in-environment"}, contains="DB_PASSWORD"),
    Case("lambda-env-api-key", [function(environment={"variables": {"stripeApiKey": "sk_live_x"}})],
         {"plaintext-secrets-in-environment"}),
    Case("ecs-env-token", [task(("GITHUB_TOKEN", "ghp_abc"), ("PORT", "8080"))],
         {"plaintext-secrets-in-environment"}, contains="GITHUB_TOKEN"),
    # --- ec2-imdsv2-required, log-group-retention, kinesis-stream-encryption ---
    Case("ec2-imds-default", [instance()], {"ec2-imdsv2-required"}),
    Case("ec2-imds-optional", [instance(httpTokens="optional")], {"ec2-imdsv2-required"}),
    Case("launch-template-imds-optional", [res("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
        "imageId": "ami-0abc", "metadataOptions": {"httpTokens": "optional"}, "tags": tags()})],
         {"ec2-imdsv2-required"}),
    Case("log-group-no-retention", [log_group(retentionInDays=None)], {"log-group-retention"}),
    Case("kinesis-unencrypted", [res("aws:kinesis/stream:Stream", "clicks", {
        "name": "shop-dev-clicks", "shardCount": 1, "tags": tags()})], {"kinesis-stream-encryption"}),
]

COMPLIANT: list[Case] = [
    Case("sg-https-open", [group(rule(low=443, high=443, cidrs=["0.0.0.0/0"], v6=["::/0"]))]),
    Case("sg-ssh-from-vpn", [group(rule(low=22, high=22, cidrs=["10.20.0.0/16"]))]),
    Case("sg-all-egress-is-fine", [group(egress=[rule(protocol="-1", low=0, high=0, cidrs=["0.0.0.0/0"])])]),
    Case("sg-egress-rule", [res(SG_RULE, "out", {"type": "egress", "securityGroupId": "sg-1", "protocol": "-1",
                                                 "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]})]),
    Case("sg-preview-unknown", [group(rule(low=22, high=22, cidrs=[UNKNOWN]))]),
    Case("eks-private", [eks(endpointPublicAccess=False, endpointPrivateAccess=True)]),
    Case("eks-public-limited", [eks(publicAccessCidrs=["203.0.113.0/24"])]),
    Case("rds-private-encrypted-current", [database()]),
    Case("rds-no-version-given", [database(engineVersion=None)]),
    Case("rds-from-snapshot", [database(storageEncrypted=None, snapshotIdentifier="snap-1")]),
    Case("aurora-default-encryption", [cluster(storageEncrypted=None)]),
    Case("aurora-mysql-3-current", [cluster(engine="aurora-mysql", engineVersion="8.0.mysql_aurora.3.05.2")]),
    Case("aurora-member-instance", [database(engine="aurora-postgresql", engineVersion=None, storageEncrypted=None,
                                             clusterIdentifier="shop-dev-aurora")]),
    Case("rds-preview-unknown", [database(storageEncrypted=UNKNOWN, publiclyAccessible=UNKNOWN)]),
    Case("s3-policy-named-principal", [res("aws:s3/bucketPolicy:BucketPolicy", "p", {
        "bucket": "shop-dev-site", "policy": policy_json({**PUBLIC_READ, "Principal": {
            "AWS": arn("iam", "root", region="")}})})]),
    Case("s3-policy-star-with-condition", [res("aws:s3/bucketPolicy:BucketPolicy", "p", {
        "bucket": "shop-dev-site", "policy": policy_json({**PUBLIC_READ, "Condition": {
            "StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}})})]),
    Case("s3-tls-deny-star", [res("aws:s3/bucketPolicy:BucketPolicy", "p", {
        "bucket": "shop-dev-site", "policy": policy_json({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                          "Resource": "*"})})]),
    Case("lambda-permission-from-service", [res("aws:lambda/permission:Permission", "invoke", {
        "action": "lambda:InvokeFunction", "function": "shop-dev-handler", "principal": "apigateway.amazonaws.com",
        "sourceArn": UNKNOWN})]),
    Case("lambda-permission-star-with-source", [res("aws:lambda/permission:Permission", "invoke", {
        "action": "lambda:InvokeFunction", "function": "shop-dev-handler", "principal": "*",
        "sourceAccount": "123456789012"})]),
    Case("iam-scoped-actions", [role_policy(document=policy_json(
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::shop-dev-data/*"}))]),
    Case("iam-service-wildcard-allow-listed", [role_policy(label="ops", document=policy_json(
        {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}))],
         policy_config={"iam-service-wildcard": {"allowList": ["ops"]}}),
    Case("iam-read-only-and-service-role", [attachment("arn:aws:iam::aws:policy/ReadOnlyAccess"), res(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "basic", {
            "role": "shop-dev-app",
            "policyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"})]),
    Case("iam-full-access-to-users-only", [res("aws:iam/policyAttachment:PolicyAttachment", "pa", {
        "users": ["alice"], "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"})]),
    Case("lambda-env-references", [function(environment={"variables": {
        "DB_PASSWORD_SECRET_ARN": arn("secretsmanager", "secret:db-AbCdEf"), "TOKEN_URL": "https://x/token",
        "ROUTES_KEY": "routes.json", "API_KEY": UNKNOWN, "KMS_KEY_ID": "alias/shop"}})]),
    Case("ecs-env-secrets-block", [task(("PORT", "8080"), ("SECRET_NAME", "shop/dev/db"))]),
    Case("ec2-imdsv2", [instance(httpTokens="required", httpEndpoint="enabled")]),
    Case("ec2-imds-off", [instance(httpEndpoint="disabled")]),
    Case("kinesis-kms", [res("aws:kinesis/stream:Stream", "clicks", {
        "name": "shop-dev-clicks", "shardCount": 1, "encryptionType": "KMS", "kmsKeyId": "alias/aws/kinesis",
        "tags": tags()})]),
]
