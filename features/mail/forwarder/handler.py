"""SES inbound mail forwarder: delivers mail for <account>@<mail domain> to the account owner.

SES stores each received message in S3 (receipt rule action 1) and then invokes this function
asynchronously (action 2) with the message's metadata and verdicts. For every recipient on our
domain the function looks up the owner in the routing table, applies the verdict policy, rewrites
the header block into one SES accepts (``headers``: From becomes our verified sender, Reply-To
the original sender, single-instance fields once, no header injection), and sends the raw message
with the SES v2 API, once per owner. The stored message is never deleted.

Why SES v2 ``SendEmail`` with ``Content.Raw``: it takes 40 MB per message after base64 encoding
(SES v1 ``SendRawEmail``: 10 MB), so almost every received message is forwarded whole; larger
ones, and messages SES refuses, are announced with a short notice naming the S3 location.

Exactly once per owner: a marker per message and destination (``markers``) is written before the
SES call and completed after it; a retried or duplicate event never re-sends a message SES may
have accepted. Loops are recognised by a signed trace header (``loops``). Drops and anything
unusual are counted in CloudWatch (``metrics``).

Memory: the header block is parsed once; the body is never parsed, only streamed from S3 and
base64-encoded into the SES request (see ``_EncodedContent``), about 2.7x the message size.

Only the standard library and boto3 (both in the Lambda Python runtime) are used.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import re
import time
from collections.abc import Iterator
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError, ResponseStreamingError

try:  # package import (tests, benchmark)
    from . import headers, loops, markers, metrics
except ImportError:  # in Lambda the modules sit at the root of the archive
    import headers  # type: ignore[no-redef]
    import loops  # type: ignore[no-redef]
    import markers  # type: ignore[no-redef]
    import metrics  # type: ignore[no-redef]

LOG = logging.getLogger("groundwork.mail.forwarder")
LOG.setLevel(logging.INFO)

# SES quotas (docs.aws.amazon.com/ses/latest/dg/quotas.html, checked 2026-12-02): "Using the SES v2
# API or SMTP - Maximum message size (including attachments): 40 MB per message (after base64
# encoding)". The page does not say decimal or binary: take the smaller, 40,000,000 bytes, keep
# 1,000,000 encoded bytes of margin for the request around the message, and the raw message may
# be 3/4 of the rest: 29,250,000 bytes. Anything bigger gets the "too large, stored at" notice.
SES_V2_MAX_ENCODED_BYTES = 40_000_000
SIZE_MARGIN_ENCODED_BYTES = 1_000_000
MAX_RAW_BYTES = (SES_V2_MAX_ENCODED_BYTES - SIZE_MARGIN_ENCODED_BYTES) // 4 * 3
HEAD_CHUNK = 256 * 1024  # first ranged GET: whole small messages, the header block of big ones
READ_CHUNK = 3 * 1024 * 1024  # a multiple of 3, so streamed chunks base64-encode without carry
# What botocore serializes in place of the message; its base64 is replaced in the request body.
PLACEHOLDER = b"groundwork:forwarded-message:placeholder"
PLACEHOLDER_B64 = base64.b64encode(PLACEHOLDER)
THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException",
                              "RequestLimitExceeded", "SlowDown"})
SEND_ATTEMPTS = 6
# Removed from the forwarded copy: SES refuses a From/Sender/Return-Path it has not verified, the
# original signatures no longer match after the rewrite, and From/Reply-To/Subject are rebuilt.
STRIPPED_HEADERS = frozenset({
    "from", "sender", "return-path", "reply-to", "errors-to", "dkim-signature",
    "domainkey-signature", "arc-seal", "arc-message-signature", "arc-authentication-results",
    "x-ses-dkim-signature",
})
OUR_HEADER_PREFIX = "x-groundwork-"  # incoming ones are someone else's: always removed
FORWARDED_HEADER = "X-Groundwork-Forwarded-For"
RAW_HEADER = "X-Groundwork-Raw-Message"
# Verdict policy: what to do with mail whose SES verdict is FAIL. Safe defaults: a virus is
# dropped, everything else reaches the owner marked in the subject (nothing is lost unseen).
VERDICTS = ("virus", "spam", "spf", "dkim", "dmarc")
ACTIONS = ("forward", "tag", "drop")
DEFAULT_VERDICT_ACTIONS = {"virus": "drop", "spam": "tag", "spf": "tag", "dkim": "tag", "dmarc": "tag"}
VERDICT_TAGS = {"virus": "[VIRUS]", "spam": "[SPAM]", "spf": "[SPF FAIL]", "dkim": "[DKIM FAIL]",
                "dmarc": "[DMARC FAIL]"}
# Re-check errors that mean the table is really gone or unreadable (never fall back to a cache).
TABLE_GONE_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "AccessDenied", "403", "404"})
MESSAGE_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
# SES's answers that refuse this message's content for good: retrying cannot help, so the owner
# gets a notice naming the stored original instead (counted: NoticeSent, Reason=refused).
# Errors after the request reached the network: SES may or may not have accepted the message.
AFTER_SEND_ERRORS = (ReadTimeoutError, ConnectionClosedError, ResponseStreamingError)
REFUSED_CODES = frozenset({"MessageRejected", "InvalidParameterValue", "BadRequestException"})

MessageInFlightError = markers.MessageInFlightError
_clients: dict[str, Any] = {}
_routes_cache: dict[str, dict[str, Any]] = {}
_secrets: dict[str, bytes] = {}
_sleep = time.sleep
_clock = time.monotonic


class RoutingTableError(RuntimeError):
    """The routing table is missing or unreadable: fail (retry, then failure queue), never drop."""


# --------------------------------------------------------------------------- configuration

def _settings() -> dict[str, Any]:
    verdicts = dict(DEFAULT_VERDICT_ACTIONS)
    if os.environ.get("DROP_SPAM", "false").lower() == "true":
        verdicts["spam"] = "drop"
    verdicts.update(json.loads(os.environ.get("VERDICT_ACTIONS") or "{}"))
    unknown = {k: v for k, v in verdicts.items() if k not in VERDICTS or v not in ACTIONS}
    if unknown:
        raise ValueError(f"VERDICT_ACTIONS has unknown verdicts or actions: {unknown}")
    return {
        "bucket": os.environ["MAIL_BUCKET"],
        "prefix": os.environ.get("MAIL_PREFIX", "inbound/"),
        "marker_prefix": os.environ.get("MARKER_PREFIX", "forwarded/"),
        "sender": os.environ["SENDER_ADDRESS"].lower(),
        "verdicts": verdicts,
        "subject_prefix": os.environ.get("SUBJECT_PREFIX", "").strip(),
        "allowed_sender_domains": [d.strip().lower() for d in os.environ.get("ALLOWED_SENDER_DOMAINS", "").split(",")
                                   if d.strip()],
        "stale_after": int(os.environ.get("CLAIM_STALE_SECONDS", "900")),
        "loop_secret_arn": os.environ["LOOP_SECRET_ARN"],
        "namespace": os.environ.get("METRICS_NAMESPACE", metrics.DEFAULT_NAMESPACE),
    }


def _client(service: str) -> Any:
    if service not in _clients:
        # SES sends are retried here (with jitter, on throttling only); S3 keeps botocore's retries.
        config = Config(retries={"mode": "standard", "max_attempts": 1 if service == "sesv2" else 3})
        _clients[service] = boto3.client(service, config=config)
    return _clients[service]


def reset_clients() -> None:
    """Forget cached clients, routes and the loop key (tests start a fresh mocked AWS per test)."""
    _clients.clear()
    _routes_cache.clear()
    _secrets.clear()


def _loop_key(arn: str) -> bytes:
    """The per-deployment HMAC key (Secrets Manager), read once per container."""
    if arn not in _secrets:
        _secrets[arn] = _client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"].encode()
    return _secrets[arn]


def load_routes() -> dict[str, Any]:
    """The routing table: the S3 object ``ROUTES_BUCKET``/``ROUTES_KEY`` (or ``ROUTES`` JSON locally).

    Read once per container and kept with its ETag; after ``ROUTES_TTL_SECONDS`` a conditional GET
    (``IfNoneMatch``) checks for a newer table, so routing changes apply within minutes and an
    unchanged table costs no download. A table that cannot be read raises
    :class:`RoutingTableError`: the invocation fails, Lambda retries and then parks the event in
    the failure queue, and the raw message stays in S3 (mail is never dropped for lack of a table).
    """
    key = os.environ.get("ROUTES_KEY")
    if not key:
        if "env" not in _routes_cache:
            _routes_cache["env"] = {"table": _parse_routes(os.environ["ROUTES"], "ROUTES")}
        return _routes_cache["env"]["table"]
    bucket = os.environ.get("ROUTES_BUCKET") or os.environ["MAIL_BUCKET"]
    location = f"s3://{bucket}/{key}"
    ttl = float(os.environ.get("ROUTES_TTL_SECONDS", "300"))
    cached = _routes_cache.get(location)
    now = _clock()
    if cached is not None and now - cached["checked"] < ttl:
        return cached["table"]
    request: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if cached is not None:
        request["IfNoneMatch"] = cached["etag"]
    try:
        response = _client("s3").get_object(**request)
    except ClientError as error:
        if cached is not None and _code(error) in ("304", "NotModified"):
            cached["checked"] = now
            return cached["table"]
        if cached is not None and _code(error) not in TABLE_GONE_CODES:
            # A passing S3 hiccup: the copy we have is still the last known table; check next time.
            LOG.warning("could not re-check the routing table %s (%s); using the cached copy",
                        location, _code(error))
            return cached["table"]
        raise RoutingTableError(f"cannot read the mail routing table {location}: {_code(error)}") from error
    table = _parse_routes(response["Body"].read(), location)
    _routes_cache[location] = {"table": table, "etag": response.get("ETag", ""), "checked": now}
    if cached is not None:
        LOG.info("routing table %s changed: %d routes", location, len(table["routes"]))
    return table


def _parse_routes(document: str | bytes, location: str) -> dict[str, Any]:
    try:
        table = json.loads(document)
    except ValueError as error:
        raise RoutingTableError(f"the mail routing table {location} is not JSON: {error}") from None
    if not (isinstance(table, dict) and isinstance(table.get("domain"), str)
            and isinstance(table.get("routes"), dict)):
        raise RoutingTableError(f"the mail routing table {location} has no 'domain' and 'routes'")
    return table


# --------------------------------------------------------------------------- routing

def resolve(routes: dict[str, Any], recipient: str) -> tuple[list[str], str]:
    """Owner addresses for ``recipient`` and how they were found.

    In order: the exact address (``exact``), ``name+tag@domain`` as ``name@domain`` (``plus-tag``),
    a rule for the local part (``local-part``, also without its ``+tag``), a rule for the
    ``@domain`` (``domain``), then the catch-all. Case-insensitive. Addresses on our own domain
    are never returned: forwarding to them would loop back into SES.
    """
    domain = routes["domain"].lower()
    address = recipient.strip().lower()
    local, _, host = address.rpartition("@")
    base = local.split("+", 1)[0]
    table = routes.get("routes", {})
    rules = routes.get("rules") or {}
    targets, how = None, "catch-all"
    if host == domain and address in table:
        targets, how = table[address], "exact"
    elif host == domain and f"{base}@{host}" in table:
        targets, how = table[f"{base}@{host}"], "plus-tag"
    elif local in rules or base in rules:
        targets, how = rules[local] if local in rules else rules[base], "local-part"
    elif f"@{host}" in rules:
        targets, how = rules[f"@{host}"], "domain"
    if targets is None:
        catch_all = routes.get("catchAll")
        targets = [catch_all] if catch_all else []
    targets = [targets] if isinstance(targets, str) else list(targets)
    safe = [t.lower() for t in targets if not _on_domain(t, domain)]
    if len(safe) != len(targets):
        LOG.warning("not forwarding %s to addresses on our own domain (loop): %s", recipient,
                    sorted(set(targets) - set(safe)))
        how = "loop" if not safe else how
    return safe, how


def _on_domain(address: str, domain: str) -> bool:
    host = address.rpartition("@")[2].lower()
    return host == domain or host.endswith("." + domain)


# --------------------------------------------------------------------------- entry point

def handler(event: dict[str, Any], context: Any = None) -> list[dict[str, Any]]:
    """Lambda entry point for the SES receipt rule's Lambda action (asynchronous ``Event`` call)."""
    results: list[dict[str, Any]] = []
    for record in event.get("Records", []):
        results.extend(forward(record["ses"], context))
    return results


