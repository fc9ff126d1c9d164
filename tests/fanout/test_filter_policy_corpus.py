"""Every AWS-recorded or AWS-documented SNS filter-policy case: valid or invalid, match or no match.

The cases and the source of each (repository, path, test or section) are in
``data/sns_filter_policy_cases.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from groundwork.fanout.filter_policy import FilterPolicyError, check_filter_policy, matches

DATA = Path(__file__).parent / "data" / "sns_filter_policy_cases.json"
ALL_CASES = json.loads(DATA.read_text())["cases"]
# Earlier AWS answers that newer AWS documentation replaces: kept for their history, not run.
SUPERSEDED = [case for case in ALL_CASES if case.get("supersededBy")]
CASES = [case for case in ALL_CASES if not case.get("supersededBy")]
# The outcomes AWS's own cases must show for these operators, per scope. The current "String value
# matching" page shows equals-ignore-case only matching (no message it rejects), and no AWS-recorded
# equals-ignore-case case is known yet: require its "no match" with the first AWS source for one.
REQUIRED_OUTCOMES = {
    "suffix": {(scope, outcome) for scope in ("MessageAttributes", "MessageBody")
               for outcome in ("match", "no match")},
    "equals-ignore-case": {("MessageAttributes", "match"), ("MessageBody", "match")},
}


def test_the_corpus_covers_every_operator_both_scopes_and_every_outcome():
    outcomes = Counter((case["scope"], case["expected"]) for case in CASES)
    for scope in ("MessageAttributes", "MessageBody"):
        for expected in ("match", "no match", "invalid"):
            assert outcomes[(scope, expected)] >= 3, (scope, expected)
    text = json.dumps([case["policy"] for case in CASES])
    for operator in ("prefix", "suffix", "anything-but", "numeric", "exists", "cidr", "wildcard", "$or"):
        assert f'"{operator}"' in text, operator
    assert all(case["source"].get("repository") and case["source"].get("path") for case in CASES)
    for operator, required in REQUIRED_OUTCOMES.items():
        shown = {(case["scope"], case["expected"]) for case in CASES
                 if f'"{operator}":' in json.dumps(case["policy"])}
        assert required <= shown, (operator, sorted(required - shown))


def test_a_superseded_case_names_the_newer_aws_cases_that_replace_it_and_they_disagree():
    ids = {case["id"]: case for case in CASES}
    assert [case["id"] for case in SUPERSEDED] == [
        "localstack/test_validate_policy_nested_anything_but_operator/error-condition-anything-but-suffix"]
    for case in SUPERSEDED:
        newer = [ids[i] for i in case["supersededBy"]]
        assert newer and case["supersededWhy"]
        assert all(n["source"]["repository"] == "docs.aws.amazon.com" for n in newer)
        assert all(n["expected"] != "invalid" for n in newer) and case["expected"] == "invalid"
        check_filter_policy(case["policy"], case["scope"])  # what SNS now documents is accepted


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_recorded_case(case):
    policy, scope, expected = case["policy"], case["scope"], case["expected"]
    if expected == "invalid":
        with pytest.raises(FilterPolicyError) as error:
            check_filter_policy(policy, scope)
        assert error.value.path and error.value.reason
        return
    check_filter_policy(policy, scope)
    if expected != "valid":
        assert matches(policy, case["message"], scope) is (expected == "match")
