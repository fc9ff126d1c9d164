"""EPHEMERAL per-resource facts are resource policies: the engine asks ``Analyze`` before it
creates a resource, so ``pulumi up`` stops before an undeletable resource exists. Only the
teardown schedule and the TTL are stack policies (``AnalyzeStack`` runs after the resources)."""

from __future__ import annotations

import pytest

from tests.policies.corpus.builders import EPH, bucket_group, queue, res, table, tags, teardown

PER_RESOURCE = {
    "protect": (res("aws:sqs/queue:Queue", "q", queue(EPH).inputs, protect=True), "ephemeral-deletable",
                "'q' is protected"),
    "deletion-protection": (table(EPH, deletionProtectionEnabled=True), "ephemeral-deletable",
                            "deletionProtectionEnabled=True"),
    "force-destroy": (next(r for r in bucket_group(EPH, forceDestroy=False) if r.type == "aws:s3/bucket:Bucket"),
                      "ephemeral-deletable", "has no forceDestroy"),
    "missing-expires-at": (queue(EPH, tags=tags(EPH, expires_at=None)), "ephemeral-expires-at",
                           "has no expires-at tag"),
    "late-expires-at": (queue(EPH, tags=tags(EPH, expires_at="2099-01-01T00:00:00Z")), "ephemeral-expires-at",
                        "later than now + 336h"),
}


def test_the_per_resource_policies_are_resource_policies(packs):
    info = packs.get(EPH).info()
    assert info.policy("ephemeral-deletable").policy_type == "resource"
    assert info.policy("ephemeral-expires-at").policy_type == "resource"
    assert info.policy("ephemeral-teardown").policy_type == "stack"


@pytest.mark.parametrize("case", sorted(PER_RESOURCE))
def test_analyze_refuses_the_resource_before_it_is_created(packs, case):
    resource, policy, fragment = PER_RESOURCE[case]
    pack = packs.get(EPH)
    pack.configure()
    pack.configure_stack()
    found = [d for d in pack.analyze(resource) if d.mandatory]
    assert [d.policy_name for d in found] == [policy], found
    assert fragment in found[0].message
    # ... and the stack check does not report it a second time.
    stack_found = pack.analyze_stack([*teardown(), resource])
    assert not [d for d in stack_found if d.policy_name == policy], stack_found


def test_the_stack_policy_keeps_the_teardown_schedule(packs):
    pack = packs.get(EPH)
    pack.configure()
    pack.configure_stack()
    found = pack.analyze_stack([queue(EPH)])
    assert [d.policy_name for d in found] == ["ephemeral-teardown"]
    assert "none found" in found[0].message
