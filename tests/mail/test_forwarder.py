"""The forwarder Lambda against moto: real MIME messages in, what SES actually sent out."""

from __future__ import annotations

import json
from email import policy
from email.message import EmailMessage

import pytest
from botocore.exceptions import ClientError

from features.mail.forwarder import handler
from features.mail.routing import build_routing_table
from tests.mail.support import (
    BUCKET,
    CATCH_ALL,
    DOMAIN,
    ORG,
    SENDER,
    Account,
    event,
    metric_counts,
    parsed,
    plain_message,
    sent,
    store,
)


def test_plain_text_is_forwarded_to_the_owner_with_rewritten_headers(mailbox):
    message_id = store(mailbox, plain_message())
    results = handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))

    assert [r["action"] for r in results] == ["forwarded"]
    [out] = sent()
    assert out.source == SENDER
    assert out.destinations[0] == "shop.team@acme-corp.example"
    message = parsed(out.raw_data)
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["From"].addresses[0].display_name == "Jane Doe (jane@example.org)"
    assert message["Reply-To"].addresses[0].addr_spec == "jane@example.org"
    for header in ("Return-Path", "Sender", "DKIM-Signature"):
        assert header not in message
    assert message["To"] == f"shop-prod@{DOMAIN}"  # the owner sees which account it was for
    assert message["Subject"] == "Your invoice"
    assert message["X-Groundwork-Forwarded-For"] == f"shop-prod@{DOMAIN}"
    assert message["X-Groundwork-Raw-Message"] == f"s3://{BUCKET}/inbound/{message_id}"
    assert message.get_content().replace("\r\n", "\n") == "Hello,\nthe invoice is attached.\n"
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")  # raw kept


def test_multipart_with_attachment_keeps_the_body_byte_for_byte(mailbox):
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "billing@vendor.example"
    message["To"] = f"data-lake@{DOMAIN}"
    message["Subject"] = "Report"
    message["Reply-To"] = "support@vendor.example"
    message.set_content("See attachment.")
    message.add_alternative("<p>See attachment.</p>", subtype="html")
    pdf = bytes(range(256)) * 40
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="report.pdf")
    raw = message.as_bytes()
    message_id = store(mailbox, raw)

    handler.handler(event(message_id, [f"data-lake@{DOMAIN}"]))

    # moto appends the To/Cc header addresses to the destinations it records; the first is ours.
    assert [out.destinations[0] for out in sent()] == ["alice@acme-corp.example", "bob@partner.example"]
    for out in sent():  # one copy per owner, each complete
        forwarded = parsed(out.raw_data)
        assert forwarded["Reply-To"].addresses[0].addr_spec == "support@vendor.example"
        [attachment] = list(forwarded.iter_attachments())
        assert attachment.get_filename() == "report.pdf"
        assert attachment.get_content() == pdf
        body_start = raw.index(b"\r\n\r\n") + 4
        assert out.raw_data.encode().endswith(raw[body_start:])  # body untouched
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")


def test_non_ascii_headers_survive_and_the_display_name_is_encoded(mailbox):
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Jürgen Müller <juergen@beispiel.example>"
    message["To"] = f"shop-prod@{DOMAIN}"
    message["Subject"] = "Grüße aus Köln — 請求書"
    message.set_content("Schöne Grüße", charset="utf-8")
    message_id = store(mailbox, message.as_bytes())

    handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))

    [out] = sent()
    header_block = out.raw_data.split("\r\n\r\n", 1)[0]
    assert header_block.isascii()  # RFC 2047 encoded, SES accepts it
    forwarded = parsed(out.raw_data)
    assert forwarded["Subject"] == "Grüße aus Köln — 請求書"
    assert forwarded["From"].addresses[0].display_name == "Jürgen Müller (juergen@beispiel.example)"
    assert forwarded["From"].addresses[0].addr_spec == SENDER
    assert forwarded.get_content().strip() == "Schöne Grüße"


