"""The corpus over the analyzer protocol: each violation is reported by its policy only, and
compliant stacks produce no diagnostics at all."""

from __future__ import annotations

import pytest

from tests.policies.corpus import compliant, violations


def _explain(diagnostics) -> str:
    return "\n".join(f"{d.policy_name} [{d.enforcement_level}] {d.urn}: {d.message}" for d in diagnostics)


# Policies whose findings need more than a stack of resources; their own tests make them report.
REPORTED_ELSEWHERE = {
    "aws-rules-advice": "test_aws_rules.py", "aws-rules-stack": "test_aws_rules.py",
    "codebuild-buildspec": "test_bootstrap_rules.py", "stackset-account-global-one-region": "test_bootstrap_rules.py",
    "stackset-deploy-role-boundary": "test_bootstrap_rules.py", "tags-from-stack": "test_remediation.py",
    "waived-findings": "test_waivers.py", "waived-stack-findings": "test_waivers.py",
}


def test_every_policy_of_the_pack_has_a_violation_case(packs):
    """Each policy the pack declares is expected by at least one violation case, so a policy that
    stops reporting fails the case below; case ids are unique (a duplicate would hide a case)."""
    from tests.policies.corpus.builders import DEV

    declared = {policy.name for policy in packs.get(DEV).info().policies}
    expected = set().union(*(case.expect for case in violations.CASES))
    assert declared - expected == set(REPORTED_ELSEWHERE)
    assert expected <= declared  # no case expects a policy that does not exist
    ids = [c.id for c in violations.CASES + compliant.CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", violations.CASES, ids=lambda c: c.id)
def test_violation_is_reported_by_its_policy_only(run_case, case):
    diagnostics = run_case(case)
    assert {d.policy_name for d in diagnostics} == case.expect, _explain(diagnostics)
    if case.contains:
        assert any(case.contains in d.message for d in diagnostics), _explain(diagnostics)


@pytest.mark.parametrize("case", compliant.CASES, ids=lambda c: c.id)
def test_compliant_stack_has_no_diagnostics(run_case, case):
    diagnostics = run_case(case)
    assert diagnostics == [], _explain(diagnostics)
