"""The header block of a stored message: split per RFC 5322, rewritten into a form SES accepts.

Only the header block is touched; the body is forwarded byte for byte. Rules, with their source:

- A field ends at the message's line terminator only (CRLF, or LF in an LF-only store). A bare
  CR or LF inside a field is not a line break (RFC 5322 section 2.2): it is replaced by a space,
  so a value can never start a new header line (no ``Bcc:`` injection through a Subject).
- A line starting with space or tab continues the field before it, even if it is only
  whitespace (obs-FWS, RFC 5322 section 4.2); such a whitespace-only line is unfolded into the
  line before it (removing the CRLF before WSP is how RFC 5322 section 2.2.3 unfolds).
- A physical line longer than 998 octets is folded at whitespace (RFC 5322 section 2.1.1; SES
  refuses lines over 1,000 characters: SES API v2 ``RawMessage``).
- Fields SES allows only once (``SES_SINGLE_INSTANCE``) are kept once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email import policy
from email.header import Header, decode_header
from email.utils import parseaddr

# Amazon SES Developer Guide, "Amazon SES header fields" (docs.aws.amazon.com/ses/latest/dg/
# header-fields.html, checked 2026-12-02): fields that can't appear more than once.
SES_SINGLE_INSTANCE = frozenset(name.lower() for name in (
    "Accept-Language", "acceptLanguage", "Archived-At", "Auto-Submitted", "Bounces-to", "Comments",
    "Content-Alternative", "Content-Base", "Content-Class", "Content-Description",
    "Content-Disposition", "Content-Duration", "Content-ID", "Content-Language", "Content-Length",
    "Content-Location", "Content-MD5", "Content-Transfer-Encoding", "Content-Type", "Date",
    "Delivered-To", "Disposition-Notification-Options", "Disposition-Notification-To",
    "DKIM-Signature", "DomainKey-Signature", "Errors-To", "From", "Importance", "In-Reply-To",
    "Keywords", "List-Archive", "List-Help", "List-Id", "List-Owner", "List-Post", "List-Subscribe",
    "List-Unsubscribe", "List-Unsubscribe-Post", "Message-Context", "Message-ID", "MIME-Version",
    "Organization", "Original-From", "Original-Message-ID", "Original-Recipient",
    "Original-Subject", "Precedence", "Priority", "References", "Reply-To", "Return-Path",
    "Return-Receipt-To", "Sender", "Solicitation", "Sensitivity", "Subject", "Thread-Index",
    "Thread-Topic", "User-Agent", "VBR-Info",
))
MAX_LINE = 998  # octets before CRLF (RFC 5322 2.1.1)
FIELD_NAME = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]*:")
ADDR_SPEC = re.compile(r"^[^@\s<>()\[\]\\,;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
BOUNDARY = re.compile(r"""boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))""", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    """One header field: lower-case name and its raw lines (continuations included, no terminator)."""

    name: str
    raw: bytes

    @property
    def value(self) -> bytes:
        return self.raw.split(b":", 1)[1] if b":" in self.raw else b""


@dataclass(frozen=True)
class HeaderBlock:
    """The parsed header block: its fields, the line terminator and where the body starts."""

    fields: list[Field]
    newline: bytes
    body_start: int

    def all(self, name: str) -> list[Field]:
        return [f for f in self.fields if f.name == name]


def newline_of(head: bytes) -> bytes:
    """CRLF if the first line ends with CRLF (SMTP's terminator), else LF (an LF-only store)."""
    first = head.find(b"\n")
    return b"\r\n" if first > 0 and head[first - 1:first] == b"\r" else b"\n"


def body_start(head: bytes, nl: bytes) -> int | None:
    """Offset of the body: after the first empty line; None if the header block is not complete."""
    if head.startswith(nl):
        return len(nl)
    end = head.find(nl + nl)
    return None if end < 0 else end + 2 * len(nl)


def parse(head: bytes) -> HeaderBlock:
    """Split ``head`` (the start of a stored message) into header fields.

    The header block ends at the first empty line or, in a message without that separator, at
    the first line that is neither a field nor a continuation (where RFC 5322 parsers such as
    Python's start the body). A leading mbox ``From `` line is not a field and is dropped.
    """
    nl = newline_of(head)
    end = body_start(head, nl)
    limit = len(head) if end is None else end
    fields: list[Field] = []
    position = 0
    while position < limit:
        stop = head.find(nl, position, limit)
        stop = limit if stop < 0 else stop
        line = head[position:stop]
        after = min(stop + len(nl), limit)
        if not line:
            break
        if line[:1] in (b" ", b"\t") and fields:
            last = fields[-1]
            # A whitespace-only fold line is unfolded into the line before it.
            fields[-1] = Field(last.name, last.raw + line if not line.strip() else last.raw + nl + line)
        elif (match := FIELD_NAME.match(line)) is not None:
            fields.append(Field(match.group(1).decode("ascii").lower(), line))
        elif not (position == 0 and line.startswith(b"From ")):  # (an mbox separator line is skipped)
            return HeaderBlock(fields, nl, position)  # no blank line: the body starts here
        position = after
    return HeaderBlock(fields, nl, limit if end is None else end)


def clean(raw: bytes, nl: bytes) -> bytes:
    """A field's raw lines with bare CR/LF made spaces and over-long lines folded at whitespace."""
    lines = raw.split(nl)
    out = []
    for line in lines:
        line = line.replace(b"\r", b" ").replace(b"\n", b" ")
        out.extend(_fold_long(line))
    return nl.join(out)


def _fold_long(line: bytes) -> list[bytes]:
    pieces = []
    while len(line) > MAX_LINE:
        cut = max(line.rfind(b" ", 1, MAX_LINE), line.rfind(b"\t", 1, MAX_LINE))
        if cut <= 0 or not line[:cut].strip():
            break  # no whitespace to fold at: leave it (SES may refuse; the raw copy stays in S3)
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def single_instances(block: HeaderBlock, body_sample: bytes) -> list[Field]:
    """The fields with each SES single-instance field kept once.

    The first occurrence is kept (the newest trace line for Delivered-To, what readers show for
    Subject/Date/Message-ID), except Content-Type: the one whose multipart boundary occurs in the
    body is kept, since that is the one the body was written for.
    """
    chosen: dict[str, Field] = {}
    for name in {f.name for f in block.fields if f.name in SES_SINGLE_INSTANCE}:
        candidates = block.all(name)
        pick = candidates[0]
        if name == "content-type" and len(candidates) > 1:
            pick = next((c for c in candidates if _boundary_in(c, body_sample)), pick)
        chosen[name] = pick
    return [f for f in block.fields if f.name not in SES_SINGLE_INSTANCE or chosen[f.name] is f]


def _boundary_in(field: Field, body: bytes) -> bool:
    match = BOUNDARY.search(decode(field.value))
    if not match:
        return False
    boundary = (match.group(1) or match.group(2)).encode("ascii", "ignore")
    return bool(boundary) and b"--" + boundary in body


# --------------------------------------------------------------------------- addresses


def decode(raw: bytes) -> str:
    """Header bytes as text: UTF-8 if valid, else Windows-1252 (undeclared 8-bit), never raising."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def display_text(text: str, limit: int = 120) -> str:
    """A display name safe to re-encode: no control characters, surrogates or runs of spaces."""
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("Cs"))
    text = " ".join(CONTROL.sub(" ", text).split())
    return text[:limit].strip()


def usable(address: str) -> bool:
    """An addr-spec a mail client can reply to (ASCII, one @, a dotted domain)."""
    return bool(address) and address.isascii() and ADDR_SPEC.match(address) is not None


def addresses(field: Field) -> list[tuple[str, str]]:
    """(display name, addr-spec) pairs of an address field; encoded-words decoded; never raises."""
    text = " ".join(decode(field.value).replace("\r", " ").replace("\n", " ").split())
    try:
        parsed = policy.default.header_factory(field.name, text)
        found = [(a.display_name or "", a.addr_spec or "") for a in parsed.addresses]
    except Exception:  # the stdlib raises many kinds on hostile input
        found = []
    if not found:  # e.g. an encoded-word that decodes to CR/LF: the stdlib refuses the whole field
        name, addr = parseaddr(text)
        found = [(_decoded_words(name), addr)] if addr or name else []
    return [(display_text(name), addr.strip()) for name, addr in found]


def _decoded_words(text: str) -> str:
    """RFC 2047 encoded-words decoded, leniently (unknown charsets and bad bytes replaced)."""
    try:
        return "".join(part.decode(charset or "ascii", errors="replace") if isinstance(part, bytes) else part
                       for part, charset in decode_header(text))
    except (LookupError, ValueError):
        return text


def encode_phrase(text: str, header: str, nl: bytes) -> bytes:
    """A display name as a quoted string (ASCII) or RFC 2047 encoded-words (anything else)."""
    if text.isascii():
        return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode("ascii") + b'"'
    encoded = Header(text, "utf-8", header_name=header).encode(linesep=nl.decode("ascii"))
    return encoded.encode("ascii")


def mailbox(name: str, address: str, header: str, nl: bytes) -> bytes:
    return (encode_phrase(name, header, nl) + b" " if name else b"") + b"<" + address.encode("ascii") + b">"
