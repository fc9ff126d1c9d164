"""Waivers: by tag, policy config or stack config; reason and expiry required; waived findings
stay visible as advisory."""

from __future__ import annotations

from tests.policies.corpus.builders import EPH, PROD, Case, bucket_group, queue, res, tags, teardown, topic

FUTURE, PAST = "2099-12-31", "2020-01-01"


def _names(diagnostics):
    return sorted((d.policy_name, d.enforcement_level) for d in diagnostics)


def test_tag_waiver_moves_the_finding_to_advisory(run_case):
    waived = queue(sqsManagedSseEnabled=False, tags=tags(**{
        "groundwork:waiver:queue-topic-encryption": f"consumer cannot use KMS yet expires={FUTURE}"}))
    found = run_case(Case("w", [waived]))
    assert _names(found) == [("waived-findings", "advisory")]
    assert "waived: queue-topic-encryption: queue is not encrypted" in found[0].message
    assert f"consumer cannot use KMS yet (until {FUTURE}" in found[0].message


def test_semicolon_form_is_accepted(run_case):
    waived = queue(sqsManagedSseEnabled=False, tags=tags(**{
        "groundwork:waiver:queue-topic-encryption": f"legacy;expires={FUTURE}"}))
    assert _names(run_case(Case("w", [waived]))) == [("waived-findings", "advisory")]


def test_expired_waiver_no_longer_applies(run_case):
    expired = queue(sqsManagedSseEnabled=False, tags=tags(**{
        "groundwork:waiver:queue-topic-encryption": f"legacy expires={PAST}"}))
    found = run_case(Case("w", [expired]))
    assert _names(found) == [("queue-topic-encryption", "mandatory")]
    assert f"expired on {PAST}" in found[0].message


def test_waiver_without_reason_or_date_is_ignored(run_case):
    for value, problem in ((f"expires={FUTURE}", "no reason given"), ("because", "no expiry date"),
                           ("because expires=soon", "not a YYYY-MM-DD date")):
        bad = topic(kmsMasterKeyId=None, tags=tags(**{"groundwork:waiver:queue-topic-encryption": value}))
        found = run_case(Case("w", [bad]))
        assert _names(found) == [("queue-topic-encryption", "mandatory")], value
        assert problem in found[0].message


def test_waiver_for_another_policy_does_not_apply(run_case):
    other = queue(sqsManagedSseEnabled=False, tags=tags(**{
        "groundwork:waiver:resource-naming": f"old name expires={FUTURE}"}))
    assert _names(run_case(Case("w", [other]))) == [("queue-topic-encryption", "mandatory")]


def test_policy_config_waiver_by_name(run_case):
    case = Case("w", [queue(sqsManagedSseEnabled=False)], policy_config={"queue-topic-encryption": {
        "waivers": [{"name": "orders", "reason": "migration JIRA-1", "expires": FUTURE}]}})
    found = run_case(case)
    assert _names(found) == [("waived-findings", "advisory")]
    assert "policy config of queue-topic-encryption" in found[0].message


def test_policy_config_waiver_by_type_expired(run_case):
    case = Case("w", [queue(sqsManagedSseEnabled=False)], policy_config={"queue-topic-encryption": {
        "waivers": [{"type": "aws:sqs/queue:Queue", "reason": "old", "expires": PAST}]}})
    assert _names(run_case(case)) == [("queue-topic-encryption", "mandatory")]


def test_stack_config_waiver(run_case):
    # PROD's stack config carries groundwork:policyWaivers for the resource named legacy-queue.
    legacy = queue(PROD, label="legacy-queue", sqsManagedSseEnabled=False)
    other = queue(PROD, label="other-queue", sqsManagedSseEnabled=False)
    found = run_case(Case("w", [legacy, other], env=PROD))
    assert _names(found) == [("queue-topic-encryption", "mandatory"), ("waived-findings", "advisory")]
    assert "stack config groundwork:policyWaivers" in next(d for d in found if d.policy_name == "waived-findings").message


def test_check_specific_waiver_on_a_stack_policy(run_case):
    group = bucket_group(pab={"blockPublicPolicy": False}, policy=None)
    group[0].inputs["tags"]["groundwork:waiver:s3-bucket-baseline/public-access-block"] = (
        f"public website bucket expires={FUTURE}")
    found = run_case(Case("w", group))
    assert _names(found) == [("s3-bucket-baseline", "mandatory"), ("waived-stack-findings", "advisory")]
    assert "[tls-only]" in next(d for d in found if d.policy_name == "s3-bucket-baseline").message
    waived = next(d for d in found if d.policy_name == "waived-stack-findings")
    assert "[public-access-block]" in waived.message and waived.urn == group[0].urn


def test_waiver_on_ephemeral_deletable(run_case):
    protected = res("aws:dynamodb/table:Table", "t", {"name": "shop-sandbox-t", "deletionProtectionEnabled": True,
                                                      "tags": tags(EPH, **{
                                                          "groundwork:waiver:ephemeral-deletable":
                                                              f"shared fixture table expires={FUTURE}"})})
    found = run_case(Case("w", [*teardown(), protected], env=EPH))
    assert _names(found) == [("waived-findings", "advisory")]
