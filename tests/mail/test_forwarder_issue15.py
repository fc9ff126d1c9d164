"""Each defect of issue 15, on real corpus messages (tests/mail/corpus/SOURCES.json) bent the way
real mail bends: what SES received, what the owner got, what was counted."""

from __future__ import annotations

import email
import json
import re
from email import policy

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from features.mail.forwarder import handler, loops
from features.mail.forwarder.headers import SES_SINGLE_INSTANCE
from features.mail.routing import build_routing_table
from tests.mail import ses_rules
from tests.mail.corpus_files import corpus
from tests.mail.support import (
    BUCKET,
    CATCH_ALL,
    DOMAIN,
    LOOP_KEY,
    ORG,
    SENDER,
    Context,
    event,
    metric_counts,
    sent,
    store,
)

OWNER = "shop.team@acme-corp.example"
SHOP = f"shop-prod@{DOMAIN}"


def with_headers(raw: bytes, *lines: bytes) -> bytes:
    """``raw`` with header ``lines`` put first (as a later hop would add them)."""
    return b"".join(line + b"\r\n" for line in lines) + raw


def header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def forwarded(wire: list[bytes]) -> email.message.EmailMessage:
    return email.message_from_bytes(wire[-1], policy=policy.default)


# --------------------------------------------------------------------------- 1. display names

@pytest.mark.parametrize(("from_line", "shown"), [
    (b"From: J\xf6rg M\xfcller <joerg@example.org>", "J\u00f6rg M\u00fcller (joerg@example.org)"),  # latin-1, undeclared
    (b"From: \xe5\xbc\xa0\xe4\xbc\x9f <zhang@example.cn>", "\u5f20\u4f1f (zhang@example.cn)"),  # raw UTF-8
    (b"From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40example=2Eorg?= <evil@example.net>",
     "Evil Bcc: victim@example.org (evil@example.net)"),  # CR/LF inside an encoded-word
    (b"From: =?x-unknown?q?Caf=E9?= <cafe@example.fr>", None),  # unknown charset
])
def test_8bit_and_hostile_from_display_names_are_forwarded(mailbox, wire, from_line, shown):
    raw = corpus("spamassassin-nice-002")
    raw = re.sub(rb"(?m)^From: .*\r\n", b"", raw, count=1)
    message_id = store(mailbox, with_headers(raw, from_line))

    assert handler.handler(event(message_id, [SHOP]))[0]["action"] == "forwarded"

    out = wire[-1]
    our_from = re.search(rb"(?m)^From: .*(?:\r\n[ \t].*)*", header_block(out)).group(0)
    assert our_from.isascii()  # RFC 2047 encoded-words, whatever bytes the original name had
    assert ses_rules.problems(out, SENDER) == []
    sender = forwarded(wire)["From"].addresses[0]
    assert sender.addr_spec == SENDER
    if shown:
        assert sender.display_name == shown
    assert b"\r\nBcc:" not in header_block(out)


# --------------------------------------------------------------------------- 2. single-instance fields

def test_fields_ses_allows_once_are_kept_once_and_the_right_content_type_wins(mailbox, wire):
    raw = corpus("cpython-msg_02.txt")  # a MIME digest: multipart/mixed with a boundary
    raw = with_headers(
        raw, b"Delivered-To: first@example.org", b"Delivered-To: second@example.org",
        b"Message-ID: <dup-1@example.org>", b"Subject: first subject", b"Date: Mon, 1 Jan 2001 00:00:00 +0000",
        b"References: <a@example.org>", b"Content-Disposition: inline",
        b"Content-Disposition: attachment", b"Content-Type: text/plain; charset=us-ascii",
        b"In-Reply-To: <x@example.org>", b"In-Reply-To: <y@example.org>")
    message_id = store(mailbox, raw)

    assert handler.handler(event(message_id, [SHOP]))[0]["action"] == "forwarded"

    out = wire[-1]
    assert ses_rules.problems(out, SENDER) == []
    names = [line.split(b":", 1)[0].decode().lower() for line in header_block(out).split(b"\r\n")
             if line[:1] not in (b" ", b"\t")]
    assert all(names.count(name) == 1 for name in set(names) & SES_SINGLE_INSTANCE)
    message = forwarded(wire)
    assert message["Subject"] == "first subject" and message["Delivered-To"] == "first@example.org"
    assert message.get_content_type() == "multipart/mixed"  # the one whose boundary is in the body
    original = email.message_from_bytes(corpus("cpython-msg_02.txt"), policy=policy.default)
    assert [p.get_content_type() for p in message.walk()] == [p.get_content_type() for p in original.walk()]


