"""Mail routing under the mock runtime: every resource, its key properties and the refusals."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pytest
from groundwork.conventions import apply_conventions
from groundwork.errors import ConfigError

import features.mail.program as mail
from features.organization.source import OrgSource
from features.program import read_stack
from org.inputs import OrgDataLoads
from tests.conftest import stack_config

DOMAIN = "aws.acme-corp.example"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
RULE_SET = "shop-dev-mail"
RULE = "shop-dev-mail-aws-acme-corp-example"
RULE_ARN = f"arn:aws:ses:{REGION}:{ACCOUNT}:receipt-rule-set/{RULE_SET}:receipt-rule/{RULE}"
BUCKET = f"shop-dev-mail-raw-{ACCOUNT}-{REGION}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"


@dataclass
class Account:
    name: str
    owner: str
    email: str = ""
    source: Path = field(default=Path("."))

    def __post_init__(self) -> None:
        self.email = f"{self.name}@{DOMAIN}"
        self.source = Path(f"org/accounts/{self.name}.yaml")


@dataclass
class Org:
    mail_domain: str = DOMAIN
    accounts: list[Account] = field(default_factory=lambda: [
        Account("shop-prod", "shop-team@acme-corp.example"),
        Account("data-lake", "alice@acme-corp.example,bob@partner.example"),
    ])


SETTINGS = {"zone": {"domainName": "acme-corp.example"}, "catchAll": "platform@acme-corp.example"}


def mail_program(settings: object, org: Org | None = None):
    def body() -> None:
        stack = read_stack(pulumi.Config("groundwork"))
        apply_conventions(stack.context)
        mail.FEATURE.build(stack, settings, OrgSource(OrgDataLoads(), data=org or Org()))

    return body


@pytest.fixture
def declared(run):
    return run(mail_program(SETTINGS))


def policy_of(resource) -> dict:
    return json.loads(resource.inputs["policy"])


def test_created_zone_gets_mx_verification_and_dkim_records(declared):
    zone = declared.one("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "acme-corp.example"
    zone_id = zone.outputs["zoneId"]
    records = {r.name: r.inputs for r in declared.of_type("aws:route53/record:Record")}
    assert records["mail-domain-mx"] == {**records["mail-domain-mx"], "zoneId": zone_id, "name": DOMAIN,
                                         "type": "MX", "records": [f"10 inbound-smtp.{REGION}.amazonaws.com"]}
    identity = declared.one("aws:ses/domainIdentity:DomainIdentity")
    assert identity.inputs["domain"] == DOMAIN
    verification = records["mail-domain-verification"]
    assert (verification["name"], verification["type"]) == (f"_amazonses.{DOMAIN}", "TXT")
    assert verification["records"] == [identity.outputs["verificationToken"]]
    tokens = declared.one("aws:ses/domainDkim:DomainDkim").outputs["dkimTokens"]
    dkim = [records[f"mail-domain-dkim-{i}"] for i in range(3)]
    assert [(r["name"], r["type"], r["records"]) for r in dkim] == [
        (f"{t}._domainkey.{DOMAIN}", "CNAME", [f"{t}.dkim.amazonses.com"]) for t in tokens]
    parameter = declared.one("aws:ssm/parameter:Parameter", "mail-domain-zone-id")
    assert parameter.inputs["name"] == f"/dev/shop/mail/{DOMAIN}/hostedzone/id"
    assert parameter.inputs["value"] == zone_id
    component = declared.one("groundwork:mail:MailDomain")
    assert all(declared.by_urn(r.parent) == component for r in declared.of_type("aws:route53/record:Record"))


def test_imported_zone_is_used_not_created(run):
    result = run(mail_program({"zone": {"zoneId": "Z0123456789ABCDEFGHIJ"}}))
    assert result.of_type("aws:route53/zone:Zone") == []
    assert {r.inputs["zoneId"] for r in result.of_type("aws:route53/record:Record")} == {"Z0123456789ABCDEFGHIJ"}
    assert not [p for p in result.of_type("aws:ssm/parameter:Parameter") if "hostedzone" in p.inputs["name"]]


@pytest.mark.parametrize(("zone", "message"), [
    ({"zoneId": "Z0123456789ABCDEFGHIJ", "domainName": DOMAIN}, "not both"),
    ({}, "give zoneId (use an existing hosted zone) or domainName"),
    ({"zoneId": "zone-1"}, "groundwork:mail.zone.zoneId = 'zone-1': must be a Route 53 hosted zone id"),
    ({"domainName": "other.example"}, "is not that domain or a subdomain"),
])
def test_zone_must_be_exactly_one_valid_choice(run, zone, message):
    with pytest.raises(ConfigError) as raised:
        run(mail_program({"zone": zone}))
    assert message in str(raised.value)
    assert "groundwork:mail" in str(raised.value)


def test_a_region_without_ses_receiving_is_refused_before_anything_is_declared(run):
    with pytest.raises(ConfigError) as raised:
        run(mail_program(SETTINGS), config=stack_config(**{"aws:region": "ap-east-1"}))
    message = str(raised.value)
    assert "aws:region = 'ap-east-1': SES does not receive email in this region" in message
    assert "eu-west-1" in message


@pytest.mark.parametrize(("settings", "org", "message"), [
    ({**SETTINGS, "catchAll": f"postmaster@{DOMAIN}"}, None, "catchAll = 'postmaster@aws.acme-corp.example' is on the mail domain"),
    (SETTINGS, Org(accounts=[Account("shop-prod", "shop team")]), "org/accounts/shop-prod.yaml: owner = 'shop team': not an email address"),
    (SETTINGS, Org(accounts=[Account("shop-prod", f"data-lake@{DOMAIN}")]), "would be forwarded back to SES in a loop"),
    ({**SETTINGS, "sender": "noreply@acme-corp.example"}, None, "sender = 'noreply@acme-corp.example': must be an address on"),
    ({**SETTINGS, "mailExchange": "mail.acme-corp.example"}, None, "so the MX record must be on aws.acme-corp.example"),
    ({**SETTINGS, "retentionDays": 0}, None, "groundwork:mail.retentionDays = 0"),
    ({**SETTINGS, "colour": "blue"}, None, "groundwork:mail.colour is not a known setting"),
])
def test_mistakes_are_refused_with_a_clear_message(run, settings, org, message):
    with pytest.raises(ConfigError) as raised:
        run(mail_program(settings, org))
    assert message in str(raised.value)


def test_raw_mail_bucket_is_private_encrypted_and_expires(declared):
    bucket = declared.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == BUCKET
    block = declared.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    encryption = declared.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    ownership = declared.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    rules = {r["id"]: r for r in declared.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]}
    assert rules["expire-raw-mail"]["filter"] == {"prefix": "inbound/"}
    assert rules["expire-raw-mail"]["expiration"] == {"days": 90}
    assert rules["expire-forwarding-markers"]["expiration"] == {"days": 90}


def test_retention_is_configurable(run):
    result = run(mail_program({**SETTINGS, "retentionDays": 30}))
    rules = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rules[0]["expiration"] == {"days": 30}


def test_only_our_receipt_rule_may_write_to_the_bucket(declared):
    statements = {s["Sid"]: s for s in policy_of(declared.one("aws:s3/bucketPolicy:BucketPolicy"))["Statement"]}
    assert statements["AllowSESPutsFromOurReceiptRules"] == {
        "Sid": "AllowSESPutsFromOurReceiptRules", "Effect": "Allow",
        "Principal": {"Service": "ses.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": f"{BUCKET_ARN}/inbound/*",
        "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT, "AWS:SourceArn": [RULE_ARN]}},
    }
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [BUCKET_ARN, f"{BUCKET_ARN}/*"]


def test_receipt_rule_stores_then_invokes_and_is_made_active(declared):
    rule_set = declared.one("aws:ses/receiptRuleSet:ReceiptRuleSet")
    assert rule_set.inputs["ruleSetName"] == RULE_SET
    rule = declared.one("aws:ses/receiptRule:ReceiptRule")
    function = declared.one("aws:lambda/function:Function")
    assert rule.inputs["name"] == RULE
    assert rule.inputs["ruleSetName"] == RULE_SET
    assert rule.inputs["recipients"] == [DOMAIN]
    assert rule.inputs["tlsPolicy"] == "Require"
    assert rule.inputs["scanEnabled"] is True and rule.inputs["enabled"] is True
    assert rule.inputs["s3Actions"] == [{"bucketName": BUCKET, "objectKeyPrefix": "inbound/", "position": 1}]
    assert rule.inputs["lambdaActions"] == [{"functionArn": function.outputs["arn"], "invocationType": "Event",
                                             "position": 2}]
    policy = declared.one("aws:s3/bucketPolicy:BucketPolicy")
    permission = declared.one("aws:lambda/permission:Permission")
    assert {policy.urn, permission.urn} <= set(rule.dependencies)
    active = declared.one("aws:ses/activeReceiptRuleSet:ActiveReceiptRuleSet")
    assert active.inputs["ruleSetName"] == RULE_SET
    assert rule.urn in active.dependencies


def test_ses_may_invoke_the_forwarder_only_for_our_rule(declared):
    permission = declared.one("aws:lambda/permission:Permission").inputs
    assert permission["principal"] == "ses.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["sourceAccount"] == ACCOUNT
    assert permission["sourceArn"] == RULE_ARN
    assert permission["function"] == "shop-dev-mail-forwarder"


def test_forwarder_function_runtime_package_and_environment(declared):
    function = declared.one("aws:lambda/function:Function")
    inputs = function.inputs
    assert inputs["runtime"] == "python3.12"
    assert inputs["handler"] == "handler.handler"
    assert inputs["memorySize"] == 1024 and inputs["timeout"] == 120
    env = inputs["environment"]["variables"]
    routes = declared.one("aws:s3/bucketObjectv2:BucketObjectv2", "mail-routes")
    assert env == {**env, "MAIL_BUCKET": BUCKET, "MAIL_PREFIX": "inbound/", "MARKER_PREFIX": "forwarded/",
                   "SENDER_ADDRESS": f"forwarder@{DOMAIN}", "ROUTES_BUCKET": BUCKET,
                   "ROUTES_KEY": "config/mail-routes.json", "ROUTES_TTL_SECONDS": "300",
                   "SUBJECT_PREFIX": "", "ALLOWED_SENDER_DOMAINS": "", "METRICS_NAMESPACE": "Groundwork/Mail",
                   "LOOP_SECRET_ARN": declared.one("aws:secretsmanager/secret:Secret").outputs["arn"]}
    assert json.loads(env["VERDICT_ACTIONS"]) == {"virus": "drop", "spam": "tag", "spf": "tag", "dkim": "tag",
                                                  "dmarc": "tag"}
    assert "ROUTES_PARAMETER" not in env and "DROP_SPAM" not in env
    assert json.loads(routes.inputs["content"]) == {
        "domain": DOMAIN, "catchAll": "platform@acme-corp.example",
        "routes": {f"data-lake@{DOMAIN}": ["alice@acme-corp.example", "bob@partner.example"],
                   f"shop-prod@{DOMAIN}": ["shop-team@acme-corp.example"]}}
    assert routes.urn in function.dependencies  # the table is written before the function reads it
    log_group = declared.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert log_group["name"] == "/aws/lambda/shop-dev-mail-forwarder" and log_group["retentionInDays"] == 30
    assert inputs["loggingConfig"]["logGroup"] == log_group["name"]
    code = inputs["code"]
    assert isinstance(code, pulumi.AssetArchive)
    assert set(code.assets) == {"handler.py", "headers.py", "loops.py", "markers.py", "metrics.py"}
    assert Path(code.assets["handler.py"].path).read_text().startswith('"""SES inbound mail forwarder')


