"""The organization as data: the shapes of ``org/organization.yaml`` and ``org/accounts/<name>.yaml``.

The file models reject unknown keys and wrong types (a YAML ``no`` is not a name); rules that
need more than one file (OU paths exist, unique names and emails) live in :mod:`org.loader`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator

# Rules users see in error messages and in docs/organization.md.
ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9-]{2,49}$")
ACCOUNT_NAME_RULE = "3-50 characters: lower-case letters, digits and '-', starting with a letter"
OU_NAME = re.compile(r"^[A-Za-z0-9 ._-]{1,128}$")
OU_NAME_RULE = "1-128 characters: letters, digits, space, '.', '_' and '-'"
OU_PATH_RULE = f"OU names ({OU_NAME_RULE}) joined by '/', without a leading or trailing '/'"
MAX_OU_DEPTH = 5  # AWS: OUs nest at most five levels below the root.
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
MAX_EMAIL_LENGTH = 64  # CreateAccount accepts 6-64 characters.
DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com$")
SCP_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
TAG_KEY = re.compile(r"^[\w .:/=+@-]{1,128}$")
TAG_VALUE = re.compile(r"^[\w .:/=+@-]{0,256}$")
MAX_TAGS = 40  # AWS allows 50 per resource; the stack conventions add their own.
RESERVED_TAG_KEYS = ("context", "stage", "owner", "usage", "expires-at", "account-owner", "organizational-unit")
EMAIL_PATTERN_FIELDS = {"name", "mailDomain"}
# Ids of existing AWS objects an adopted organization keeps (botocore's Organizations model).
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
POLICY_ID = re.compile(r"^p-[0-9a-zA-Z_]{8,128}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
POLICY_TYPES = (
    "AISERVICES_OPT_OUT_POLICY", "BACKUP_POLICY", "CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2",
    "RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY", "TAG_POLICY",
)


def is_ou_path(value: str) -> bool:
    """True when ``value`` follows the OU path rule (``Workloads/Prod``)."""
    return bool(value) and all(OU_NAME.match(part) and part.strip() == part for part in value.split("/"))


def is_email(value: str) -> bool:
    return bool(EMAIL.match(value)) and ".." not in value


def _import_id(value: str | None, pattern: re.Pattern[str], example: str) -> str | None:
    """An ``importId`` (written by ``python -m org adopt``) must be the id AWS gave the object."""
    if value is not None and not pattern.match(value):
        raise ValueError(f"must be the id of the existing AWS object, like {example!r} "
                         "(written by `python -m org adopt`)")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


class OuNode(_Strict):
    """One organizational unit and the OUs nested in it."""

    name: StrictStr
    children: list[OuNode] = Field(default_factory=list)
    import_id: StrictStr | None = Field(default=None, alias="importId")  # adopted OU: imported, not created

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not OU_NAME.match(value) or value.strip() != value:
            raise ValueError(f"must be {OU_NAME_RULE}, without leading or trailing spaces")
        return value

    @field_validator("import_id")
    @classmethod
    def _ou_id(cls, value: str | None) -> str | None:
        return _import_id(value, OU_ID, "ou-ab12-cdef3456")

    @field_validator("children")
    @classmethod
    def _unique_children(cls, value: list[OuNode]) -> list[OuNode]:
        _refuse_duplicates([child.name for child in value], "OU")
        return value


class ScpSpec(_Strict):
    """A service control policy: its JSON document under ``scps/`` and the OUs it is attached to."""

    name: StrictStr
    description: StrictStr = Field(default="", max_length=512)
    file: StrictStr
    targets: list[StrictStr] = Field(min_length=1)
    # Adopted SCP: imported with its id, keeping its name in AWS (else <context>-<stage>-<name>).
    import_id: StrictStr | None = Field(default=None, alias="importId")
    aws_name: StrictStr | None = Field(default=None, alias="awsName", min_length=1, max_length=128)

    @field_validator("import_id")
    @classmethod
    def _policy_id(cls, value: str | None) -> str | None:
        return _import_id(value, POLICY_ID, "p-ab12cd34")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SCP_NAME.match(value):
            raise ValueError("must be 1-128 characters of letters, digits and +=,.@_-")
        return value

    @field_validator("file")
    @classmethod
    def _file(cls, value: str) -> str:
        path = Path(value)
        if path.is_absolute() or ".." in path.parts or path.suffix != ".json":
            raise ValueError("must be a .json file relative to the org folder, e.g. scps/deny-leave.json")
        return value

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for target in value:
            if not is_ou_path(target):
                raise ValueError(f"target {target!r} is not an OU path: {OU_PATH_RULE}")
        _refuse_duplicates(value, "target")
        return value


class OrganizationSpec(_Strict):
    """``org/organization.yaml``: organization settings, OU tree, SCPs and the mail domain."""

    mail_domain: StrictStr = Field(alias="mailDomain")
    email_pattern: StrictStr = Field(default="{name}@{mailDomain}", alias="emailPattern")
    feature_set: Literal["ALL"] = Field(default="ALL", alias="featureSet")
    # Required, even empty: a deleted section must not silently remove every trusted service,
    # policy type or SCP; `scps: []` says it on purpose.
    service_principals: list[StrictStr] = Field(alias="servicePrincipals")
    enabled_policy_types: list[Literal[POLICY_TYPES]] = Field(alias="enabledPolicyTypes")  # type: ignore[valid-type]
    ous: list[OuNode] = Field(min_length=1)
    scps: list[ScpSpec]
    import_id: StrictStr | None = Field(default=None, alias="importId")  # adopted organization (o-...)

    @field_validator("import_id")
    @classmethod
    def _organization_id(cls, value: str | None) -> str | None:
        return _import_id(value, ORGANIZATION_ID, "o-abcdef1234")

    @field_validator("mail_domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not DOMAIN.match(value):
            raise ValueError("must be a lower-case DNS domain you own, e.g. aws.acme-corp.example")
        return value

    @field_validator("email_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            raise ValueError(f"is not a valid pattern ({error})") from None
        if "name" not in fields or not fields <= EMAIL_PATTERN_FIELDS:
            raise ValueError("must contain {name} and may contain {mailDomain}, "
                             "e.g. '{name}@{mailDomain}' or 'aws+{name}@acme-corp.example'")
        if not is_email(value.format(name="abc", mailDomain="aws.example.com")):
            raise ValueError("must produce an email address, e.g. '{name}@{mailDomain}'")
        return value

    @field_validator("service_principals")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        for principal in value:
            if not SERVICE_PRINCIPAL.match(principal):
                raise ValueError(f"{principal!r} is not a service principal like sso.amazonaws.com")
        _refuse_duplicates(value, "service principal")
        return value

    @field_validator("enabled_policy_types")
    @classmethod
    def _policy_types(cls, value: list[str]) -> list[str]:
        _refuse_duplicates(value, "policy type")
        return value

    @field_validator("ous")
    @classmethod
    def _unique_top_level(cls, value: list[OuNode]) -> list[OuNode]:
        _refuse_duplicates([node.name for node in value], "OU")
        return value

    @field_validator("scps")
    @classmethod
    def _unique_scps(cls, value: list[ScpSpec]) -> list[ScpSpec]:
        _refuse_duplicates([scp.name for scp in value], "SCP")
        return value

    def email_for(self, name: str) -> str:
        """The account's root email derived from the pattern (lower-case)."""
        return self.email_pattern.format(name=name, mailDomain=self.mail_domain).lower()


