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
