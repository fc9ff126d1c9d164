"""The example stack's Lambda handlers, run locally (Bedrock stubbed with botocore's Stubber)."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore.stub import Stubber

from features.pipes.handlers import click_processor, inquiry_enricher

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def converse_response(text: str) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
        "metrics": {"latencyMs": 100},
    }


def test_enricher_asks_bedrock_and_keeps_the_message_id(monkeypatch):
    monkeypatch.setenv("MODEL_ID", MODEL)
    client = boto3.client("bedrock-runtime", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    records = [
        {"messageId": "m-1", "body": json.dumps({"text": "Where is my parcel?", "customerId": "c-7"})},
        {"messageId": "m-2", "body": "   "},
    ]
    with Stubber(client) as stub:
        stub.add_response("converse", converse_response(" We are checking it now. "), {
            "modelId": MODEL,
            "system": [{"text": "You draft short, polite first replies to customer inquiries for a human agent."}],
            "messages": [{"role": "user", "content": [{"text": "Where is my parcel?"}]}],
            "inferenceConfig": {"maxTokens": 512, "temperature": 0.2},
        })
        result = inquiry_enricher.handler(records, client=client)
        stub.assert_no_pending_responses()
    assert result == [{
        "idempotencyKey": "m-1",
        "inquiry": {"text": "Where is my parcel?", "customerId": "c-7"},
        "suggestedReply": "We are checking it now.",
        "modelId": MODEL,
    }]


def test_processor_counts_raw_kafka_and_enriched_records():
    raw = {"topic": "clickstream", "partition": 0, "offset": 15,
           "value": base64.b64encode(json.dumps({"page": "/cart", "segment": "gold"}).encode()).decode()}
    enriched = {"page": "/cart", "customer": {"segment": "silver"}}
    assert click_processor.handler([raw, enriched]) == {
        "records": 2, "pages": {"/cart": 2}, "segments": {"gold": 1, "silver": 1}}


def test_processor_fails_the_batch_on_a_malformed_record():
    with pytest.raises(ValueError, match="clickstream-0-16 has a value that is not base64 JSON"):
        click_processor.handler([{"topic": "clickstream", "partition": 0, "offset": 16, "value": "%%%"}])
