"""Every source, enrichment and target kind: the pipe parameters it sets and the exact IAM it gets."""

from __future__ import annotations

import pytest
from groundwork.pipes import (
    ActiveMqSource,
    ApiDestinationEnrichment,
    ApiDestinationTarget,
    ApiGatewayEnrichment,
    ApiGatewayTarget,
    BatchJobTarget,
    CloudWatchLogsTarget,
    DynamoDBStreamSource,
    EcsTaskTarget,
    EventBusTarget,
    FirehoseTarget,
    HttpParameters,
    KinesisStreamSource,
    KinesisTarget,
    LambdaEnrichment,
    LambdaTarget,
    MskSource,
    RabbitMqSource,
    SelfManagedKafkaSource,
    SnsTarget,
    SqsSource,
    SqsTarget,
    StepFunctionsEnrichment,
    StepFunctionsTarget,
)

from tests.pipes.helpers import (
    ACCOUNT,
    API_DESTINATION,
    BUS,
    CLUSTER,
    DDB_STREAM,
    DLQ,
    ENRICHER,
    EXECUTE_API,
    FIFO_QUEUE,
    FIREHOSE,
    FUNCTION,
    JOB_DEFINITION,
    JOB_QUEUE,
    KEY,
    KINESIS,
    LOG_GROUP,
    MQ_BROKER,
    MSK,
    QUEUE,
    REGION,
    SECRET,
    STATE_MACHINE,
    TASK_DEFINITION,
    TASK_ROLE,
    TOPIC,
    actions_by_resource,
    pipe_inputs,
    pipe_program,
    statements,
)

