"""Plain views of what the SDK hands policies: proxies unwrapped, unknowns made explicit.

pulumi-policy wraps inputs in proxies that raise ``UnknownValueError`` when a value unknown
during preview is read. Policies here read a plain copy instead, in which such values are the
:data:`UNKNOWN` marker, so each check decides what an unknown means for it (usually: cannot
tell yet, so no finding).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy.proxy import _DictProxy, _is_unknown, _ListProxy


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown during preview>"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


def plain(value: Any) -> Any:
    """Recursively unwrap SDK proxies; unknown sentinels become :data:`UNKNOWN`."""
    if isinstance(value, _DictProxy):
        value = value["__target"]
    elif isinstance(value, _ListProxy):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and _is_unknown(value):
        return UNKNOWN
    return value


def dig(value: Any, *path: str | int) -> Any:
    """``value[p0][p1]...`` or None when a step is missing; UNKNOWN if a step is unknown."""
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, Mapping):
                return None
            value = value.get(step)
    return value


def json_document(value: Any) -> Any:
    """A JSON policy document given as a string or an object; UNKNOWN/None pass through."""
    if value is None or value is UNKNOWN:
        return value
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def as_list(value: Any) -> list[Any]:
    if value is None or value is UNKNOWN:
        return []
    return value if isinstance(value, list) else [value]
