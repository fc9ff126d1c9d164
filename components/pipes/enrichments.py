"""Pipe enrichments: always invoked synchronously, so each is bound by the pipe's 5-minute ceiling.

Step Functions enrichments must be Express workflows (started with StartSyncExecution); API
Gateway and API destination enrichments only accept a batch size of 1 (AWS validates this when
the pipe is created).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pulumi

from .policy import AwsScope, Statement
from .targets import HttpParameters, timeout_problem


@dataclass(kw_only=True)
class Enrichment:
    """What every enrichment shares: the input template sent to it and its batch limit."""

    kind: ClassVar[str] = "enrichment"
    max_batch_size: ClassVar[int | None] = None

    input_template: str | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        raise NotImplementedError

    def parameters(self) -> dict[str, Any]:
        """``enrichment_parameters`` (input template and, for HTTP kinds, HTTP parameters)."""
        params: dict[str, Any] = {}
        if self.input_template is not None:
            params["input_template"] = self.input_template
        return params

    def statements(self, scope: AwsScope) -> list[Statement]:
        raise NotImplementedError

    def problems(self) -> list[str]:
        return []


@dataclass(kw_only=True)
class LambdaEnrichment(Enrichment):
    """A Lambda function that returns the enriched event (or batch)."""

    kind: ClassVar[str] = "Lambda"

    function_arn: pulumi.Input[str]
    timeout_seconds: int | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.function_arn

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("InvokeEnrichmentFunction", ("lambda:InvokeFunction",), (self.function_arn,))]

    def problems(self) -> list[str]:
        return timeout_problem(
            "the Lambda enrichment", self.timeout_seconds,
            "enrichment is always synchronous, so shrink the work (smaller batches, smaller payloads) "
            "or move the long-running part to the target stage")


@dataclass(kw_only=True)
class StepFunctionsEnrichment(Enrichment):
    """An Express state machine, run synchronously; Standard workflows are refused."""

    kind: ClassVar[str] = "Step Functions"

    state_machine_arn: pulumi.Input[str]
    workflow_type: Literal["STANDARD", "EXPRESS"] = "EXPRESS"

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.state_machine_arn

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("StartEnrichmentStateMachine", ("states:StartSyncExecution",),
                          (self.state_machine_arn,))]

    def problems(self) -> list[str]:
        if self.workflow_type != "EXPRESS":
            return ["a Step Functions enrichment must be an Express workflow (Pipes waits for the result "
                    "synchronously); use an Express state machine or move the Standard one to the target"]
        return []


@dataclass(kw_only=True)
class _HttpEnrichment(Enrichment):
    max_batch_size: ClassVar[int | None] = 1

    http: HttpParameters = field(default_factory=HttpParameters)

    def parameters(self) -> dict[str, Any]:
        params = super().parameters()
        if self.http.as_args():
            params["http_parameters"] = self.http.as_args()
        return params


@dataclass(kw_only=True)
class ApiDestinationEnrichment(_HttpEnrichment):
    """An EventBridge API destination called for every event."""

    kind: ClassVar[str] = "API destination"

    api_destination_arn: pulumi.Input[str]

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.api_destination_arn

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("InvokeEnrichmentApiDestination", ("events:InvokeApiDestination",),
                          (self.api_destination_arn,))]


@dataclass(kw_only=True)
class ApiGatewayEnrichment(_HttpEnrichment):
    """An API Gateway route (execute-api ARN ``.../stage/METHOD/path``) called for every event."""

    kind: ClassVar[str] = "API Gateway"

    execute_api_arn: pulumi.Input[str]

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.execute_api_arn

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("InvokeEnrichmentApi", ("execute-api:Invoke",), (self.execute_api_arn,))]