class AccountFile(_Strict):
    """``org/accounts/<name>.yaml``: one vended account, as its owner requested it."""

    name: StrictStr
    ou: StrictStr
    owner: StrictStr
    purpose: StrictStr = Field(min_length=3, max_length=256)
    tags: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    bootstrap: StrictBool = True
    # Step one of removing an account from a PRODUCTION org: lifts protect; a later change deletes the file.
    removable: StrictBool = False
    # Only for an account that existed before vending and is imported with its real address;
    # new requests leave it out and get the address derived from the name.
    email: StrictStr | None = None
    # Adopted account: imported with its id, keeping its name in AWS when that is not a valid file name.
    import_id: StrictStr | None = Field(default=None, alias="importId")
    aws_name: StrictStr | None = Field(default=None, alias="awsName", min_length=1, max_length=128)

    @field_validator("import_id")
    @classmethod
    def _account_id(cls, value: str | None) -> str | None:
        return _import_id(value, ACCOUNT_ID, "111122223333")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ACCOUNT_NAME.match(value):
            raise ValueError(f"must be {ACCOUNT_NAME_RULE}")
        return value

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str) -> str:
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError("must be one line of text (no line breaks or control characters)")
        return value

    @field_validator("ou")
    @classmethod
    def _ou(cls, value: str) -> str:
        if not is_ou_path(value):
            raise ValueError(f"must be an OU path: {OU_PATH_RULE}, e.g. 'Workloads/Prod'")
        return value

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if not is_email(value):
            raise ValueError("must be the email address of the owning person or team mailbox")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and (not is_email(value) or len(value) > MAX_EMAIL_LENGTH):
            raise ValueError(f"must be an email address of at most {MAX_EMAIL_LENGTH} characters "
                             "(set it only for an imported account; new accounts get a derived one)")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_TAGS:
            raise ValueError(f"at most {MAX_TAGS} tags")
        for key, tag_value in value.items():
            if not TAG_KEY.match(key) or key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r} is not a valid AWS tag key "
                                 "(1-128 letters, digits, spaces and _.:/=+-@; not aws:)")
            if key.lower() in RESERVED_TAG_KEYS:
                raise ValueError(f"tag key {key!r} is set by the platform; reserved keys: "
                                 f"{', '.join(RESERVED_TAG_KEYS)}")
            if not TAG_VALUE.match(tag_value):
                raise ValueError(f"tag {key!r} value must be 0-256 letters, digits, spaces and _.:/=+-@")
        return value


