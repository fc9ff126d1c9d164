"""IAM Identity Center access as data: groups, permission sets and who gets what where.

``org/sso.yaml`` sits next to the account requests and is validated against them: every
assignment names a known group and permission set, and targets accounts by name or whole OUs
by path (an OU stands for every account under it, nested OUs included). All problems are
collected and reported together, each as ``file: entry: message``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from groundwork.context import did_you_mean
from groundwork.errors import describe_value
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from org.loader import OrgValidationError, show_path
from org.yamlfile import YamlFileError, load_yaml

SSO_FILE = "sso.yaml"  # next to organization.yaml
# Limits of the IAM Identity Center API (CreatePermissionSet, CreateGroup).
PERMISSION_SET_NAME = re.compile(r"^[\w+=,.@-]{1,32}$")
PERMISSION_SET_NAME_MAX = 32
SESSION_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")
SESSION_MIN_MINUTES, SESSION_MAX_MINUTES = 60, 12 * 60
RELAY_STATE = re.compile(r"^[a-zA-Z0-9&$@#\\/%?=~\-_'\"|!:,.;*+\[\] (){}]{1,240}$")
GROUP_NAME = re.compile(r"^[\w+=,.@ -]{1,128}$")
MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128}$")
IAM_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
IAM_PATH = re.compile(r"^/(?:[\x21-\x7e]{0,510}/)?$")
ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9-]{2,49}$")
INLINE_POLICY_MAX = 32768
# Ids of existing objects an adopted organization keeps (botocore's identitystore and sso-admin models).
GROUP_ID = re.compile(r"^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$")
PERMISSION_SET_ARN = re.compile(r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/"
                                r"ps-[a-zA-Z0-9-./]{16}$")


def _import_id(value: str | None, pattern: re.Pattern[str], what: str) -> str | None:
    if value is not None and not pattern.match(value):
        raise ValueError(f"must be the {what} of the existing object (written by `python -m org adopt`)")
    return value


class OrgView(Protocol):
    """The part of the org data (``org.model.OrgData``) the SSO data is checked against."""

    ou_paths: list[str]

    def account(self, name: str) -> Any: ...

    def accounts_under(self, ou_path: str) -> list[Any]: ...


class SsoValidationError(OrgValidationError):
    """``org/sso.yaml`` is invalid; ``problems`` names the file and entry of each problem."""

    def __init__(self, problems: list[str]) -> None:
        Exception.__init__(self, "Invalid SSO data:\n" + "\n".join(problems))
        self.problems = problems


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Group(_Model):
    """An identity store group; users are added to it in IAM Identity Center (or your IdP)."""

    name: str
    description: str = Field(default="", max_length=1024)
    import_id: str | None = Field(default=None, alias="importId")  # adopted group: its identity store id

    @field_validator("import_id")
    @classmethod
    def _group_id(cls, value: str | None) -> str | None:
        return _import_id(value, GROUP_ID, "identity store group id")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not GROUP_NAME.match(value):
            raise ValueError("must be 1-128 characters of letters, digits, spaces and +=,.@_-")
        return value


class PolicyReference(_Model):
    """A customer managed policy that must exist, with this name and path, in every target account."""

    name: str
    path: str = "/"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not IAM_POLICY_NAME.match(value):
            raise ValueError("must be an IAM policy name: 1-128 characters of letters, digits and +=,.@_-")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not IAM_PATH.match(value):
            raise ValueError("must be an IAM path: '/' or '/a/b/'")
        return value


class PermissionsBoundary(_Model):
    """The boundary every role of the permission set gets: an AWS managed or a customer policy."""

    managed_policy_arn: str | None = Field(default=None, alias="managedPolicyArn")
    customer_managed_policy: PolicyReference | None = Field(default=None, alias="customerManagedPolicy")

    @field_validator("managed_policy_arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if value is not None and not MANAGED_POLICY_ARN.match(value):
            raise ValueError("must be an AWS managed policy ARN (arn:aws:iam::aws:policy/...)")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> PermissionsBoundary:
        if (self.managed_policy_arn is None) == (self.customer_managed_policy is None):
            raise ValueError("give exactly one of managedPolicyArn or customerManagedPolicy")
        return self


class PermissionSet(_Model):
    """A permission set: the role IAM Identity Center creates in each account it is assigned to."""

    name: str
    description: str = Field(default="", max_length=700)
    session_duration: str = Field(default="PT1H", alias="sessionDuration")
    relay_state: str | None = Field(default=None, alias="relayState")
    managed_policies: list[str] = Field(default_factory=list, alias="managedPolicies")
    customer_managed_policies: list[PolicyReference] = Field(default_factory=list,
                                                             alias="customerManagedPolicies")
    inline_policy: dict[str, Any] | None = Field(default=None, alias="inlinePolicy")
    permissions_boundary: PermissionsBoundary | None = Field(default=None, alias="permissionsBoundary")
    import_id: str | None = Field(default=None, alias="importId")  # adopted permission set: its ARN

    @field_validator("import_id")
    @classmethod
    def _arn_id(cls, value: str | None) -> str | None:
        return _import_id(value, PERMISSION_SET_ARN, "permission set ARN")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if len(value) > PERMISSION_SET_NAME_MAX:
            raise ValueError(
                f"is {len(value)} characters; IAM Identity Center allows at most "
                f"{PERMISSION_SET_NAME_MAX} (names are never shortened for you)"
            )
        if not PERMISSION_SET_NAME.match(value):
            raise ValueError("must be 1-32 characters of letters, digits and +=,.@_-")
        return value

    @field_validator("session_duration")
    @classmethod
    def _session(cls, value: str) -> str:
        match = SESSION_DURATION.match(value)
        minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0) if match else 0
        if not match or not SESSION_MIN_MINUTES <= minutes <= SESSION_MAX_MINUTES:
            raise ValueError("must be an ISO 8601 duration from PT1H to PT12H (e.g. PT4H, PT1H30M)")
        return value

    @field_validator("relay_state")
    @classmethod
    def _relay(cls, value: str | None) -> str | None:
        if value is not None and (not RELAY_STATE.match(value) or not _is_https_url(value)):
            raise ValueError("must be an https:// URL of 1-240 characters (e.g. https://console.aws.amazon.com/...)")
        return value

    @field_validator("managed_policies")
    @classmethod
    def _managed(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not MANAGED_POLICY_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an AWS managed policy ARN (arn:aws:iam::aws:policy/...)")
        if len(set(value)) != len(value):
            raise ValueError("lists a policy twice")
        return value

    @field_validator("inline_policy")
    @classmethod
    def _inline(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        statements = value.get("Statement")
        if value.get("Version") != "2012-10-17" or not isinstance(statements, list) or not statements:
            raise ValueError("must be an IAM policy document with Version '2012-10-17' and a Statement list")
        for index, statement in enumerate(statements):
            if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
                raise ValueError(f"Statement[{index}] needs Effect Allow or Deny")
            if "Action" not in statement and "NotAction" not in statement:
                raise ValueError(f"Statement[{index}] needs Action or NotAction")
        if len(json.dumps(value, separators=(",", ":"))) > INLINE_POLICY_MAX:
            raise ValueError(f"is longer than {INLINE_POLICY_MAX} characters")
        return value

    @model_validator(mode="after")
    def _grants_something(self) -> PermissionSet:
        if not (self.managed_policies or self.customer_managed_policies or self.inline_policy):
            raise ValueError("grants nothing: give managedPolicies, customerManagedPolicies or inlinePolicy")
        return self

    @property
    def inline_policy_json(self) -> str | None:
        """The inline policy as the JSON text IAM Identity Center stores."""
        return json.dumps(self.inline_policy, sort_keys=True) if self.inline_policy else None


class Assignment(_Model):
    """Group x permission set x targets, as written in the file (targets unresolved)."""

    group: str
    permission_set: str = Field(alias="permissionSet")
    targets: list[str] = Field(min_length=1)


class SsoFile(_Model):
    """The shape of ``org/sso.yaml``: all three lists written out, so that removing every group,
    permission set or assignment is a visible ``[]`` in review, never an emptied or cut file."""

    groups: list[Group]
    permission_sets: list[PermissionSet] = Field(alias="permissionSets")
    assignments: list[Assignment]


@dataclass(frozen=True, order=True)
class AccountAssignment:
    """One grant IAM Identity Center makes: a group may use a permission set in an account."""

    group: str
    permission_set: str
    account: str


@dataclass
class SsoData:
    """Validated SSO data with every assignment expanded to the accounts it covers."""

    groups: list[Group]
    permission_sets: list[PermissionSet]
    assignments: list[AccountAssignment]
    source: Path
    declared: list[Assignment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def group(self, name: str) -> Group:
        return next(g for g in self.groups if g.name == name)

    def permission_set(self, name: str) -> PermissionSet:
        return next(p for p in self.permission_sets if p.name == name)

    @property
    def accounts(self) -> list[str]:
        """Every account some assignment targets, sorted."""
        return sorted({a.account for a in self.assignments})


def read_sso_file(path: Path) -> SsoFile:
    """``org/sso.yaml`` checked on its own (readable, strict YAML, the right shape): what can be
    checked while the org data it refers to is invalid. SsoValidationError otherwise."""
    where = show_path(path)
    if not path.is_file():
        raise SsoValidationError([f"{where}: (file): file not found"])
    try:
        raw = load_yaml(path)
    except YamlFileError as error:
        raise SsoValidationError([f"{where}: (file): {error}"]) from None
    if not isinstance(raw, dict):
        got = "an empty file" if raw is None else type(raw).__name__
        raise SsoValidationError([f"{where}: (file): must be a mapping with groups, permissionSets and "
                                  f"assignments (got {got}); to remove all access write each as an empty "
                                  "list, e.g. assignments: []"])
    try:
        return SsoFile.model_validate(raw)
    except ValidationError as error:
        raise SsoValidationError(_format(error, where)) from None


def load_sso(path: Path, org: OrgView) -> SsoData:
    """Read and validate ``org/sso.yaml`` against the org data; raise SsoValidationError listing all problems."""
    where = show_path(path)
    data = read_sso_file(path)
    problems = _duplicates(where, "groups", [g.name for g in data.groups])
    problems += _duplicates(where, "permissionSets", [p.name for p in data.permission_sets])
    groups = {g.name for g in data.groups}
    permission_sets = {p.name for p in data.permission_sets}
    expanded: set[AccountAssignment] = set()
    warnings: list[str] = []
    for index, assignment in enumerate(data.assignments):
        entry = f"{where}: assignments[{index}]"
        if assignment.group not in groups:
            problems.append(f"{entry}.group: unknown group {assignment.group!r} (known: {_known(groups)})")
        if assignment.permission_set not in permission_sets:
            problems.append(f"{entry}.permissionSet: unknown permission set {assignment.permission_set!r} "
                            f"(known: {_known(permission_sets)})")
        for position, target in enumerate(assignment.targets):
            accounts, problem = _resolve_target(target, org)
            if problem:
                problems.append(f"{entry}.targets[{position}]: {problem}")
            elif not accounts:  # legal in AWS: an OU may be empty, e.g. while an account is removed
                warnings.append(f"{entry}.targets[{position}]: OU {target!r} has no accounts (nested OUs "
                                "included), so this target grants nothing for now")
            for account in accounts:
                expanded.add(AccountAssignment(assignment.group, assignment.permission_set, account))
    if problems:
        raise SsoValidationError(problems)
    return SsoData(
        groups=list(data.groups),
        permission_sets=list(data.permission_sets),
        assignments=sorted(expanded),
        source=path,
        declared=list(data.assignments),
        warnings=warnings,
    )


def _resolve_target(target: str, org: OrgView) -> tuple[list[str], str | None]:
    """Account names a target covers: itself for an account, every account under an OU path."""
    is_ou = target in org.ou_paths
    try:
        org.account(target)
        is_account = True
    except KeyError:
        is_account = False
    if is_ou and is_account:
        return [], f"{target!r} is both an account and an OU; rename one of them"
    if is_account:
        return [target], None
    if is_ou:
        return [a.name for a in org.accounts_under(target)], None
    if "/" in target or not ACCOUNT_NAME.match(target):
        return [], f"unknown OU {target!r} (known: {_known(org.ou_paths)})"
    return [], f"unknown account or OU {target!r} (no account request org/accounts/{target}.yaml; " \
               f"known OUs: {_known(org.ou_paths)})"


def _duplicates(where: str, key: str, names: list[str]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for index, name in enumerate(names):
        if name in seen:
            problems.append(f"{where}: {key}[{index}].name: {name!r} is declared twice")
        seen.add(name)
    return problems


def _known(names: Any) -> str:
    return ", ".join(sorted(names)) or "none"


def _format(error: ValidationError, where: str) -> list[str]:
    """One ``file: entry.field: message`` line per pydantic problem, in the keys users write."""
    lines = []
    for problem in error.errors():
        parts: list[str] = []
        for part in problem["loc"]:
            if isinstance(part, int):
                parts[-1 if parts else 0:] = [f"{parts[-1] if parts else ''}[{part}]"]
            else:
                parts.append(str(part))
        entry = ".".join(parts) or "(file)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "missing":
            hint = " (write an empty list [] to declare none)" if len(problem["loc"]) == 1 else ""
            lines.append(f"{where}: {entry}: is required{hint}")
        elif problem["type"] == "extra_forbidden":
            allowed = _allowed(problem["loc"])
            hint = did_you_mean(str(problem["loc"][-1]), allowed.split(", "))
            lines.append(f"{where}: {entry}: is not a known key{hint}; allowed keys: {allowed}")
        elif isinstance(problem.get("input"), (dict, list)):
            lines.append(f"{where}: {entry}: {message}")
        else:
            lines.append(f"{where}: {entry}: {message} (got {describe_value(problem.get('input'))})")
    return lines


def _is_https_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme == "https" and bool(parsed.hostname)


_MODEL_OF_LIST = {"groups": Group, "permissionSets": PermissionSet, "assignments": Assignment}


def _allowed(loc: tuple) -> str:
    """The keys allowed where an unknown key was found (``loc`` as pydantic reports it)."""
    model: type[BaseModel] = SsoFile
    for part in loc[:-1]:
        if isinstance(part, str):
            model = _MODEL_OF_LIST.get(part) or {
                "customerManagedPolicies": PolicyReference, "permissionsBoundary": PermissionsBoundary,
                "customerManagedPolicy": PolicyReference}.get(part, model)
    return ", ".join(f.alias or name for name, f in model.model_fields.items())
