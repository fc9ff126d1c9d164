"""SES inbound mail forwarder: delivers mail for <account>@<mail domain> to the account owner.

SES stores each received message in S3 (receipt rule action 1) and then invokes this function
asynchronously (action 2) with the message's metadata and verdicts. For every recipient on our
domain the function looks up the owner in the routing table, rewrites the headers SES would
refuse or that would break DMARC (From becomes our verified sender, Reply-To keeps the original
sender), and sends the raw message with the SES v2 API. The stored message is never deleted.

Why SES v2 ``SendEmail`` with ``Content.Raw``: its limit is 40 MB per message after base64
encoding (SES v1 ``SendRawEmail`` allows only 10 MB), which matches what SES can receive, so
almost every received message is forwarded whole. Larger ones are announced with a short notice
that names the S3 location instead of the body.

Idempotency: a marker object ``forwarded/<message id>/<recipient>`` is created with
``IfNoneMatch="*"`` before sending (only one invocation can claim a message), released again if
sending fails (so Lambda's retry can try again) and marked ``sent`` afterwards. A claim left
behind by a killed invocation is taken over once it is older than the function's timeout.

Memory: the header block is parsed once (``BytesParser`` on the headers only); the body is never
parsed, only streamed from S3 and base64-encoded into the SES request (see ``_EncodedContent``),
so a forward peaks at about 2.7x the message size instead of the 5x of a plain boto3 send.

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
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, parseaddr
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

LOG = logging.getLogger("groundwork.mail.forwarder")
LOG.setLevel(logging.INFO)

# SES v2 SendEmail: 40 MB per message *after* base64 encoding, so the raw message may be 3/4 of
# it. Keep 256 KB headroom for the JSON envelope of the request.
SES_V2_MAX_ENCODED_BYTES = 40 * 1024 * 1024
MAX_RAW_BYTES = SES_V2_MAX_ENCODED_BYTES // 4 * 3 - 256 * 1024
HEAD_CHUNK = 256 * 1024  # first ranged GET: whole small messages, the header block of big ones
READ_CHUNK = 3 * 1024 * 1024  # a multiple of 3, so streamed chunks base64-encode without carry
# What botocore serializes in place of the message; its base64 is replaced in the request body.
PLACEHOLDER = b"groundwork:forwarded-message:placeholder"
PLACEHOLDER_B64 = base64.b64encode(PLACEHOLDER)
THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException",
                              "RequestLimitExceeded", "SlowDown"})
SEND_ATTEMPTS = 6
# Headers dropped from the forwarded copy: SES refuses a From/Return-Path/Sender it has not
# verified, and the original DKIM/ARC signatures no longer match after the rewrite.
STRIPPED_HEADERS = frozenset({
    "from", "sender", "return-path", "dkim-signature", "domainkey-signature",
    "arc-seal", "arc-message-signature", "arc-authentication-results",
    "x-ses-dkim-signature", "errors-to",
})
FORWARDED_HEADER = "X-Groundwork-Forwarded-For"
# Re-check errors that mean the table is really gone or unreadable (never fall back to a cache).
TABLE_GONE_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "AccessDenied", "403", "404"})
MESSAGE_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
HEADER_END = re.compile(rb"\r?\n\r?\n")

_clients: dict[str, Any] = {}
_routes_cache: dict[str, dict[str, Any]] = {}
_sleep = time.sleep
_clock = time.monotonic


class MessageInFlightError(RuntimeError):
    """Another invocation is forwarding this message right now; Lambda retries us later."""


class RoutingTableError(RuntimeError):
    """The routing table is missing or unreadable: fail (retry, then failure queue), never drop."""


# --------------------------------------------------------------------------- configuration

def _settings() -> dict[str, Any]:
    return {
        "bucket": os.environ["MAIL_BUCKET"],
        "prefix": os.environ.get("MAIL_PREFIX", "inbound/"),
        "marker_prefix": os.environ.get("MARKER_PREFIX", "forwarded/"),
        "sender": os.environ["SENDER_ADDRESS"],
        "drop_spam": os.environ.get("DROP_SPAM", "false").lower() == "true",
        "stale_after": int(os.environ.get("CLAIM_STALE_SECONDS", "900")),
    }


def _client(service: str) -> Any:
    if service not in _clients:
        # SES sends are retried here (with jitter, on throttling only); S3 keeps botocore's retries.
        config = Config(retries={"mode": "standard", "max_attempts": 1 if service == "sesv2" else 3})
        _clients[service] = boto3.client(service, config=config)
    return _clients[service]


def reset_clients() -> None:
    """Forget cached clients and routes (tests start a fresh mocked AWS per test)."""
    _clients.clear()
    _routes_cache.clear()


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
    """Owner addresses for ``recipient`` and how they were found (exact, plus-tag or catch-all).

    Matching is case-insensitive and ``name+tag@domain`` reaches ``name@domain``. Addresses on our
    own domain are never returned: forwarding to them would loop back into SES.
    """
    domain = routes["domain"].lower()
    address = recipient.strip().lower()
    local, _, host = address.rpartition("@")
    table = routes.get("routes", {})
    targets, how = None, "catch-all"
    if host == domain:
        if address in table:
            targets, how = table[address], "exact"
        elif "+" in local and f"{local.split('+', 1)[0]}@{host}" in table:
            targets, how = table[f"{local.split('+', 1)[0]}@{host}"], "plus-tag"
    if targets is None:
        catch_all = routes.get("catchAll")
        targets = [catch_all] if catch_all else []
    safe = [t for t in targets if not _on_domain(t, domain)]
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
        results.extend(forward(record["ses"]))
    return results


def forward(ses: dict[str, Any]) -> list[dict[str, Any]]:
    """Forward one received message to the owner of every account it was addressed to."""
    settings = _settings()
    mail, receipt = ses["mail"], ses["receipt"]
    message_id = mail["messageId"]
    if not MESSAGE_ID.match(message_id):
        raise ValueError(f"unexpected SES message id {message_id!r}")
    key = settings["prefix"] + message_id
    location = f"s3://{settings['bucket']}/{key}"
    verdict = _verdict(receipt, settings["drop_spam"])
    if verdict:
        LOG.warning("dropping %s: %s (raw message kept at %s)", message_id, verdict, location)
        return [{"messageId": message_id, "action": verdict, "location": location}]
    routes = load_routes()
    results = []
    source: _Source | None = None
    for recipient in receipt.get("recipients") or mail.get("destination") or []:
        targets, how = resolve(routes, recipient)
        result = {"messageId": message_id, "recipient": recipient.lower(), "to": targets, "match": how,
                  "location": location}
        if not targets:
            result["action"] = "loop" if how == "loop" else "unrouted"
            LOG.warning("no mailbox for %s (%s); raw message kept at %s", recipient, how, location)
            results.append(result)
            continue
        marker = f"{settings['marker_prefix']}{message_id}/{recipient.lower()}"
        claim = _claim(settings, marker)
        if claim is None:
            result["action"] = "duplicate"
            results.append(result)
            continue
        try:
            if source is None:
                source = _Source.fetch(settings["bucket"], key, mail.get("source") or "")
            if source.already_forwarded():
                result["action"] = "loop"
                LOG.warning("dropping %s: it was already forwarded by us (loop)", message_id)
            else:
                result.update(_deliver(settings, source, recipient.lower(), targets, location))
        except Exception:
            _release(settings, marker)
            raise
        _mark_sent(settings, marker, result)
        results.append(result)
    return results


def _verdict(receipt: dict[str, Any], drop_spam: bool) -> str | None:
    if (receipt.get("virusVerdict") or {}).get("status") == "FAIL":
        return "dropped-virus"
    if drop_spam and (receipt.get("spamVerdict") or {}).get("status") == "FAIL":
        return "dropped-spam"
    return None


# --------------------------------------------------------------------------- idempotency markers

def _claim(settings: dict[str, Any], marker: str) -> dict[str, Any] | None:
    """Create the marker; None if the message was already forwarded, raise if it is in flight."""
    s3 = _client("s3")
    body = json.dumps({"state": "sending", "since": time.time()}).encode()
    try:
        s3.put_object(Bucket=settings["bucket"], Key=marker, Body=body, IfNoneMatch="*")
        return {"key": marker}
    except ClientError as error:
        if _code(error) not in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise
    try:
        existing = s3.get_object(Bucket=settings["bucket"], Key=marker)
    except ClientError as error:
        if _code(error) in ("NoSuchKey", "404"):
            raise MessageInFlightError(f"{marker} is being released; retry") from error
        raise
    state = json.loads(existing["Body"].read() or b"{}")
    if state.get("state") == "sent":
        LOG.info("already forwarded (%s); skipping", marker)
        return None
    if time.time() - float(state.get("since", 0)) < settings["stale_after"]:
        raise MessageInFlightError(f"{marker} is claimed by another invocation")
    # The claimer died without releasing (timeout, out of memory): take over, at most once.
    try:
        s3.put_object(Bucket=settings["bucket"], Key=marker, Body=body, IfMatch=existing["ETag"])
    except ClientError as error:
        if _code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise MessageInFlightError(f"{marker} was taken over by another invocation") from error
        raise
    LOG.warning("taking over stale claim %s", marker)
    return {"key": marker}


def _release(settings: dict[str, Any], marker: str) -> None:
    try:
        _client("s3").delete_object(Bucket=settings["bucket"], Key=marker)
    except ClientError:  # the retry will find a stale claim and take it over
        LOG.exception("could not release %s", marker)


def _mark_sent(settings: dict[str, Any], marker: str, result: dict[str, Any]) -> None:
    state = {"state": "sent", "since": time.time(), "action": result.get("action"),
             "sesMessageId": result.get("sesMessageId"), "to": result.get("to")}
    _client("s3").put_object(Bucket=settings["bucket"], Key=marker, Body=json.dumps(state).encode())


# --------------------------------------------------------------------------- the stored message

class _Source:
    """The stored raw message: its header block, parsed once, and where its body starts.

    Small messages come in one ranged GET; for big ones the body is fetched only when it is
    sent and is written straight into the buffer that is handed to SES (no second copy).
    """

    def __init__(self, bucket: str, key: str, head: bytes, size: int, body_start: int,
                 envelope_sender: str = "") -> None:
        self.bucket, self.key, self.head, self.size, self.body_start = bucket, key, head, size, body_start
        self.envelope_sender = envelope_sender
        self.header_block = head[:body_start]
        self.headers = BytesParser(policy=policy.default).parsebytes(self.header_block, headersonly=True)
        self.fields = _split_fields(self.header_block)

    @classmethod
    def fetch(cls, bucket: str, key: str, envelope_sender: str = "") -> _Source:
        response = _client("s3").get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_CHUNK - 1}")
        head = response["Body"].read()
        size = _total_size(response, len(head))
        match = HEADER_END.search(head)
        if match is None and size > len(head):  # header block longer than the first chunk
            head = _client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
            match = HEADER_END.search(head)
        body_start = match.end() if match else len(head)
        return cls(bucket, key, head, size, body_start, envelope_sender)

    @property
    def newline(self) -> bytes:
        return b"\r\n" if b"\r\n" in self.header_block[:2048] else b"\n"

    def already_forwarded(self) -> bool:
        """True if we sent this message ourselves (it came back: a forwarding loop)."""
        return any(name == FORWARDED_HEADER.lower() for name, _ in self.fields)

    def original_sender(self) -> tuple[str, str]:
        """(display name, address) of the From header; the SMTP envelope sender if it has none."""
        try:
            addresses = self.headers["From"].addresses if self.headers["From"] is not None else ()
        except (AttributeError, IndexError, TypeError, ValueError):
            addresses = ()
        if addresses:
            return addresses[0].display_name or "", addresses[0].addr_spec or ""
        name, addr = parseaddr(str(self.headers.get("From", "") or ""))
        if not addr and "@" in self.envelope_sender:
            return name, self.envelope_sender
        return name, addr

    def chunks(self, headers: bytes) -> Iterator[bytes]:
        """The forwarded message in pieces: new ``headers``, then the stored body as it streams in."""
        yield headers
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


def _split_fields(header_block: bytes) -> list[tuple[str, bytes]]:
    """Header fields as (lower-case name, raw bytes incl. folded continuation lines)."""
    fields: list[tuple[str, bytes]] = []
    for line in header_block.splitlines(keepends=True):
        if not line.strip():
            continue
        if line[:1] in (b" ", b"\t") and fields:
            name, raw = fields[-1]
            fields[-1] = (name, raw + line)
            continue
        name = line.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        fields.append((name, line))
    return fields


# --------------------------------------------------------------------------- building and sending

def _deliver(settings: dict[str, Any], source: _Source, recipient: str, targets: list[str],
             location: str) -> dict[str, Any]:
    headers = _rewritten_headers(settings["sender"], source, recipient, location)
    if len(headers) + source.body_size > MAX_RAW_BYTES:
        notice = _notice(settings["sender"], source, recipient, targets, location)
        message_id = _send(settings["sender"], targets, notice)
        LOG.info("message at %s is %d bytes, over the SES limit: sent a notice", location, source.size)
        return {"action": "notice", "sesMessageId": message_id}
    content = _EncodedContent(source, headers)
    message_id = _send(settings["sender"], targets, PLACEHOLDER, before_sign=content)
    return {"action": "forwarded", "sesMessageId": message_id}


class _EncodedContent:
    """``before-sign`` hook that writes the message's base64 straight into the SES request body.

    Handing botocore the whole message would hold it four times at once (the bytes, their base64,
    the JSON text and the JSON bytes: about 5x the message). Instead botocore serializes a small
    placeholder and this hook splices in the base64 of the message, encoded piece by piece while
    the body streams from S3, so the peak is the encoded pieces plus the final body (about 2.7x)
    and the raw message is never held whole. The body is built once and reused on retries.
    """

    def __init__(self, source: _Source, headers: bytes) -> None:
        self.source, self.headers = source, headers
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
        for chunk in self.source.chunks(self.headers):
            data = carry + chunk if carry else chunk
            cut = len(data) - len(data) % 3  # whole 3-byte groups encode without padding
            pieces.append(base64.b64encode(data[:cut]))
            carry = data[cut:]
        pieces.append(base64.b64encode(carry))
        return pieces


def _rewritten_headers(sender: str, source: _Source, recipient: str, location: str) -> bytes:
    """The original header block minus what SES refuses, plus our From/Reply-To and trace headers."""
    nl = source.newline
    name, address = source.original_sender()
    shown = f"{name} ({address})" if name and address else (name or address or "unknown sender")
    kept = [raw for field, raw in source.fields if field not in STRIPPED_HEADERS]
    lines = [_header_line("From", formataddr((shown[:200], sender), charset="utf-8"), nl)]
    has_reply_to = any(field == "reply-to" for field, _ in source.fields)
    if not has_reply_to:
        from_raw = next((raw for field, raw in source.fields if field == "from"), None)
        if from_raw is not None:
            lines.append(b"Reply-To:" + from_raw.split(b":", 1)[1])
        elif address:
            lines.append(_header_line("Reply-To", address, nl))
    lines.append(_header_line(FORWARDED_HEADER, recipient, nl))
    lines.append(_header_line("X-Groundwork-Raw-Message", location, nl))
    block = b"".join(lines + [_with_newline(raw, nl) for raw in kept])
    return block + nl


def _header_line(name: str, value: str, nl: bytes) -> bytes:
    return f"{name}: {value}".encode() + nl


def _with_newline(raw: bytes, nl: bytes) -> bytes:
    return raw if raw.endswith(b"\n") else raw + nl


def _notice(sender: str, source: _Source, recipient: str, targets: list[str], location: str) -> bytes:
    """A short message that tells the owner where the too-big original is stored."""
    name, address = source.original_sender()
    notice = EmailMessage(policy=policy.SMTP)
    notice["From"] = formataddr(((f"{name} ({address})" if name else address)[:200] or "mail forwarder",
                                 sender), charset="utf-8")
    if address:
        notice["Reply-To"] = address
    notice["To"] = ", ".join(targets)
    subject = str(source.headers.get("Subject", "") or "(no subject)")
    notice["Subject"] = f"[too large to forward] {subject}"[:900]
    notice[FORWARDED_HEADER] = recipient
    notice["X-Groundwork-Raw-Message"] = location
    size_mb = source.size / (1024 * 1024)
    notice.set_content(
        f"A message to {recipient} was received but is too large to forward "
        f"({size_mb:.1f} MB; SES sends at most {MAX_RAW_BYTES / (1024 * 1024):.1f} MB).\n\n"
        f"From:    {address or 'unknown'}\n"
        f"Subject: {subject}\n"
        f"Date:    {source.headers.get('Date', 'unknown')}\n\n"
        f"The complete original is stored at:\n  {location}\n"
        "Download it with: aws s3 cp " + location + " message.eml\n"
    )
    return notice.as_bytes()


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
