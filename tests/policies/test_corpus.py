"""The corpus over the analyzer protocol: each violation is reported by its policy only, and
compliant stacks produce no diagnostics at all."""

from __future__ import annotations

import pytest

from tests.policies.corpus import compliant, violations


def _explain(diagnostics) -> str:
    return "\n".join(f"{d.policy_name} [{d.enforcement_level}] {d.urn}: {d.message}" for d in diagnostics)


def test_corpus_is_big_enough():
    assert len(violations.CASES) >= 60
    assert len(compliant.CASES) >= 60
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