# --------------------------------------------------------------------------- 3. Reply-To and two From

def test_an_unusable_reply_to_is_replaced_by_the_sender(mailbox, wire):
    raw = corpus("spamassassin-spam-fromnamespoof-spoof1")
    raw = re.sub(rb"(?m)^Reply-To: .*\r\n", b"", raw)
    message_id = store(mailbox, with_headers(raw, b'Reply-To: "Support Team" <>'))

    handler.handler(event(message_id, [SHOP]))

    [reply_to] = forwarded(wire)["Reply-To"].addresses
    assert reply_to.addr_spec == "test1@gmail.com"  # the From address, so the owner can answer


def test_with_two_from_headers_name_and_reply_to_come_from_the_same_one(mailbox, wire):
    raw = corpus("spamassassin-nice-002")
    raw = re.sub(rb"(?m)^(From|Reply-To): .*\r\n", b"", raw)
    message_id = store(mailbox, with_headers(raw, b"From: Broken Name <not-an-address>",
                                             b"From: Alice Example <alice@example.org>",
                                             b"From: Bob Example <bob@example.net>"))

    handler.handler(event(message_id, [SHOP]))

    message = forwarded(wire)
    assert message["From"].addresses[0].display_name == "Alice Example (alice@example.org)"
    assert [a.addr_spec for a in message["Reply-To"].addresses] == ["alice@example.org"]
    assert ses_rules.problems(wire[-1], SENDER) == []


# --------------------------------------------------------------------------- 4. loops

def test_a_trace_header_made_up_by_an_outsider_is_stripped_and_the_mail_forwarded(mailbox, wire):
    forged = f"{loops.HEADER}: v1.somebody.{'A' * 43}".encode()
    message_id = store(mailbox, with_headers(corpus("spamassassin-nice-002"), forged,
                                             f"X-Groundwork-Forwarded-For: x@{DOMAIN}".encode()))

    assert handler.handler(event(message_id, [SHOP]))[0]["action"] == "forwarded"

    message = forwarded(wire)
    [trace] = message.get_all(loops.HEADER)
    assert loops.verifies(LOOP_KEY.encode(), trace) and trace.startswith(f"v1.{message_id}.")
    assert message.get_all("X-Groundwork-Forwarded-For") == [SHOP]
    assert metric_counts() == {}


def test_our_own_forward_coming_back_is_dropped_counted_and_kept(mailbox, wire):
    first = store(mailbox, corpus("spamassassin-nice-002"), "first0001")
    handler.handler(event(first, [SHOP]))
    # The owner's mailbox forwards it back to the account address (headers kept): a loop.
    echo = store(mailbox, wire[-1], "echo0001")

    results = handler.handler(event(echo, [SHOP]))

    assert [r["action"] for r in results] == ["loop"]
    assert len(sent()) == 1
    assert metric_counts() == {("Dropped", "loop"): 1.0}
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{echo}")


@pytest.mark.parametrize(("dmarc", "action"), [("PASS", "loop"), ("FAIL", "forwarded")])
def test_mail_from_our_own_sender_is_a_loop_only_when_ses_authenticated_it(mailbox, dmarc, action):
    raw = re.sub(rb"(?m)^From: .*\r\n", b"", corpus("spamassassin-nice-002"))
    message_id = store(mailbox, with_headers(raw, f"From: Someone <{SENDER}>".encode()))
    verdicts = event(message_id, [SHOP])
    verdicts["Records"][0]["ses"]["receipt"]["dmarcVerdict"] = {"status": dmarc}

    assert handler.handler(verdicts)[0]["action"] == action