def forward(ses: dict[str, Any], context: Any = None) -> list[dict[str, Any]]:
    """Forward one received message once to the owner of every account it was addressed to."""
    settings = _settings()
    counts = metrics.Metrics(settings["namespace"], lambda: _client("cloudwatch"))
    try:
        return _forward(settings, ses, counts, _deadline(context, settings["stale_after"]))
    finally:
        counts.flush()


def _deadline(context: Any, fallback_seconds: int) -> float:
    """When this invocation ends at the latest (wall clock), for the markers it writes."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    seconds = remaining() / 1000 if callable(remaining) else fallback_seconds
    return markers.now() + seconds


def _forward(settings: dict[str, Any], ses: dict[str, Any], counts: metrics.Metrics,
             deadline: float) -> list[dict[str, Any]]:
    mail, receipt = ses["mail"], ses["receipt"]
    message_id = mail["messageId"]
    if not MESSAGE_ID.match(message_id):
        raise ValueError(f"unexpected SES message id {message_id!r}")
    key = settings["prefix"] + message_id
    location = f"s3://{settings['bucket']}/{key}"
    base = {"messageId": message_id, "location": location}
    dropped, tags = _verdicts(receipt, settings["verdicts"])
    if dropped:
        LOG.warning("dropping %s: %s verdict FAIL (raw message kept at %s)", message_id, dropped, location)
        counts.count(metrics.DROPPED, dropped)
        return [{**base, "action": f"dropped-{dropped}"}]

    routes = load_routes()
    results: list[dict[str, Any]] = []
    routed: list[tuple[str, list[str], str]] = []
    for recipient in receipt.get("recipients") or mail.get("destination") or []:
        targets, how = resolve(routes, recipient)
        if targets:
            routed.append((recipient.lower(), targets, how))
            continue
        action = "loop" if how == "loop" else "unrouted"
        if action == "loop":
            counts.count(metrics.DROPPED, "loop")
        LOG.warning("no mailbox for %s (%s); raw message kept at %s", recipient, how, location)
        results.append({**base, "recipient": recipient.lower(), "to": [], "match": how, "action": action})
    if not routed:
        return results

    source = _Source.fetch(settings["bucket"], key, mail.get("source") or "")
    loop = _loop_signal(settings, source, receipt)
    if loop:
        LOG.warning("dropping %s: it was forwarded by us before (%s); raw message kept at %s",
                    message_id, loop, location)
        counts.count(metrics.DROPPED, "loop")
        return results + [{**base, "recipient": r, "to": t, "match": how, "action": "loop"} for r, t, how in routed]

    # One copy per owner, however many of the owner's addresses the message was sent to.
    owners: dict[str, dict[str, Any]] = {}
    for recipient, targets, how in routed:
        if how in ("exact", "plus-tag") and not _sender_allowed(settings, source, mail, receipt):
            LOG.warning("dropping %s to %s: sender domain not on the allow-list (raw message kept at %s)",
                        message_id, recipient, location)
            counts.count(metrics.DROPPED, "sender-not-allowed")
            results.append({**base, "recipient": recipient, "to": targets, "match": how,
                            "action": "dropped-sender-not-allowed"})
            continue
        for owner in targets:
            entry = owners.setdefault(owner, {"recipients": [], "match": how})
            if recipient not in entry["recipients"]:
                entry["recipients"].append(recipient)

    s3 = _client("s3")
    for owner, entry in owners.items():
        result = {**base, "recipient": entry["recipients"][0], "recipients": entry["recipients"],
                  "to": [owner], "match": entry["match"]}
        marker = markers.Marker(s3, settings["bucket"], f"{settings['marker_prefix']}{message_id}/{owner}",
                                deadline)
        result.update(_deliver(settings, source, entry["recipients"], owner, location, tags, marker,
                               counts, message_id))
        results.append(result)
    return results


def _verdicts(receipt: dict[str, Any], actions: dict[str, str]) -> tuple[str | None, list[str]]:
    """(verdict that drops the message or None, subject tags) for the FAIL verdicts."""
    failed = [v for v in VERDICTS if (receipt.get(f"{v}Verdict") or {}).get("status") == "FAIL"]
    dropping = [v for v in failed if actions[v] == "drop"]
    if dropping:
        return dropping[0], []
    return None, [VERDICT_TAGS[v] for v in failed if actions[v] == "tag"]


def _loop_signal(settings: dict[str, Any], source: _Source, receipt: dict[str, Any]) -> str | None:
    """Why this message is one of our own forwards coming back, or None."""
    traces = source.block.all(loops.HEADER.lower())
    if traces:
        key = _loop_key(settings["loop_secret_arn"])
        if any(loops.verifies(key, headers.decode(t.value)) for t in traces):
            return "signed trace header"
    dmarc_pass = (receipt.get("dmarcVerdict") or {}).get("status") == "PASS"
    if dmarc_pass and settings["sender"] in source.from_addresses():
        return "From is our own sending address, authenticated by DMARC"
    return None


def _sender_allowed(settings: dict[str, Any], source: _Source, mail: dict[str, Any],
                    receipt: dict[str, Any]) -> bool:
    """Mail to an account address only from allowed sender domains, if a list is configured.

    A domain counts only where SES authenticated it: the From domain with DMARC PASS, the SMTP
    envelope sender's domain with SPF PASS (a forged From alone never passes).
    """
    allowed = settings["allowed_sender_domains"]
    if not allowed:
        return True
    domains = []
    if (receipt.get("dmarcVerdict") or {}).get("status") == "PASS":
        domains += [a.rpartition("@")[2] for a in source.from_addresses()]
    if (receipt.get("spfVerdict") or {}).get("status") == "PASS":
        domains.append((mail.get("source") or "").rpartition("@")[2].lower())
    return any(d and (d == a or d.endswith("." + a)) for d in domains for a in allowed)


# --------------------------------------------------------------------------- the stored message

class _Source:
    """The stored raw message: its header block, parsed once, and where its body starts.

    Small messages come in one ranged GET; for big ones the body is fetched only when it is
    sent and is written straight into the buffer that is handed to SES (no second copy).
    """

    def __init__(self, bucket: str, key: str, head: bytes, size: int, envelope_sender: str = "") -> None:
        self.bucket, self.key, self.head, self.size = bucket, key, head, size
        self.envelope_sender = envelope_sender.strip()
        self.block = headers.parse(head)
        self.body_start = self.block.body_start

    @classmethod
    def fetch(cls, bucket: str, key: str, envelope_sender: str = "") -> _Source:
        response = _client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_CHUNK - 1}")
        head = response["Body"].read()
        size = _total_size(response, len(head))
        if headers.body_start(head, headers.newline_of(head)) is None and size > len(head):
            head = _client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()  # a huge header block
        return cls(bucket, key, head, size, envelope_sender)

    @property
    def newline(self) -> bytes:
        return self.block.newline

    def from_addresses(self) -> list[str]:
        return [addr.lower() for f in self.block.all("from") for _, addr in headers.addresses(f)
                if headers.usable(addr)]

    def original_sender(self) -> tuple[str, str]:
        """(display name, address) of the first From with a usable address; both from the same field.

        Without a usable From, the SMTP envelope sender is the address (the name of the first
        From, if any, is still shown).
        """
        first_name = ""
        for field in self.block.all("from"):
            for name, addr in headers.addresses(field):
                if headers.usable(addr):
                    return name, addr
                first_name = first_name or name
        envelope = self.envelope_sender if headers.usable(self.envelope_sender) else ""
        return first_name, envelope

    def reply_to(self, fallback: str) -> list[tuple[str, str]]:
        """The first Reply-To with usable addresses (unusable ones left out), else ``fallback``."""
        for field in self.block.all("reply-to"):
            found = [(n, a) for n, a in headers.addresses(field) if headers.usable(a)]
            if found:
                return found
        return [("", fallback)] if fallback else []

    def chunks(self, header_block: bytes) -> Iterator[bytes]:
        """The forwarded message in pieces: new header block, then the stored body as it streams in."""
        yield header_block
        yield self.head[self.body_start:]
        if len(self.head) >= self.size:
            return
        stream = _client("s3").get_object(Bucket=self.bucket, Key=self.key,
                                          Range=f"bytes={len(self.head)}-")["Body"]
        while chunk := stream.read(READ_CHUNK):
            yield chunk

    @property
    def body_size(self) -> int:
        return self.size - self.body_start


def _total_size(response: dict[str, Any], fallback: int) -> int:
    content_range = response.get("ContentRange") or ""
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    return int(response.get("ContentLength") or fallback)


# --------------------------------------------------------------------------- building and sending

def _deliver(settings: dict[str, Any], source: _Source, recipients: list[str], owner: str, location: str,
             tags: list[str], marker: markers.Marker, counts: metrics.Metrics,
             message_id: str) -> dict[str, Any]:
    """Send one copy to ``owner`` (or a notice), recording the outcome in ``marker``.

    The message is built before the marker is written, so the marker goes straight to ``sending``
    (one S3 write fewer per copy than claiming first): nothing fallible runs between that write
    and the SES call, and a failure while building leaves no marker to release.
    """
    trace = loops.sign(_loop_key(settings["loop_secret_arn"]), message_id)
    header_block = _rewritten_headers(settings, source, recipients, location, tags, trace)
    state = marker.claim("sending")
    if state == "unknown":
        LOG.error("outcome of an earlier send of %s to %s is unknown; not re-sending (marker %s)",
                  message_id, owner, marker.key)
        counts.count(metrics.OUTCOME_UNKNOWN)
        return {"action": "outcome-unknown"}
    if state is not None:
        LOG.info("already forwarded (%s); skipping", marker.key)
        return {"action": "duplicate"}
    if len(header_block) + source.body_size > MAX_RAW_BYTES:
        LOG.info("message at %s is %d bytes, over the SES limit: sending a notice", location, source.size)
        return _send_tracked(marker, counts, "notice", settings["sender"], owner,
                             _notice(settings["sender"], source, recipients, owner, location, trace,
                                     "it is too large to forward"), reason="too-large")
    content = _EncodedContent(source, header_block)
    try:
        return _send_tracked(marker, counts, "sent", settings["sender"], owner, PLACEHOLDER, before_sign=content)
    except ClientError as error:
        if _code(error) not in REFUSED_CODES:  # (a refusal is SES's answer to the whole message)
            raise
        # SES refused this message for good (e.g. an attachment type it does not send): tell the owner.
        LOG.warning("SES refused the forward of %s (%s); sending a notice", location, error)
        return _send_tracked(marker, counts, "notice", settings["sender"], owner,
                             _notice(settings["sender"], source, recipients, owner, location, trace,
                                     f"SES refused to send it ({_message(error)})"), reason="refused")


def _send_tracked(marker: markers.Marker, counts: metrics.Metrics, state: str, sender: str, owner: str,
                  raw: bytes, before_sign: _EncodedContent | None = None, reason: str | None = None) -> dict[str, Any]:
    """SES send between the ``sending`` and final marker states, classifying every failure.

    The request left but no answer came (read timeout, connection closed, broken response): SES
    may have sent it, so the outcome is recorded as unknown, counted and alarmed, and never
    re-sent automatically. Any other error (SES answered with an error, the request could not be
    built or sent): nothing was sent, the marker is released and the error raised (Lambda retries).
    """
    try:
        marker.sending()
    except ClientError as error:
        if _code(error) in markers.CONFLICT_CODES:
            raise MessageInFlightError(f"{marker.key} was taken over by another invocation") from error
        marker.release()
        raise
    try:
        ses_id = _send(sender, [owner], raw, before_sign=before_sign)
    except AFTER_SEND_ERRORS as error:
        LOG.error("outcome of sending %s is unknown (%r); not retrying", marker.key, error)
        marker.finish("unknown", error=repr(error))
        counts.count(metrics.OUTCOME_UNKNOWN)
        return {"action": "outcome-unknown"}
    except Exception as error:
        refused = isinstance(error, ClientError) and _code(error) in REFUSED_CODES
        if not (refused and before_sign is not None):
            marker.release()  # (a refused forward keeps the marker: the caller sends a notice)
        raise
    if not marker.finish(state, sesMessageId=ses_id, to=[owner]):
        LOG.error("sent %s as SES message %s but could not record it", marker.key, ses_id)
    if reason:
        counts.count(metrics.NOTICES, reason)
    return {"action": "forwarded" if state == "sent" else "notice", "sesMessageId": ses_id}


class _EncodedContent:
    """``before-sign`` hook that writes the message's base64 straight into the SES request body.

    Handing botocore the whole message would hold it four times at once (the bytes, their base64,
    the JSON text and the JSON bytes: about 5x the message). Instead botocore serializes a small
    placeholder and this hook splices in the base64 of the message, encoded piece by piece while
    the body streams from S3, so the peak is the encoded pieces plus the final body (about 2.7x)
    and the raw message is never held whole. The body is built once and reused on retries.
    """

    def __init__(self, source: _Source, header_block: bytes) -> None:
        self.source, self.header_block = source, header_block
        self.frame: tuple[bytes, bytes] | None = None
        self.body: bytes | None = None

    def __call__(self, request: Any, **_: Any) -> None:
        serialized = request.body
        index = serialized.find(PLACEHOLDER_B64)
        if index < 0:
            raise RuntimeError("SES request body has no message placeholder; botocore changed its layout")
        frame = (serialized[:index], serialized[index + len(PLACEHOLDER_B64):])
        if self.body is None or frame != self.frame:
            self.frame = frame
            self.body = b"".join([frame[0], *self._encoded(), frame[1]])
        request.data = self.body

    def _encoded(self) -> list[bytes]:
        pieces, carry = [], b""
        for chunk in self.source.chunks(self.header_block):
            data = carry + chunk if carry else chunk
            cut = len(data) - len(data) % 3  # whole 3-byte groups encode without padding
            pieces.append(base64.b64encode(data[:cut]))
            carry = data[cut:]
        pieces.append(base64.b64encode(carry))
        return pieces

def _rewritten_headers(settings: dict[str, Any], source: _Source, recipients: list[str], location: str,
                       tags: list[str], trace: str) -> bytes:
    """The original header block in a form SES accepts, with our From/Reply-To and trace headers.

    From is our verified sender showing the original sender; Reply-To the original Reply-To (its
    usable addresses) or the same From address; SES single-instance fields once; bare CR/LF never
    start a new line; the subject gets the verdict tags and the configured prefix.
    """
    nl = source.newline
    name, address = source.original_sender()
    shown = f"{name} ({address})" if name and address and name.lower() != address.lower() else (
        name or address or "unknown sender")
    lines = [b"From: " + headers.mailbox(headers.display_text(shown, 200), settings["sender"], "From", nl)]
    reply_to = source.reply_to(address)
    fold = b"," + nl + b" "  # one address per line: no line near the 998-octet limit
    if reply_to:
        lines.append(b"Reply-To: " + fold.join(headers.mailbox(n, a, "Reply-To", nl) for n, a in reply_to))
    accounts = [r.encode("ascii") for r in recipients if r.isascii() and headers.usable(r)]
    lines.append(FORWARDED_HEADER.encode("ascii") + b": " + fold.join(accounts))
    lines.append(f"{RAW_HEADER}: {location}".encode("ascii"))
    lines.append(f"{loops.HEADER}: {trace}".encode("ascii"))
    prefix = " ".join([*tags, settings["subject_prefix"]]).strip().encode("ascii", "ignore")
    kept = headers.single_instances(source.block, source.head[source.body_start:])
    has_subject = False
    for field in kept:
        if field.name in STRIPPED_HEADERS or field.name.startswith(OUR_HEADER_PREFIX):
            continue
        raw = field.raw
        if field.name == "subject":
            has_subject = True
            if prefix:
                raw = b"Subject: " + prefix + b" " + field.value.lstrip(b" \t")
        lines.append(headers.clean(raw, nl))
    if prefix and not has_subject:
        lines.append(b"Subject: " + prefix)
    if not any(f.name == "date" for f in kept):  # RFC 5322 requires it (SES sets its own anyway)
        lines.append(b"Date: " + formatdate(usegmt=True).encode("ascii"))
    return nl.join(lines) + nl + nl


def _notice(sender: str, source: _Source, recipients: list[str], owner: str, location: str, trace: str,
            why: str) -> bytes:
    """A short message that tells the owner why the original was not forwarded and where it is."""
    name, address = source.original_sender()
    subjects = source.block.all("subject")
    subject = headers.display_text(_decoded_subject(subjects[0]) if subjects else "", 200) or "(no subject)"
    notice = EmailMessage(policy=policy.SMTP)
    shown = headers.display_text(f"{name} ({address})" if name else address, 200) or "mail forwarder"
    local, _, domain = sender.partition("@")
    notice["From"] = Address(display_name=shown, username=local, domain=domain)
    if address:
        notice["Reply-To"] = address
    notice["To"] = owner
    notice["Subject"] = f"[not forwarded] {subject}"[:250]
    notice[FORWARDED_HEADER] = ", ".join(recipients)
    notice[RAW_HEADER] = location
    notice[loops.HEADER] = trace
    size_mb = source.size / 1_000_000
    dates = source.block.all("date")
    date = headers.display_text(headers.decode(dates[0].value), 100) if dates else "unknown"
    notice.set_content(
        f"A message to {', '.join(recipients)} was received but not forwarded: {why}.\n"
        f"Size {size_mb:.1f} MB (SES sends at most {MAX_RAW_BYTES / 1_000_000:.2f} MB raw).\n\n"
        f"From:    {address or 'unknown'}\n"
        f"Subject: {subject}\n"
        f"Date:    {date}\n\n"
        f"The complete original is stored at:\n  {location}\n"
        "Download it with: aws s3 cp " + location + " message.eml\n"
    )
    return notice.as_bytes()


def _decoded_subject(field: headers.Field) -> str:
    try:
        return str(policy.default.header_factory("subject", headers.decode(field.value).strip()))
    except Exception:  # a hostile subject still gets a notice
        return headers.decode(field.value)


def _send(sender: str, targets: list[str], raw: bytes, before_sign: Any = None) -> str:
    """SES v2 SendEmail with raw content; throttling is retried with capped, jittered backoff."""
    ses = _client("sesv2")
    hook_id = f"groundwork-raw-{id(before_sign)}"
    if before_sign is not None:
        ses.meta.events.register("before-sign.sesv2.SendEmail", before_sign, unique_id=hook_id)
    try:
        for attempt in range(SEND_ATTEMPTS):
            try:
                response = ses.send_email(
                    FromEmailAddress=sender,
                    Destination={"ToAddresses": targets},
                    Content={"Raw": {"Data": raw}},
                )
                return response["MessageId"]
            except ClientError as error:
                if _code(error) not in THROTTLING_CODES or attempt == SEND_ATTEMPTS - 1:
                    raise
                delay = min(8.0, 0.25 * 2 ** attempt) * random.uniform(0.5, 1.0)
                LOG.warning("SES throttled (%s); retrying in %.2fs", _code(error), delay)
                _sleep(delay)
    finally:
        if before_sign is not None:
            ses.meta.events.unregister("before-sign.sesv2.SendEmail", unique_id=hook_id)
    raise AssertionError("unreachable")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))[:200]
