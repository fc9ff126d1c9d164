"""Typed config values shared by the features' settings models (ARNs and ids AWS would reject)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator


def _matching(pattern: str, what: str):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"must be {what}")
        return value

    return AfterValidator(check)


SnsTopicArn = Annotated[str, _matching(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$",
                                       "an SNS topic ARN")]
"""An SNS topic ARN (standard or FIFO), e.g. where alarms notify."""


SHORT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")


def check_name(value: str) -> str:
    """Names of buses, rules, topics and subscribers become part of physical names
    (``{context}-{stage}-<name>-...``): keep them short and DNS-like."""
    if not SHORT_NAME.match(value):
        raise ValueError("names are 1-30 lower-case letters, digits or '-', starting with a letter")
    return value
