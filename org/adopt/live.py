"""What ``adopt`` reads from AWS, as plain data: the organization, its OUs, accounts and SCPs, and
IAM Identity Center. Kept free of boto3 so the translation to data files is testable on its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LiveOu:
    id: str
    name: str
    children: list[LiveOu] = field(default_factory=list)


@dataclass
class LiveAccount:
    id: str
    name: str
    email: str
    status: str  # ACTIVE, SUSPENDED, PENDING_CLOSURE
    parent_id: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class LivePolicy:
    id: str
    name: str
    description: str
    type: str
    content: str
    targets: list[tuple[str, str]] = field(default_factory=list)  # (target type, target id)


@dataclass
class LiveGroup:
    id: str
    name: str
    description: str = ""


@dataclass
class LivePermissionSet:
    arn: str
    name: str
    description: str = ""
    session_duration: str = "PT1H"
    relay_state: str | None = None
    managed_policies: list[str] = field(default_factory=list)
    customer_managed_policies: list[dict[str, str]] = field(default_factory=list)  # {name, path}
    inline_policy: str = ""
    boundary: dict[str, Any] | None = None  # ManagedPolicyArn or CustomerManagedPolicyReference


@dataclass
class LiveAssignment:
    permission_set_arn: str
    account_id: str
    principal_type: str  # GROUP or USER
    principal_id: str


@dataclass
class LiveIdentityCenter:
    instance_arn: str
    identity_store_id: str
    groups: list[LiveGroup] = field(default_factory=list)
    permission_sets: list[LivePermissionSet] = field(default_factory=list)
    assignments: list[LiveAssignment] = field(default_factory=list)
    user_count: int = 0


@dataclass
class LiveOrganization:
    id: str
    feature_set: str
    management_account_id: str
    root_id: str
    enabled_policy_types: list[str]
    service_principals: list[str]
    ous: list[LiveOu]
    accounts: list[LiveAccount]
    policies: list[LivePolicy]
    delegated_administrators: list[tuple[str, str]] = field(default_factory=list)  # (account id, service)
    identity_center: LiveIdentityCenter | None = None
