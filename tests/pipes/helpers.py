"""Shared helpers for the pipes tests: declare one EventPipe under mocks and read what it produced."""

from __future__ import annotations

import json
from typing import Any

from groundwork.context import load_context
from groundwork.pipes import EventPipe, EventPipeArgs

from org.plan.runtime import ProgramRun

REGION, ACCOUNT = "eu-west-1", "123456789012"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"
FIFO_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders.fifo"
DLQ = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-dlq"
DDB_STREAM = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/powers/stream/2026-01-01T00:00:00.000"
KINESIS = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"
MSK = f"arn:aws:kafka:{REGION}:{ACCOUNT}:cluster/clickstream/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab-2"
MQ_BROKER = f"arn:aws:mq:{REGION}:{ACCOUNT}:broker:orders:b-1234"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:mq-creds-AbCdEf"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:processor"
ENRICHER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:enricher"
STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:fulfillment"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/domain"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
FIREHOSE = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/archive"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/orders/audit"
API_DESTINATION = f"arn:aws:events:{REGION}:{ACCOUNT}:api-destination/crm/0000-1111"
EXECUTE_API = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:a1b2c3d4e5/prod/POST/lookup"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/jobs"
TASK_DEFINITION = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/report:3"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/report-task"
JOB_QUEUE = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/reports"
JOB_DEFINITION = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/report:1"
PIPE_ARN = f"arn:aws:pipes:{REGION}:{ACCOUNT}:pipe/shop-dev-orders"


def pipe_program(name: str = "orders", **fields: Any):
    """A program declaring one EventPipe; ``fields`` are EventPipeArgs fields (context added)."""

    def program() -> None:
        EventPipe(name, EventPipeArgs(context=load_context(), **fields))

    return program


def statements(result: ProgramRun) -> dict[str, dict]:
    """The pipe role's policy statements by Sid (parsed JSON)."""
    policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert policy["Version"] == "2012-10-17"
    return {s["Sid"]: s for s in policy["Statement"]}


def actions_by_resource(result: ProgramRun) -> dict[str, set[str]]:
    """Every (resource -> actions) the role grants, with log statements left out."""
    granted: dict[str, set[str]] = {}
    for sid, statement in statements(result).items():
        if sid == "WritePipeLogs":
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            granted.setdefault(resource, set()).update(statement["Action"])
    return granted


def pipe_inputs(result: ProgramRun) -> dict:
    return result.one("aws:pipes/pipe:Pipe").inputs
