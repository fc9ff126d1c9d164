"""Pipe sources: one typed class per polling source, each with its pipe parameters and IAM statements.

Facts used here (AWS "Event source permissions for Amazon EventBridge Pipes", the Pipes API
reference and the batching page): SQS needs ReceiveMessage/DeleteMessage/GetQueueAttributes and
has no pipe dead-letter queue (the queue's redrive policy does that job); DynamoDB Streams and
Kinesis are the only sources with a pipe DLQ (sqs:SendMessage on it); MSK and self-managed Kafka
start at LATEST or TRIM_HORIZON only (AT_TIMESTAMP is Kinesis-only) and have no retry limit, no
bisect and no DLQ. ``dynamodb:ListStreams``, ``kinesis:ListStreams`` and ``kafka:GetBootstrapBrokers``
support no resource-level permissions (Service Authorization Reference), so they get ``*``;
``kinesis:SubscribeToShard`` acts on a stream *consumer*, so it is scoped to the stream's consumers.

Stream sources (DynamoDB Streams, Kinesis) default to AWS's unsafe settings (retry forever, records
never too old, no on-failure destination): one poison record then blocks its shard until it
expires. Here they default to bounded retries, a bounded record age and bisect on failure; the
pipe adds an SQS on-failure queue with an alarm when none is given (see ``EventPipe``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pulumi

from .policy import AwsScope, Statement, kms_decrypt

KAFKA_STARTS = ("TRIM_HORIZON", "LATEST")
MAX_BATCHING_WINDOW = 300
EC2_NETWORK_DESCRIBE = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
EC2_DESCRIBE_REASON = "EC2 Describe* actions support no resource-level permissions"
LIST_REASON = "{action} supports no resource-level permissions"
# Safe stream defaults (the Pipes API's own are -1 = infinite and no bisect). Ranges from botocore's
# pipes model: MaximumRetryAttemptsESM -1..10000, MaximumRecordAgeInSeconds -1..604800 (60 minimum
# when not -1, Pipes API reference).
DEFAULT_STREAM_RETRIES = 10
DEFAULT_STREAM_RECORD_AGE = 3600
UNBOUNDED = -1
BOOTSTRAP_SERVER = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")


def _known(value: Any) -> bool:
    return value is not None and not isinstance(value, pulumi.Output)


@dataclass(kw_only=True)
class Source:
    """What every source shares: batching, the optional customer-managed key, the DLQ question."""

    kind: ClassVar[str] = "source"
    parameters_key: ClassVar[str] = ""
    default_batch_size: ClassVar[int] = 10
    max_batch_size: ClassVar[int] = 10000
    supports_dead_letter: ClassVar[bool] = False
    dead_letter_advice: ClassVar[str] = ""

    batch_size: int | None = None
    maximum_batching_window_in_seconds: int | None = None
    dead_letter_arn: pulumi.Input[str] | None = None
    kms_key_arn: pulumi.Input[str] | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        raise NotImplementedError

    def parameters(self) -> dict[str, Any]:
        """The ``source_parameters.<kind>_parameters`` block (batching only; subclasses add)."""
        params: dict[str, Any] = {}
        if self.batch_size is not None:
            params["batch_size"] = self.batch_size
        if self.maximum_batching_window_in_seconds is not None:
            params["maximum_batching_window_in_seconds"] = self.maximum_batching_window_in_seconds
        return params

    def read_statements(self, scope: AwsScope) -> list[Statement]:
        raise NotImplementedError

    def statements(self, scope: AwsScope) -> list[Statement]:
        """Read on exactly this source, KMS decrypt on its key, send on its DLQ."""
        statements = self.read_statements(scope)
        if self.kms_key_arn is not None:
            statements.append(kms_decrypt("DecryptSource", self.kms_key_arn))
        if self.dead_letter_arn is not None and self.supports_dead_letter:
            statements.append(Statement("SendToDeadLetterQueue", ("sqs:SendMessage",), (self.dead_letter_arn,)))
        return statements

    def problems(self) -> list[str]:
        """Design-time refusals: each says why and what to do instead."""
        found = []
        if self.batch_size is not None and not 1 <= self.batch_size <= self.max_batch_size:
            found.append(f"batch_size {self.batch_size} is outside 1..{self.max_batch_size} for a {self.kind} source")
        window = self.maximum_batching_window_in_seconds
        if window is not None and not 0 <= window <= MAX_BATCHING_WINDOW:
            found.append(f"maximum_batching_window_in_seconds {window} is outside 0..{MAX_BATCHING_WINDOW}")
        if self.dead_letter_arn is not None and not self.supports_dead_letter:
            found.append(
                f"a {self.kind} source has no pipe dead-letter queue (only DynamoDB Streams and Kinesis "
                f"sources do): {self.dead_letter_advice}"
            )
        return found

    def notes(self) -> list[str]:
        """Warnings that don't block the design but that an operator must know."""
        return []


