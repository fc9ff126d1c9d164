"""Target Lambda of pattern 5: processes enriched clickstream records from the MSK pipe.

Pipes sends the batch as a JSON array; with the API Gateway enrichment in front, each item is the
lookup API's response for one Kafka record. A raw Kafka record carries base64 ``key``/``value``;
both shapes are accepted. The whole batch is retried on error, so processing must be idempotent:
records are keyed by topic-partition-offset and the summary is a pure function of the batch.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections import Counter
from typing import Any

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)


def decode(record: dict[str, Any]) -> dict[str, Any]:
    """The click as a dict: the enriched object itself, or the decoded Kafka value."""
    value = record.get("value")
    if isinstance(value, str):
        try:
            decoded = base64.b64decode(value, validate=True)
            return json.loads(decoded)
        except (binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError(f"record {record_id(record)} has a value that is not base64 JSON") from None
    return record


def record_id(record: dict[str, Any]) -> str:
    return f"{record.get('topic', '?')}-{record.get('partition', '?')}-{record.get('offset', '?')}"


def handler(event: list[dict[str, Any]] | dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Count clicks per page and customer segment; raise on a malformed record (the pipe retries)."""
    records = event if isinstance(event, list) else [event]
    pages: Counter[str] = Counter()
    segments: Counter[str] = Counter()
    for record in records:
        click = decode(record)
        pages[str(click.get("page", "unknown"))] += 1
        segments[str(click.get("segment", click.get("customer", {}).get("segment", "unknown")))] += 1
    summary = {"records": len(records), "pages": dict(pages), "segments": dict(segments)}
    LOG.info(json.dumps(summary))
    return summary
