"""Real mail from public test corpora through the forwarder, as SES would deliver it.

Every message of ``tests/mail/corpus`` (sources, commits and licences in ``SOURCES.json``: the
RFC and regression messages of CPython's email package tests, SpamAssassin's ham and spam test
messages, the spam/malware samples of the mail-parser library) is stored with CRLF line ends as
SMTP delivers it, forwarded, and must arrive exactly once at the owner, acceptable to SES by its
documented rules, with the body byte for byte and the same MIME parts. A retry of the same event
sends nothing more.
"""

from __future__ import annotations

import base64
import email
import json
import re
from email import policy
from pathlib import Path

import moto.sesv2.responses
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from features.mail.forwarder import handler, markers
from tests.mail import moto_ses, ses_rules
from tests.mail.support import BUCKET, DOMAIN, SENDER, Clock, Context, event, mocked_account, sent, store

CORPUS = Path(__file__).parent / "corpus"
SOURCES = json.loads((CORPUS / "SOURCES.json").read_text())
OWNER = "shop.team@acme-corp.example"
# moto's SES refuses these for a header To address without a domain ("To: XX"), before any
# delivery; the forwarder then sends the owner a notice (and counts it: alarm).
REFUSED_BY_MOTO = {"cpython-msg_05.txt", "cpython-msg_15.txt"}
# moto's SES crashes on a non-ASCII address in the To header (it re-encodes header recipients);
# the invocation fails, so Lambda retries and then parks the event in the failure queue (alarm),
# the claim is released and nothing is sent: refused with the raw message kept.
CRASHES_MOTO = {"mail-parser-mail-test-12", "spamassassin-nice-unicode1"}


@pytest.fixture(scope="module")
def account():
    """One mocked account for the whole corpus (each message has its own id): fast."""
    with pytest.MonkeyPatch.context() as patch, mocked_account(patch) as s3:
        patch.setattr(moto.sesv2.responses, "base64", moto_ses.LenientBase64())
        yield s3


@pytest.fixture
def wire(account):
    """The exact bytes of each message handed to SES in this test, and what moto recorded."""
    raw: list[bytes] = []
    before = len(sent())

    def record(request, **_):
        raw.append(base64.b64decode(json.loads(request.body)["Content"]["Raw"]["Data"]))

    events = handler._client("sesv2").meta.events
    events.register("before-send.sesv2.SendEmail", record, unique_id="corpus-wire")
    yield raw, lambda: sent()[before:]
    events.unregister("before-send.sesv2.SendEmail", unique_id="corpus-wire")