def test_plus_addressing_and_case_reach_the_account_owner(mailbox):
    message_id = store(mailbox, plain_message(to=f"Shop-Prod+billing@{DOMAIN.upper()}"))
    results = handler.handler(event(message_id, [f"Shop-Prod+billing@{DOMAIN.upper()}"]))

    assert results[0]["match"] == "plus-tag"
    assert sent()[0].destinations[0] == "shop.team@acme-corp.example"


def test_unknown_recipient_goes_to_the_catch_all(mailbox):
    message_id = store(mailbox, plain_message(to=f"nobody@{DOMAIN}"))
    results = handler.handler(event(message_id, [f"nobody@{DOMAIN}"]))

    assert results[0]["match"] == "catch-all" and results[0]["action"] == "forwarded"
    [out] = sent()
    assert out.destinations[0] == CATCH_ALL
    assert parsed(out.raw_data)["X-Groundwork-Forwarded-For"] == f"nobody@{DOMAIN}"
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")


def test_unknown_recipient_without_catch_all_is_kept_not_sent(mailbox, monkeypatch):
    monkeypatch.setenv("ROUTES", build_routing_table(ORG).to_json())
    handler.reset_clients()
    message_id = store(mailbox, plain_message(to=f"nobody@{DOMAIN}"))

    results = handler.handler(event(message_id, [f"nobody@{DOMAIN}"]))

    assert results[0]["action"] == "unrouted"
    assert sent() == []
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")


def test_virus_fail_is_dropped_and_spam_only_when_configured(mailbox, monkeypatch):
    virus_id = store(mailbox, plain_message(), "virus0001")
    spam_id = store(mailbox, plain_message(), "spam0001")

    assert handler.handler(event(virus_id, [f"shop-prod@{DOMAIN}"], virus="FAIL"))[0]["action"] == "dropped-virus"
    assert sent() == []
    assert handler.handler(event(spam_id, [f"shop-prod@{DOMAIN}"], spam="FAIL"))[0]["action"] == "forwarded"
    assert len(sent()) == 1

    monkeypatch.setenv("DROP_SPAM", "true")
    spam2 = store(mailbox, plain_message(), "spam0002")
    assert handler.handler(event(spam2, [f"shop-prod@{DOMAIN}"], spam="FAIL"))[0]["action"] == "dropped-spam"
    assert len(sent()) == 1
    for key in (virus_id, spam_id, spam2):
        assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{key}")


def test_a_route_to_our_own_domain_is_a_loop_dropped_counted_and_kept(mailbox, monkeypatch):
    # A routing table that (wrongly) points at our own domain, e.g. edited by hand in S3.
    routes = {"domain": DOMAIN, "routes": {f"shop-prod@{DOMAIN}": [f"data-lake@{DOMAIN}"]},
              "catchAll": None}
    monkeypatch.setenv("ROUTES", json.dumps(routes))
    handler.reset_clients()
    message_id = store(mailbox, plain_message())
    assert handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))[0]["action"] == "loop"
    assert sent() == []
    assert metric_counts() == {("Dropped", "loop"): 1.0}  # the loop alarm watches this metric
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")


def test_missing_object_fails_for_retry_and_releases_the_claim(mailbox):
    with pytest.raises(ClientError) as raised:
        handler.handler(event("missing0001", [f"shop-prod@{DOMAIN}"]))
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"
    assert sent() == []
    listed = mailbox.list_objects_v2(Bucket=BUCKET, Prefix="forwarded/")
    assert listed.get("KeyCount", 0) == 0  # a retry may claim it again


def test_ses_throttling_is_retried(mailbox, monkeypatch):
    message_id = store(mailbox, plain_message())
    ses = handler._client("sesv2")
    real_send = ses.send_email
    calls = []

    def flaky_send(**kwargs):
        calls.append(kwargs)
        if len(calls) <= 2:
            raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}},
                              "SendEmail")
        return real_send(**kwargs)

    monkeypatch.setattr(ses, "send_email", flaky_send)
    results = handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))

    assert len(calls) == 3 and results[0]["action"] == "forwarded"
    assert len(sent()) == 1


