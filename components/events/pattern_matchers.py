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


@dataclass(frozen=True)
class Exact(Matcher):
    """A plain value in the pattern list: same type and same value (numbers compared numerically)."""

    value: Any

    def accepts(self, value: Any) -> bool:
        expected = self.value
        if expected is None or isinstance(expected, bool):
            return value is expected
        if isinstance(expected, str):
            return isinstance(value, str) and value == expected
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
    """An IPv4/IPv6 block; the event value must be a string holding an address inside it."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return address.version == self.network.version and address in self.network


@dataclass(frozen=True)
class Wildcard(Matcher):
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
