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
CASES = json.loads(DATA.read_text())["cases"]
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
    for operator in ("prefix", "suffix", "anything-but", "numeric", "exists", "cidr", "$or"):
        assert f'"{operator}"' in text, operator
    assert all(case["source"].get("repository") and case["source"].get("path") for case in CASES)
    for operator, required in REQUIRED_OUTCOMES.items():
        shown = {(case["scope"], case["expected"]) for case in CASES
                 if f'"{operator}":' in json.dumps(case["policy"])}
        assert required <= shown, (operator, sorted(required - shown))


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
