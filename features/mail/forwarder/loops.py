"""Loop detection that an outsider cannot forge.

Every forwarded copy carries ``X-Groundwork-Loop: v1.<SES message id>.<signature>``, the
signature an HMAC-SHA256 of ``v1.<SES message id>`` under a per-deployment key held in Secrets
Manager. A message that comes back with a valid signature went through us before: a loop. A
header someone made up (or copied into a message of their own) does not verify, is stripped
like every incoming ``X-Groundwork-*`` header, and the message is forwarded normally.

Second signal, for a copy whose trace header was lost on the way: a message whose From is our
own sending address and that SES authenticated for our domain (DMARC verdict PASS) can only
have been sent by us.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

HEADER = "X-Groundwork-Loop"
VERSION = "v1"
TOKEN = re.compile(r"^v1\.([A-Za-z0-9._-]{1,200})\.([A-Za-z0-9_-]{43})$")


def sign(key: bytes, message_id: str) -> str:
    """The trace value for a copy of SES message ``message_id``."""
    return f"{VERSION}.{message_id}.{_mac(key, message_id)}"


def verifies(key: bytes, value: str) -> bool:
    """True if ``value`` is a trace value this deployment's key signed."""
    match = TOKEN.match(value.strip())
    return bool(match) and hmac.compare_digest(_mac(key, match.group(1)), match.group(2))


def _mac(key: bytes, message_id: str) -> str:
    digest = hmac.new(key, f"{VERSION}.{message_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