def as_smtp_delivers(raw: bytes) -> bytes:
    """Line ends as SMTP carries them (CRLF); an existing CRLF stays one."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def leaf_parts(raw: bytes) -> list[tuple[str, bytes]]:
    message = email.message_from_bytes(raw, policy=policy.compat32)
    return [(part.get_content_type(), part.get_payload(decode=False).encode("utf-8", "surrogateescape")
             if isinstance(part.get_payload(decode=False), str) else b"")
            for part in message.walk() if not part.is_multipart()]


def test_the_corpus_is_small_and_every_file_has_a_source():
    files = sorted(p.name for p in CORPUS.iterdir() if p.name not in ("SOURCES.json", ".gitattributes"))
    assert files == sorted(SOURCES)
    assert 40 <= len(files) <= 100
    assert sum((CORPUS / f).stat().st_size for f in files) < 400_000
    assert all({"repository", "ref", "path", "license"} <= set(SOURCES[f]) for f in files)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_corpus_message_arrives_once_whole_and_acceptable_to_ses(account, wire, name):
    wire, delivered = wire
    raw = as_smtp_delivers((CORPUS / name).read_bytes())
    message_id = store(account, raw, "corpus0" + re.sub(r"[^a-z0-9]", "", name.lower())[-40:])
    recipients = [f"shop-prod@{DOMAIN}"]

    if name in CRASHES_MOTO:
        with pytest.raises(UnicodeEncodeError):
            handler.handler(event(message_id, recipients))
        assert delivered() == []
        assert account.list_objects_v2(Bucket=BUCKET, Prefix=f"forwarded/{message_id}/").get("KeyCount", 0) == 0
        assert account.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")
        return
    results = handler.handler(event(message_id, recipients))

    original = email.message_from_bytes(raw, policy=policy.default)
    if name in REFUSED_BY_MOTO:
        assert [r["action"] for r in results] == ["notice"], results
        assert f"s3://{BUCKET}/inbound/{message_id}".encode() in wire[-1]
        assert [m.destinations[0] for m in delivered()] == [OWNER]
    else:
        assert [r["action"] for r in results] == ["forwarded"], results
        [out] = wire
        assert [m.destinations[0] for m in delivered()] == [OWNER]
        assert ses_rules.problems(out, SENDER) == []
        if not original.defects:  # a well-formed header block: the rest is the body, byte for byte
            assert out[out.find(b"\r\n\r\n") + 4:] == raw[raw.find(b"\r\n\r\n") + 4:]
        if len(original.get_all("Content-Type") or []) <= 1:  # else the forwarder picks the one that fits
            assert leaf_parts(out) == leaf_parts(raw)
        forwarded = email.message_from_bytes(out, policy=policy.default)
        assert forwarded["From"].addresses[0].addr_spec == SENDER
        assert forwarded["X-Groundwork-Raw-Message"] == f"s3://{BUCKET}/inbound/{message_id}"

    sends = len(wire)
    again = handler.handler(event(message_id, recipients))  # Lambda's retry of the same event
    assert [r["action"] for r in again] == ["duplicate"]
    assert len(wire) == sends


FAULTS = ("s3-read", "ses-500", "ses-throttled", "sending-marker", "sent-marker", "reply-lost")


def test_the_corpus_under_s3_and_ses_faults_and_lambda_retries_arrives_exactly_once(account, monkeypatch):
    """Each message meets one fault (in turn), then Lambda's two retries and, if it still failed,
    a redrive from the failure queue a day later: exactly one copy reaches SES, never two."""
    clock = Clock()
    monkeypatch.setattr(markers, "now", clock)
    s3, ses = handler._client("s3"), handler._client("sesv2")
    fault = {"kind": "", "left": 0, "key": ""}

    def take(kind: str) -> bool:
        if fault["kind"] == kind and fault["left"]:
            fault["left"] -= 1
            return True
        return False

    def s3_read(params, **_):
        if params.get("Key") == fault["key"] and take("s3-read"):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "S3 fault"}}, "GetObject")

    def s3_write(params, **_):
        body = params.get("Body") or b""
        if (b'"state": "sending"' in body and take("sending-marker")) or (
                b'"state": "sent"' in body and take("sent-marker")):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "S3 fault"}}, "PutObject")

    def ses_before(params, **_):
        if take("ses-500"):
            raise ClientError({"Error": {"Code": "InternalFailure", "Message": "SES fault"}}, "SendEmail")
        if take("ses-throttled"):
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow"}}, "SendEmail")

    def ses_after(**_):
        if take("reply-lost"):  # SES accepted it; the answer never arrived
            raise ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com")

    hooks = [(s3, "before-parameter-build.s3.GetObject", s3_read), (s3, "before-parameter-build.s3.PutObject", s3_write),
             (ses, "before-parameter-build.sesv2.SendEmail", ses_before), (ses, "after-call.sesv2.SendEmail", ses_after)]
    for client, name, hook in hooks:
        client.meta.events.register(name, hook)
    wrong = []
    try:
        for index, name in enumerate(sorted(set(SOURCES) - CRASHES_MOTO)):
            kind = FAULTS[index % len(FAULTS)]
            message_id = store(account, as_smtp_delivers((CORPUS / name).read_bytes()), f"fault{index:04d}")
            left = {"ses-throttled": handler.SEND_ATTEMPTS + 1, "sent-marker": 4}.get(kind, 1)
            fault.update(kind=kind, left=left, key=f"inbound/{message_id}")
            before, outcomes = len(sent()), []
            for attempt in range(4):  # the invocation, Lambda's two retries, a redrive a day later
                if attempt == 3 and not outcomes[-1].endswith("Error"):
                    break
                try:
                    outcomes.append(handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]), Context())[0]["action"])
                except Exception as error:  # a failed invocation, as Lambda sees it
                    outcomes.append(type(error).__name__)
                clock.advance(90 if attempt < 2 else 24 * 3600)
            if len(sent()) - before != 1:
                wrong.append((name, kind, outcomes, len(sent()) - before))
    finally:
        for client, name, hook in hooks:
            client.meta.events.unregister(name, hook)
    assert wrong == []
