"""SQS queue attribute ranges, read from botocore's own SQS model.

The model types every queue attribute as a string in a map, so the ranges are not constraints a
validator sees: they are stated in the ``Attributes`` documentation of ``SetQueueAttributes``
("Valid values: An integer from 0 to 900", "between 60 seconds ... and 86,400 seconds"). They are
parsed from that text of the pinned botocore (so the 1 MiB maximum message size of 2025 is there),
and a wording botocore changes makes :func:`attribute_ranges` raise: the pack then says the rule
could not be evaluated instead of passing silently.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from groundwork_policies.awsrules import api
from groundwork_policies.awsrules.findings import Rule
from groundwork_policies.framework import Resource

QUEUE = "aws:sqs/queue:Queue"
# pulumi-aws input -> SQS attribute name
INPUTS = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
}
_NUMBER = r"(\d[\d,]*)"
_RANGE = re.compile(rf"(?:from|between)\s+{_NUMBER}\b.*?\b(?:to|and)\s+{_NUMBER}\b", re.S)


@functools.cache
def attribute_ranges() -> dict[str, tuple[int, int]]:
    """SQS attribute -> (minimum, maximum), as the SetQueueAttributes documentation states them."""
    shape = api.operation_shape("sqs", "SetQueueAttributes")
    text = " ".join(re.sub(r"<[^>]+>", " ", shape.members["Attributes"].documentation).split())
    ranges = {}
    for attribute in INPUTS.values():
        start = text.find(f"{attribute} – ")
        if start < 0:
            raise ValueError(f"botocore's SQS model no longer documents {attribute}")
        section = text[start:start + 400]
        found = _RANGE.search(section)
        if found is None:
            raise ValueError(f"botocore's SQS model states no range for {attribute}: {section[:120]!r}")
        ranges[attribute] = (int(found.group(1).replace(",", "")), int(found.group(2).replace(",", "")))
    return ranges


def queue_attributes(resource: Resource) -> Iterator[Rule]:
    if resource.type != QUEUE:
        return
    ranges = attribute_ranges()
    for field, attribute in INPUTS.items():
        value: Any = resource.props.get(field)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue  # unknown during a preview, or not set (SQS's default)
        value = int(value) if float(value).is_integer() else value  # the wire carries numbers as doubles
        low, high = ranges[attribute]
        if not isinstance(value, int) or not low <= value <= high:
            yield Rule(field, value, f"SQS takes {attribute} as an integer from {low:,} to {high:,} "
                                     "(SetQueueAttributes, botocore's SQS model)", "aws-sqs-attribute-range")
