"""Compliant stacks: no policy may report anything (not even advisory)."""

from __future__ import annotations

from org.plan.analyzer import UNKNOWN, ProviderDescription
from tests.policies.corpus import baseline
from tests.policies.corpus.builders import (
    DEV,
    EMPTY,
    EPH,
    PROD,
    PROVIDER,
    Case,
    account,
    arn,
    bucket_group,
    component,
    event_bus,
    function,
    kms_key,
    log_group,
    parameter,
    pipe,
    pipe_alarm,
    policy_json,
    queue,
    receipt_rule,
    res,
    role_policy,
    state_machine,
    table,
    tags,
    teardown,
    topic,
)


def _eph(*groups, hours: float = 8):
    resources = [*teardown(hours=hours)]
    for group in groups:
        resources.extend(group if isinstance(group, list) else [group])
    return resources


def _prod_pipe(**kwargs):
    p = pipe(PROD, **kwargs)
    return [p, pipe_alarm(PROD, p)]


DEFAULT_TAGS_PROVIDER = ProviderDescription(
    type=PROVIDER.type, name="tagged", urn=PROVIDER.urn.replace("default", "tagged"),
    inputs={"region": "eu-west-1", "defaultTags": '{"tags":{"context":"shop","stage":"dev",'
                                                  '"owner":"platform-team","usage":"POC"}}'})


def _with_default_tags(as_object: bool = False):
    q = queue()
    q.inputs["tags"] = {"component": "orders"}
    q.provider = DEFAULT_TAGS_PROVIDER
    if as_object:  # a default provider built from the stack's aws:defaultTags config
        q.provider = ProviderDescription(inputs={"region": "eu-west-1", "defaultTags": {"tags": tags()}})
    return [q]



def _declared_legacy_email(parented: bool) -> list:
    organization = res("groundwork:org:Organization", "org", {"declaredEmails": ["aws-legacy@old-corp.example"]})
    legacy = account(email="AWS-Legacy@old-corp.example")
    legacy.parent = organization.urn if parented else ""
    return [organization, legacy]


CASES: list[Case] = []
for env in (DEV, PROD):
    CASES += [
        Case(f"{env.key}-queue-sse", [queue(env)], env=env),
        Case(f"{env.key}-queue-kms", [queue(env, sqsManagedSseEnabled=None, kmsMasterKeyId="alias/shop")], env=env),
        Case(f"{env.key}-queue-fifo", [queue(env, label="jobs", **{"name": f"{env.prefix}jobs.fifo",
                                                                   "fifoQueue": True})], env=env),
        Case(f"{env.key}-topic", [topic(env)], env=env),
        Case(f"{env.key}-bucket-baseline", bucket_group(env), env=env),
        Case(f"{env.key}-lambda-python3.12", [function(env)], env=env),
        Case(f"{env.key}-kms-key", [kms_key(env)], env=env),
        Case(f"{env.key}-log-group", [log_group(env)], env=env),
        Case(f"{env.key}-ssm-parameter", [parameter(env)], env=env),
        Case(f"{env.key}-event-bus", [event_bus(env)], env=env),
        Case(f"{env.key}-dynamodb", [table(env, deletionProtectionEnabled=True)], env=env),
        Case(f"{env.key}-role-policy", [role_policy()], env=env),
        Case(f"{env.key}-receipt-rule", [receipt_rule()], env=env),
    ]