def test_a_non_throttling_send_error_fails_and_can_be_retried_later(mailbox, monkeypatch):
    message_id = store(mailbox, plain_message())
    ses = handler._client("sesv2")
    real_send = ses.send_email

    def rejected(**kwargs):
        raise ClientError({"Error": {"Code": "MessageRejected", "Message": "no"}}, "SendEmail")

    monkeypatch.setattr(ses, "send_email", rejected)
    with pytest.raises(ClientError):
        handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))
    monkeypatch.setattr(ses, "send_email", real_send)
    assert handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))[0]["action"] == "forwarded"
    assert len(sent()) == 1


def test_the_same_message_is_forwarded_once(mailbox):
    message_id = store(mailbox, plain_message())
    first = handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))
    again = handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))

    assert first[0]["action"] == "forwarded" and again[0]["action"] == "duplicate"
    assert len(sent()) == 1
    marker = json.loads(mailbox.get_object(Bucket=BUCKET, Key=f"forwarded/{message_id}/shop.team@acme-corp.example")
                        ["Body"].read())
    assert marker["state"] == "sent" and marker["sesMessageId"] == first[0]["sesMessageId"]


def test_a_forward_writes_its_marker_twice_sending_before_the_send_and_sent_after(mailbox):
    """The message is built before the marker is written, so the claim is the ``sending`` write:
    two S3 writes per copy, the fewest exactly-once allows (the benchmark's small-message cost)."""
    message_id = store(mailbox, plain_message())
    writes: list[tuple[str, str]] = []

    def record(params, **_):
        if params["Key"].startswith("forwarded/"):
            writes.append((json.loads(params["Body"])["state"], "IfNoneMatch" if "IfNoneMatch" in params else
                           "IfMatch" if "IfMatch" in params else "-"))

    def send(**_):
        writes.append(("ses", "-"))

    s3, ses = handler._client("s3"), handler._client("sesv2")
    s3.meta.events.register("before-parameter-build.s3.PutObject", record)
    ses.meta.events.register("before-parameter-build.sesv2.SendEmail", send)
    try:
        [result] = handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))
    finally:
        s3.meta.events.unregister("before-parameter-build.s3.PutObject", record)
        ses.meta.events.unregister("before-parameter-build.sesv2.SendEmail", send)
    assert result["action"] == "forwarded"
    assert writes == [("sending", "IfNoneMatch"), ("ses", "-"), ("sent", "-")]


def test_a_claim_in_flight_is_not_sent_twice_but_a_stale_one_is_taken_over(mailbox, monkeypatch):
    import time

    message_id = store(mailbox, plain_message())
    marker = f"forwarded/{message_id}/shop.team@acme-corp.example"
    mailbox.put_object(Bucket=BUCKET, Key=marker, Body=json.dumps({"state": "claimed", "deadline": time.time() + 60}))
    with pytest.raises(handler.MessageInFlightError):
        handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))
    assert sent() == []

    # The claimer's invocation has ended without calling SES: nothing was sent, take it over.
    mailbox.put_object(Bucket=BUCKET, Key=marker, Body=json.dumps({"state": "claimed", "deadline": time.time() - 3600}))
    assert handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))[0]["action"] == "forwarded"
    assert len(sent()) == 1


def test_two_accounts_in_one_message_each_get_their_copy(mailbox):
    recipients = [f"shop-prod@{DOMAIN}", f"data-lake@{DOMAIN}"]
    message_id = store(mailbox, plain_message(to=", ".join(recipients)))
    results = handler.handler(event(message_id, recipients))

    assert [r["action"] for r in results] == ["forwarded"] * 3  # one per owner
    assert [m.destinations[0] for m in sent()] == ["shop.team@acme-corp.example", "alice@acme-corp.example",
                                                   "bob@partner.example"]


