"""What SES documents about a raw message it will send, as a check on what the forwarder hands it.

Sources: SES API v2 reference ``RawMessage`` (header and body separated by a blank line; no line
over 1,000 characters; the required header fields present: From and Date, RFC 5322 section 3.6), SES Developer Guide "Amazon SES header fields" (fields that can't appear
more than once), SES quotas (40 MB after base64 encoding; the smaller, decimal reading).
"""

from __future__ import annotations

import base64
import re

from features.mail.forwarder.headers import SES_SINGLE_INSTANCE

MAX_ENCODED = 40_000_000
FIELD = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")


def problems(raw: bytes, sender: str) -> list[str]:
    """Why SES would refuse ``raw`` sent as ``sender`` (empty if it would accept it)."""
    found: list[str] = []
    nl = b"\r\n" if b"\r\n" in raw.split(b"\n", 1)[0] + b"\n" else b"\n"
    if nl + nl not in raw:
        return ["no blank line between header and body"]
    head = raw.split(nl + nl, 1)[0]
    fields: list[bytes] = []
    for line in head.split(nl):
        if b"\r" in line or b"\n" in line:
            found.append(f"bare CR/LF inside header line {line[:60]!r}")
        if line[:1] in (b" ", b"\t") and fields:
            if not line.strip():
                found.append("whitespace-only header line")
            fields[-1] += line
        elif FIELD.match(line):
            fields.append(line)
        else:
            found.append(f"not a header field: {line[:60]!r}")
    names: dict[str, int] = {}
    for field in fields:
        name = field.split(b":", 1)[0].decode().lower()
        names[name] = names.get(name, 0) + 1
    found += [f"{name} appears {count} times" for name, count in names.items()
              if count > 1 and name in SES_SINGLE_INSTANCE]
    found += [f"line of {len(line)} characters" for line in raw.split(b"\n") if len(line.rstrip(b"\r")) > 998]
    found += [f"no {name} header (RFC 5322 requires it)" for name in ("from", "date") if name not in names]
    from_fields = [f for f in fields if f.lower().startswith(b"from:")]
    if len(from_fields) != 1 or f"<{sender}>".encode() not in from_fields[0]:
        found.append("From is not once our verified sender")
    if len(base64.b64encode(raw)) > MAX_ENCODED:
        found.append("over 40 MB after base64 encoding")
    return found
