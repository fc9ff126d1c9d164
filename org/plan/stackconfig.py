"""Reading ``Pulumi.<stack>.yaml`` the way the Pulumi CLI hands config to a program."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRET_PLACEHOLDER = "plan-secret-value"


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
    data = yaml.safe_load((root / "Pulumi.yaml").read_text()) or {}
    return str(data.get("name", "groundwork"))


def _unsecret(value: Any, key: str, secret_keys: list[str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            secret_keys.append(key)
            return SECRET_PLACEHOLDER
        return {k: _unsecret(v, key, secret_keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecret(v, key, secret_keys) for v in value]
    return value


def load_stack_config(stack: str, overrides: list[str] | None = None,
                      root: Path = PROJECT_ROOT) -> StackConfig:
    """Load ``Pulumi.<stack>.yaml``; secure values become placeholders marked secret."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise ConfigError(f"{path.name}: no such stack file; known stacks: {', '.join(known)}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path.name}: not valid YAML: {error}") from None
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: 'config' must be a mapping of namespaced keys")
    project = project_name(root)
    values: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        full = key if ":" in key else f"{project}:{key}"
        values[full] = _unsecret(value, full, secret_keys)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--config {item!r}: expected key=value, e.g. groundwork:stage=dev")
        full = key if ":" in key else f"{project}:{key}"
        try:
            parsed = yaml.safe_load(value) if value.strip().startswith(("{", "[")) else value
        except yaml.YAMLError:
            parsed = value
        values[full] = parsed
    return StackConfig(stack=stack, path=path, values=values, secret_keys=secret_keys, project=project)
