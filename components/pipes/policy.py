"""IAM for a pipe: statements each stage contributes, the role policy built from them, the trust policy.

Every stage (source, enrichment, target, dead-letter queue, log destination) knows the exact
actions it needs; this module only assembles them and refuses anything broader than that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

PIPES_PRINCIPAL = "pipes.amazonaws.com"


@dataclass(frozen=True)
class AwsScope:
    """Partition, region and account the pipe lives in (Outputs of the provider's data sources)."""

    partition: pulumi.Input[str]
    region: pulumi.Input[str]
    account: pulumi.Input[str]

    def arn(self, service: str, resource: str) -> pulumi.Output[str]:
        """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        return pulumi.Output.concat(
            "arn:", self.partition, ":", service, ":", self.region, ":", self.account, ":", resource
        )


@dataclass(frozen=True)
class Statement:
    """One Allow statement. ``wildcard_reason`` is required when AWS offers no narrower resource."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...]
    condition: dict[str, Any] | None = None
    wildcard_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "Sid": self.sid,
            "Effect": "Allow",
            "Action": sorted(self.actions),
            "Resource": list(self.resources) if len(self.resources) != 1 else self.resources[0],
        }
        if self.condition:
            statement["Condition"] = self.condition
        return statement


class PolicyError(ValueError):
    """A statement asks for more than least privilege allows (a bug in a stage definition)."""


def check_statements(statements: list[Statement]) -> None:
    """Refuse wildcard actions, unexplained ``*`` resources and duplicate statement ids."""
    seen: set[str] = set()
    for statement in statements:
        if statement.sid in seen:
            raise PolicyError(f"duplicate statement id {statement.sid!r}")
        seen.add(statement.sid)
        if not statement.actions:
            raise PolicyError(f"statement {statement.sid!r} has no actions")
        for action in statement.actions:
            if "*" in action or ":" not in action:
                raise PolicyError(f"statement {statement.sid!r}: action {action!r} is not one exact action")
        if not statement.resources:
            raise PolicyError(f"statement {statement.sid!r} has no resources")
        if any(r == "*" for r in statement.resources) and not statement.wildcard_reason:
            raise PolicyError(f"statement {statement.sid!r} uses Resource '*' without saying why")


def policy_document(statements: list[Statement]) -> pulumi.Output[str]:
    """The JSON role policy for ``statements`` (resources may be Outputs)."""
    check_statements(statements)
    document = {"Version": "2012-10-17", "Statement": [s.as_dict() for s in statements]}
    return pulumi.Output.from_input(document).apply(lambda doc: json.dumps(doc, indent=None))


def pipe_arn(scope: AwsScope, pipe_name: str) -> pulumi.Output[str]:
    """The ARN a pipe named ``pipe_name`` will have (known before the pipe exists)."""
    return scope.arn("pipes", f"pipe/{pipe_name}")


def trust_policy(scope: AwsScope, pipe_name: str) -> pulumi.Output[str]:
    """Only EventBridge Pipes, acting for this account and this very pipe, may assume the role."""
    return pulumi.Output.all(scope.account, pipe_arn(scope, pipe_name)).apply(
        lambda values: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": PIPES_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": values[0], "aws:SourceArn": values[1]},
                },
            }],
        })
    )


def kms_decrypt(sid: str, key_arn: pulumi.Input[str], *, encrypt: bool = False) -> Statement:
    """Use of a customer-managed key: decrypt to read; also GenerateDataKey to write encrypted data."""
    actions = ("kms:Decrypt", "kms:GenerateDataKey") if encrypt else ("kms:Decrypt",)
    return Statement(sid, actions, (key_arn,))
