"""What an SNS filter policy sees of a message, for each scope, as the flat fields the matcher reads.

- ``MessageBody``: the body must be a JSON object; anything else (plain text, a JSON string or
  array) matches no policy. Nested objects are read as dotted paths (``{"a": {"b": 1}}`` and
  ``{"a.b": 1}`` are the same field), array elements are matched one by one.
- ``MessageAttributes``: the attributes map in SNS's ``{"Type": ..., "Value": ...}`` form (the
  ``DataType``/``StringValue`` form of the Publish API is read too, and a bare string, number or
  list stands for a String, Number or String.Array attribute). ``String`` is a string,
  ``Number`` a number, ``String.Array`` a JSON array whose elements are matched one by one, and
  ``Binary`` attributes are ignored as SNS ignores them (a policy sees them as absent).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from itertools import count
from typing import Any

from ..events.pattern_matching import FlatEvent, flatten_event

ARRAY_TYPES = ("String.Array", "Number.Array")


class UnusableMessageError(ValueError):
    """A sample message that cannot be read in the scope it is given for."""


def body_fields(message: Any) -> FlatEvent | None:
    """The flat fields of a message body; None when SNS would not read it as a JSON object."""
    if isinstance(message, str | bytes):
        try:
            message = json.loads(message)
        except ValueError:
            return None
    if not isinstance(message, dict):
        return None
    return flatten_event(message)


def _attribute_number(text: str) -> float | int | str:
    try:
        number = json.loads(text)
    except ValueError:
        return text
    return number if isinstance(number, int | float) and not isinstance(number, bool) else text


def _shorthand(name: str, value: Any) -> Mapping[str, Any]:
    """``"x"``, ``5`` or ``["a", "b"]`` for an attribute: String, Number or String.Array."""
    if isinstance(value, str):
        return {"Type": "String", "Value": value}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"Type": "Number", "Value": value}
    if isinstance(value, list):
        return {"Type": "String.Array", "Value": value}
    raise UnusableMessageError(f"attribute {name!r} must be an object like {{\"Type\": \"String\", "
                               f"\"Value\": \"...\"}}, got {json.dumps(value)}")


def attribute_fields(attributes: Mapping[str, Any]) -> FlatEvent:
    """The flat fields of a message-attributes map; raises UnusableMessageError naming a malformed attribute."""
    if not isinstance(attributes, Mapping):
        raise UnusableMessageError(f"message attributes must be an object of name -> {{Type, Value}}, got "
                              f"{type(attributes).__name__}")
    flat: FlatEvent = {}
    ids = count()
    for name, attribute in attributes.items():
        if not isinstance(attribute, Mapping):
            attribute = _shorthand(name, attribute)
        kind = attribute.get("Type", attribute.get("DataType"))
        value = attribute.get("Value", attribute.get("StringValue"))
        if not isinstance(kind, str):
            raise UnusableMessageError(f"attribute {name!r} has no Type (String, Number, String.Array or Binary)")
        base = kind if kind in ARRAY_TYPES else kind.split(".", 1)[0]
        if base == "Binary":
            continue  # SNS ignores Binary attributes when filtering
        if base not in ("String", "Number", *ARRAY_TYPES):
            raise UnusableMessageError(f"attribute {name!r} has Type {kind!r}; SNS types are String, Number, "
                                  "String.Array and Binary")
        if base in ARRAY_TYPES:
            try:
                elements = json.loads(value) if isinstance(value, str) else value
            except ValueError:
                elements = None
            if not isinstance(elements, list):
                flat.setdefault(name, [])  # present, but no element SNS can match
                continue
            array_id = next(ids)
            for index, element in enumerate(elements):
                if not isinstance(element, dict | list):
                    flat.setdefault(name, []).append((element, ((array_id, index),)))
            flat.setdefault(name, [])
            continue
        if base == "Number":
            value = _attribute_number(value) if isinstance(value, str) else value
        elif not isinstance(value, str):
            if value is None or isinstance(value, dict | list):
                raise UnusableMessageError(f"attribute {name!r}: a String attribute's Value must be a string")
            value = json.dumps(value)  # SNS carries every attribute value as text
        flat.setdefault(name, []).append((value, ()))
    return flat


def message_fields(message: Any, scope: str) -> FlatEvent | None:
    """The fields the policy is matched against, or None when the message matches nothing (body scope)."""
    if scope == "MessageAttributes":
        return attribute_fields(message)
    return body_fields(message)
