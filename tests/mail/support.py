"""Shared by the forwarder tests: a mocked AWS account with the mail bucket, SES events, helpers."""

from __future__ import annotations

import base64
import email
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from features.mail.forwarder import handler, markers
from features.mail.routing import build_routing_table

REGION = "eu-west-1"
DOMAIN = "aws.acme-corp.example"
BUCKET = "platform-prod-mail-raw"
SENDER = f"forwarder@{DOMAIN}"
CATCH_ALL = "postmaster@acme-corp.example"
LOOP_KEY = "test-loop-key-0123456789abcdef0123456789abcdef"


@dataclass
class Account:
    name: str
    owner: str
    email: str = ""
    source: Path = field(default_factory=lambda: Path("org/accounts/x.yaml"))

    def __post_init__(self) -> None:
        self.email = self.email or f"{self.name}@{DOMAIN}"
        self.source = Path(f"org/accounts/{self.name}.yaml")


@dataclass
class Org:
    mail_domain: str
    accounts: list[Account]


ORG = Org(DOMAIN, [Account("shop-prod", "Shop.Team@Acme-Corp.example"),
                   Account("data-lake", "alice@acme-corp.example, bob@partner.example")])


_sessions: list[boto3.session.Session] = []


def _warm_session() -> boto3.session.Session:
    """One boto3 session for all mail tests: its loader keeps the service models it has read, so
    a client costs milliseconds instead of re-reading the model files for every test."""
    if not _sessions:
        _sessions.append(boto3.session.Session(region_name=REGION, aws_access_key_id="testing",
                                               aws_secret_access_key="testing", aws_session_token="testing"))
    return _sessions[0]


@contextmanager
def mocked_account(monkeypatch) -> Iterator[Any]:
    """Mocked AWS with the bucket, a verified domain, the loop key and the forwarder's environment."""
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(name, value)
    table = build_routing_table(ORG, catch_all=CATCH_ALL)
    monkeypatch.setenv("MAIL_BUCKET", BUCKET)
    monkeypatch.setenv("MAIL_PREFIX", "inbound/")
    monkeypatch.setenv("SENDER_ADDRESS", SENDER)
    monkeypatch.setenv("ROUTES", table.to_json())
    monkeypatch.delenv("ROUTES_KEY", raising=False)
    monkeypatch.setattr(handler, "_sleep", lambda seconds: None)
    monkeypatch.setattr(markers, "_sleep", lambda seconds: None)
    with mock_aws():
        boto3.DEFAULT_SESSION = _warm_session()  # (moto resets it for this context only)
        handler.reset_clients()
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=DOMAIN)
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="mail-loop-key", SecretString=LOOP_KEY)
        monkeypatch.setenv("LOOP_SECRET_ARN", secret["ARN"])
        yield s3
    handler.reset_clients()


@pytest.fixture
def mailbox(monkeypatch):
    with mocked_account(monkeypatch) as s3:
        yield s3


def sent() -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


def store(s3, raw: bytes, message_id: str = "o1b2c3d4e5f6") -> str:
    s3.put_object(Bucket=BUCKET, Key=f"inbound/{message_id}", Body=raw)
    return message_id


def event(message_id: str, recipients: list[str], *, virus: str = "PASS", spam: str = "PASS",
          source: str = "jane@example.org") -> dict:
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {
        "mail": {"messageId": message_id, "source": source, "destination": recipients,
                 "timestamp": "2026-11-24T10:00:00.000Z"},
        "receipt": {"recipients": recipients, "spamVerdict": {"status": spam},
                    "virusVerdict": {"status": virus}, "spfVerdict": {"status": "PASS"},
                    "dkimVerdict": {"status": "PASS"}, "dmarcVerdict": {"status": "PASS"},
                    "action": {"type": "Lambda", "invocationType": "Event",
                               "functionArn": f"arn:aws:lambda:{REGION}:123456789012:function:fwd"}},
    }}]}


def plain_message(to: str = f"shop-prod@{DOMAIN}", subject: str = "Your invoice") -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Jane Doe <jane@example.org>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = "<abc@example.org>"
    message["Return-Path"] = "<bounce@example.org>"
    message["Sender"] = "list@example.org"
    message["DKIM-Signature"] = "v=1; a=rsa-sha256; d=example.org; s=sel; b=AAAA"
    message.set_content("Hello,\r\nthe invoice is attached.\r\n")
    return message.as_bytes()


def parsed(raw: str) -> EmailMessage:
    """Parse what moto recorded (it keeps the raw message as UTF-8 text) the way a client would."""
    return email.message_from_bytes(raw.encode("utf-8"), policy=policy.default)




class Clock:
    """The wall clock the markers read, moved by tests (Lambda's retries come minutes later)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(markers, "now", fake)
    return fake


class Context:
    """The part of Lambda's context object the forwarder reads."""

    def __init__(self, remaining_ms: int = 120_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def wire(mailbox):
    """The exact bytes of every message the forwarder hands to SES, taken from the signed request."""
    sent_raw: list[bytes] = []

    def record(request, **_):
        body = json.loads(request.body)
        sent_raw.append(base64.b64decode(body["Content"]["Raw"]["Data"]))

    handler._client("sesv2").meta.events.register("before-send.sesv2.SendEmail", record)
    return sent_raw


def metric_counts(namespace: str = "Groundwork/Mail") -> dict[tuple[str, str | None], float]:
    """What the forwarder published to CloudWatch (moto), as {(metric, reason): sum}."""
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    totals: dict[tuple[str, str | None], float] = {}
    for metric in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]:
        dims = metric.get("Dimensions", [])
        stats = cloudwatch.get_metric_statistics(
            Namespace=namespace, MetricName=metric["MetricName"], Dimensions=dims,
            StartTime="2000-01-01T00:00:00Z", EndTime="2100-01-01T00:00:00Z", Period=86400 * 365,
            Statistics=["Sum"])
        reason = next((d["Value"] for d in dims if d["Name"] == "Reason"), None)
        totals[(metric["MetricName"], reason)] = sum(p["Sum"] for p in stats["Datapoints"])
    return totals
