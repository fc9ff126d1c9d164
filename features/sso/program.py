"""``groundwork:sso``: IAM Identity Center groups, permission sets and assignments from ``org/sso.yaml``.

The organization instance of IAM Identity Center cannot be created by API: it is enabled once
in the management account's console. Until then this feature declares nothing and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
from groundwork.context import NAMESPACE
from groundwork.errors import ConfigError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.organization.source import OrgSource
from features.settings import parse_settings
from features.sso.identity_center import IdentityCenter, IdentityCenterArgs
from features.stack import Feature, Stack
from org.inputs import require_trusted_access, resolve_ids
from org.model import OrgData
from org.sso import SsoData, SsoValidationError, load_sso

KEY = f"{NAMESPACE}:sso"
INSTANCE_ARN = re.compile(r"^arn:aws[a-z-]*:sso:::instance/(?:sso)?ins-[a-zA-Z0-9-.]{16}$")
IDENTITY_STORE_ID = re.compile(r"^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
SSO_PRINCIPAL = "sso.amazonaws.com"
NOT_ENABLED_WARNING = (
    "IAM Identity Center is not enabled for this organization, so no SSO groups, permission sets "
    "or assignments are declared. Enable it once in the management account (AWS console > IAM "
    "Identity Center > Enable), then run again: the instance is looked up automatically, or set "
    f"{KEY}.instanceArn and {KEY}.identityStoreId (see docs/identity-and-bootstrap.md)."
)


class SsoSettings(BaseModel):
    """``groundwork:sso`` — where the SSO data is and which IAM Identity Center instance to use."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    instance_arn: str | None = Field(default=None, alias="instanceArn")
    identity_store_id: str | None = Field(default=None, alias="identityStoreId")
    org_path: str = Field(default="org", alias="orgPath", min_length=1)
    file: str | None = Field(default=None, description="SSO data file; default <orgPath>/sso.yaml")
    account_ids: dict[str, str] = Field(default_factory=dict, alias="accountIds")

    @field_validator("instance_arn")
    @classmethod
    def _instance(cls, value: str | None) -> str | None:
        if value is not None and not INSTANCE_ARN.match(value):
            raise ValueError("must be an IAM Identity Center instance ARN (arn:aws:sso:::instance/ssoins-...)")
        return value

    @field_validator("identity_store_id")
    @classmethod
    def _store(cls, value: str | None) -> str | None:
        if value is not None and not IDENTITY_STORE_ID.match(value):
            raise ValueError("must be an identity store id (d-xxxxxxxxxx)")
        return value

    @field_validator("account_ids")
    @classmethod
    def _ids(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name, account_id in value.items() if not ACCOUNT_ID.match(str(account_id))]
        if bad:
            raise ValueError(f"account ids must be 12 digits (check {', '.join(sorted(bad))})")
        return value

    @model_validator(mode="after")
    def _both_or_neither(self) -> SsoSettings:
        if (self.instance_arn is None) != (self.identity_store_id is None):
            raise ValueError("give both instanceArn and identityStoreId, or neither to look them up")
        return self

    @property
    def sso_file(self) -> Path:
        return Path(self.file) if self.file else Path(self.org_path) / "sso.yaml"


@dataclass(frozen=True)
class SsoPlan:
    """The checked settings, SSO data and instance (None: IAM Identity Center is not enabled)."""

    settings: SsoSettings
    sso: SsoData
    instance: tuple[str, str] | None


def check(stack: Stack, settings: object, org: OrgSource) -> SsoPlan:
    """Validate settings, org and SSO data and the account references, and find the instance."""
    config = parse_settings(SsoSettings, settings if settings is not None else {}, KEY)
    data = org.data_at(config.org_path)
    require_trusted_access(data, SSO_PRINCIPAL, KEY)
    try:
        sso = load_sso(config.sso_file, data)
    except SsoValidationError as error:
        raise ConfigError(str(error)) from None
    for warning in sso.warnings:
        pulumi.log.warn(warning)
    if not org.check_failed:  # else the org's own problem is reported and its names unknown
        resolve_ids("account", sso.accounts, org.account_ids, config.account_ids, f"{KEY}.accountIds")
    return SsoPlan(config, sso, find_instance(config))


def declare(stack: Stack, plan: SsoPlan, org: OrgSource) -> IdentityCenter | None:
    """Declare the IdentityCenter component, or warn that IAM Identity Center is not enabled."""
    account_ids = resolve_ids("account", plan.sso.accounts, org.account_ids, plan.settings.account_ids,
                              f"{KEY}.accountIds")
    if plan.instance is None:
        pulumi.log.warn(NOT_ENABLED_WARNING)
        return None
    instance_arn, identity_store_id = plan.instance
    return IdentityCenter(
        "sso",
        IdentityCenterArgs(instance_arn=instance_arn, identity_store_id=identity_store_id,
                           sso=plan.sso, account_ids=account_ids,
                           account_import_ids=_account_import_ids(org.data),
                           # Trusted access for IAM Identity Center comes with the organization
                           # resource; the whole component would make every assignment wait on
                           # (and the SDK expand) every account: O(assignments x accounts).
                           depends_on=[org.organization.organization] if org.organization is not None else []),
    )


FEATURE: Feature[OrgSource, SsoPlan, IdentityCenter | None] = Feature("sso", check, declare)


def _account_import_ids(data: OrgData | None) -> dict[str, str]:
    """Ids of the adopted accounts of the org feature's data (their assignments existed before and are imported)."""
    return {a.name: a.import_id for a in data.accounts if a.import_id} if data is not None else {}


def find_instance(config: SsoSettings) -> tuple[str, str] | None:
    """The instance ARN and identity store id from config, else the organization's instance, else None."""
    if config.instance_arn and config.identity_store_id:
        return config.instance_arn, config.identity_store_id
    found = aws.ssoadmin.get_instances()
    arns, stores = list(found.arns or []), list(found.identity_store_ids or [])
    if not arns:
        return None
    if len(arns) > 1:
        raise ConfigError(
            f"Invalid stack config:\n{KEY}: this account sees {len(arns)} IAM Identity Center instances "
            f"({', '.join(arns)}); set {KEY}.instanceArn and {KEY}.identityStoreId to the organization's"
        )
    return arns[0], stores[0]
