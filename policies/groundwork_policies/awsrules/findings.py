"""The shape every AWS rule reports in: one field, its value, what is wrong, which rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    """One violated AWS rule on one field. ``error``: AWS refuses it or it fails at run time."""

    field: str
    value: Any
    problem: str
    rule: str
    error: bool = True

    def message(self, resource_type: str, name: str) -> str:
        value = self.value if isinstance(self.value, str) else repr(self.value)
        return f"{resource_type} '{name}': {self.field} = {value}: {self.problem} [rule {self.rule}]"
