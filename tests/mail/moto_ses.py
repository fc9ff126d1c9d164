"""Where moto's SES differs from SES in a way that matters for real mail."""

from __future__ import annotations

import base64
from typing import Any


class _LenientBytes(bytes):
    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes.decode(self, encoding, "surrogateescape")


class LenientBase64:
    """moto's SES decodes the raw message as strict UTF-8; SES itself takes any bytes.

    Patched over ``moto.sesv2.responses.base64`` so 8-bit mail (Latin-1, GB2312, Big5 bodies)
    reaches moto's recorder instead of crashing it.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(base64, name)

    @staticmethod
    def b64decode(data: Any, *args: Any, **kwargs: Any) -> bytes:
        return _LenientBytes(base64.b64decode(data, *args, **kwargs))