@dataclass(kw_only=True)
class SqsSource(Source):
    """An SQS queue, standard or FIFO (FIFO is detected from the ``.fifo`` suffix when known)."""

    kind: ClassVar[str] = "SQS"
    parameters_key: ClassVar[str] = "sqs_queue_parameters"
    default_batch_size: ClassVar[int] = 10
    dead_letter_advice: ClassVar[str] = (
        "give the queue a redrive policy (deadLetterTargetArn + maxReceiveCount) so failed messages "
        "move to its own dead-letter queue"
    )

    queue_arn: pulumi.Input[str]
    fifo: bool | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.queue_arn

    @property
    def is_fifo(self) -> bool:
        if self.fifo is not None:
            return self.fifo
        return isinstance(self.queue_arn, str) and self.queue_arn.endswith(".fifo")

    def read_statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("ReadSourceQueue",
                          ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
                          (self.queue_arn,))]

    def notes(self) -> list[str]:
        if not self.is_fifo:
            return []
        return [
            "FIFO SQS source: order is kept per MessageGroupId and only one batch per message group is "
            "in flight, so concurrency is bounded by the number of distinct message groups; choose "
            "MessageGroupId cardinality for both the ordering you need and the throughput you want"
        ]


@dataclass(kw_only=True)
class _StreamSource(Source):
    """DynamoDB Streams and Kinesis: ordered shards, retries, bisect, parallelization, DLQ."""

    default_batch_size: ClassVar[int] = 100
    supports_dead_letter: ClassVar[bool] = True
    allowed_starts: ClassVar[tuple[str, ...]] = ("TRIM_HORIZON", "LATEST")

    starting_position: str = "LATEST"
    maximum_record_age_in_seconds: int | None = DEFAULT_STREAM_RECORD_AGE
    maximum_retry_attempts: int | None = DEFAULT_STREAM_RETRIES
    on_partial_batch_item_failure: Literal["AUTOMATIC_BISECT"] | None = "AUTOMATIC_BISECT"
    parallelization_factor: int | None = None

    def parameters(self) -> dict[str, Any]:
        params = {"starting_position": self.starting_position, **super().parameters()}
        optional = {
            "maximum_record_age_in_seconds": self.maximum_record_age_in_seconds,
            "maximum_retry_attempts": self.maximum_retry_attempts,
            "on_partial_batch_item_failure": self.on_partial_batch_item_failure,
            "parallelization_factor": self.parallelization_factor,
        }
        params.update({k: v for k, v in optional.items() if v is not None})
        if self.dead_letter_arn is not None:
            params["dead_letter_config"] = {"arn": self.dead_letter_arn}
        return params

    def notes(self) -> list[str]:
        return [f"{self.kind} on-failure queue: it receives pointers to the failed stream records, not the records; they "
                "are only readable while the stream retains them (24 hours for DynamoDB Streams), and there "
                "is no managed redrive back into the pipe"]

    def problems(self) -> list[str]:
        found = super().problems()
        if self.starting_position not in self.allowed_starts:
            found.append(f"starting_position {self.starting_position!r} is not one of "
                         f"{', '.join(self.allowed_starts)} for a {self.kind} source")
        age = self.maximum_record_age_in_seconds
        if age is not None and age != -1 and not 60 <= age <= 604800:
            found.append(f"maximum_record_age_in_seconds {age} must be -1 (infinite) or 60..604800")
        retries = self.maximum_retry_attempts
        if retries is not None and not -1 <= retries <= 10000:
            found.append(f"maximum_retry_attempts {retries} must be -1 (infinite) or 0..10000")
        factor = self.parallelization_factor
        if factor is not None and not 1 <= factor <= 10:
            found.append(f"parallelization_factor {factor} must be 1..10")
        if retries in (None, UNBOUNDED) and age in (None, UNBOUNDED):
            found.append(
                f"maximum_retry_attempts={retries} with maximum_record_age_in_seconds={age} retries a failing "
                f"{self.kind} record until it expires and blocks its shard meanwhile: set maximum_retry_attempts "
                f"(0..10000, default {DEFAULT_STREAM_RETRIES}) or maximum_record_age_in_seconds (60..604800, "
                f"default {DEFAULT_STREAM_RECORD_AGE})")
        return found