SQS_READ = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
TO_QUEUE = dict(target=SqsTarget(queue_arn=f"arn:aws:sqs:{REGION}:{ACCOUNT}:out"))
OUT = f"arn:aws:sqs:{REGION}:{ACCOUNT}:out"
EC2_NI = {f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/*" for kind in ("network-interface", "subnet", "security-group")}
EC2_DESCRIBE = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
                "ec2:DescribeVpcs"}


def _expand(grants: dict[str, set[str]]) -> dict[str, set[str]]:
    return {resource: set(actions) for resource, actions in grants.items()}


SOURCE_CASES = [
    pytest.param(
        SqsSource(queue_arn=QUEUE, batch_size=5, maximum_batching_window_in_seconds=2),
        "sqsQueueParameters", {"batchSize": 5, "maximumBatchingWindowInSeconds": 2},
        {QUEUE: SQS_READ}, id="sqs-standard"),
    pytest.param(
        SqsSource(queue_arn=FIFO_QUEUE, batch_size=10),
        "sqsQueueParameters", {"batchSize": 10}, {FIFO_QUEUE: SQS_READ}, id="sqs-fifo"),
    pytest.param(
        DynamoDBStreamSource(stream_arn=DDB_STREAM, starting_position="TRIM_HORIZON", batch_size=10,
                             maximum_batching_window_in_seconds=5, on_partial_batch_item_failure="AUTOMATIC_BISECT",
                             maximum_retry_attempts=3, maximum_record_age_in_seconds=3600,
                             parallelization_factor=2, dead_letter_arn=DLQ, kms_key_arn=KEY),
        "dynamodbStreamParameters",
        {"startingPosition": "TRIM_HORIZON", "batchSize": 10, "maximumBatchingWindowInSeconds": 5,
         "onPartialBatchItemFailure": "AUTOMATIC_BISECT", "maximumRetryAttempts": 3,
         "maximumRecordAgeInSeconds": 3600, "parallelizationFactor": 2, "deadLetterConfig": {"arn": DLQ}},
        {DDB_STREAM: {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"},
         "*": {"dynamodb:ListStreams"},  # no resource-level permissions
         KEY: {"kms:Decrypt"}, DLQ: {"sqs:SendMessage"}},
        id="dynamodb"),
    pytest.param(
        KinesisStreamSource(stream_arn=KINESIS, starting_position="AT_TIMESTAMP",
                            starting_position_timestamp="2026-11-24T00:00:00Z", batch_size=10, dead_letter_arn=DLQ),
        "kinesisStreamParameters",
        {"startingPosition": "AT_TIMESTAMP", "startingPositionTimestamp": "2026-11-24T00:00:00Z", "batchSize": 10,
         "deadLetterConfig": {"arn": DLQ}, "maximumRetryAttempts": 10, "maximumRecordAgeInSeconds": 3600,
         "onPartialBatchItemFailure": "AUTOMATIC_BISECT"},
        {KINESIS: {"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                   "kinesis:GetShardIterator", "kinesis:ListShards"},
         f"{KINESIS}/consumer/*": {"kinesis:SubscribeToShard"},  # it acts on a stream consumer
         "*": {"kinesis:ListStreams"},  # no resource-level permissions
         DLQ: {"sqs:SendMessage"}},
        id="kinesis"),
    pytest.param(
        MskSource(cluster_arn=MSK, topic_name="clickstream", starting_position="TRIM_HORIZON", batch_size=10,
                  consumer_group_id="clicks-pipe"),
        "managedStreamingKafkaParameters",
        {"topicName": "clickstream", "startingPosition": "TRIM_HORIZON", "batchSize": 10,
         "consumerGroupId": "clicks-pipe"},
        {MSK: {"kafka:DescribeClusterV2", "kafka-cluster:Connect", "kafka-cluster:DescribeClusterDynamicConfiguration"},
         MSK.replace(":cluster/", ":topic/") + "/clickstream": {
             "kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:DescribeTopicDynamicConfiguration"},
         MSK.replace(":cluster/", ":group/") + "/clicks-pipe": {"kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"},
         **{arn: {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"} for arn in EC2_NI},
         "*": EC2_DESCRIBE | {"kafka:GetBootstrapBrokers"}},  # no resource-level permissions
        id="msk"),
    pytest.param(
        SelfManagedKafkaSource(bootstrap_servers=["b1.kafka.example:9096", "b2.kafka.example:9096"],
                               topic_name="orders", starting_position="TRIM_HORIZON", batch_size=10,
                               sasl_scram_512_secret_arn=SECRET, subnet_ids=["subnet-1"], security_group_ids=["sg-1"]),
        "selfManagedKafkaParameters",
        {"topicName": "orders", "startingPosition": "TRIM_HORIZON", "batchSize": 10,
         "additionalBootstrapServers": ["b2.kafka.example:9096"], "credentials": {"saslScram512Auth": SECRET},
         "vpc": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}},
        {SECRET: {"secretsmanager:GetSecretValue"},
         **{arn: {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"} for arn in EC2_NI},
         "*": EC2_DESCRIBE},
        id="self-managed-kafka"),
    pytest.param(
        ActiveMqSource(broker_arn=MQ_BROKER, queue_name="orders", credentials_secret_arn=SECRET, batch_size=10),
        "activemqBrokerParameters",
        {"queueName": "orders", "credentials": {"basicAuth": SECRET}, "batchSize": 10},
        {MQ_BROKER: {"mq:DescribeBroker"}, SECRET: {"secretsmanager:GetSecretValue"},
         **{arn: {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"} for arn in EC2_NI},
         "*": EC2_DESCRIBE},
        id="activemq"),
    pytest.param(
        RabbitMqSource(broker_arn=MQ_BROKER, queue_name="orders", credentials_secret_arn=SECRET,
                       virtual_host="shop", batch_size=10),
        "rabbitmqBrokerParameters",
        {"queueName": "orders", "credentials": {"basicAuth": SECRET}, "virtualHost": "shop", "batchSize": 10},
        {MQ_BROKER: {"mq:DescribeBroker"}, SECRET: {"secretsmanager:GetSecretValue"},
         **{arn: {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"} for arn in EC2_NI},
         "*": EC2_DESCRIBE},
        id="rabbitmq"),
]


@pytest.mark.parametrize(("source", "key", "parameters", "grants"), SOURCE_CASES)
def test_source_parameters_and_read_permissions(run, source, key, parameters, grants):
    result = run(pipe_program(source=source, **TO_QUEUE))
    inputs = pipe_inputs(result)
    assert inputs["source"] == (source.arn)
    assert inputs["sourceParameters"] == {key: parameters}
    expected = {**_expand(grants), OUT: {"sqs:SendMessage"}}
    assert actions_by_resource(result) == expected


def test_only_actions_without_resource_level_permissions_use_a_wildcard_resource(run):
    result = run(pipe_program(source=MskSource(cluster_arn=MSK, topic_name="t", batch_size=10), **TO_QUEUE))
    def resources(statement):
        return statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]

    wildcard = [s for s in statements(result).values() if "*" in resources(s)]
    assert [s["Sid"] for s in wildcard] == ["GetBootstrapBrokers", "DescribeBrokerNetwork"]
    assert all("*" not in action for s in statements(result).values() for action in s["Action"])


def test_self_managed_kafka_source_is_its_bootstrap_server(run):
    source = SelfManagedKafkaSource(bootstrap_servers=["b1.kafka.example:9092"], topic_name="t", batch_size=10)
    result = run(pipe_program(source=source, **TO_QUEUE))
    assert pipe_inputs(result)["source"] == "smk://b1.kafka.example:9092"
    # No secrets, no VPC: the role only reaches the target and the logs.
    assert set(statements(result)) == {"SendToTargetQueue", "WritePipeLogs"}


FROM_QUEUE = dict(source=SqsSource(queue_arn=QUEUE, batch_size=1))
HTTP = HttpParameters(header_parameters={"Content-Type": "application/json"}, path_parameter_values="v1",
                      query_string_parameters={"mode": "sync"})
HTTP_INPUTS = {"headerParameters": {"Content-Type": "application/json"}, "pathParameterValues": "v1",
               "queryStringParameters": {"mode": "sync"}}

TARGET_CASES = [
    pytest.param(LambdaTarget(function_arn=FUNCTION), FUNCTION,
                 {"lambdaFunctionParameters": {"invocationType": "REQUEST_RESPONSE"}},
                 {FUNCTION: {"lambda:InvokeFunction"}}, id="lambda-sync"),
    pytest.param(LambdaTarget(function_arn=FUNCTION, invocation_type="FIRE_AND_FORGET", timeout_seconds=900), FUNCTION,
                 {"lambdaFunctionParameters": {"invocationType": "FIRE_AND_FORGET"}},
                 {FUNCTION: {"lambda:InvokeFunction"}}, id="lambda-async"),
    pytest.param(StepFunctionsTarget(state_machine_arn=STATE_MACHINE), STATE_MACHINE,
                 {"stepFunctionStateMachineParameters": {"invocationType": "FIRE_AND_FORGET"}},
                 {STATE_MACHINE: {"states:StartExecution"}}, id="sfn-standard"),
    pytest.param(StepFunctionsTarget(state_machine_arn=STATE_MACHINE, workflow_type="EXPRESS"), STATE_MACHINE,
                 {"stepFunctionStateMachineParameters": {"invocationType": "REQUEST_RESPONSE"}},
                 {STATE_MACHINE: {"states:StartSyncExecution"}}, id="sfn-express-sync"),
    pytest.param(StepFunctionsTarget(state_machine_arn=STATE_MACHINE, workflow_type="EXPRESS",
                                     invocation_type="FIRE_AND_FORGET"), STATE_MACHINE,
                 {"stepFunctionStateMachineParameters": {"invocationType": "FIRE_AND_FORGET"}},
                 {STATE_MACHINE: {"states:StartExecution"}}, id="sfn-express-async"),
    pytest.param(SqsTarget(queue_arn=FIFO_QUEUE, message_group_id="$.body.orderId",
                           message_deduplication_id="$.messageId", kms_key_arn=KEY), FIFO_QUEUE,
                 {"sqsQueueParameters": {"messageGroupId": "$.body.orderId", "messageDeduplicationId": "$.messageId"}},
                 {FIFO_QUEUE: {"sqs:SendMessage"}, KEY: {"kms:Decrypt", "kms:GenerateDataKey"}}, id="sqs-fifo"),
    pytest.param(SnsTarget(topic_arn=TOPIC), TOPIC, None, {TOPIC: {"sns:Publish"}}, id="sns"),
    pytest.param(EventBusTarget(event_bus_arn=BUS, detail_type="user.updated", source="com.example.user-service"),
                 BUS, {"eventbridgeEventBusParameters": {"detailType": "user.updated",
                                                          "source": "com.example.user-service"}},
                 {BUS: {"events:PutEvents"}}, id="event-bus"),
    pytest.param(KinesisTarget(stream_arn=KINESIS, partition_key="$.body.userId"), KINESIS,
                 {"kinesisStreamParameters": {"partitionKey": "$.body.userId"}},
                 {KINESIS: {"kinesis:PutRecord", "kinesis:PutRecords"}}, id="kinesis"),
    pytest.param(FirehoseTarget(delivery_stream_arn=FIREHOSE), FIREHOSE, None,
                 {FIREHOSE: {"firehose:PutRecord", "firehose:PutRecordBatch"}}, id="firehose"),
    pytest.param(CloudWatchLogsTarget(log_group_arn=LOG_GROUP, log_stream_name="$.body.orderId"), LOG_GROUP,
                 {"cloudwatchLogsParameters": {"logStreamName": "$.body.orderId"}},
                 {LOG_GROUP + ":*": {"logs:CreateLogStream", "logs:PutLogEvents"}}, id="cloudwatch-logs"),
    pytest.param(ApiDestinationTarget(api_destination_arn=API_DESTINATION, http=HTTP), API_DESTINATION,
                 {"httpParameters": HTTP_INPUTS}, {API_DESTINATION: {"events:InvokeApiDestination"}},
                 id="api-destination"),
    pytest.param(ApiGatewayTarget(execute_api_arn=EXECUTE_API, http=HTTP), EXECUTE_API,
                 {"httpParameters": HTTP_INPUTS}, {EXECUTE_API: {"execute-api:Invoke"}}, id="api-gateway"),
    pytest.param(EcsTaskTarget(cluster_arn=CLUSTER, task_definition_arn=TASK_DEFINITION, pass_role_arns=[TASK_ROLE],
                               subnet_ids=["subnet-1"], security_group_ids=["sg-1"]), CLUSTER,
                 {"ecsTaskParameters": {"taskDefinitionArn": TASK_DEFINITION, "taskCount": 1, "launchType": "FARGATE",
                                        "networkConfiguration": {"awsVpcConfiguration": {
                                            "subnets": ["subnet-1"], "securityGroups": ["sg-1"],
                                            "assignPublicIp": "DISABLED"}}}},
                 {TASK_DEFINITION: {"ecs:RunTask"}, TASK_ROLE: {"iam:PassRole"}}, id="ecs-task"),
    pytest.param(BatchJobTarget(job_queue_arn=JOB_QUEUE, job_definition_arn=JOB_DEFINITION, job_name="report",
                                retry_attempts=2), JOB_QUEUE,
                 {"batchJobParameters": {"jobDefinition": JOB_DEFINITION, "jobName": "report",
                                         "retryStrategy": {"attempts": 2}}},
                 {JOB_QUEUE: {"batch:SubmitJob"}, JOB_DEFINITION: {"batch:SubmitJob"}}, id="batch"),
]


@pytest.mark.parametrize(("target", "arn", "parameters", "grants"), TARGET_CASES)
def test_target_parameters_and_invoke_permissions(run, target, arn, parameters, grants):
    result = run(pipe_program(target=target, **FROM_QUEUE))
    inputs = pipe_inputs(result)
    assert inputs["target"] == arn
    assert inputs.get("targetParameters") == parameters
    assert actions_by_resource(result) == {QUEUE: SQS_READ, **_expand(grants)}


def test_ecs_target_conditions_bind_the_cluster_and_the_ecs_service(run):
    target = EcsTaskTarget(cluster_arn=CLUSTER, task_definition_arn=TASK_DEFINITION, pass_role_arns=[TASK_ROLE],
                           subnet_ids=["subnet-1"])
    found = statements(run(pipe_program(target=target, **FROM_QUEUE)))
    assert found["RunTargetTask"]["Condition"] == {"ArnEquals": {"ecs:cluster": CLUSTER}}
    assert found["PassTaskRoles"]["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


ENRICHMENT_CASES = [
    pytest.param(LambdaEnrichment(function_arn=ENRICHER, input_template='{"id": "<$.messageId>"}'), ENRICHER,
                 {"inputTemplate": '{"id": "<$.messageId>"}'}, {ENRICHER: {"lambda:InvokeFunction"}}, id="lambda"),
    pytest.param(StepFunctionsEnrichment(state_machine_arn=STATE_MACHINE), STATE_MACHINE, None,
                 {STATE_MACHINE: {"states:StartSyncExecution"}}, id="sfn-express"),
    pytest.param(ApiDestinationEnrichment(api_destination_arn=API_DESTINATION, http=HTTP), API_DESTINATION,
                 {"httpParameters": HTTP_INPUTS}, {API_DESTINATION: {"events:InvokeApiDestination"}},
                 id="api-destination"),
    pytest.param(ApiGatewayEnrichment(execute_api_arn=EXECUTE_API, http=HTTP), EXECUTE_API,
                 {"httpParameters": HTTP_INPUTS}, {EXECUTE_API: {"execute-api:Invoke"}}, id="api-gateway"),
]


@pytest.mark.parametrize(("enrichment", "arn", "parameters", "grants"), ENRICHMENT_CASES)
def test_enrichment_parameters_and_invoke_permissions(run, enrichment, arn, parameters, grants):
    result = run(pipe_program(enrichment=enrichment, target=LambdaTarget(function_arn=FUNCTION), **FROM_QUEUE))
    inputs = pipe_inputs(result)
    assert inputs["enrichment"] == arn
    assert inputs.get("enrichmentParameters") == parameters
    assert actions_by_resource(result) == {QUEUE: SQS_READ, FUNCTION: {"lambda:InvokeFunction"}, **_expand(grants)}


def test_enrichment_and_target_lambdas_each_get_invoke(run):
    result = run(pipe_program(enrichment=LambdaEnrichment(function_arn=ENRICHER),
                              target=LambdaTarget(function_arn=FUNCTION), **FROM_QUEUE))
    found = statements(result)
    assert found["InvokeEnrichmentFunction"]["Resource"] == ENRICHER
    assert found["InvokeTargetFunction"]["Resource"] == FUNCTION