def test_routing_table_is_an_encrypted_json_object_outside_the_ses_and_marker_prefixes(declared):
    routes = declared.one("aws:s3/bucketObjectv2:BucketObjectv2", "mail-routes")
    bucket = declared.one("aws:s3/bucket:Bucket")
    assert routes.inputs["bucket"] == bucket.outputs["id"]
    assert routes.inputs["key"] == "config/mail-routes.json"
    assert routes.inputs["contentType"] == "application/json"
    assert routes.inputs["serverSideEncryption"] == "AES256"
    assert "," in routes.inputs["content"] and ", " not in routes.inputs["content"]  # compact JSON
    rule = declared.one("aws:ses/receiptRule:ReceiptRule").inputs
    ses_prefix = rule["s3Actions"][0]["objectKeyPrefix"]
    assert not routes.inputs["key"].startswith(ses_prefix)  # SES can never overwrite the table
    lifecycle = declared.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs
    expiring = [r["filter"]["prefix"] for r in lifecycle["rules"] if "expiration" in r]
    assert not any(routes.inputs["key"].startswith(prefix) for prefix in expiring)
    assert declared.of_type("aws:ssm/parameter:Parameter") == [
        declared.one("aws:ssm/parameter:Parameter", "mail-domain-zone-id")]


def test_thousands_of_accounts_fit_in_the_routing_table(run):
    accounts = [Account(f"team-{i:04d}-prod", f"owner-{i:04d}@acme-corp.example, deputy-{i:04d}@acme-corp.example")
                for i in range(2000)]
    result = run(mail_program(SETTINGS, Org(accounts=accounts)))
    routes = json.loads(result.one("aws:s3/bucketObjectv2:BucketObjectv2", "mail-routes").inputs["content"])
    assert len(routes["routes"]) == 2000
    assert routes["routes"][f"team-1999-prod@{DOMAIN}"] == ["owner-1999@acme-corp.example",
                                                            "deputy-1999@acme-corp.example"]


