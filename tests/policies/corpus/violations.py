"""Violating stacks: each must be reported by the one policy it names, and by no other."""

from __future__ import annotations

from org.plan.analyzer import UNKNOWN
from tests.policies.corpus import baseline
from tests.policies.corpus.builders import (
    BAD_STAGE,
    DEV,
    EMPTY,
    EPH,
    PROD,
    PROD_POC,
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

ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def _eph(*groups, hours: float = 8):
    resources = [*teardown(hours=hours)]
    for group in groups:
        resources.extend(group if isinstance(group, list) else [group])
    return resources


def _pipe_prod(**kwargs):
    p = pipe(PROD, **kwargs)
    return [p, pipe_alarm(PROD, p)]


def _standard(kind="STANDARD", **pipe_kwargs):
    machine = state_machine(DEV, kind=kind)
    return [machine, pipe(DEV, target=arn("states", "stateMachine:shop-dev-flow"), **pipe_kwargs)]



def _declared_elsewhere() -> list:
    """The email is declared by an Organization component, but the account is not one of its accounts."""
    organization = res("groundwork:org:Organization", "org", {"declaredEmails": ["aws-legacy@old-corp.example"]})
    return [organization, account(email="aws-legacy@old-corp.example")]


CASES: list[Case] = [
    # --- required-tags ---
    Case("tags-missing-owner", [queue(tags=tags(owner=None))], {"required-tags"}, contains="missing tag 'owner'"),
    Case("tags-missing-context", [topic(tags=tags(context=None))], {"required-tags"}),
    Case("tags-none-at-all", [kms_key(tags=None)], {"required-tags"}),
    Case("tags-owner-not-email-or-team", [queue(tags=tags(owner="Bob Smith"))], {"required-tags"},
         contains="neither an email"),
    Case("tags-empty-context", [log_group(tags=tags(context=""))], {"required-tags"}),
    Case("tags-default-tags-incomplete", [res("aws:sqs/queue:Queue", "q", {
        "name": "shop-dev-q", "sqsManagedSseEnabled": True, "tags": {"context": "shop"}},
        provider=None)], {"required-tags"}),
    Case("tags-custom-key-required", [queue()], {"required-tags"},
         policy_config={"required-tags": {"requiredTags": {"context": [], "cost-center": []}}},
         contains="cost-center"),
    Case("tags-usage-not-allowed-by-config", [table()], {"required-tags"},
         policy_config={"required-tags": {"requiredTags": {"usage": ["PRODUCTION"]}}}),
    Case("tags-vpc-with-only-a-name-tag", [res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16",
                                                                             "tags": {"Name": "x"}})],
         {"required-tags"}),
    # --- ssm-parameter-naming ---
    Case("ssm-other-stage", [parameter(label="x", **{"name": "/prod/shop/x"})], {"ssm-parameter-naming"}),
    Case("ssm-other-context", [parameter(**{"name": "/dev/billing/x"})], {"ssm-parameter-naming"}),
    Case("ssm-no-leading-slash", [parameter(**{"name": "dev/shop/x"})], {"ssm-parameter-naming"}),
    Case("ssm-auto-named", [res("aws:ssm/parameter:Parameter", "p", {"type": "String", "value": "v",
                                                                     "tags": tags()})],
         {"ssm-parameter-naming"}, contains="no explicit name"),
    # --- resource-naming (advisory) ---
    Case("name-queue-plain", [queue(**{"name": "orders"})], {"resource-naming"}),
    Case("name-topic-auto", [topic(**{"name": None})], {"resource-naming"}, contains="auto-name"),
    Case("name-bus-other-stage", [event_bus(**{"name": "shop-prod-bus"})], {"resource-naming"}),
    Case("name-log-group", [log_group(**{"name": "/aws/lambda/orders"})], {"resource-naming"}),
    Case("name-bucket", bucket_group(bucket="my-data-bucket"), {"resource-naming"}),
    Case("name-pipe", [pipe(**{"name": "pipe-1"})], {"resource-naming"}),
    Case("name-custom-pattern", [queue()], {"resource-naming"},
         policy_config={"resource-naming": {"patterns": {"aws:sqs/queue:Queue": "^{stage}-{context}-"}}}),
    # --- stage-usage ---
    Case("stage-unknown-in-config", [role_policy()], {"stage-usage"}, env=BAD_STAGE, contains="'qa'"),
    Case("usage-poc-on-prod", [role_policy()], {"stage-usage"}, env=PROD_POC, contains="only allowed on stages"),
    Case("stage-missing-everywhere", [role_policy()], {"stage-usage"}, env=EMPTY, contains="no stage"),
    Case("stage-from-stack-tags-not-allowed", [role_policy()], {"stage-usage"}, env=EMPTY,
         stack_tags={"stage": "staging", "usage": "POC", "context": "shop"}, contains="from stack tags"),
    # A resource policy: `pulumi up` refuses the resource before creating it.
    Case("resource-tag-contradicts-stack", [queue(tags=tags(stage="test"))], {"stage-usage-tags"},
         contains="tagged stage='test'"),
    # No config or stack tags: the stack's stage is its resources' most common one, and the odd one
    # out is a stack finding (a resource alone agrees with itself).
    Case("resource-tags-disagree-without-stack-values",
         [queue(label="a"), queue(label="b"), queue(label="c", name="shop-test-c", tags=tags(stage="test"))],
         {"stage-usage"},
         env=EMPTY, stack_tags={"context": "shop"}, contains="resource 'c' is tagged stage='test'"),
    Case("usage-not-allowed-by-config", [role_policy()], {"stage-usage"},
         policy_config={"stage-usage": {"allowedUsages": ["PRODUCTION", "EPHEMERAL"]}}),
    # --- ephemeral-teardown ---
    Case("eph-no-teardown", [queue(EPH)], {"ephemeral-teardown"}, env=EPH, contains="none found"),
    Case("eph-teardown-too-late", _eph(queue(EPH), hours=24 * 30), {"ephemeral-teardown"}, env=EPH,
         contains="later than now"),
    Case("eph-teardown-in-past", _eph(queue(EPH), hours=-3), {"ephemeral-teardown"}, env=EPH,
         contains="in the past"),
    Case("eph-teardown-rate-expression", [*teardown(expression="rate(1 day)"), queue(EPH)],
         {"ephemeral-teardown"}, env=EPH, contains="one-time"),
    Case("eph-teardown-local-timezone", [*teardown(timezone="Europe/Paris"), queue(EPH)],
         {"ephemeral-teardown"}, env=EPH),
    Case("eph-missing-expires-at", _eph(queue(EPH, tags=tags(EPH, expires_at=None))), {"ephemeral-expires-at"},
         env=EPH, contains="no expires-at"),
    Case("eph-expires-at-garbage", _eph(topic(EPH, tags=tags(EPH, expires_at="tomorrow"))),
         {"ephemeral-expires-at"}, env=EPH, contains="expires-at='tomorrow' is not an ISO date-time"),
    Case("eph-expires-at-too-late", _eph(topic(EPH, tags=tags(EPH, expires_at="2099-01-01T00:00:00Z"))),
         {"ephemeral-expires-at"}, env=EPH, contains="later than now + 336h"),
    Case("eph-max-ttl-config", _eph(queue(EPH)), {"ephemeral-teardown"}, env=EPH,
         policy_config={"ephemeral-teardown": {"maxTtlHours": 4}}, contains="groundwork:ttlHours=8"),
    # --- ephemeral-deletable ---
    Case("eph-protected", _eph(res("aws:sqs/queue:Queue", "q", queue(EPH).inputs, protect=True)),
         {"ephemeral-deletable"}, env=EPH, contains="protected"),
    Case("eph-dynamodb-protection", _eph(table(EPH, deletionProtectionEnabled=True)), {"ephemeral-deletable"},
         env=EPH),
    Case("eph-rds-instance-protection", _eph(res("aws:rds/instance:Instance", "db", {
        "instanceClass": "db.t4g.micro", "engine": "postgres", "deletionProtection": True,
        "storageEncrypted": True, "tags": tags(EPH)})), {"ephemeral-deletable"}, env=EPH),
    Case("eph-rds-cluster-protection", _eph(res("aws:rds/cluster:Cluster", "cluster", {
        "engine": "aurora-postgresql", "deletionProtection": True, "tags": tags(EPH)})),
         {"ephemeral-deletable"}, env=EPH),
    Case("eph-cognito-protection", _eph(res("aws:cognito/userPool:UserPool", "users", {
        "name": "shop-sandbox-users", "deletionProtection": "ACTIVE", "tags": tags(EPH)})),
         {"ephemeral-deletable"}, env=EPH),
    Case("eph-lb-protection", _eph(res("aws:lb/loadBalancer:LoadBalancer", "lb", {
        "loadBalancerType": "application", "enableDeletionProtection": True, "tags": tags(EPH)})),
         {"ephemeral-deletable"}, env=EPH),
    Case("eph-ec2-termination-protection", _eph(res("aws:ec2/instance:Instance", "vm", {
        "ami": "ami-123", "instanceType": "t4g.nano", "disableApiTermination": True,
        "metadataOptions": {"httpTokens": "required"}, "tags": tags(EPH)})),
         {"ephemeral-deletable"}, env=EPH),
    Case("eph-bucket-without-force-destroy", _eph(bucket_group(EPH, forceDestroy=False)), {"ephemeral-deletable"},
         env=EPH, contains="forceDestroy"),
    Case("eph-protected-component", _eph(res("groundwork:events:Fanout", "fan", protect=True)),
         {"ephemeral-deletable"}, env=EPH),
    # --- s3-bucket-baseline ---
    # S3 encrypts every bucket and blocks public access on new ones: only "make explicit" when asked.
    Case("s3-no-encryption-make-explicit", bucket_group(sse=False), {"s3-bucket-baseline"},
         contains="[encryption] make explicit", policy_config={"s3-bucket-baseline": {"makeExplicit": ["encryption"]}}),
    Case("s3-no-public-access-block-make-explicit", bucket_group(with_pab=False), {"s3-bucket-baseline"},
         contains="[public-access-block] make explicit",
         policy_config={"s3-bucket-baseline": {"makeExplicit": ["public-access-block"]}}),
    Case("s3-public-access-block-all-off", bucket_group(pab={f: False for f in (
        "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")}),
         {"s3-bucket-baseline"}, contains="turns blockPublicAcls"),
    Case("s3-public-canned-acl", bucket_group(acl="public-read"), {"s3-bucket-baseline"}, contains="[public-acl]"),
    Case("s3-public-acl-resource", [*bucket_group(), res("aws:s3/bucketAcl:BucketAcl", "data-acl", {
        "bucket": "shop-dev-data", "accessControlPolicy": {"owner": {"id": "abc"}, "grants": [{
            "grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "permission": "READ"}]}})], {"s3-bucket-baseline"}, contains="[public-acl]"),
    Case("s3-public-access-block-partial", bucket_group(pab={"restrictPublicBuckets": False}),
         {"s3-bucket-baseline"}, contains="restrictPublicBuckets"),
    Case("s3-no-policy", bucket_group(policy=None), {"s3-bucket-baseline"}, contains="[tls-only]"),
    Case("s3-policy-without-tls-deny", bucket_group(policy=policy_json({
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shop-dev-data/*"})), {"s3-bucket-baseline"}),
    Case("s3-policy-denies-secure-transport", bucket_group(policy=policy_json({
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}}})), {"s3-bucket-baseline"}),
    Case("s3-bucket-v2-bare", [res("aws:s3/bucketV2:BucketV2", "b2", {"bucket": "shop-dev-b2", "forceDestroy": True,
                                                                     "tags": tags()})],
         {"s3-bucket-baseline"}),
    Case("s3-settings-for-another-bucket", [bucket_group(label="a")[0], *bucket_group(label="b")],
         {"s3-bucket-baseline"}),
    Case("s3-malformed-policy-is-reported-not-crashed", bucket_group(policy=policy_json({
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": ["not", "a", "map"]})),
         {"s3-bucket-baseline"}, contains="could not evaluate"),
    # --- queue-topic-encryption ---
    Case("sqs-sse-disabled", [queue(sqsManagedSseEnabled=False)], {"queue-topic-encryption"},
         contains="queue is not encrypted"),
    Case("sqs-default-make-explicit", [queue(sqsManagedSseEnabled=None)], {"queue-topic-encryption"},
         contains="make explicit", policy_config={"queue-topic-encryption": {"makeExplicit": True}}),
    Case("sns-unencrypted", [topic(kmsMasterKeyId=None)], {"queue-topic-encryption"}),
    Case("sns-empty-key", [topic(kmsMasterKeyId="")], {"queue-topic-encryption"}),
    # --- ses-receipt-rule-security ---
    Case("ses-tls-optional", [receipt_rule(tlsPolicy="Optional")], {"ses-receipt-rule-security"}),
    Case("ses-no-scan", [receipt_rule(scanEnabled=False)], {"ses-receipt-rule-security"}),
    Case("ses-defaults", [receipt_rule(tlsPolicy=None, scanEnabled=None)], {"ses-receipt-rule-security"}),
    # --- iam-no-admin-wildcard ---
    Case("iam-policy-admin", [res("aws:iam/policy:Policy", "admin", {"policy": policy_json(ADMIN),
                                                                    "tags": tags()})],
         {"iam-no-admin-wildcard"}),
    Case("iam-role-policy-admin-lists", [role_policy(document=policy_json(
        {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["*"]}))], {"iam-no-admin-wildcard"}),
    Case("iam-role-inline-admin", [res("aws:iam/role:Role", "role", {
        "assumeRolePolicy": policy_json({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                         "Action": "sts:AssumeRole"}),
        "inlinePolicies": [{"name": "all", "policy": policy_json(ADMIN)}], "tags": tags()})],
         {"iam-no-admin-wildcard"}),
    Case("iam-permission-set-admin", [res("aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
                                          "ps", {"instanceArn": UNKNOWN, "permissionSetArn": UNKNOWN,
                                                 "inlinePolicy": policy_json(ADMIN)})],
         {"iam-no-admin-wildcard"}),
    Case("iam-star-colon-star", [role_policy(document=policy_json(
        {"Effect": "Allow", "Action": "*:*", "Resource": "*"}))], {"iam-no-admin-wildcard"}),
    # --- lambda-runtime ---
    *[Case(f"lambda-{runtime}", [function(runtime=runtime)], {"lambda-runtime"})
      for runtime in ("python3.8", "python3.9", "nodejs18.x", "nodejs16.x", "go1.x", "java8")],
    Case("lambda-dotnet8", [function(runtime="dotnet8")], {"lambda-runtime"},
         contains="deprecated since 2026-11-10 (AWS Lambda runtimes page): move to dotnet10"),
    Case("lambda-refused-by-config", [function(runtime="python3.11")], {"lambda-runtime"},
         policy_config={"lambda-runtime": {"deprecatedRuntimes": ["python3.11"]}}),
    # --- kms-key-rotation ---
    Case("kms-no-rotation", [kms_key(enableKeyRotation=None)], {"kms-key-rotation"}),
    Case("kms-rotation-off", [kms_key(enableKeyRotation=False)], {"kms-key-rotation"}),
    # --- pipe-standard-workflow-batch ---
    Case("pipe-standard-batch-10", _standard(), {"pipe-standard-workflow-batch"}, contains="batch size 10"),
    Case("pipe-standard-default-batch", _standard(source_parameters={}), {"pipe-standard-workflow-batch"},
         contains="sqs default"),
    Case("pipe-standard-implicit-type", _standard(kind=None, source=arn("kinesis", "stream/shop-dev-s"),
                                                  source_parameters={"kinesisStreamParameters": {
                                                      "batchSize": 100, "startingPosition": "LATEST",
                                                      "maximumRetryAttempts": 10,
                                                      "deadLetterConfig": {"arn": arn("sqs", "shop-dev-dlq")}}}),
         {"pipe-standard-workflow-batch"}),
    # --- pipe-production-observability ---
    Case("pipe-prod-no-logging", _pipe_prod(logging=False), {"pipe-production-observability"}, env=PROD,
         contains="[logging]"),
    Case("pipe-prod-logging-off", _pipe_prod(logConfiguration={"level": "OFF"}), {"pipe-production-observability"},
         env=PROD),
    Case("pipe-prod-no-alarm", [pipe(PROD)], {"pipe-production-observability"}, env=PROD, contains="[alarms]"),
    # --- pipe-source-parameters ---
    Case("pipe-sqs-dlq", [pipe(source_parameters={"sqsQueueParameters": {
        "batchSize": 10, "deadLetterConfig": {"arn": arn("sqs", "shop-dev-dlq")}}})], {"pipe-source-parameters"},
         contains="dead-letter"),
    Case("pipe-kafka-dlq", [pipe(source=arn("kafka", "cluster/shop/abc"), source_parameters={
        "managedStreamingKafkaParameters": {"topicName": "clicks", "deadLetterConfig": {"arn": "x"}}})],
         {"pipe-source-parameters"}),
    Case("pipe-six-filters", [pipe(source_parameters={"sqsQueueParameters": {"batchSize": 10}, "filterCriteria": {
        "filters": [{"pattern": f'{{"source":["s{i}"]}}'} for i in range(6)]}})],
         {"pipe-source-parameters", "aws-rules"}, contains="at most 5"),
    # The pack's config cannot allow what AWS refuses (FilterList max 5 in botocore's pipes model).
    Case("pipe-six-filters-config-cannot-exceed-aws", [pipe(source_parameters={"filterCriteria": {
        "filters": [{"pattern": f'{{"source":["s{i}"]}}'} for i in range(6)]}})], {"aws-rules"},
         policy_config={"pipe-source-parameters": {"maxFilters": 6}}, contains="6 items, at most 5 allowed"),
    # --- account-close-on-deletion ---
    Case("account-close-in-prod", [account(closeOnDeletion=True)], {"account-close-on-deletion"}, env=PROD),
    Case("account-close-override-without-reason", [account(closeOnDeletion=True)], {"account-close-on-deletion"},
         env=PROD, policy_config={"account-close-on-deletion": {"overrides": [{"name": "shop-prod", "reason": ""}]}}),
    # --- account-email-domain ---
    Case("account-legacy-email-declared-for-other-accounts", _declared_elsewhere(), {"account-email-domain"},
         env=PROD, contains="no account file declares it"),
    Case("account-email-gmail", [account(email="shop.prod.aws@gmail.com")], {"account-email-domain"}, env=PROD,
         contains="aws.acme-corp.example"),
    Case("account-email-domain-from-policy-config", [account(DEV, closeOnDeletion=True)], {"account-email-domain"},
         policy_config={"account-email-domain": {"mailDomain": "mail.other.example"}}),
    # --- a component alone does not make a stack taggable, but its children do ---
    Case("child-of-component-untagged", [component(), res("aws:sqs/queue:Queue", "child", {
        "name": "shop-dev-child", "sqsManagedSseEnabled": True}, parent=component().urn)], {"required-tags"}),
    Case("bus-untagged", [event_bus(tags={})], {"required-tags"}),
    Case("autoscaling-list-tags-missing-owner", [res("aws:autoscaling/group:Group", "asg", {
        "maxSize": 2, "minSize": 1, "tags": [{"key": k, "value": v, "propagateAtLaunch": True}
                                             for k, v in tags(owner=None).items()]})], {"required-tags"}),
    Case("dev-pipe-without-name-and-tags-ok-but-bad-batch", _standard(kind="STANDARD", source_parameters={
        "sqsQueueParameters": {"batchSize": 2}}), {"pipe-standard-workflow-batch"}),
    Case("prod-ssm-dev-path", [parameter(PROD, **{"name": "/dev/shop/x"})], {"ssm-parameter-naming"}, env=PROD),
    Case("prod-lambda-nodejs20", [function(PROD, runtime="nodejs20.x")], {"lambda-runtime"}, env=PROD),
    Case("eph-bucket-force-destroy-false-explicit", _eph(bucket_group(EPH, label="logs", forceDestroy=False)),
         {"ephemeral-deletable"}, env=EPH),
]

CASES += baseline.VIOLATIONS  # the security baseline of issue 19