# --------------------------------------------------------------------------- 5. exactly once

def test_an_owner_addressed_twice_gets_one_copy(mailbox):
    message_id = store(mailbox, corpus("spamassassin-nice-002"))
    results = handler.handler(event(message_id, [SHOP, f"shop-prod+billing@{DOMAIN}", f"Shop-Prod@{DOMAIN}"]))

    assert [m.destinations[0] for m in sent()] == [OWNER]
    [result] = results
    assert result["recipients"] == [SHOP, f"shop-prod+billing@{DOMAIN}"]
    assert forwarded_for(sent()[0].raw_data) == f"{SHOP}, shop-prod+billing@{DOMAIN}"


def forwarded_for(raw: str) -> str:
    return email.message_from_string(raw, policy=policy.default)["X-Groundwork-Forwarded-For"]


def fail_when(mailbox, state: str):
    """S3 refuses to write the marker state ``state`` (a passing S3 fault)."""
    def refuse(params, **_):
        if params.get("Key", "").startswith("forwarded/") and f'"state": "{state}"'.encode() in params["Body"]:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "S3 hiccup"}}, "PutObject")
    handler._client("s3").meta.events.register("before-parameter-build.s3.PutObject", refuse)
    return refuse


def test_a_lost_sent_marker_never_leads_to_a_second_copy(mailbox, clock):
    message_id = store(mailbox, corpus("spamassassin-nice-002"))
    refuse = fail_when(mailbox, "sent")

    first = handler.handler(event(message_id, [SHOP]), Context())
    assert first[0]["action"] == "forwarded"  # delivered: the invocation succeeds, no Lambda retry
    handler._client("s3").meta.events.unregister("before-parameter-build.s3.PutObject", refuse)

    clock.advance(60)  # a duplicate delivery of the event inside the window: still in flight
    with pytest.raises(handler.MessageInFlightError):
        handler.handler(event(message_id, [SHOP]), Context())
    clock.advance(24 * 3600)  # a redrive from the failure queue a day later
    again = handler.handler(event(message_id, [SHOP]), Context())

    assert again[0]["action"] == "outcome-unknown"
    assert len(sent()) == 1
    assert metric_counts() == {("OutcomeUnknown", None): 1.0}


def test_a_send_whose_reply_was_lost_is_not_repeated_by_lambda_retries(mailbox, clock):
    message_id = store(mailbox, corpus("spamassassin-nice-002"))
    ses = handler._client("sesv2")
    real_send = ses.send_email

    def accepted_but_reply_lost(**kwargs):
        real_send(**kwargs)
        raise ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com")

    ses.send_email = accepted_but_reply_lost
    first = handler.handler(event(message_id, [SHOP]), Context())
    ses.send_email = real_send
    for _ in range(2):  # Lambda's two retries, about 1 and 2 minutes later
        clock.advance(90)
        again = handler.handler(event(message_id, [SHOP]), Context())

    assert first[0]["action"] == "outcome-unknown" and again[0]["action"] == "outcome-unknown"
    assert len(sent()) == 1
    assert metric_counts()[("OutcomeUnknown", None)] >= 1


def test_an_invocation_killed_during_the_send_is_reported_not_repeated(mailbox, clock):
    message_id = store(mailbox, corpus("spamassassin-nice-002"))
    marker = f"forwarded/{message_id}/{OWNER}"
    mailbox.put_object(Bucket=BUCKET, Key=marker,  # what a killed invocation leaves behind
                       Body=json.dumps({"state": "sending", "deadline": clock.now + 120}))
    clock.advance(60)
    with pytest.raises(handler.MessageInFlightError):  # Lambda retry 1: it may still be running
        handler.handler(event(message_id, [SHOP]), Context())
    clock.advance(120)  # Lambda retry 2: that invocation has certainly ended
    assert handler.handler(event(message_id, [SHOP]), Context())[0]["action"] == "outcome-unknown"
    assert sent() == []
    assert json.loads(mailbox.get_object(Bucket=BUCKET, Key=marker)["Body"].read())["state"] == "unknown"


