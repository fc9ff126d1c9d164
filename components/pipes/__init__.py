"""EventBridge Pipes: the ``EventPipe`` component, its typed stages and the five ready patterns."""

from components.pipes.component import EventPipe, EventPipeArgs
from components.pipes.enrichments import (
    ApiDestinationEnrichment,
    ApiGatewayEnrichment,
    LambdaEnrichment,
    StepFunctionsEnrichment,
)
from components.pipes.monitoring import METRIC_NAMESPACE, AlarmSettings, AlarmTopic, LoggingSettings
from components.pipes.pitfalls import SampleEvents
from components.pipes.sources import (
    ActiveMqSource,
    DynamoDBStreamSource,
    KinesisStreamSource,
    MskSource,
    RabbitMqSource,
    SelfManagedKafkaSource,
    SqsSource,
)
from components.pipes.targets import (
    ApiDestinationTarget,
    ApiGatewayTarget,
    BatchJobTarget,
    CloudWatchLogsTarget,
    EcsTaskTarget,
    EventBusTarget,
    FirehoseTarget,
    HttpParameters,
    KinesisTarget,
    LambdaTarget,
    SnsTarget,
    SqsTarget,
    StepFunctionsTarget,
)

__all__ = [
    "METRIC_NAMESPACE", "ActiveMqSource", "AlarmSettings", "AlarmTopic", "ApiDestinationEnrichment",
    "ApiDestinationTarget", "ApiGatewayEnrichment", "ApiGatewayTarget", "BatchJobTarget", "CloudWatchLogsTarget",
    "DynamoDBStreamSource", "EcsTaskTarget", "EventBusTarget", "EventPipe", "EventPipeArgs", "FirehoseTarget",
    "HttpParameters", "KinesisStreamSource", "KinesisTarget", "LambdaEnrichment", "LambdaTarget",
    "LoggingSettings", "MskSource", "RabbitMqSource", "SampleEvents", "SelfManagedKafkaSource", "SnsTarget",
    "SqsSource", "SqsTarget", "StepFunctionsEnrichment", "StepFunctionsTarget",
]
