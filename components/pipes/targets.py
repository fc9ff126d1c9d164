"""Pipe targets: one typed class per target kind, each with its target parameters and IAM statements.

Batch limits are AWS's ("Amazon EventBridge Pipes batching and concurrency"): event bus, SNS and
SQS take 10 records per call, Kinesis and Firehose 500, CloudWatch Logs 10,000; Lambda and Step
Functions get the whole batch as one payload; targets without a batch API take 1. Step Functions
Standard workflows can only be started asynchronously (``REQUEST_RESPONSE`` is not supported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pulumi

from .policy import AwsScope, Statement, kms_decrypt

InvocationType = Literal["REQUEST_RESPONSE", "FIRE_AND_FORGET"]
SYNC_CEILING_SECONDS = 300  # a pipe execution, enrichment and target included, lasts at most 5 minutes


@dataclass(kw_only=True)
class HttpParameters:
    """Headers, path parameter values and query string for API destinations and API Gateway."""

    header_parameters: dict[str, str] = field(default_factory=dict)
    path_parameter_values: str | None = None
    query_string_parameters: dict[str, str] = field(default_factory=dict)

    def as_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.header_parameters:
            args["header_parameters"] = dict(self.header_parameters)
        if self.path_parameter_values:
            args["path_parameter_values"] = self.path_parameter_values
        if self.query_string_parameters:
            args["query_string_parameters"] = dict(self.query_string_parameters)
        return args


@dataclass(kw_only=True)
class Target:
    """What every target shares: the input template and its batch limit."""

    kind: ClassVar[str] = "target"
    parameters_key: ClassVar[str | None] = None
    max_batch_size: ClassVar[int | None] = None  # None: the whole batch is one payload

    input_template: str | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        raise NotImplementedError

    @property
    def synchronous(self) -> bool:
        return False

    def parameters(self) -> dict[str, Any]:
        """The kind-specific block under ``target_parameters`` (empty when the kind has none)."""
        return {}

    def statements(self, scope: AwsScope) -> list[Statement]:
        raise NotImplementedError

    def problems(self) -> list[str]:
        return []


def timeout_problem(what: str, timeout: int | None, advice: str) -> list[str]:
    if timeout is None or timeout <= SYNC_CEILING_SECONDS:
        return []
    return [f"{what} has a timeout of {timeout}s but a pipe waits at most {SYNC_CEILING_SECONDS}s (5 minutes) "
            f"for a synchronous invocation, whatever the function's own timeout: {advice}"]


@dataclass(kw_only=True)
class LambdaTarget(Target):
    """A Lambda function, invoked synchronously (default) or asynchronously."""

    kind: ClassVar[str] = "Lambda"
    parameters_key: ClassVar[str | None] = "lambda_function_parameters"

    function_arn: pulumi.Input[str]
    invocation_type: InvocationType = "REQUEST_RESPONSE"
    timeout_seconds: int | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.function_arn

    @property
    def synchronous(self) -> bool:
        return self.invocation_type == "REQUEST_RESPONSE"

    def parameters(self) -> dict[str, Any]:
        return {"invocation_type": self.invocation_type}

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("InvokeTargetFunction", ("lambda:InvokeFunction",), (self.function_arn,))]

    def problems(self) -> list[str]:
        if not self.synchronous:
            return []
        return timeout_problem(
            "the synchronous Lambda target", self.timeout_seconds,
            "set invocation_type='FIRE_AND_FORGET', make batches smaller, or hand the long-running part "
            "to a Step Functions target")


@dataclass(kw_only=True)
class StepFunctionsTarget(Target):
    """A state machine. Standard starts asynchronously; Express also synchronously (StartSyncExecution)."""

    kind: ClassVar[str] = "Step Functions"
    parameters_key: ClassVar[str | None] = "step_function_state_machine_parameters"

    state_machine_arn: pulumi.Input[str]
    workflow_type: Literal["STANDARD", "EXPRESS"] = "STANDARD"
    invocation_type: InvocationType | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.state_machine_arn

    @property
    def effective_invocation_type(self) -> InvocationType:
        if self.invocation_type:
            return self.invocation_type
        return "FIRE_AND_FORGET" if self.workflow_type == "STANDARD" else "REQUEST_RESPONSE"

    @property
    def synchronous(self) -> bool:
        return self.effective_invocation_type == "REQUEST_RESPONSE"

    @property
    def is_standard(self) -> bool:
        return self.workflow_type == "STANDARD"

    def parameters(self) -> dict[str, Any]:
        # The Pipes API has no execution-name field here (InvocationType only), so a pipe cannot
        # make StartExecution idempotent by name; see docs/pipes.md.
        return {"invocation_type": self.effective_invocation_type}

    def statements(self, scope: AwsScope) -> list[Statement]:
        action = "states:StartSyncExecution" if self.synchronous else "states:StartExecution"
        return [Statement("StartTargetStateMachine", (action,), (self.state_machine_arn,))]

    def problems(self) -> list[str]:
        if self.is_standard and self.effective_invocation_type == "REQUEST_RESPONSE":
            return ["a Standard Step Functions workflow can only be started asynchronously: use "
                    "invocation_type='FIRE_AND_FORGET', or an Express workflow for a synchronous call"]
        return []


@dataclass(kw_only=True)
class SqsTarget(Target):
    """An SQS queue; FIFO queues need a message group id (a static value or a ``$.`` path)."""

    kind: ClassVar[str] = "SQS"
    parameters_key: ClassVar[str | None] = "sqs_queue_parameters"
    max_batch_size: ClassVar[int | None] = 10

    queue_arn: pulumi.Input[str]
    message_group_id: str | None = None
    message_deduplication_id: str | None = None
    kms_key_arn: pulumi.Input[str] | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.queue_arn

    @property
    def is_fifo(self) -> bool:
        return isinstance(self.queue_arn, str) and self.queue_arn.endswith(".fifo")

    def parameters(self) -> dict[str, Any]:
        params = {}
        if self.message_group_id:
            params["message_group_id"] = self.message_group_id
        if self.message_deduplication_id:
            params["message_deduplication_id"] = self.message_deduplication_id
        return params

    def statements(self, scope: AwsScope) -> list[Statement]:
        statements = [Statement("SendToTargetQueue", ("sqs:SendMessage",), (self.queue_arn,))]
        if self.kms_key_arn is not None:
            statements.append(kms_decrypt("EncryptForTargetQueue", self.kms_key_arn, encrypt=True))
        return statements

    def problems(self) -> list[str]:
        if self.is_fifo and not self.message_group_id:
            return ["a FIFO SQS target needs message_group_id (e.g. '$.body.orderId')"]
        return []


@dataclass(kw_only=True)
class SnsTarget(Target):
    """An SNS standard topic (Pipes does not support SNS FIFO topics as targets)."""

    kind: ClassVar[str] = "SNS"
    max_batch_size: ClassVar[int | None] = 10

    topic_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.topic_arn

    def statements(self, scope: AwsScope) -> list[Statement]:
        statements = [Statement("PublishToTargetTopic", ("sns:Publish",), (self.topic_arn,))]
        if self.kms_key_arn is not None:
            statements.append(kms_decrypt("EncryptForTargetTopic", self.kms_key_arn, encrypt=True))
        return statements

    def problems(self) -> list[str]:
        if isinstance(self.topic_arn, str) and self.topic_arn.endswith(".fifo"):
            return ["Pipes cannot target an SNS FIFO topic: use a standard topic, or an SQS FIFO queue"]
        return []


@dataclass(kw_only=True)
class EventBusTarget(Target):
    """An EventBridge event bus in the same account and Region."""

    kind: ClassVar[str] = "EventBridge event bus"
    parameters_key: ClassVar[str | None] = "eventbridge_event_bus_parameters"
    max_batch_size: ClassVar[int | None] = 10

    event_bus_arn: pulumi.Input[str]
    detail_type: str | None = None
    source: str | None = None
    resources: list[str] = field(default_factory=list)
    time: str | None = None
    endpoint_id: str | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.event_bus_arn

    def parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {key: value for key, value in {
            "detail_type": self.detail_type, "source": self.source, "time": self.time,
            "endpoint_id": self.endpoint_id}.items() if value}
        if self.resources:
            params["resources"] = list(self.resources)
        return params

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("PutEventsOnTargetBus", ("events:PutEvents",), (self.event_bus_arn,))]

    def problems(self) -> list[str]:
        if self.source and self.source.startswith("aws."):
            return [f"event source {self.source!r} is reserved for AWS services: use your own reverse-DNS name"]
        return []


@dataclass(kw_only=True)
class KinesisTarget(Target):
    """A Kinesis data stream; ``partition_key`` may be a ``$.`` path."""

    kind: ClassVar[str] = "Kinesis"
    parameters_key: ClassVar[str | None] = "kinesis_stream_parameters"
    max_batch_size: ClassVar[int | None] = 500

    stream_arn: pulumi.Input[str]
    partition_key: str
    kms_key_arn: pulumi.Input[str] | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.stream_arn

    def parameters(self) -> dict[str, Any]:
        return {"partition_key": self.partition_key}

    def statements(self, scope: AwsScope) -> list[Statement]:
        statements = [Statement("PutRecordsOnTargetStream", ("kinesis:PutRecord", "kinesis:PutRecords"),
                                (self.stream_arn,))]
        if self.kms_key_arn is not None:
            statements.append(kms_decrypt("EncryptForTargetStream", self.kms_key_arn, encrypt=True))
        return statements


@dataclass(kw_only=True)
class FirehoseTarget(Target):
    """A Firehose stream: Pipes uses PutRecordBatch for batches, PutRecord for single records."""

    kind: ClassVar[str] = "Firehose"
    max_batch_size: ClassVar[int | None] = 500

    delivery_stream_arn: pulumi.Input[str]

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.delivery_stream_arn

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("PutRecordsOnTargetFirehose", ("firehose:PutRecord", "firehose:PutRecordBatch"),
                          (self.delivery_stream_arn,))]


@dataclass(kw_only=True)
class CloudWatchLogsTarget(Target):
    """A CloudWatch Logs group; the event payload becomes the log message."""

    kind: ClassVar[str] = "CloudWatch Logs"
    parameters_key: ClassVar[str | None] = "cloudwatch_logs_parameters"
    max_batch_size: ClassVar[int | None] = 10000

    log_group_arn: pulumi.Input[str]
    log_stream_name: str | None = None
    timestamp: str | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.log_group_arn

    def parameters(self) -> dict[str, Any]:
        return {key: value for key, value in {
            "log_stream_name": self.log_stream_name, "timestamp": self.timestamp}.items() if value}

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("WriteTargetLogGroup", ("logs:CreateLogStream", "logs:PutLogEvents"),
                          (pulumi.Output.concat(self.log_group_arn, ":*"),))]


@dataclass(kw_only=True)
class _HttpTarget(Target):
    """An HTTP endpoint target: called synchronously, one event per call, with HTTP parameters."""

    parameters_key: ClassVar[str | None] = "http_parameters"
    max_batch_size: ClassVar[int | None] = 1

    http: HttpParameters = field(default_factory=HttpParameters)

    @property
    def synchronous(self) -> bool:
        return True

    def parameters(self) -> dict[str, Any]:
        return self.http.as_args()


@dataclass(kw_only=True)
class ApiDestinationTarget(_HttpTarget):
    """An EventBridge API destination (third-party HTTP API with a connection for auth)."""

    kind: ClassVar[str] = "API destination"

    api_destination_arn: pulumi.Input[str]

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.api_destination_arn

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("InvokeTargetApiDestination", ("events:InvokeApiDestination",),
                          (self.api_destination_arn,))]


@dataclass(kw_only=True)
class ApiGatewayTarget(_HttpTarget):
    """An API Gateway route, given as its execute-api ARN ``arn:aws:execute-api:r:a:api/stage/METHOD/path``."""

    kind: ClassVar[str] = "API Gateway"

    execute_api_arn: pulumi.Input[str]

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.execute_api_arn

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("InvokeTargetApi", ("execute-api:Invoke",), (self.execute_api_arn,))]


@dataclass(kw_only=True)
class EcsTaskTarget(Target):
    """An ECS task started on a cluster; the pipe passes the task's roles to ECS."""

    kind: ClassVar[str] = "ECS task"
    parameters_key: ClassVar[str | None] = "ecs_task_parameters"
    max_batch_size: ClassVar[int | None] = 1

    cluster_arn: pulumi.Input[str]
    task_definition_arn: pulumi.Input[str]
    pass_role_arns: list[pulumi.Input[str]] = field(default_factory=list)
    launch_type: Literal["FARGATE", "EC2", "EXTERNAL"] | None = "FARGATE"
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    assign_public_ip: bool = False
    task_count: int = 1

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.cluster_arn

    def parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {"task_definition_arn": self.task_definition_arn, "task_count": self.task_count}
        if self.launch_type:
            params["launch_type"] = self.launch_type
        if self.subnet_ids:
            params["network_configuration"] = {"aws_vpc_configuration": {
                "subnets": list(self.subnet_ids), "security_groups": list(self.security_group_ids),
                "assign_public_ip": "ENABLED" if self.assign_public_ip else "DISABLED"}}
        return params

    def statements(self, scope: AwsScope) -> list[Statement]:
        statements = [Statement("RunTargetTask", ("ecs:RunTask",), (self.task_definition_arn,),
                                condition={"ArnEquals": {"ecs:cluster": self.cluster_arn}})]
        if self.pass_role_arns:
            statements.append(Statement("PassTaskRoles", ("iam:PassRole",), tuple(self.pass_role_arns),
                                        condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}))
        return statements

    def problems(self) -> list[str]:
        found = []
        if self.launch_type == "FARGATE" and not self.subnet_ids:
            found.append("a FARGATE ECS target needs subnet_ids (awsvpc networking)")
        if not 1 <= self.task_count <= 10:
            found.append(f"task_count {self.task_count} must be 1..10")
        return found


@dataclass(kw_only=True)
class BatchJobTarget(Target):
    """An AWS Batch job queue; each event submits one job of ``job_definition_arn``."""

    kind: ClassVar[str] = "Batch"
    parameters_key: ClassVar[str | None] = "batch_job_parameters"
    max_batch_size: ClassVar[int | None] = 1

    job_queue_arn: pulumi.Input[str]
    job_definition_arn: pulumi.Input[str]
    job_name: str
    retry_attempts: int | None = None
    parameters_map: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.job_queue_arn

    def parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {"job_definition": self.job_definition_arn, "job_name": self.job_name}
        if self.retry_attempts is not None:
            params["retry_strategy"] = {"attempts": self.retry_attempts}
        if self.parameters_map:
            params["parameters"] = dict(self.parameters_map)
        return params

    def statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("SubmitTargetJob", ("batch:SubmitJob",), (self.job_queue_arn, self.job_definition_arn))]

    def problems(self) -> list[str]:
        if self.retry_attempts is not None and not 1 <= self.retry_attempts <= 10:
            return [f"retry_attempts {self.retry_attempts} must be 1..10"]
        return []