def test_an_invocation_killed_before_the_send_is_taken_over_and_sent_once(mailbox, clock):
    message_id = store(mailbox, corpus("spamassassin-nice-002"))
    mailbox.put_object(Bucket=BUCKET, Key=f"forwarded/{message_id}/{OWNER}",
                       Body=json.dumps({"state": "claimed", "deadline": clock.now + 120}))
    clock.advance(200)
    assert handler.handler(event(message_id, [SHOP]), Context())[0]["action"] == "forwarded"
    assert handler.handler(event(message_id, [SHOP]), Context())[0]["action"] == "duplicate"
    assert len(sent()) == 1


@pytest.mark.parametrize("fault", ["s3-read", "ses-throttled", "ses-500", "sending-marker"])
def test_faults_then_lambda_retries_deliver_exactly_once(mailbox, clock, fault):
    message_id = store(mailbox, corpus("spamassassin-nice-001"))
    s3, ses = handler._client("s3"), handler._client("sesv2")
    state = {"left": 1 if fault != "ses-throttled" else handler.SEND_ATTEMPTS + 2}

    def s3_fault(params, **_):
        hit = (fault == "s3-read" and params.get("Key") == f"inbound/{message_id}") or (
            fault == "sending-marker" and b'"state": "sending"' in (params.get("Body") or b""))
        if hit and state["left"]:
            state["left"] -= 1
            raise ClientError({"Error": {"Code": "InternalError", "Message": "S3 fault"}}, "S3")

    def ses_fault(**_):
        if fault.startswith("ses") and state["left"]:
            state["left"] -= 1
            code = "TooManyRequestsException" if fault == "ses-throttled" else "InternalFailure"
            raise ClientError({"Error": {"Code": code, "Message": "SES fault"}}, "SendEmail")

    s3.meta.events.register("before-parameter-build.s3.GetObject", s3_fault)
    s3.meta.events.register("before-parameter-build.s3.PutObject", s3_fault)
    ses.meta.events.register("before-parameter-build.sesv2.SendEmail", ses_fault)
    outcomes = []
    for _attempt in range(3):  # the invocation and Lambda's two retries
        try:
            outcomes.append(handler.handler(event(message_id, [SHOP]), Context())[0]["action"])
        except Exception as error:  # a failed invocation, as Lambda sees it
            outcomes.append(type(error).__name__)
        clock.advance(90)

    assert outcomes.count("forwarded") == 1 and len(sent()) == 1, outcomes
    assert set(outcomes) - {"forwarded", "ClientError"} == {"duplicate"} or outcomes[-1] == "duplicate"


# --------------------------------------------------------------------------- 6. header folding

def test_a_bare_cr_in_a_subject_cannot_inject_a_header_line(mailbox, wire):
    raw = re.sub(rb"(?m)^Subject: .*\r\n", b"", corpus("spamassassin-nice-002"))
    message_id = store(mailbox, with_headers(raw, b"Subject: Invoice\rBcc: victim@example.org",
                                             b"X-Note: first part", b" \t", b"  second part"))

    handler.handler(event(message_id, [SHOP]))

    out = wire[-1]
    assert ses_rules.problems(out, SENDER) == []
    assert not re.search(rb"(?mi)^bcc:", header_block(out).replace(b"\r\n", b"\n"))
    message = forwarded(wire)
    assert message["Subject"] == "Invoice Bcc: victim@example.org" and "Bcc" not in message
    assert message["X-Note"].split() == ["first", "part", "second", "part"]