def test_oversize_message_is_announced_with_its_s3_location(mailbox, monkeypatch):
    monkeypatch.setattr(handler, "MAX_RAW_BYTES", 64 * 1024)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Jane Doe <jane@example.org>"
    message["To"] = f"shop-prod@{DOMAIN}"
    message["Subject"] = "Scans"
    message.set_content("big")
    message.add_attachment(b"\x00" * 400_000, maintype="application", subtype="octet-stream", filename="scan.bin")
    message_id = store(mailbox, message.as_bytes())

    results = handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))

    assert results[0]["action"] == "notice"
    [out] = sent()
    notice = parsed(out.raw_data)
    assert out.destinations[0] == "shop.team@acme-corp.example"
    assert notice["Subject"] == "[not forwarded] Scans"
    assert "too large" in notice.get_content()
    assert notice["Reply-To"].addresses[0].addr_spec == "jane@example.org"
    assert f"s3://{BUCKET}/inbound/{message_id}" in notice.get_content()
    assert len(out.raw_data) < 4096
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")["ContentLength"] > 400_000


def test_big_messages_are_fetched_in_two_ranges_and_reassembled_exactly(mailbox):
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "jane@example.org"
    message["To"] = f"shop-prod@{DOMAIN}"
    message["Subject"] = "Large"
    message.set_content("x")
    payload = bytes(range(256)) * 4096  # 1 MiB, several times the first ranged GET
    message.add_attachment(payload, maintype="application", subtype="octet-stream", filename="a.bin")
    raw = message.as_bytes()
    message_id = store(mailbox, raw)

    handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))

    [out] = sent()
    forwarded = out.raw_data.encode()
    assert forwarded.endswith(raw[raw.index(b"\r\n\r\n") + 4:])
    assert next(parsed(out.raw_data).iter_attachments()).get_content() == payload


ROUTES_KEY = "config/mail-routes.json"


@pytest.fixture
def s3_routes(mailbox, monkeypatch):
    """The deployed set-up: the table is an S3 object in the mail bucket; time is controllable."""
    mailbox.put_object(Bucket=BUCKET, Key=ROUTES_KEY, Body=build_routing_table(ORG, CATCH_ALL).to_json(),
                       ContentType="application/json")
    monkeypatch.delenv("ROUTES")
    monkeypatch.setenv("ROUTES_BUCKET", BUCKET)
    monkeypatch.setenv("ROUTES_KEY", ROUTES_KEY)
    monkeypatch.setenv("ROUTES_TTL_SECONDS", "300")
    clock = {"now": 1000.0}
    monkeypatch.setattr(handler, "_clock", lambda: clock["now"])
    reads: list[dict] = []
    handler._client("s3").meta.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: reads.append(params) if params.get("Key") == ROUTES_KEY else None)
    return clock, reads


def forward_once(s3, recipient: str = f"shop-prod@{DOMAIN}", message_id: str = "o1b2c3d4e5f6") -> list:
    store(s3, plain_message(to=recipient), message_id)
    return handler.handler(event(message_id, [recipient]))


def test_routes_are_read_from_s3_once_per_container(mailbox, s3_routes):
    _, reads = s3_routes
    forward_once(mailbox, message_id="first0001")
    forward_once(mailbox, message_id="second0002")

    assert [m.destinations[0] for m in sent()] == ["shop.team@acme-corp.example"] * 2
    assert len(reads) == 1  # the second message used the cached table


def test_a_changed_table_is_picked_up_after_the_ttl(mailbox, s3_routes):
    clock, reads = s3_routes
    forward_once(mailbox, message_id="first0001")
    changed = build_routing_table(type(ORG)(DOMAIN, [Account("shop-prod", "new.owner@acme-corp.example")]))
    mailbox.put_object(Bucket=BUCKET, Key=ROUTES_KEY, Body=changed.to_json())

    clock["now"] += 299
    forward_once(mailbox, message_id="second0002")
    clock["now"] += 2
    forward_once(mailbox, message_id="third0003")

    assert [m.destinations[0] for m in sent()] == [
        "shop.team@acme-corp.example", "shop.team@acme-corp.example", "new.owner@acme-corp.example"]
    assert len(reads) == 2 and "IfNoneMatch" in reads[1]  # a conditional re-check, not a blind reload