@dataclass(kw_only=True)
class DynamoDBStreamSource(_StreamSource):
    """A DynamoDB table's stream (``table.stream_arn``)."""

    kind: ClassVar[str] = "DynamoDB Streams"
    parameters_key: ClassVar[str] = "dynamodb_stream_parameters"

    stream_arn: pulumi.Input[str]

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.stream_arn

    def read_statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("ReadSourceStream",
                          ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"),
                          (self.stream_arn,)),
                Statement("ListSourceStreams", ("dynamodb:ListStreams",), ("*",),
                          wildcard_reason=LIST_REASON.format(action="dynamodb:ListStreams"))]


@dataclass(kw_only=True)
class KinesisStreamSource(_StreamSource):
    """A Kinesis data stream; AT_TIMESTAMP needs ``starting_position_timestamp``."""

    kind: ClassVar[str] = "Kinesis"
    parameters_key: ClassVar[str] = "kinesis_stream_parameters"
    allowed_starts: ClassVar[tuple[str, ...]] = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")

    stream_arn: pulumi.Input[str]
    starting_position_timestamp: str | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.stream_arn

    def parameters(self) -> dict[str, Any]:
        params = super().parameters()
        if self.starting_position_timestamp is not None:
            params["starting_position_timestamp"] = self.starting_position_timestamp
        return params

    def read_statements(self, scope: AwsScope) -> list[Statement]:
        return [Statement("ReadSourceStream",
                          ("kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                           "kinesis:GetShardIterator", "kinesis:ListShards"),
                          (self.stream_arn,)),
                # SubscribeToShard acts on a consumer: <stream arn>/consumer/<name>:<creation time>.
                Statement("SubscribeToSourceConsumers", ("kinesis:SubscribeToShard",),
                          (pulumi.Output.concat(self.stream_arn, "/consumer/*"),)),
                Statement("ListSourceStreams", ("kinesis:ListStreams",), ("*",),
                          wildcard_reason=LIST_REASON.format(action="kinesis:ListStreams"))]

    def problems(self) -> list[str]:
        found = super().problems()
        if (self.starting_position == "AT_TIMESTAMP") != (self.starting_position_timestamp is not None):
            found.append("starting_position_timestamp is required with AT_TIMESTAMP and only allowed with it")
        return found


def _kafka_problems(source: Source, starting_position: str) -> list[str]:
    if starting_position in KAFKA_STARTS:
        return []
    return [
        f"starting_position {starting_position!r} is not supported for a {source.kind} source: Pipes "
        "accepts only LATEST or TRIM_HORIZON for Kafka (AT_TIMESTAMP exists only for Kinesis). "
        "Use TRIM_HORIZON to read the topic from the beginning, or a consumer_group_id with committed "
        "offsets to resume where another consumer stopped"
    ]


NO_KAFKA_DLQ = (
    "Kafka sources have no retry limit, no bisect and no DLQ; a persistent target failure blocks "
    "the partition until it succeeds or an operator intervenes (make the handler idempotent and watch "
    "the ExecutionFailed alarm and the consumer lag)"
)


@dataclass(kw_only=True)
class MskSource(Source):
    """An Amazon MSK topic. With ``iam_auth`` the role gets the kafka-cluster data-plane actions."""

    kind: ClassVar[str] = "MSK"
    parameters_key: ClassVar[str] = "managed_streaming_kafka_parameters"
    default_batch_size: ClassVar[int] = 100
    dead_letter_advice: ClassVar[str] = NO_KAFKA_DLQ

    cluster_arn: pulumi.Input[str]
    topic_name: str
    starting_position: str = "LATEST"
    consumer_group_id: str | None = None
    iam_auth: bool = True
    client_certificate_secret_arn: pulumi.Input[str] | None = None
    sasl_scram_512_secret_arn: pulumi.Input[str] | None = None

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.cluster_arn

    def with_group(self, group: str) -> MskSource:
        """This source with a consumer group id (the IAM policy needs a group to name)."""
        return self if self.consumer_group_id else dataclasses.replace(self, consumer_group_id=group)

    def parameters(self) -> dict[str, Any]:
        params = {"topic_name": self.topic_name, "starting_position": self.starting_position,
                  **super().parameters()}
        if self.consumer_group_id:
            params["consumer_group_id"] = self.consumer_group_id
        credentials = {}
        if self.client_certificate_secret_arn is not None:
            credentials["client_certificate_tls_auth"] = self.client_certificate_secret_arn
        if self.sasl_scram_512_secret_arn is not None:
            credentials["sasl_scram512_auth"] = self.sasl_scram_512_secret_arn
        if credentials:
            params["credentials"] = credentials
        return params

    def _data_plane_arn(self, kind: str, suffix: str) -> pulumi.Output[str]:
        # arn:aws:kafka:r:a:cluster/<name>/<uuid> -> arn:aws:kafka:r:a:<kind>/<name>/<uuid>/<suffix>
        return pulumi.Output.from_input(self.cluster_arn).apply(
            lambda arn: arn.replace(":cluster/", f":{kind}/", 1) + f"/{suffix}"
        )

    def read_statements(self, scope: AwsScope) -> list[Statement]:
        statements = [
            Statement("DescribeSourceCluster", ("kafka:DescribeClusterV2",), (self.cluster_arn,)),
            Statement("GetBootstrapBrokers", ("kafka:GetBootstrapBrokers",), ("*",),
                      wildcard_reason=LIST_REASON.format(action="kafka:GetBootstrapBrokers")),
            *_vpc_statements(scope),
        ]
        if self.iam_auth:
            group = self.consumer_group_id or "*"
            statements += [
                Statement("ConnectToCluster",
                          ("kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"),
                          (self.cluster_arn,)),
                Statement("ReadTopic", ("kafka-cluster:DescribeTopic", "kafka-cluster:ReadData",
                                        "kafka-cluster:DescribeTopicDynamicConfiguration"),
                          (self._data_plane_arn("topic", self.topic_name),)),
                Statement("UseConsumerGroup", ("kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"),
                          (self._data_plane_arn("group", group),)),
            ]
        secrets = [s for s in (self.client_certificate_secret_arn, self.sasl_scram_512_secret_arn) if s]
        if secrets:
            statements.append(Statement("ReadKafkaSecrets", ("secretsmanager:GetSecretValue",), tuple(secrets)))
        return statements

    def problems(self) -> list[str]:
        found = super().problems() + _kafka_problems(self, self.starting_position)
        if self.client_certificate_secret_arn and self.sasl_scram_512_secret_arn:
            found.append("give either client_certificate_secret_arn or sasl_scram_512_secret_arn, not both")
        return found

    def notes(self) -> list[str]:
        notes = ["MSK source: " + NO_KAFKA_DLQ]
        if self.starting_position == "LATEST":
            notes.append("MSK source at LATEST: records produced while the pipe is being created or "
                         "updated can be skipped; use TRIM_HORIZON if none may be missed")
        return notes


def _vpc_statements(scope: AwsScope) -> list[Statement]:
    """Network interfaces Pipes creates to reach a broker inside a VPC."""
    return [
        Statement("ManageBrokerNetworkInterfaces",
                  ("ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"),
                  (scope.arn("ec2", "network-interface/*"), scope.arn("ec2", "subnet/*"),
                   scope.arn("ec2", "security-group/*"))),
        Statement("DescribeBrokerNetwork", EC2_NETWORK_DESCRIBE, ("*",), wildcard_reason=EC2_DESCRIBE_REASON),
    ]


@dataclass(kw_only=True)
class SelfManagedKafkaSource(Source):
    """A Kafka cluster outside MSK, reached through its bootstrap servers (``smk://host:port``)."""

    kind: ClassVar[str] = "self-managed Kafka"
    parameters_key: ClassVar[str] = "self_managed_kafka_parameters"
    default_batch_size: ClassVar[int] = 100
    dead_letter_advice: ClassVar[str] = NO_KAFKA_DLQ

    bootstrap_servers: list[str]
    topic_name: str
    starting_position: str = "LATEST"
    consumer_group_id: str | None = None
    basic_auth_secret_arn: pulumi.Input[str] | None = None
    client_certificate_secret_arn: pulumi.Input[str] | None = None
    sasl_scram_256_secret_arn: pulumi.Input[str] | None = None
    sasl_scram_512_secret_arn: pulumi.Input[str] | None = None
    server_root_ca_certificate_arn: pulumi.Input[str] | None = None
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)

    @property
    def arn(self) -> pulumi.Input[str]:
        return f"smk://{self.bootstrap_servers[0]}" if self.bootstrap_servers else ""

    def _secrets(self) -> list[pulumi.Input[str]]:
        return [s for s in (self.basic_auth_secret_arn, self.client_certificate_secret_arn,
                            self.sasl_scram_256_secret_arn, self.sasl_scram_512_secret_arn,
                            self.server_root_ca_certificate_arn) if s]

    def parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {"topic_name": self.topic_name, "starting_position": self.starting_position,
                                  **super().parameters()}
        if len(self.bootstrap_servers) > 1:
            params["additional_bootstrap_servers"] = self.bootstrap_servers[1:]
        if self.consumer_group_id:
            params["consumer_group_id"] = self.consumer_group_id
        credentials = {key: value for key, value in {
            "basic_auth": self.basic_auth_secret_arn,
            "client_certificate_tls_auth": self.client_certificate_secret_arn,
            "sasl_scram256_auth": self.sasl_scram_256_secret_arn,
            "sasl_scram512_auth": self.sasl_scram_512_secret_arn,
        }.items() if value}
        if credentials:
            params["credentials"] = credentials
        if self.server_root_ca_certificate_arn:
            params["server_root_ca_certificate"] = self.server_root_ca_certificate_arn
        if self.subnet_ids or self.security_group_ids:
            params["vpc"] = {"subnets": self.subnet_ids, "security_groups": self.security_group_ids}
        return params

    def read_statements(self, scope: AwsScope) -> list[Statement]:
        statements: list[Statement] = []
        if self._secrets():
            statements.append(Statement("ReadKafkaSecrets", ("secretsmanager:GetSecretValue",),
                                        tuple(self._secrets())))
        if self.subnet_ids:
            statements += _vpc_statements(scope)
        return statements

    def problems(self) -> list[str]:
        found = super().problems() + _kafka_problems(self, self.starting_position)
        if not self.bootstrap_servers:
            found.append("bootstrap_servers needs at least one host:port")
        found += [f"bootstrap server {s!r} is not host:port" for s in self.bootstrap_servers
                  if not BOOTSTRAP_SERVER.match(s)]
        if self.kms_key_arn is not None and not self._secrets():
            found.append("kms_key_arn only applies to the Secrets Manager secrets of a Kafka source; give one")
        return found

    def notes(self) -> list[str]:
        return ["self-managed Kafka source: " + NO_KAFKA_DLQ]


