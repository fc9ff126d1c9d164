"""Reading the real-mail test corpus (tests/mail/corpus; sources in its SOURCES.json)."""

from __future__ import annotations

import re
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str) -> bytes:
    """A corpus message with CRLF line ends, as SMTP delivers it."""
    return re.sub(rb"\r?\n", b"\r\n", (CORPUS / name).read_bytes())