def test_an_over_long_header_line_is_folded_at_whitespace(mailbox, wire):
    words = b" ".join(b"word%04d" % i for i in range(200))
    message_id = store(mailbox, with_headers(corpus("spamassassin-nice-002"), b"X-Long: " + words))

    handler.handler(event(message_id, [SHOP]))

    assert ses_rules.problems(wire[-1], SENDER) == []
    assert forwarded(wire)["X-Long"].split() == words.decode().split()


# --------------------------------------------------------------------------- 7. size

def test_the_size_limit_is_ses_v2s_documented_one_with_a_margin():
    # 40 MB after base64 (SES quotas), read as the smaller decimal 40,000,000 bytes.
    encoded = -(-handler.MAX_RAW_BYTES // 3) * 4
    assert 38_000_000 <= encoded <= 40_000_000 - 500_000


def test_a_message_pushed_over_the_limit_by_our_headers_gets_the_notice(mailbox, wire, monkeypatch):
    raw = corpus("spamassassin-nice-002")
    monkeypatch.setattr(handler, "MAX_RAW_BYTES", len(raw) + 40)  # the original fits, the forward not
    message_id = store(mailbox, raw)

    assert handler.handler(event(message_id, [SHOP]))[0]["action"] == "notice"

    notice = forwarded(wire)
    assert notice["Subject"].startswith("[not forwarded] ")
    assert f"s3://{BUCKET}/inbound/{message_id}" in notice.get_content()
    assert metric_counts() == {("NoticeSent", "too-large"): 1.0}


def test_a_message_ses_refuses_becomes_a_notice(mailbox, wire):
    message_id = store(mailbox, corpus("spamassassin-nice-002"))
    ses = handler._client("sesv2")
    real_send = ses.send_email
    calls = []

    def refuse_the_original(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "MessageRejected", "Message": "attachment type"}}, "SendEmail")
        return real_send(**kwargs)

    ses.send_email = refuse_the_original
    results = handler.handler(event(message_id, [SHOP]))
    ses.send_email = real_send

    assert results[0]["action"] == "notice" and len(sent()) == 1
    assert "SES refused to send it (attachment type)" in email.message_from_string(
        sent()[0].raw_data, policy=policy.default).get_content()
    assert metric_counts() == {("NoticeSent", "refused"): 1.0}


# --------------------------------------------------------------------------- 8. verdict policy

def verdict_event(message_id: str, **statuses: str) -> dict:
    record = event(message_id, [SHOP])
    receipt = record["Records"][0]["ses"]["receipt"]
    for verdict, status in statuses.items():
        receipt[f"{verdict}Verdict"] = {"status": status}
    return record


@pytest.mark.parametrize(("statuses", "subject_start"), [
    ({"spam": "FAIL"}, "[SPAM] "),
    ({"dmarc": "FAIL", "spf": "FAIL"}, "[SPF FAIL] [DMARC FAIL] "),
    ({"dkim": "FAIL"}, "[DKIM FAIL] "),
    ({"spam": "GRAY", "dmarc": "PROCESSING_FAILED"}, ""),
])
def test_by_default_failed_verdicts_are_forwarded_with_a_subject_tag(mailbox, wire, statuses, subject_start):
    message_id = store(mailbox, corpus("spamassassin-spam-001"))
    assert handler.handler(verdict_event(message_id, **statuses))[0]["action"] == "forwarded"
    original = email.message_from_bytes(corpus("spamassassin-spam-001"), policy=policy.default)["Subject"]
    assert forwarded(wire)["Subject"] == subject_start + original


def test_a_virus_is_dropped_and_counted(mailbox):
    message_id = store(mailbox, corpus("spamassassin-spam-001"))
    assert handler.handler(verdict_event(message_id, virus="FAIL"))[0]["action"] == "dropped-virus"
    assert sent() == [] and metric_counts() == {("Dropped", "virus"): 1.0}
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")


