"""The stack context: who owns a stack, what stage it is and how long it may live.

Read once from the ``groundwork`` config namespace and validated before any resource is
declared, so that a bad value stops the program with one clear message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError, describe_value
from .stages import NON_PRODUCTION_STAGES

NAMESPACE = "groundwork"
MAX_TTL_HOURS = 24 * 14
CONTEXT_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
TEAM_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")
TAG_KEY_PATTERN = re.compile(r"^[\w .:/=+@-]{1,128}$")
POLICY_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,128}$")
POLICY_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]{1,512}$")
# AWS allows 50 user tags per resource; the platform sets up to five (context, stage, owner,
# usage, expires-at) on every taggable resource, which leaves 45 for groundwork:tags.
MAX_RESOURCE_TAGS = 50
PLATFORM_TAGS = ("context", "stage", "owner", "usage", "expires-at")
MAX_EXTRA_TAGS = MAX_RESOURCE_TAGS - len(PLATFORM_TAGS)

# Config keys as users write them (camelCase in Pulumi.<stack>.yaml) -> model field names.
CONFIG_KEYS = {
    "context": "context",
    "stage": "stage",
    "owner": "owner",
    "usage": "usage",
    "ttlHours": "ttl_hours",
    "tags": "extra_tags",
    "roleBoundary": "role_boundary",
}
FIELD_TO_KEY = {field: key for key, field in CONFIG_KEYS.items()}


class StackContext(BaseModel):
    """Validated context of one stack; source of the convention tags and SSM prefix."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    context: str = Field(description="application or domain the stack belongs to")
    stage: Literal["dev", "test", "staging", "prod", "sandbox"]
    owner: str = Field(description="email address or team id of the owner")
    usage: Literal["EPHEMERAL", "POC", "PRODUCTION"]
    ttl_hours: int = Field(default=24, ge=1, le=MAX_TTL_HOURS)
    extra_tags: dict[str, str] = Field(default_factory=dict)
    # Managed policy (name in this stack's account, or ARN) every IAM role of the stack carries as
    # its permissions boundary; None: roles get no boundary (stacks deployed with IAM admin rights).
    role_boundary: str | None = None
    deployed_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0)
    )

    @field_validator("context")
    @classmethod
    def _context_shape(cls, value: str) -> str:
        if not CONTEXT_PATTERN.match(value):
            raise ValueError(
                "must be 3-32 characters of lower-case letters, digits and '-', "
                "starting with a letter"
            )
        return value

    @field_validator("owner")
    @classmethod
    def _owner_shape(cls, value: str) -> str:
        if not (EMAIL_PATTERN.match(value) or TEAM_PATTERN.match(value)):
            raise ValueError("must be an email address or a team id (lower-case, e.g. 'platform-team')")
        return value

    @field_validator("extra_tags")
    @classmethod
    def _tag_keys(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_EXTRA_TAGS:
            raise ValueError(f"{len(value)} tags; at most {MAX_EXTRA_TAGS}: AWS allows {MAX_RESOURCE_TAGS} tags per "
                             f"resource and the platform sets {len(PLATFORM_TAGS)} ({', '.join(PLATFORM_TAGS)})")
        for key, tag_value in value.items():
            if key.lower() in PLATFORM_TAGS:
                raise ValueError(f"tag key {key!r} is set by the platform; groundwork:tags may not set "
                                 f"{', '.join(PLATFORM_TAGS)}")
            if not TAG_KEY_PATTERN.match(key) or key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r} is not a valid AWS tag key")
            if len(tag_value) > 256:
                raise ValueError(f"tag {key!r} value is longer than 256 characters")
        return value

    @field_validator("role_boundary")
    @classmethod
    def _boundary_shape(cls, value: str | None) -> str | None:
        if value is not None and not (POLICY_NAME_PATTERN.match(value) or POLICY_ARN_PATTERN.match(value)):
            raise ValueError("must be a managed policy name (e.g. groundwork-workload-boundary, the "
                             "bootstrap's) or a customer managed policy ARN")
        return value

    @model_validator(mode="after")
    def _stage_usage(self) -> StackContext:
        if self.stage not in NON_PRODUCTION_STAGES and self.usage != "PRODUCTION":
            raise ValueError(
                f"usage {self.usage!r} is only allowed for stages "
                f"{', '.join(NON_PRODUCTION_STAGES)}; stage {self.stage!r} must use usage 'PRODUCTION'"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.usage == "PRODUCTION"

    @property
    def is_ephemeral(self) -> bool:
        return self.usage == "EPHEMERAL"

    @property
    def ssm_prefix(self) -> str:
        """Every SSM parameter of the stack lives under this path."""
        return f"/{self.stage}/{self.context}/"

    @property
    def expires_at(self) -> datetime | None:
        """End of an EPHEMERAL stack's lease: deploy time + ttlHours (None otherwise)."""
        if not self.is_ephemeral:
            return None
        return self.deployed_at + timedelta(hours=self.ttl_hours)

    @property
    def expires_at_iso(self) -> str | None:
        expires = self.expires_at
        return expires.strftime("%Y-%m-%dT%H:%M:%SZ") if expires else None

    @property
    def tags(self) -> dict[str, str]:
        """The convention tags every taggable resource receives (explicit values win)."""
        tags = dict(self.extra_tags)
        tags.update(context=self.context, stage=self.stage, owner=self.owner, usage=self.usage)
        if self.is_ephemeral:
            tags["expires-at"] = self.expires_at_iso or ""
        return tags

    def role_boundary_arn(self, account_id: str, partition: str = "aws") -> str | None:
        """The boundary ARN for roles of this stack in ``account_id`` (a name resolves there)."""
        if self.role_boundary is None or self.role_boundary.startswith("arn:"):
            return self.role_boundary
        return f"arn:{partition}:iam::{account_id}:policy/{self.role_boundary}"

    def name(self, *parts: str, sep: str = "-") -> str:
        """A physical name that says which context and stage a resource belongs to."""
        return sep.join([self.context, self.stage, *parts])


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (``Bus``, ``list[Bus]``, ``dict[str, Bus] | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _settings_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def known_settings_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The setting names allowed where ``loc`` (a pydantic error location) ends: the fields of the
    model that owns its last part. Dict keys and list indexes on the way keep the current model."""
    candidates = _unwrap_root([model])
    for part in loc[:-1]:
        if not isinstance(part, str):
            continue
        for candidate in candidates:
            fields = {field.alias or name: field for name, field in candidate.model_fields.items()}
            if part in fields:
                candidates = _unwrap_root(_models_in(fields[part].annotation) or candidates)
                break
    return _settings_names(candidates[0]) if candidates else []


def _unwrap_root(models: list[type[BaseModel]]) -> list[type[BaseModel]]:
    """A RootModel (``dict[str, Fanout]``) stands for the models it holds."""
    found: list[type[BaseModel]] = []
    for model in models:
        if set(model.model_fields) == {"root"}:
            found += _models_in(model.model_fields["root"].annotation) or [model]
        else:
            found.append(model)
    return found


def format_validation_error(error: ValidationError, source: str, key_of: Mapping[str, str],
                            model: type[BaseModel] | None = None) -> str:
    """One readable line per problem: where, the value given and what is allowed.

    ``source`` prefixes every location: ``"groundwork:"`` gives ``groundwork:stage``,
    ``"groundwork:teardown"`` gives ``groundwork:teardown.backendUrl``, and a file name ending
    in ``":"`` gives ``org/accounts/shop.yaml:email``. ``key_of`` maps field names to the keys
    users write.
    """
    lines = []
    for problem in error.errors():
        loc = list(problem["loc"])
        key = key_path([key_of.get(str(loc[0]), str(loc[0])), *loc[1:]]) if loc else ""
        joiner = "" if source.endswith(":") or not key or key.startswith("[") else "."
        where = f"{source}{joiner}{key}".rstrip(":")
        message = problem["msg"].removeprefix("Value error, ")
        value = problem.get("input")
        if problem["type"] == "missing":
            lines.append(f"{where} is required")
        elif problem["type"] == "extra_forbidden":
            known = known_settings_at(model, loc) if model is not None else []
            hint = (f"{did_you_mean(str(loc[-1]), known)}; known settings: {', '.join(known)}"
                    if known and loc else "")
            lines.append(f"{where} is not a known setting{hint}")
        elif is_secret(loc, value):
            lines.append(f"{where} (value not shown: it holds a secret): {message}")
        elif loc and problem["type"].startswith("bool") and isinstance(value, str):
            lines.append(f"{where} = {describe_value(value)}: {message}: write true or false")
        elif loc:
            lines.append(f"{where} = {describe_value(value)}: {message}")
        else:
            lines.append(f"{where}: {message}")
    return "\n".join(lines)


def key_path(parts: Sequence[str | int]) -> str:
    """``["buses", "orders", "targets", 2]`` -> ``buses.orders.targets[2]``: one path style everywhere."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts).lstrip(".")


SECRET_WORDS = ("secret", "password", "token", "apikey", "passphrase", "credential")


def is_secret(loc: Sequence[str | int], value: object) -> bool:
    """True when a value sits under, or holds, a key whose name says it is a credential: such a
    value is never repeated in a message (it would land in CI logs)."""
    names = [str(part) for part in loc if isinstance(part, str)]
    if isinstance(value, Mapping):
        names += [str(key) for key in value]
    names = [name.lower().replace("_", "") for name in names]
    # ``passphraseSecretArn``, ``clientSecretConfig``: where a secret is kept, not the secret itself.
    return any(word in name for name in names if not name.endswith(("arn", "config")) for word in SECRET_WORDS)


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known key (case-insensitive), or ``""``."""
    by_folded = {name.casefold(): name for name in known}
    close = difflib.get_close_matches(key.casefold(), list(by_folded), n=1, cutoff=0.6)
    return f" (did you mean {by_folded[close[0]]!r}?)" if close else ""


def context_from_mapping(values: Mapping[str, Any], *, now: datetime | None = None) -> StackContext:
    """Build and validate a context from config-style keys; raise ConfigError on bad input."""
    fields: dict[str, Any] = {}
    unknown = []
    for key, value in values.items():
        if key in CONFIG_KEYS:
            fields[CONFIG_KEYS[key]] = value
        else:
            unknown.append(key)
    if now is not None:
        fields["deployed_at"] = now.astimezone(UTC).replace(microsecond=0)
    try:
        context = StackContext(**fields)
    except ValidationError as error:
        raise ConfigError(
            "Invalid stack config:\n" + format_validation_error(error, f"{NAMESPACE}:", FIELD_TO_KEY)
        ) from None
    if "ttl_hours" in fields and not context.is_ephemeral:
        raise ConfigError(
            f"Invalid stack config:\n{NAMESPACE}:ttlHours = {fields['ttl_hours']!r}: only an EPHEMERAL stack has a "
            f"lease, and usage is {context.usage!r}; remove ttlHours (and teardown) to keep the stack "
            "beyond its lease, or set usage back to 'EPHEMERAL'")
    return context


def load_context(config: pulumi.Config | None = None, *, now: datetime | None = None) -> StackContext:
    """Read ``groundwork:context|stage|owner|usage|ttlHours|tags|roleBoundary`` from stack config."""
    config = config or pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        if key == "tags":
            try:
                raw = config.get_object(key)
            except pulumi.ConfigTypeError:
                raise ConfigError(f"Invalid stack config:\n{NAMESPACE}:tags = {describe_value(config.get(key))}: "
                                  "must be an object of tag key -> value") from None
        elif key == "ttlHours":
            raw = config.get(key)
            if raw is not None:
                try:
                    raw = int(raw)
                except ValueError:
                    raise ConfigError(
                        f"Invalid stack config:\n{NAMESPACE}:ttlHours = {raw!r}: "
                        f"must be a whole number of hours from 1 to {MAX_TTL_HOURS}"
                    ) from None
        else:
            raw = config.get(key)
        if raw is not None:
            values[key] = raw
    return context_from_mapping(values, now=now)
