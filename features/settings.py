"""Reading the stack config for the features: one feature's ``groundwork:<key>`` settings into its
pydantic model, and the secret keys those settings name.

Every feature reports bad settings the same way: one ConfigError listing every problem with its
key path, the value given and what is allowed, before any resource is declared.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
from groundwork.context import did_you_mean, format_validation_error
from groundwork.errors import ConfigError, describe_value
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


def parse_settings(model: type[Model], raw: object, key: str, *, shape: str | None = None) -> Model:
    """``model`` validated from ``raw``; ``shape`` (e.g. "an object with 'buses'") is what a
    non-object value is told to be instead. Without ``shape`` any value goes to the model."""
    if shape is not None and not isinstance(raw, dict):
        raise ConfigError(f"Invalid stack config:\n{key} must be {shape}")
    try:
        settings = model.model_validate(raw)
    except ValidationError as error:
        raise ConfigError("Invalid stack config:\n" + format_validation_error(error, key, {}, model)) from None
    words = text_read_as_bool(raw, _dumped(settings))
    if words:
        raise ConfigError("Invalid stack config:\n" + "\n".join(
            f"{key}.{path} = {word!r}: write true or false (a YAML 1.1 word like yes/no/on/off reaches the "
            f"program as the text {word!r}, which would silently be read as {word.lower() in TRUE_WORDS})"
            for path, word in words))
    return settings


TRUE_WORDS = ("yes", "on", "true", "y", "1", "t")


def _dumped(settings: BaseModel) -> Any:
    try:
        return settings.model_dump(by_alias=True)
    except Exception:  # a model holding arbitrary types: nothing to compare
        return None


def text_read_as_bool(raw: Any, dumped: Any, path: str = "") -> list[tuple[str, str]]:
    """Where a text value of ``raw`` became a boolean in the validated settings: ``closeOnDeletion:
    yes`` arrives from the Pulumi CLI as the string 'yes' and would quietly turn into True."""
    if isinstance(raw, str) and isinstance(dumped, bool):
        return [(path, raw)]
    found: list[tuple[str, str]] = []
    if isinstance(raw, dict) and isinstance(dumped, dict):
        for name, value in raw.items():
            if name in dumped:
                found += text_read_as_bool(value, dumped[name], f"{path}.{name}" if path else str(name))
    elif isinstance(raw, list) and isinstance(dumped, list) and len(raw) == len(dumped):
        for index, (value, seen) in enumerate(zip(raw, dumped, strict=True)):
            found += text_read_as_bool(value, seen, f"{path}[{index}]")
    return found


def unknown_key_problems(keys: Iterable[str], known: Iterable[str], namespace: str) -> list[str]:
    """One line per ``<namespace>:<key>`` that is not a known key: a typo never silently
    switches a feature off (its resources would be deleted on the next ``pulumi up``)."""
    known = sorted(set(known))
    problems = []
    for full in sorted(keys):
        space, _, key = full.partition(":")
        if space != namespace or key in known:
            continue
        problems.append(f"{full} is not a known key{did_you_mean(key, known)}; known keys: {', '.join(known)}")
    return problems


def referenced_config_keys(value: Any) -> set[str]:
    """Config keys named by settings ending in ``Config`` (``clientSecretConfig: partnerSecret``):
    secrets live in their own config key, referenced from a feature's settings."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key.endswith("Config") and isinstance(item, str):
                found.add(item)
            else:
                found |= referenced_config_keys(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_config_keys(item)
    return found


def config_object(config: pulumi.Config, key: str, what: str = "an object") -> Any:
    """``config.get_object(key)``; a value that is not JSON of the right kind is a ConfigError."""
    try:
        return config.get_object(key)
    except pulumi.ConfigTypeError:
        raw = config.get(key)
        raise ConfigError(f"Invalid stack config:\n{config.full_key(key)} = {describe_value(raw)}: "
                          f"must be {what}") from None


@dataclass(frozen=True)
class SecretSetting:
    """One secret config key as the stack holds it: its value (None: not set) and whether it was
    stored in plain text (``pulumi config set`` without ``--secret``)."""

    value: pulumi.Output[str] | None
    plain_text: bool


class StackSecrets:
    """Reads the ``groundwork:`` keys that hold credentials, which feature settings name by key
    (``clientSecretConfig: partnerClientSecret``); the values only ever exist as Pulumi secrets."""

    def __init__(self, config: pulumi.Config) -> None:
        self._config = config

    def get(self, key: str) -> SecretSetting:
        value = self._config.get_secret(key)
        reported = engine_secret_keys()
        plain = value is not None and reported is not None and self._config.full_key(key) not in reported
        return SecretSetting(value, plain)


def engine_secret_keys() -> set[str] | None:
    """Config keys the engine reported as secret; None when nothing reported them (unit tests
    under mocks). The language host always sets PULUMI_CONFIG_SECRET_KEYS, even to ``[]``."""
    reported = "PULUMI_CONFIG_SECRET_KEYS" in os.environ
    keys = set(pulumi.runtime.get_config_secret_keys_env())
    known = getattr(pulumi.runtime.config, "_SECRET_KEYS", None)  # set by the language host
    if known is not None:
        keys |= set(known.get())
    return keys if keys or reported else None
