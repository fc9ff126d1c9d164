"""Reading ``Pulumi.<stack>.yaml`` the way the Pulumi CLI hands config to a program."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groundwork.context import is_secret
from groundwork.errors import ConfigError

from features.settings import did_you_mean, referenced_config_keys
from org.yamlfile import YamlFileError, load_yaml, parse_yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRET_PLACEHOLDER = "plan-secret-value"
# Attributes of a stack settings file (https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/).
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")
PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass
class StackConfig:
    """A stack's config (namespaced keys) and which keys hold secrets."""

    stack: str
    path: Path
    values: dict[str, Any]
    secret_keys: list[str]
    project: str = "groundwork"

    @property
    def stack_tags(self) -> dict[str, str]:
        """``pulumi:tags`` as the Pulumi Cloud backend would merge them into the stack tags."""
        tags = self.values.get("pulumi:tags") or {}
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}


def project_name(root: Path = PROJECT_ROOT) -> str:
    """The ``name`` of ``Pulumi.yaml`` (the config namespace of unqualified keys)."""
    path = root / "Pulumi.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: no such file; the project folder needs its Pulumi.yaml (name, runtime)")
    try:
        data = load_yaml(path, stack_file=True)
    except YamlFileError as error:
        raise ConfigError(f"{path.name}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ConfigError(f"{path.name}: must be a mapping with the project's name, e.g. name: groundwork")
    return data["name"]


def _shown(item: str) -> str:
    """An override as messages show it: the value of a key named like a credential is hidden."""
    key, sep, _ = item.partition("=")
    return repr(f"{key}=<value not shown>") if sep and is_secret([key], None) else repr(item)


def _override_value(item: str, value: str) -> Any:
    """An override's value as the CLI would pass it: text, or an object/list written as JSON/YAML."""
    if not value.strip():
        raise ConfigError(f"--config {_shown(item)}: the value is empty; give a value or leave the option out")
    if not value.strip().startswith(("{", "[")):
        return value
    try:
        return parse_yaml(value, stack_file=True)
    except YamlFileError as error:
        raise ConfigError(f"--config {_shown(item)}: the value is {error}; write the object as JSON, "
                          'e.g. groundwork:tags={"team": "shop"}') from None


def _path_value(item: str, value: str) -> Any:
    """A path override's value as ``pulumi config set --path`` reads it: YAML (numbers, booleans)."""
    try:
        return parse_yaml(value, stack_file=True)
    except YamlFileError as error:
        raise ConfigError(f"--config {_shown(item)}: the value is {error}") from None


def _apply_path(values: dict[str, Any], item: str, full: str, value: Any) -> None:
    """``groundwork:org.closeOnDeletion=true`` sets one setting inside an object, like
    ``pulumi config set --path``; a path that does not lead into existing settings is refused."""
    key, _, path = full.partition(".")
    parts = [name if name else int(index) for name, index in PATH_PART.findall(path)]
    target = values.get(key)
    if target is None:
        raise ConfigError(f"--config {_shown(item)}: {key} is not set in the stack file, so {full} cannot be "
                          f"changed; give the whole object: --config '{key}={{...}}'")
    walked = key
    for part in parts[:-1]:
        container_ok = isinstance(target, list) if isinstance(part, int) else isinstance(target, dict)
        if not container_ok or (isinstance(part, int) and part >= len(target)) or (
                isinstance(part, str) and part not in target):
            raise ConfigError(f"--config {_shown(item)}: {walked} has no {part!r}; a path override changes one "
                              "existing setting; give the whole object instead")
        target = target[part]
        walked += f"[{part}]" if isinstance(part, int) else f".{part}"
    last = parts[-1]
    if isinstance(last, int) and not (isinstance(target, list) and last < len(target)):
        raise ConfigError(f"--config {_shown(item)}: {walked} has no item [{last}]")
    if isinstance(last, str) and not isinstance(target, dict):
        raise ConfigError(f"--config {_shown(item)}: {walked} is not an object")
    target[last] = value


def _unsecret(value: Any, key: str, secret_keys: list[str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            secret_keys.append(key)
            return SECRET_PLACEHOLDER
        return {k: _unsecret(v, key, secret_keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecret(v, key, secret_keys) for v in value]
    return value


def _refuse_plain_secrets(values: dict[str, Any], secret_keys: list[str], project: str, where: str) -> None:
    """A key that a setting names as a credential (``clientSecretConfig: partnerClientSecret``) must
    hold a Pulumi secret (``secure:``); the plain value is never repeated."""
    referenced: set[str] = set()
    for key, value in values.items():
        if key.startswith(f"{project}:"):
            referenced |= referenced_config_keys(value)
    for name in sorted(referenced):
        full = f"{project}:{name}"
        if full in values and full not in secret_keys:
            raise ConfigError(f"{where}: {full} holds a credential in plain text (value not shown); it must be a "
                              f"Pulumi secret: `pulumi config set --secret {name} <value>`")


def load_stack_config(stack: str, overrides: list[str] | None = None,
                      root: Path = PROJECT_ROOT, *, check_secrets: bool = True) -> StackConfig:
    """Load ``Pulumi.<stack>.yaml``; secure values become placeholders marked secret.

    ``check_secrets=False`` leaves a plain-text credential to the program (tests of its own check)."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise ConfigError(f"{path.name}: no such stack file; known stacks: {', '.join(known)}")
    try:
        data = load_yaml(path, stack_file=True)
    except YamlFileError as error:
        raise ConfigError(f"{path.name}: {error}") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: must be a mapping with a 'config' key (got {type(data).__name__})")
    for key in data:
        if key not in STACK_FILE_KEYS:
            raise ConfigError(f"{path.name}: {key!r} is not a stack settings key{did_you_mean(str(key), STACK_FILE_KEYS)};"
                              f" known keys: {', '.join(STACK_FILE_KEYS)}")
    raw = data.get("config")
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: 'config' must be a mapping of namespaced keys")
    project = project_name(root)
    values: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        full = key if ":" in str(key) else f"{project}:{key}"
        values[full] = _unsecret(value, full, secret_keys)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--config {_shown(item)}: expected key=value, e.g. groundwork:stage=dev")
        full = key if ":" in key else f"{project}:{key}"
        parsed = _override_value(item, value)
        if "." in full.partition(":")[2] or "[" in full:
            _apply_path(values, item, full, _path_value(item, value))
        else:
            values[full] = parsed
        if full in secret_keys and "." not in full:
            secret_keys.remove(full)
    if check_secrets:
        _refuse_plain_secrets(values, secret_keys, project, path.name)
    return StackConfig(stack=stack, path=path, values=values, secret_keys=secret_keys, project=project)
