"""Which AWS API request each pulumi-aws resource input is sent as: the one table the API rules use.

Per resource type: the botocore service and the operation that creates it, and only the inputs
whose name differs from the API member (the rest match by name, case and underscores ignored).
A rename maps an input path (dotted, list items transparent) to a member path of the same
operation, to ``Operation:Member.Path`` of another one (the provider sets it with a second call),
or to ``-`` (no API member constrains it, e.g. a provider-only setting). Facts from the pulumi-aws
(Terraform AWS provider) resource docs and the botocore service models.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Api:
    service: str
    operation: str
    renames: dict[str, str] = field(default_factory=dict)


TABLE: dict[str, Api] = {
    # pipes, events, scheduler, schemas
    "aws:pipes/pipe:Pipe": Api("pipes", "CreatePipe", {
        "logConfiguration.includeExecutionDatas": "LogConfiguration.IncludeExecutionData",
        "namePrefix": "-"}),
    "aws:cloudwatch/eventBus:EventBus": Api("events", "CreateEventBus", {"kmsKeyIdentifier": "KmsKeyIdentifier"}),
    "aws:cloudwatch/eventRule:EventRule": Api("events", "PutRule", {"namePrefix": "-", "forceDestroy": "-"}),
    "aws:cloudwatch/eventTarget:EventTarget": Api("events", "PutTargets", {
        "rule": "Rule", "eventBusName": "EventBusName", "targetId": "Targets.Id", "arn": "Targets.Arn",
        "roleArn": "Targets.RoleArn", "input": "Targets.Input", "inputPath": "Targets.InputPath",
        "inputTransformer": "Targets.InputTransformer", "inputTransformer.inputPaths": "Targets.InputTransformer.InputPathsMap",
        "deadLetterConfig": "Targets.DeadLetterConfig", "retryPolicy": "Targets.RetryPolicy",
        "httpTarget": "Targets.HttpParameters", "sqsTarget": "Targets.SqsParameters",
        "forceDestroy": "-"}),
    "aws:cloudwatch/eventArchive:EventArchive": Api("events", "CreateArchive", {"name": "ArchiveName"}),
    "aws:cloudwatch/eventConnection:EventConnection": Api("events", "CreateConnection"),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": Api("events", "CreateApiDestination"),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": Api("events", "PutPermission"),
    "aws:scheduler/schedule:Schedule": Api("scheduler", "CreateSchedule", {"namePrefix": "-"}),
    "aws:schemas/discoverer:Discoverer": Api("schemas", "CreateDiscoverer"),
    # ses
    "aws:ses/activeReceiptRuleSet:ActiveReceiptRuleSet": Api("ses", "SetActiveReceiptRuleSet"),
    "aws:ses/domainDkim:DomainDkim": Api("ses", "VerifyDomainDkim"),
    "aws:ses/domainIdentity:DomainIdentity": Api("ses", "VerifyDomainIdentity"),
    "aws:ses/receiptRule:ReceiptRule": Api("ses", "CreateReceiptRule", {
        "name": "Rule.Name", "enabled": "Rule.Enabled", "tlsPolicy": "Rule.TlsPolicy", "recipients": "Rule.Recipients",
        "scanEnabled": "Rule.ScanEnabled", "s3Actions": "-", "lambdaActions": "-", "snsActions": "-",
        "stopActions": "-", "addHeaderActions": "-", "bounceActions": "-", "workmailActions": "-"}),
    "aws:ses/receiptRuleSet:ReceiptRuleSet": Api("ses", "CreateReceiptRuleSet"),
    # organizations, sso-admin, identitystore, ram
    "aws:organizations/account:Account": Api("organizations", "CreateAccount", {
        "name": "AccountName", "parentId": "MoveAccount:DestinationParentId", "closeOnDeletion": "-",
        "createGovcloud": "-"}),
    "aws:organizations/organization:Organization": Api("organizations", "CreateOrganization", {
        "awsServiceAccessPrincipals": "EnableAWSServiceAccess:ServicePrincipal",
        "enabledPolicyTypes": "EnablePolicyType:PolicyType"}),
    "aws:organizations/organizationalUnit:OrganizationalUnit": Api("organizations", "CreateOrganizationalUnit"),
    "aws:organizations/policy:Policy": Api("organizations", "CreatePolicy", {"skipDestroy": "-"}),
    "aws:organizations/policyAttachment:PolicyAttachment": Api("organizations", "AttachPolicy", {"skipDestroy": "-"}),
    "aws:ssoadmin/accountAssignment:AccountAssignment": Api("sso-admin", "CreateAccountAssignment"),
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": Api("sso-admin", "AttachManagedPolicyToPermissionSet"),
    "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment": Api(
        "sso-admin", "AttachCustomerManagedPolicyReferenceToPermissionSet"),
    "aws:ssoadmin/permissionSet:PermissionSet": Api("sso-admin", "CreatePermissionSet"),
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": Api("sso-admin", "PutInlinePolicyToPermissionSet"),
    "aws:ssoadmin/permissionsBoundaryAttachment:PermissionsBoundaryAttachment": Api(
        "sso-admin", "PutPermissionsBoundaryToPermissionSet"),
    "aws:identitystore/group:Group": Api("identitystore", "CreateGroup"),
    "aws:ram/resourceShare:ResourceShare": Api("ram", "CreateResourceShare"),
    "aws:ram/resourceAssociation:ResourceAssociation": Api("ram", "AssociateResourceShare", {
        "resourceArn": "resourceArns"}),
    "aws:ram/principalAssociation:PrincipalAssociation": Api("ram", "AssociateResourceShare", {
        "principal": "principals"}),
    # cloudformation
    "aws:cloudformation/stackSet:StackSet": Api("cloudformation", "CreateStackSet", {
        "name": "StackSetName", "parameters": "-", "operationPreferences": "UpdateStackSet:OperationPreferences",
        "administrationRoleArn": "AdministrationRoleARN"}),
    "aws:cloudformation/stackSetInstance:StackSetInstance": Api("cloudformation", "CreateStackInstances", {
        "region": "Regions", "accountId": "Accounts", "parameterOverrides": "-", "retainStack": "-"}),
    # queues, topics, functions, logs, alarms, builds
    "aws:sqs/queue:Queue": Api("sqs", "CreateQueue", {"name": "QueueName", "namePrefix": "-"}),
    "aws:sqs/queuePolicy:QueuePolicy": Api("sqs", "SetQueueAttributes", {"policy": "-"}),
    "aws:sns/topic:Topic": Api("sns", "CreateTopic", {"namePrefix": "-"}),
    "aws:sns/topicPolicy:TopicPolicy": Api("sns", "SetTopicAttributes", {"arn": "TopicArn", "policy": "-"}),
    "aws:sns/topicSubscription:TopicSubscription": Api("sns", "Subscribe", {"topic": "TopicArn"}),
    "aws:lambda/function:Function": Api("lambda", "CreateFunction", {
        "name": "FunctionName", "code": "-", "sourceCodeHash": "-",
        "reservedConcurrentExecutions": "PutFunctionConcurrency:ReservedConcurrentExecutions"}),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": Api("lambda", "PutFunctionEventInvokeConfig"),
    "aws:lambda/permission:Permission": Api("lambda", "AddPermission", {"function": "FunctionName"}),
    "aws:lambda/eventSourceMapping:EventSourceMapping": Api("lambda", "CreateEventSourceMapping"),
    "aws:cloudwatch/logGroup:LogGroup": Api("logs", "CreateLogGroup", {
        "name": "logGroupName", "namePrefix": "-", "skipDestroy": "-",
        "retentionInDays": "PutRetentionPolicy:retentionInDays"}),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Api("cloudwatch", "PutMetricAlarm", {"name": "AlarmName"}),
    "aws:codebuild/project:Project": Api("codebuild", "CreateProject", {
        "buildTimeout": "timeoutInMinutes", "queuedTimeout": "queuedTimeoutInMinutes"}),
    # iam, ssm, route53, s3, kms
    "aws:iam/role:Role": Api("iam", "CreateRole", {
        "name": "RoleName", "namePrefix": "-", "assumeRolePolicy": "AssumeRolePolicyDocument",
        "inlinePolicies": "-", "managedPolicyArns": "-", "forceDetachPolicies": "-"}),
    "aws:iam/rolePolicy:RolePolicy": Api("iam", "PutRolePolicy", {
        "name": "PolicyName", "namePrefix": "-", "role": "RoleName", "policy": "PolicyDocument"}),
    "aws:iam/policy:Policy": Api("iam", "CreatePolicy", {"name": "PolicyName", "namePrefix": "-",
                                                          "policy": "PolicyDocument"}),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Api("iam", "AttachRolePolicy", {"role": "RoleName"}),
    "aws:secretsmanager/secret:Secret": Api("secretsmanager", "CreateSecret", {
        "namePrefix": "-", "replicas": "AddReplicaRegions",
        "recoveryWindowInDays": "DeleteSecret:RecoveryWindowInDays", "policy": "PutResourcePolicy:ResourcePolicy"}),
    "aws:secretsmanager/secretVersion:SecretVersion": Api("secretsmanager", "PutSecretValue"),
    "aws:ssm/parameter:Parameter": Api("ssm", "PutParameter", {"insecureValue": "Value", "overwrite": "-"}),
    "aws:route53/record:Record": Api("route53", "ChangeResourceRecordSets", {
        "zoneId": "HostedZoneId", "name": "ChangeBatch.Changes.ResourceRecordSet.Name",
        "type": "ChangeBatch.Changes.ResourceRecordSet.Type", "ttl": "ChangeBatch.Changes.ResourceRecordSet.TTL",
        "records": "ChangeBatch.Changes.ResourceRecordSet.ResourceRecords.Value", "allowOverwrite": "-"}),
    "aws:route53/zone:Zone": Api("route53", "CreateHostedZone", {"comment": "HostedZoneConfig.Comment",
                                                                 "forceDestroy": "-"}),
    "aws:s3/bucket:Bucket": Api("s3", "CreateBucket", {"bucketPrefix": "-", "forceDestroy": "-"}),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": Api("s3", "PutBucketLifecycleConfiguration", {
        "rules": "LifecycleConfiguration.Rules"}),
    "aws:s3/bucketObjectv2:BucketObjectv2": Api("s3", "PutObject", {
        "content": "-", "source": "-", "forceDestroy": "-", "etag": "-"}),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Api("s3", "PutBucketOwnershipControls", {
        "rule": "OwnershipControls.Rules"}),
    "aws:s3/bucketPolicy:BucketPolicy": Api("s3", "PutBucketPolicy"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Api("s3", "PutPublicAccessBlock", {
        "blockPublicAcls": "PublicAccessBlockConfiguration.BlockPublicAcls",
        "blockPublicPolicy": "PublicAccessBlockConfiguration.BlockPublicPolicy",
        "ignorePublicAcls": "PublicAccessBlockConfiguration.IgnorePublicAcls",
        "restrictPublicBuckets": "PublicAccessBlockConfiguration.RestrictPublicBuckets", "skipDestroy": "-"}),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Api(
        "s3", "PutBucketEncryption", {"rules": "ServerSideEncryptionConfiguration.Rules"}),
    "aws:kms/key:Key": Api("kms", "CreateKey", {
        "deletionWindowInDays": "ScheduleKeyDeletion:PendingWindowInDays", "enableKeyRotation": "-",
        "rotationPeriodInDays": "EnableKeyRotation:RotationPeriodInDays", "isEnabled": "-"}),
    # dynamodb, kinesis, firehose, sfn
    "aws:dynamodb/table:Table": Api("dynamodb", "CreateTable", {
        "name": "TableName", "attributes": "AttributeDefinitions", "attributes.name": "AttributeDefinitions.AttributeName",
        "attributes.type": "AttributeDefinitions.AttributeType", "hashKey": "KeySchema.AttributeName",
        "rangeKey": "KeySchema.AttributeName", "streamViewType": "StreamSpecification.StreamViewType",
        "streamEnabled": "StreamSpecification.StreamEnabled", "serverSideEncryption": "-",
        "pointInTimeRecovery": "-", "ttl": "-"}),
    "aws:kinesis/stream:Stream": Api("kinesis", "CreateStream", {
        "name": "StreamName", "retentionPeriod": "IncreaseStreamRetentionPeriod:RetentionPeriodHours",
        "encryptionType": "StartStreamEncryption:EncryptionType", "kmsKeyId": "StartStreamEncryption:KeyId",
        "enforceConsumerDeletion": "-"}),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": Api("firehose", "CreateDeliveryStream", {
        "name": "DeliveryStreamName", "destination": "-",
        "serverSideEncryption": "DeliveryStreamEncryptionConfigurationInput",
        "serverSideEncryption.enabled": "-",
        "extendedS3Configuration": "ExtendedS3DestinationConfiguration",
        "extendedS3Configuration.bufferingInterval": "ExtendedS3DestinationConfiguration.BufferingHints.IntervalInSeconds",
        "extendedS3Configuration.bufferingSize": "ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs"}),
    "aws:sfn/stateMachine:StateMachine": Api("stepfunctions", "CreateStateMachine", {"namePrefix": "-"}),
}
