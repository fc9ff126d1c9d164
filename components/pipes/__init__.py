"""EventBridge Pipes: the ``EventPipe`` component, its typed stages and the five ready patterns."""

from .component import EventPipe, EventPipeArgs
from .enrichments import (
    ApiDestinationEnrichment,
    ApiGatewayEnrichment,
    LambdaEnrichment,
    StepFunctionsEnrichment,
)
from .monitoring import METRIC_NAMESPACE, AlarmSettings, AlarmTopic, LoggingSettings
from .pitfalls import SampleEvents
from .sources import (
    ActiveMqSource,
    DynamoDBStreamSource,
    KinesisStreamSource,
    MskSource,
    RabbitMqSource,
    SelfManagedKafkaSource,
    SqsSource,
)
from .targets import (
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
