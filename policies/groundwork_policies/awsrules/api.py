"""Resource inputs against botocore's service models: enums, lengths, patterns, ranges, item counts.

Each input is checked against the request member it is sent as (see :mod:`api_table`). Models
are loaded once per service and member lookups are cached per (resource type, input path), so a
resource costs one walk over its inputs. Unknown values are skipped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.loaders
import botocore.model

from groundwork_policies.awsrules.api_table import TABLE
from groundwork_policies.values import UNKNOWN

NUMERIC = ("integer", "long", "double", "float")


@dataclass(frozen=True)
class Violation:
    field: str
    value: Any
    rule: str


@functools.cache
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@functools.cache
def service_model(service: str) -> botocore.model.ServiceModel:
    return botocore.model.ServiceModel(_loader().load_service_model(service, "service-2"), service)


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


@functools.cache
def _members_by_norm(shape: botocore.model.StructureShape) -> dict[str, tuple[str, botocore.model.Shape]]:
    return {_norm(name): (name, member) for name, member in shape.members.items()}


def _unwrap(shape: botocore.model.Shape) -> botocore.model.Shape:
    while shape.type_name == "list":
        shape = shape.member
    return shape


def _walk(shape: botocore.model.Shape | None, steps: list[str]) -> botocore.model.Shape | None:
    for step in steps:
        if shape is None:
            return None
        shape = _unwrap(shape)
        if shape.type_name != "structure":
            return None
        found = _members_by_norm(shape).get(_norm(step))
        shape = found[1] if found else None
    return shape


@functools.cache
def operation_shape(service: str, operation: str) -> botocore.model.Shape:
    return service_model(service).operation_model(operation).input_shape


@functools.lru_cache(maxsize=8192)
def member_for(resource_type: str, path: str) -> botocore.model.Shape | None:
    """The request member the input at ``path`` (dotted, no list indexes) is sent as; None if none."""
    api = TABLE[resource_type]
    target = api.renames.get(path)
    if target == "-":
        return None
    if target is not None:
        operation, _, member_path = target.rpartition(":")
        return _walk(operation_shape(api.service, operation or api.operation), member_path.split("."))
    parent_path, _, key = path.rpartition(".")
    parent = operation_shape(api.service, api.operation) if not parent_path else member_for(resource_type, parent_path)
    return _walk(parent, [key]) if parent is not None else None


@functools.lru_cache(maxsize=4096)
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error:  # a Java-only construct: leave it to the service
        return None


def _is_tag_list(shape: botocore.model.Shape) -> bool:
    item = shape.member if shape.type_name == "list" else None
    return item is not None and item.type_name == "structure" and {"key", "value"} <= set(_members_by_norm(item))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _count_rule(count: int, shape: botocore.model.Shape, what: str) -> str | None:
    meta = shape.metadata
    if "min" in meta and count < meta["min"]:
        return f"{count} {what}, at least {meta['min']} required"
    if "max" in meta and count > meta["max"]:
        return f"{count} {what}, at most {meta['max']} allowed"
    return None


def _scalar_rule(value: Any, shape: botocore.model.Shape) -> str | None:
    kind = shape.type_name
    meta = shape.metadata
    where = f"(API shape {shape.name})"
    if kind == "string" and isinstance(value, str):
        enum = meta.get("enum")
        if enum and value not in enum:
            shown = ", ".join(enum[:12]) + (f", ... ({len(enum)} values)" if len(enum) > 12 else "")
            return f"not one of {shown} {where}"
        if (rule := _count_rule(len(value), shape, "characters")) is not None:
            return f"{rule} {where}"
        pattern = meta.get("pattern")
        compiled = _pattern(pattern) if pattern else None
        if compiled is not None and compiled.fullmatch(value) is None:
            return f"does not match the pattern {pattern} {where}"
    elif kind in NUMERIC and isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind in ("integer", "long") and isinstance(value, float) and not value.is_integer():
            return f"must be a whole number {where}"
        if "min" in meta and value < meta["min"]:
            return f"below the minimum {meta['min']} {where}"
        if "max" in meta and value > meta["max"]:
            return f"above the maximum {meta['max']} {where}"
    return None


def _check(resource_type: str, path: str, field: str, value: Any,
           shape: botocore.model.Shape) -> Iterator[Violation]:
    if value is None or value is UNKNOWN:
        return
    kind = shape.type_name
    if kind == "structure":
        if isinstance(value, Mapping):
            for key, item in value.items():
                sub = member_for(resource_type, f"{path}.{key}")
                if sub is not None:
                    yield from _check(resource_type, f"{path}.{key}", f"{field}.{key}", item, sub)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from _check(resource_type, path, f"{field}[{index}]", item, shape)
    elif kind == "list":
        if isinstance(value, list):
            if (rule := _count_rule(len(value), shape, "items")) is not None:
                yield Violation(field, f"{len(value)} items", f"{rule} (API shape {shape.name})")
            for index, item in enumerate(value):
                yield from _check(resource_type, path, f"{field}[{index}]", item, shape.member)
        elif isinstance(value, Mapping) and _is_tag_list(shape):
            if (rule := _count_rule(len(value), shape, "entries")) is not None:
                yield Violation(field, f"{len(value)} entries", f"{rule} (API shape {shape.name})")
            members = _members_by_norm(shape.member)
            for key, item in value.items():
                yield from _check(resource_type, "", f"{field} key", key, members["key"][1])
                yield from _check(resource_type, "", f"{field}[{key!r}]", item, members["value"][1])
        elif not isinstance(value, Mapping):
            yield from _check(resource_type, path, field, value, shape.member)
    elif kind == "map":
        if isinstance(value, Mapping):
            if (rule := _count_rule(len(value), shape, "entries")) is not None:
                yield Violation(field, f"{len(value)} entries", f"{rule} (API shape {shape.name})")
            for key, item in value.items():
                yield from _check(resource_type, "", f"{field} key", key, shape.key)
                if shape.value.type_name not in ("structure", "list", "map"):
                    yield from _check(resource_type, "", f"{field}[{key!r}]", item, shape.value)
    elif isinstance(value, list):  # several values of one scalar member (e.g. service principals)
        for index, item in enumerate(value):
            yield from _check(resource_type, path, f"{field}[{index}]", item, shape)
    elif (rule := _scalar_rule(value, shape)) is not None:
        yield Violation(field, _show(value), rule)


def violations(resource_type: str, props: Mapping[str, Any]) -> list[Violation]:
    """Every input of a resource of ``resource_type`` that the API model refuses."""
    if resource_type not in TABLE:
        return []
    found: list[Violation] = []
    for key, value in props.items():
        shape = member_for(resource_type, key)
        if shape is not None:
            found.extend(_check(resource_type, key, key, value, shape))
    return found
