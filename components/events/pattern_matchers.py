"""Matchers for one event value: what each EventBridge pattern operator accepts.

A matcher sees one leaf value of the event (string, number, bool or None); arrays were already
expanded into their elements. Types never mix: the string "300" is not the number 300, and
true is not 1, but 300 and 300.0 are the same number.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def is_number(value: Any) -> bool:
    """A JSON number (bool is not a number here, unlike in Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


class Matcher:
    """Base of all matchers: ``accepts`` one leaf value of the event."""

    def accepts(self, value: Any) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address literal, with IPv4-mapped IPv6 (::ffff:a00:1) read as IPv4 like AWS does."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def ip_literal(value: Any) -> int | None:
    """The address (version folded in) if the value is an IPv4/IPv6 literal string, else None.

    AWS compares such strings as addresses, so "2001:db8::1" and "2001:0db8:0::1" are equal.
    """
    if not isinstance(value, str) or not IP_LIKE.fullmatch(value):
        return None
    address = parse_ip(value)
    return None if address is None else int(address) | (address.version << 128)


IP_LIKE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+|[0-9a-fA-F:]*:[0-9a-fA-F:]*")


@dataclass(frozen=True)
class Exact(Matcher):
    """A plain value in the pattern list: same type and same value (numbers compared numerically)."""

    value: Any
    ip: int | None = None  # set when the value is an IP address literal

    def accepts(self, value: Any) -> bool:
        expected = self.value
        if expected is None or isinstance(expected, bool):
            return value is expected
        if isinstance(expected, str):
            if not isinstance(value, str):
                return False
            return value == expected or (self.ip is not None and ip_literal(value) == self.ip)
        return is_number(value) and value == expected


@dataclass(frozen=True)
class Prefix(Matcher):
    text: str
    ignore_case: bool

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return value.lower().startswith(self.text.lower())
        return value.startswith(self.text)


@dataclass(frozen=True)
class Suffix(Matcher):
    text: str
    ignore_case: bool

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return value.lower().endswith(self.text.lower())
        return value.endswith(self.text)


@dataclass(frozen=True)
class EqualsIgnoreCase(Matcher):
    text: str

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value.lower() == self.text.lower()


@dataclass(frozen=True)
class Exists(Matcher):
    """``exists: true`` accepts any leaf value (null included); ``exists: false`` is handled by the field."""

    present: bool

    def accepts(self, value: Any) -> bool:
        return self.present


@dataclass(frozen=True)
class Numeric(Matcher):
    """A numeric range; ``None`` leaves that side open. Only JSON numbers can match."""

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool

    def accepts(self, value: Any) -> bool:
        if not is_number(value):
            return False
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return self.high is None or value < self.high or (value == self.high and self.high_inclusive)


@dataclass(frozen=True)
class Cidr(Matcher):
    """An IP block as AWS computes it: from the address written up to the last one under the mask."""

    version: int
    first: int
    last: int

    def accepts(self, value: Any) -> bool:
        address = parse_ip(value) if isinstance(value, str) and IP_LIKE.fullmatch(value) else None
        return address is not None and address.version == self.version and self.first <= int(address) <= self.last


@dataclass(frozen=True)
class Wildcard(Matcher):
    text: str  # as written, for the complexity check
    regex: re.Pattern[str]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and self.regex.fullmatch(value) is not None


@dataclass(frozen=True)
class AnythingBut(Matcher):
    """Any present value (null included) except the listed strings and numbers."""

    strings: frozenset[str]
    numbers: tuple[float, ...]

    def accepts(self, value: Any) -> bool:
        if isinstance(value, str):
            return value not in self.strings
        if is_number(value):
            return not any(value == number for number in self.numbers)
        return True


@dataclass(frozen=True)
class AnythingButPattern(Matcher):
    """anything-but prefix/suffix/equals-ignore-case/wildcard: non-strings always pass."""

    operator: str
    values: tuple[str, ...]
    excluded: Callable[[str], bool]

    def accepts(self, value: Any) -> bool:
        return not (isinstance(value, str) and self.excluded(value))