def _refuse_duplicates(values: list[str], what: str) -> None:
    seen: dict[str, str] = {}
    for value in values:
        folded = value.casefold()
        if folded in seen:
            raise ValueError(f"{what} {value!r} is listed twice (names compare case-insensitively)")
        seen[folded] = value


@dataclass(frozen=True)
class AccountRequest:
    """A validated vended account, with its derived root email and the file it came from."""

    name: str
    ou: str
    owner: str
    email: str
    purpose: str
    tags: dict[str, str]
    bootstrap: bool
    source: Path
    removable: bool = False
    import_id: str | None = None
    aws_name: str | None = None


@dataclass(frozen=True)
class ScpDocument:
    """A validated SCP: its spec and the parsed policy document."""

    spec: ScpSpec
    document: dict
    source: Path


@dataclass
class OrgData:
    """The whole validated organization, as features after the org (mail, SSO, bootstrap) read it."""

    spec: OrganizationSpec
    accounts: list[AccountRequest]
    ou_paths: list[str]
    scps: list[ScpDocument]
    root: Path
    _by_name: dict[str, AccountRequest] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.accounts = sorted(self.accounts, key=lambda a: a.name)
        self._by_name = {a.name: a for a in self.accounts}

    @property
    def mail_domain(self) -> str:
        return self.spec.mail_domain

    def account(self, name: str) -> AccountRequest:
        """The account called ``name``; KeyError if no request file declares it."""
        return self._by_name[name]

    def scps_for(self, ou_path: str) -> list[str]:
        """Names of our SCPs that apply to accounts in ``ou_path`` (attached to it or an OU above)."""
        above = set(ancestors(ou_path))
        return [scp.spec.name for scp in self.scps if above & set(scp.spec.targets)]

    def accounts_under(self, ou_path: str) -> list[AccountRequest]:
        """Accounts in ``ou_path`` and every OU nested below it (KeyError for an unknown OU)."""
        if ou_path not in self.ou_paths:
            raise KeyError(ou_path)
        return [a for a in self.accounts if a.ou == ou_path or a.ou.startswith(ou_path + "/")]


def ancestors(ou_path: str) -> list[str]:
    """``Workloads/Prod`` -> ``["Workloads", "Workloads/Prod"]`` (the OU and every OU above it)."""
    parts = ou_path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def ou_paths_of(nodes: list[OuNode], prefix: str = "") -> list[tuple[str, int]]:
    """Every OU path of the tree with its depth, parents before children."""
    paths: list[tuple[str, int]] = []
    depth = prefix.count("/") + 1 if prefix else 0
    for node in nodes:
        path = f"{prefix}/{node.name}" if prefix else node.name
        paths.append((path, depth + 1))
        paths.extend(ou_paths_of(node.children, path))
    return paths
