"""The policy assembler refuses anything broader than least privilege."""

from __future__ import annotations

import re

import pytest
from groundwork.pipes.policy import PolicyError, Statement, check_statements


@pytest.mark.parametrize(("statement", "expected"), [
    (Statement("A", ("sqs:*",), ("arn:aws:sqs:eu-west-1:123456789012:q",)), "is not one exact action"),
    (Statement("A", ("*",), ("arn:aws:sqs:eu-west-1:123456789012:q",)), "is not one exact action"),
    (Statement("A", ("sqs:SendMessage",), ("*",)), "uses Resource '*' without saying why"),
    (Statement("A", (), ("arn:aws:sqs:eu-west-1:123456789012:q",)), "has no actions"),
    (Statement("A", ("sqs:SendMessage",), ()), "has no resources"),
])
def test_broad_statements_are_refused(statement, expected):
    with pytest.raises(PolicyError, match=re.escape(expected)):
        check_statements([statement])


def test_explained_wildcard_and_unique_ids():
    check_statements([Statement("D", ("ec2:DescribeVpcs",), ("*",), wildcard_reason="no resource-level permissions")])
    twice = Statement("A", ("sqs:SendMessage",), ("arn:aws:sqs:eu-west-1:123456789012:q",))
    with pytest.raises(PolicyError, match="duplicate statement id 'A'"):
        check_statements([twice, twice])