def test_an_absurdly_large_routing_table_is_refused(run, monkeypatch):
    from features.mail import program as mail_module
    monkeypatch.setattr(mail_module, "ROUTES_MAX_BYTES", 100)
    with pytest.raises(ConfigError, match="the routing table is .* bytes, more than the 100"):
        run(mail_program(SETTINGS))


def test_failed_deliveries_go_to_an_encrypted_queue_with_an_alarm(declared):
    queue = declared.one("aws:sqs/queue:Queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True
    config = declared.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
    assert config["destinationConfig"] == {"onFailure": {"destination": queue.outputs["arn"]}}
    assert config["maximumRetryAttempts"] == 2
    alarms = {a.name: a.inputs for a in declared.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    failures = alarms["mail-failures-alarm"]
    assert (failures["namespace"], failures["metricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert failures["dimensions"] == {"QueueName": queue.outputs["name"]}
    assert failures["threshold"] == 0 and failures["comparisonOperator"] == "GreaterThanThreshold"
    errors = alarms["mail-errors-alarm"]
    assert errors["dimensions"] == {"FunctionName": "shop-dev-mail-forwarder"}


def test_forwarder_role_is_least_privilege(declared):
    log_group = declared.one("aws:cloudwatch/logGroup:LogGroup")
    queue = declared.one("aws:sqs/queue:Queue")
    statements = {s["Sid"]: s for s in policy_of(declared.one("aws:iam/rolePolicy:RolePolicy"))["Statement"]}
    assert statements == {
        "ReadStoredMail": {"Sid": "ReadStoredMail", "Effect": "Allow", "Action": "s3:GetObject",
                           "Resource": f"{BUCKET_ARN}/inbound/*"},
        "KeepForwardingMarkers": {"Sid": "KeepForwardingMarkers", "Effect": "Allow",
                                  "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                                  "Resource": f"{BUCKET_ARN}/forwarded/*"},
        "TellMissingFromForbidden": {"Sid": "TellMissingFromForbidden", "Effect": "Allow",
                                     "Action": "s3:ListBucket", "Resource": BUCKET_ARN},
        "SendAsOurDomain": {"Sid": "SendAsOurDomain", "Effect": "Allow", "Action": "ses:SendEmail",
                            "Resource": [f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{DOMAIN}"]},
        "ReadRoutingTable": {"Sid": "ReadRoutingTable", "Effect": "Allow", "Action": "s3:GetObject",
                             "Resource": f"{BUCKET_ARN}/config/mail-routes.json"},
        "ReadLoopKey": {"Sid": "ReadLoopKey", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                        "Resource": declared.one("aws:secretsmanager/secret:Secret").outputs["arn"]},
        "PublishMetrics": {"Sid": "PublishMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
                           "Resource": "*",
                           "Condition": {"StringEquals": {"cloudwatch:namespace": "Groundwork/Mail"}}},
        "ReportFailures": {"Sid": "ReportFailures", "Effect": "Allow", "Action": "sqs:SendMessage",
                           "Resource": queue.outputs["arn"]},
        "WriteLogs": {"Sid": "WriteLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                      "Resource": f"{log_group.outputs['arn']}:*"},
    }
    trust = json.loads(declared.one("aws:iam/role:Role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_every_resource_belongs_to_a_mail_component_and_is_tagged(declared):
    components = {r.urn for r in declared.resources if r.type.startswith("groundwork:mail:")}
    assert len(components) == 2
    for resource in declared.resources:
        if resource.custom:
            assert resource.parent in components, resource.name
    bucket = declared.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["tags"]["context"] == "shop"


def test_the_org_stack_routes_every_vended_account_to_its_owner(run):
    from features.program import build
    from org.loader import load_org

    org = load_org(Path("org"))
    config = stack_config(context="platform", stage="prod", org={"path": "org"},
                          mail={"zone": {"domainName": org.mail_domain}, "catchAll": "ops@acme-corp.example"})
    result = run(build, config=config)

    routes = json.loads(result.one("aws:s3/bucketObjectv2:BucketObjectv2", "mail-routes").inputs["content"])
    assert routes["domain"] == org.mail_domain
    assert routes["routes"] == {a.email: [a.owner.lower()] for a in org.accounts}
    assert result.one("aws:ses/receiptRule:ReceiptRule").inputs["recipients"] == [org.mail_domain]
    assert result.stack_outputs["mail"]["mailboxes"] == routes["routes"]


def test_long_contexts_still_give_valid_bucket_and_rule_names(run):
    context = "a" + "b" * 30 + "c"  # the longest context the stack config allows
    result = run(mail_program(SETTINGS), config=stack_config(context=context, stage="staging"))
    bucket = result.one("aws:s3/bucket:Bucket").inputs["bucket"]
    assert len(bucket) <= 63 and bucket[-1].isalnum() and bucket.startswith(f"{context}-staging-mail-raw-")
    assert len(result.one("aws:ses/receiptRule:ReceiptRule").inputs["name"]) <= 64
    assert len(result.one("aws:lambda/function:Function").inputs["name"]) <= 64


def test_the_loop_key_is_a_generated_secret_kept_across_deploys_and_never_in_config(declared):
    secret = declared.one("aws:secretsmanager/secret:Secret")
    version = declared.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretId"] == secret.outputs["id"]
    key = version.inputs["secretString"]
    assert len(key) >= 64
    assert version.ignore_changes == ["secretString"]  # generated once, not on every deploy
    function = declared.one("aws:lambda/function:Function")
    assert function.inputs["environment"]["variables"]["LOOP_SECRET_ARN"] == secret.outputs["arn"]
    everywhere = json.dumps([r.inputs for r in declared.resources if r is not version] + [declared.stack_outputs],
                            default=repr)
    assert key not in everywhere
    assert version.urn in function.dependencies


def test_dropped_loops_unknown_outcomes_and_refusals_are_alarmed(declared):
    alarms = {a.name: a.inputs for a in declared.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    expected = {"mail-loop-alarm": ("Dropped", {"Reason": "loop"}),
                "mail-unknown-outcome-alarm": ("OutcomeUnknown", None),
                "mail-refused-alarm": ("NoticeSent", {"Reason": "refused"})}
    for name, (metric, dimensions) in expected.items():
        alarm = alarms[name]
        assert (alarm["namespace"], alarm["metricName"]) == ("Groundwork/Mail", metric)
        assert alarm.get("dimensions") == dimensions
        assert alarm["threshold"] == 0 and alarm["comparisonOperator"] == "GreaterThanThreshold"


def test_verdicts_prefix_sender_domains_and_routing_rules_reach_the_forwarder(run):
    settings = {**SETTINGS, "verdicts": {"spam": "drop", "dmarc": "forward"}, "subjectPrefix": "[aws]",
                "allowedSenderDomains": ["Amazon.com", "amazonaws.com."],
                "routes": {"postmaster": "mail-admins@acme-corp.example", f"@{DOMAIN}": ["a@acme-corp.example"]}}
    result = run(mail_program(settings))
    env = result.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert json.loads(env["VERDICT_ACTIONS"]) == {"virus": "drop", "spam": "drop", "spf": "tag", "dkim": "tag",
                                                  "dmarc": "forward"}
    assert env["SUBJECT_PREFIX"] == "[aws]" and env["ALLOWED_SENDER_DOMAINS"] == "amazon.com,amazonaws.com"
    routes = json.loads(result.one("aws:s3/bucketObjectv2:BucketObjectv2", "mail-routes").inputs["content"])
    assert routes["rules"] == {f"@{DOMAIN}": ["a@acme-corp.example"], "postmaster": ["mail-admins@acme-corp.example"]}


def test_drop_spam_is_kept_as_a_shorthand(run):
    env = run(mail_program({**SETTINGS, "dropSpam": True})).one(
        "aws:lambda/function:Function").inputs["environment"]["variables"]
    assert json.loads(env["VERDICT_ACTIONS"])["spam"] == "drop"


@pytest.mark.parametrize(("extra", "message"), [
    ({"verdicts": {"virus": "ignore"}}, "groundwork:mail.verdicts.virus = 'ignore'"),
    ({"verdicts": {"phishing": "drop"}}, "groundwork:mail.verdicts.phishing is not a known setting"),
    ({"dropSpam": True, "verdicts": {"spam": "tag"}}, "dropSpam: true contradicts verdicts.spam = 'tag'"),
    ({"subjectPrefix": "[aws]\r\nBcc: x@example.org"}, "groundwork:mail.subjectPrefix"),
    ({"allowedSenderDomains": ["amazon"]}, "not DNS domain names"),
    ({"routes": {"@other.example": "a@acme-corp.example"}}, "groundwork:mail.routes.@other.example: '@domain' rules"),
    ({"routes": {"billing+x": "a@acme-corp.example"}}, "groundwork:mail.routes.billing+x: not a local part"),
    ({"routes": {"postmaster": f"ops@{DOMAIN}"}}, "forwarded back to SES in a loop"),
    ({"routes": {"postmaster": "not an address"}}, "groundwork:mail.routes.postmaster = 'not an address': must be"),
])
def test_bad_forwarding_options_are_refused_with_the_key_and_value(run, extra, message):
    with pytest.raises(ConfigError) as raised:
        run(mail_program({**SETTINGS, **extra}))
    assert message in str(raised.value)


def test_the_lambda_package_imports_as_lambda_loads_it(tmp_path):
    """Lambda imports ``handler`` as a top-level module from the archive root (no package)."""
    import subprocess
    import sys

    from features.mail.receiving import forwarder_archive

    for name, asset in forwarder_archive().assets.items():
        (tmp_path / name).write_text(Path(asset.path).read_text())
    check = "import handler; assert handler.headers.__name__ == 'headers'; print(handler.MAX_RAW_BYTES)"
    output = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "", "PYTHONPATH": ""}, check=True).stdout
    assert output.strip() == "29250000"