@dataclass(kw_only=True)
class _MqSource(Source):
    """Amazon MQ brokers: credentials in Secrets Manager, broker described, ENIs in its VPC."""

    default_batch_size: ClassVar[int] = 100
    dead_letter_advice: ClassVar[str] = "configure redelivery and a dead-letter queue on the broker itself"

    broker_arn: pulumi.Input[str]
    queue_name: str
    credentials_secret_arn: pulumi.Input[str]

    @property
    def arn(self) -> pulumi.Input[str]:
        return self.broker_arn

    def parameters(self) -> dict[str, Any]:
        return {"queue_name": self.queue_name, "credentials": {"basic_auth": self.credentials_secret_arn},
                **super().parameters()}

    def read_statements(self, scope: AwsScope) -> list[Statement]:
        return [
            Statement("DescribeSourceBroker", ("mq:DescribeBroker",), (self.broker_arn,)),
            Statement("ReadBrokerCredentials", ("secretsmanager:GetSecretValue",), (self.credentials_secret_arn,)),
            *_vpc_statements(scope),
        ]


@dataclass(kw_only=True)
class ActiveMqSource(_MqSource):
    """An Amazon MQ for ActiveMQ queue."""

    kind: ClassVar[str] = "Amazon MQ (ActiveMQ)"
    parameters_key: ClassVar[str] = "activemq_broker_parameters"


@dataclass(kw_only=True)
class RabbitMqSource(_MqSource):
    """An Amazon MQ for RabbitMQ queue, optionally in a virtual host."""

    kind: ClassVar[str] = "Amazon MQ (RabbitMQ)"
    parameters_key: ClassVar[str] = "rabbitmq_broker_parameters"

    virtual_host: str | None = None

    def parameters(self) -> dict[str, Any]:
        params = super().parameters()
        if self.virtual_host:
            params["virtual_host"] = self.virtual_host
        return params
