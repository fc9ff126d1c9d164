"""Validating one feature's ``groundwork:<key>`` settings into its pydantic model.

Every feature reports bad settings the same way: one ConfigError listing every problem with its
key path, the value given and what is allowed, before any resource is declared.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from components.context import format_validation_error
from components.errors import ConfigError

Model = TypeVar("Model", bound=BaseModel)


def parse_settings(model: type[Model], raw: object, key: str, *, shape: str | None = None) -> Model:
    """``model`` validated from ``raw``; ``shape`` (e.g. "an object with 'buses'") is what a
    non-object value is told to be instead. Without ``shape`` any value goes to the model."""
    if shape is not None and not isinstance(raw, dict):
        raise ConfigError(f"Invalid stack config:\n{key} must be {shape}")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise ConfigError("Invalid stack config:\n" + format_validation_error(error, key, {})) from None