def test_verdict_actions_are_the_operators_choice(mailbox, wire, monkeypatch):
    monkeypatch.setenv("VERDICT_ACTIONS", json.dumps({"spam": "drop", "dmarc": "forward"}))
    spam = store(mailbox, corpus("spamassassin-spam-001"), "spam0001")
    dmarc = store(mailbox, corpus("spamassassin-spam-002"), "dmarc0001")

    assert handler.handler(verdict_event(spam, spam="FAIL"))[0]["action"] == "dropped-spam"
    assert handler.handler(verdict_event(dmarc, dmarc="FAIL"))[0]["action"] == "forwarded"
    assert not forwarded(wire)["Subject"].startswith("[")
    assert metric_counts() == {("Dropped", "spam"): 1.0}


# --------------------------------------------------------------------------- options

def test_the_subject_prefix_goes_before_the_subject_and_after_the_tags(mailbox, wire, monkeypatch):
    monkeypatch.setenv("SUBJECT_PREFIX", "[aws]")
    message_id = store(mailbox, corpus("spamassassin-nice-002"))
    handler.handler(verdict_event(message_id, spam="FAIL"))
    original = email.message_from_bytes(corpus("spamassassin-nice-002"), policy=policy.default)["Subject"]
    assert forwarded(wire)["Subject"] == f"[SPAM] [aws] {original}"


def test_rules_route_by_local_part_and_by_domain_before_the_catch_all(mailbox, monkeypatch):
    table = build_routing_table(ORG, CATCH_ALL, {"postmaster": "mail-admins@acme-corp.example",
                                                f"@{DOMAIN}": ["unknown-accounts@acme-corp.example"]})
    monkeypatch.setenv("ROUTES", table.to_json())
    handler.reset_clients()
    message_id = store(mailbox, corpus("spamassassin-nice-002"))

    results = handler.handler(event(message_id, [f"postmaster+dmarc@{DOMAIN}", f"nobody@{DOMAIN}", SHOP]))

    assert [(r["match"], r["to"]) for r in results] == [
        ("local-part", ["mail-admins@acme-corp.example"]), ("domain", ["unknown-accounts@acme-corp.example"]),
        ("exact", [OWNER])]


@pytest.mark.parametrize(("from_domain", "dmarc", "action"), [
    ("amazon.com", "PASS", "forwarded"),
    ("eu-west-1.amazonses.com", "PASS", "forwarded"),  # a subdomain of an allowed domain
    ("amazon.com", "FAIL", "dropped-sender-not-allowed"),  # a forged From never passes
    ("example.org", "PASS", "dropped-sender-not-allowed"),
])
def test_account_root_mail_comes_only_from_allowed_sender_domains(mailbox, monkeypatch, from_domain, dmarc, action):
    monkeypatch.setenv("ALLOWED_SENDER_DOMAINS", "amazon.com,amazonses.com")
    monkeypatch.setenv("VERDICT_ACTIONS", json.dumps({"dmarc": "forward"}))
    raw = re.sub(rb"(?m)^From: .*\r\n", b"", corpus("spamassassin-nice-002"))
    message_id = store(mailbox, with_headers(raw, f"From: AWS <no-reply@{from_domain}>".encode()))
    record = verdict_event(message_id, dmarc=dmarc, spf="FAIL")

    assert handler.handler(record)[0]["action"] == action
    if action != "forwarded":
        assert sent() == [] and metric_counts() == {("Dropped", "sender-not-allowed"): 1.0}


def test_the_loop_key_is_read_once_per_container(mailbox):
    calls = []
    handler._client("secretsmanager").meta.events.register(
        "before-call.secrets-manager.GetSecretValue", lambda **kw: calls.append(kw))
    for message_id in ("first0001", "second0002"):
        handler.handler(event(store(mailbox, corpus("spamassassin-nice-002"), message_id), [SHOP]))
    assert len(calls) == 1 and len(sent()) == 2
    assert boto3.client("secretsmanager").get_secret_value(SecretId="mail-loop-key")["SecretString"] == LOOP_KEY