CASES += [
    # --- preview: unknown values are not judged ---
    Case("preview-tags-unknown", [queue(tags=UNKNOWN)]),
    Case("preview-tag-values-unknown", [topic(tags=tags(owner=UNKNOWN, context=UNKNOWN))]),
    Case("preview-queue-name-unknown", [queue(**{"name": UNKNOWN})]),
    Case("preview-ssm-name-unknown", [parameter(**{"name": UNKNOWN})]),
    # AWS defaults: SSE-S3 on every bucket, Block Public Access on new buckets, SSE-SQS on new queues.
    Case("s3-bucket-on-aws-defaults", bucket_group(sse=False, with_pab=False)),
    Case("sqs-on-default-encryption", [queue(sqsManagedSseEnabled=None)]),
    Case("s3-private-canned-acl", bucket_group(acl="private")),
    Case("preview-encryption-unknown", [queue(sqsManagedSseEnabled=UNKNOWN), topic(kmsMasterKeyId=UNKNOWN)]),
    Case("preview-bucket-policy-unknown", bucket_group(policy=UNKNOWN)),
    Case("preview-iam-document-unknown", [role_policy(document=UNKNOWN)]),
    Case("preview-kms-rotation-unknown", [kms_key(enableKeyRotation=UNKNOWN)]),
    Case("preview-pipe-source-unknown", [state_machine(), pipe(source=UNKNOWN, target=UNKNOWN, source_parameters={
        "sqsQueueParameters": {"batchSize": UNKNOWN}}, depends_on=[state_machine()])]),
    Case("preview-account-email-unknown", [account(email=UNKNOWN)], env=PROD),
    # --- tagging variants ---
    Case("tags-through-provider-default-tags", _with_default_tags()),
    Case("tags-through-default-provider-config", _with_default_tags(as_object=True)),
    Case("tags-owner-team-id", [queue(tags=tags(owner="platform-team"))]),
    Case("tags-extra-required-key-present", [queue(tags=tags(**{"cost_center": "cc-42"}))],
         policy_config={"required-tags": {"requiredTags": {"context": [], "stage": ["dev"], "owner": [],
                                                           "usage": ["POC"], "cost-center": []}}}),
    Case("untaggable-and-component", [component(), role_policy(), receipt_rule()]),
    Case("autoscaling-list-tags", [res("aws:autoscaling/group:Group", "asg", {
        "maxSize": 2, "minSize": 1,
        "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in tags().items()]})]),
    Case("exempt-type-by-config", [res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})],
         policy_config={"required-tags": {"exemptTypes": ["aws:ec2/vpc:Vpc"]}}),
    # --- naming variants ---
    Case("name-prefix-queue", [queue(**{"name": None, "namePrefix": "shop-dev-jobs-"})]),
    Case("name-log-group-codebuild", [log_group(**{"name": "/aws/codebuild/shop-dev-teardown-test"})]),
    Case("name-custom-pattern-matches", [queue(**{"name": "dev-shop-orders"})],
         policy_config={"resource-naming": {"patterns": {"aws:sqs/queue:Queue": "^{stage}-{context}-"}}}),
    Case("name-check-disabled-for-auto", [topic(**{"name": None})],
         policy_config={"resource-naming": {"requireExplicitName": False}}),
    Case("bucket-v2-with-v2-sse", bucket_group(bucket_type="aws:s3/bucketV2:BucketV2", sse_type=(
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"))),
    Case("bucket-inline-sse", bucket_group(sse=False, serverSideEncryptionConfiguration={
        "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}})),
    # --- stage/usage sources ---
    Case("stage-from-stack-tags", [queue()], env=EMPTY,
         stack_tags={"context": "shop", "stage": "dev", "usage": "POC", "owner": "team-shop@example.com"}),
    Case("stage-from-resource-tags", [queue(), topic()], env=EMPTY),
    # --- ephemeral ---
    Case("eph-full-stack", _eph(queue(EPH), topic(EPH), *bucket_group(EPH), table(EPH)), env=EPH),
    Case("eph-short-lease", _eph(queue(EPH), hours=1), env=EPH),
    Case("eph-ttl-config", _eph(queue(EPH)), env=EPH, policy_config={"ephemeral-teardown": {"maxTtlHours": 24}}),
    Case("eph-dynamodb-unprotected", _eph(table(EPH, deletionProtectionEnabled=False)), env=EPH),
    Case("eph-cognito-inactive", _eph(res("aws:cognito/userPool:UserPool", "users", {
        "name": "shop-sandbox-users", "deletionProtection": "INACTIVE", "tags": tags(EPH)})), env=EPH),
    Case("prod-protect-allowed", [res("aws:sqs/queue:Queue", "q", queue(PROD).inputs, protect=True)], env=PROD),
    # --- security variants ---
    Case("lambda-current-runtimes", [function(label=f"f{i}", runtime=r) for i, r in
                                     enumerate(("python3.13", "nodejs22.x", "java21", "provided.al2023"))]),
    Case("lambda-container-image", [function(runtime=None, packageType="Image", imageUri="x.dkr.ecr/y:1")]),
    Case("lambda-runtime-allowed-by-config", [function(runtime="python3.10")],
         policy_config={"lambda-runtime": {"allowedRuntimes": ["python3.10"]}}),
    Case("kms-asymmetric-without-rotation", [kms_key(enableKeyRotation=None, customerMasterKeySpec="RSA_2048",
                                                     keyUsage="SIGN_VERIFY")]),
    Case("iam-scoped-wildcards", [res("aws:iam/policy:Policy", "p", {"tags": tags(), "policy": policy_json(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::shop-dev-data/*"},
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::shop-dev-data"},
        {"Effect": "Deny", "Action": "*", "Resource": "*"})})]),
    Case("iam-admin-allow-listed", [res("aws:iam/policy:Policy", "break-glass", {"tags": tags(), "policy": policy_json(
        {"Effect": "Allow", "Action": "*", "Resource": "*"})})],
         policy_config={"iam-no-admin-wildcard": {"allowList": ["break-glass"]}}),
    Case("iam-role-inline-scoped", [res("aws:iam/role:Role", "role", {
        "assumeRolePolicy": policy_json({"Effect": "Allow", "Principal": {"Service": "pipes.amazonaws.com"},
                                         "Action": "sts:AssumeRole",
                                         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}),
        "inlinePolicies": [{"name": "read", "policy": policy_json(
            {"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": arn("sqs", "shop-dev-in")})}],
        "tags": tags()})]),
    # --- event pipes ---
    Case("pipe-standard-batch-1", [state_machine(), pipe(target=arn("states", "stateMachine:shop-dev-flow"),
                                                          source_parameters={"sqsQueueParameters": {"batchSize": 1}})]),
    Case("pipe-express-batch-10", [state_machine(kind="EXPRESS"), pipe(target=arn("states",
                                                                                  "stateMachine:shop-dev-flow"))]),
    Case("pipe-dynamodb-stream-dlq", [pipe(source=arn("dynamodb", "table/shop-dev-items/stream/2026-01-01T00:00:00"),
                                           source_parameters={"dynamodbStreamParameters": {
                                               "startingPosition": "LATEST", "batchSize": 10,
                                               "maximumRetryAttempts": 10,
                                               "deadLetterConfig": {"arn": arn("sqs", "shop-dev-dlq")}}})]),
    Case("pipe-five-filters", [pipe(source_parameters={"sqsQueueParameters": {"batchSize": 10}, "filterCriteria": {
        "filters": [{"pattern": f'{{"source":["s{i}"]}}'} for i in range(5)]}})]),
    Case("pipe-five-filters-allowed-by-config", [pipe(source_parameters={"filterCriteria": {
        "filters": [{"pattern": f'{{"source":["s{i}"]}}'} for i in range(5)]}})],
         policy_config={"pipe-source-parameters": {"maxFilters": 5}}),
    Case("prod-pipe-with-logging-and-alarm", _prod_pipe(), env=PROD),
    Case("prod-pipe-alarm-by-dependency", [p := pipe(PROD), pipe_alarm(PROD, p, by_dimension=False)], env=PROD),
    Case("prod-pipe-alarms-not-required", [pipe(PROD)], env=PROD,
         policy_config={"pipe-production-observability": {"requireAlarms": False}}),
    Case("dev-pipe-without-logging", [pipe(logging=False)]),
    # --- organization ---
    Case("account-on-mail-domain", [account()], env=PROD),
    # An adopted account keeps the root email its file declares (the Organization component lists it).
    Case("account-legacy-email-declared-in-its-file", _declared_legacy_email(parented=True), env=PROD),
    Case("account-close-documented-override", [account(closeOnDeletion=True)], env=PROD,
         policy_config={"account-close-on-deletion": {"overrides": [{"name": "shop-prod",
                                                                     "reason": "sandbox account, RFC-7"}]}}),
    Case("account-close-outside-prod", [account(DEV, closeOnDeletion=True)]),
    Case("account-no-domain-configured", [account(DEV, email="someone@example.com")]),
]

CASES += baseline.COMPLIANT  # negative controls of the security baseline (issue 19)
