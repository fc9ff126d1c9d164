"""Enrichment Lambda of pattern 4: asks a Bedrock model for a suggested reply to each inquiry.

EventBridge Pipes invokes it synchronously with the batch of SQS records (a JSON array) and sends
what it returns to the Step Functions target. Each output item keeps the SQS message id so the
workflow can deduplicate redelivered messages. Returning fewer items drops the rest.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
MAX_TOKENS = 512
_client = None


def bedrock():
    """The bedrock-runtime client, created once per execution environment."""
    global _client
    if _client is None:
        _client = boto3.client("bedrock-runtime")
    return _client


def _inquiry(record: dict[str, Any]) -> dict[str, Any] | None:
    body = record.get("body")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError:
            body = {"text": body}
    if not isinstance(body, dict) or not str(body.get("text", "")).strip():
        return None
    return body


def suggest_reply(client, model_id: str, text: str) -> str:
    """One Converse call: the model's reply text."""
    response = client.converse(
        modelId=model_id,
        system=[{"text": "You draft short, polite first replies to customer inquiries for a human agent."}],
        messages=[{"role": "user", "content": [{"text": text}]}],
        inferenceConfig={"maxTokens": MAX_TOKENS, "temperature": 0.2},
    )
    parts = response["output"]["message"]["content"]
    return "".join(part.get("text", "") for part in parts).strip()


def handler(event: list[dict[str, Any]], context: Any = None, client=None) -> list[dict[str, Any]]:
    """Enrich every usable inquiry; records without text are dropped (logged, not retried)."""
    client = client or bedrock()
    model_id = os.environ["MODEL_ID"]
    enriched = []
    for record in event:
        inquiry = _inquiry(record)
        if inquiry is None:
            LOG.warning("dropping message %s: no inquiry text", record.get("messageId"))
            continue
        enriched.append({
            "idempotencyKey": record.get("messageId"),
            "inquiry": inquiry,
            "suggestedReply": suggest_reply(client, model_id, str(inquiry["text"])),
            "modelId": model_id,
        })
    return enriched