def test_an_unchanged_table_is_not_downloaded_again(mailbox, s3_routes):
    clock, reads = s3_routes
    forward_once(mailbox, message_id="first0001")
    clock["now"] += 301
    forward_once(mailbox, message_id="second0002")

    assert len(reads) == 2 and reads[1]["IfNoneMatch"]
    assert [m.destinations[0] for m in sent()] == ["shop.team@acme-corp.example"] * 2


@pytest.mark.parametrize("body", [None, b"not json", b'{"routes": {}}'])
def test_a_missing_or_broken_table_fails_loudly_and_keeps_the_mail(mailbox, s3_routes, body):
    if body is None:
        mailbox.delete_object(Bucket=BUCKET, Key=ROUTES_KEY)
    else:
        mailbox.put_object(Bucket=BUCKET, Key=ROUTES_KEY, Body=body)
    message_id = store(mailbox, plain_message())

    with pytest.raises(handler.RoutingTableError, match=ROUTES_KEY):
        handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))  # Lambda retries, then the DLQ

    assert sent() == []
    assert mailbox.head_object(Bucket=BUCKET, Key=f"inbound/{message_id}")
    assert mailbox.list_objects_v2(Bucket=BUCKET, Prefix="forwarded/").get("KeyCount", 0) == 0


def test_a_passing_s3_error_at_the_re_check_keeps_the_cached_table(mailbox, s3_routes, monkeypatch):
    clock, reads = s3_routes
    forward_once(mailbox, message_id="first0001")
    clock["now"] += 301

    def slow_down(params, **_):
        if params.get("Key") == ROUTES_KEY:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "reduce your request rate"}}, "GetObject")

    handler._client("s3").meta.events.register("before-parameter-build.s3.GetObject", slow_down)
    forward_once(mailbox, message_id="second0002")
    handler._client("s3").meta.events.unregister("before-parameter-build.s3.GetObject", slow_down)
    forward_once(mailbox, message_id="third0003")

    assert [m.destinations[0] for m in sent()] == ["shop.team@acme-corp.example"] * 3
    assert len(reads) == 3  # the failed re-check did not count as checked: the next call retried


def test_a_table_deleted_later_fails_at_the_next_check(mailbox, s3_routes):
    clock, _ = s3_routes
    forward_once(mailbox, message_id="first0001")
    mailbox.delete_object(Bucket=BUCKET, Key=ROUTES_KEY)
    clock["now"] += 301

    with pytest.raises(handler.RoutingTableError):
        forward_once(mailbox, message_id="second0002")
    assert len(sent()) == 1


def test_the_request_body_hook_is_removed_after_each_send(mailbox):
    message_id = store(mailbox, plain_message())
    handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"]))

    other = b"From: forwarder@" + DOMAIN.encode() + b"\r\nTo: x@example.org\r\nSubject: plain\r\n\r\nhi\r\n"
    handler._client("sesv2").send_email(FromEmailAddress=SENDER, Destination={"ToAddresses": ["x@example.org"]},
                                        Content={"Raw": {"Data": other}})
    assert sent()[-1].raw_data.encode() == other  # sent as given, not replaced by the last message


def test_lf_only_message_without_from_uses_the_envelope_sender(mailbox):
    raw = (f"To: shop-prod@{DOMAIN}\nSubject: cron output\nDKIM-Signature: v=1; b=x\n\n"
           "line one\nline two\n").encode()
    message_id = store(mailbox, raw)

    handler.handler(event(message_id, [f"shop-prod@{DOMAIN}"], source="cron@build.example.org"))

    [out] = sent()
    forwarded = out.raw_data.encode()
    header_block, body = forwarded.split(b"\n\n", 1)
    assert b"\r\n" not in header_block  # the stored line endings are kept consistent
    assert body == b"line one\nline two\n"
    message = parsed(out.raw_data)
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["From"].addresses[0].display_name == "cron@build.example.org"
    assert message["Reply-To"].addresses[0].addr_spec == "cron@build.example.org"
    assert "DKIM-Signature" not in message and message["Subject"] == "cron output"
