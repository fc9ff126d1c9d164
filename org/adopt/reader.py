"""Read the live organization with boto3: every list paginated, throttling retried.

Credentials come from the standard chain and ``AWS_ENDPOINT_URL`` (or the per-service variants)
is honoured by botocore itself. Organizations throttles its list calls hard, so the clients
use botocore's ``adaptive`` retry mode (client-side rate limiting plus backoff).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from org.adopt.live import (
    LiveAccount,
    LiveAssignment,
    LiveGroup,
    LiveIdentityCenter,
    LiveOrganization,
    LiveOu,
    LivePermissionSet,
    LivePolicy,
)

RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})
ORGANIZATIONS_REGION = "us-east-1"  # Organizations is a global service served from us-east-1
PAGE_SIZE: int | None = None  # None: each API's default page size (the tests set a small one)


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item of every page of a list call."""
    paginator = client.get_paginator(operation)
    if PAGE_SIZE and getattr(paginator, "_pagination_cfg", {}).get("limit_key"):
        kwargs["PaginationConfig"] = {"PageSize": PAGE_SIZE}
    for page in paginator.paginate(**kwargs):
        yield from page.get(key, [])


def read_organization(session: boto3.Session | None = None, sso_region: str | None = None) -> LiveOrganization:
    """The whole organization of the caller's management account, Identity Center included."""
    session = session or boto3.Session()
    org = session.client("organizations", region_name=ORGANIZATIONS_REGION, config=RETRIES)
    description = org.describe_organization()["Organization"]
    root = next(iter(_pages(org, "list_roots", "Roots")))
    enabled = sorted(t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED")
    principals = sorted(s["ServicePrincipal"] for s in
                        _pages(org, "list_aws_service_access_for_organization", "EnabledServicePrincipals"))
    ous = _read_ous(org, root["Id"])
    parents: dict[str, str] = {}
    for parent_id in [root["Id"], *_ou_ids(ous)]:
        for account in _pages(org, "list_accounts_for_parent", "Accounts", ParentId=parent_id):
            parents[account["Id"]] = parent_id
    accounts = [
        LiveAccount(id=a["Id"], name=a["Name"], email=a["Email"], status=a.get("Status", "ACTIVE"),
                    parent_id=parents.get(a["Id"], root["Id"]), tags=_tags(org, a["Id"]))
        for a in _pages(org, "list_accounts", "Accounts")
    ]
    policies = []
    for policy_type in sorted({"SERVICE_CONTROL_POLICY", *enabled}):
        for summary in _pages(org, "list_policies", "Policies", Filter=policy_type):
            if summary.get("AwsManaged"):
                continue  # FullAWSAccess and the like belong to AWS
            content = org.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
            targets = [(t["Type"], t["TargetId"]) for t in
                       _pages(org, "list_targets_for_policy", "Targets", PolicyId=summary["Id"])]
            policies.append(LivePolicy(id=summary["Id"], name=summary["Name"],
                                       description=summary.get("Description", ""), type=policy_type,
                                       content=content, targets=targets))
    delegated = [
        (admin["Id"], service["ServicePrincipal"])
        for admin in _pages(org, "list_delegated_administrators", "DelegatedAdministrators")
        for service in _pages(org, "list_delegated_services_for_account", "DelegatedServices",
                              AccountId=admin["Id"])
    ]
    return LiveOrganization(
        id=description["Id"], feature_set=description["FeatureSet"],
        management_account_id=description["MasterAccountId"], root_id=root["Id"],
        enabled_policy_types=enabled, service_principals=principals, ous=ous, accounts=accounts,
        policies=policies, delegated_administrators=delegated,
        identity_center=read_identity_center(session, sso_region),
    )


def _read_ous(org: Any, parent_id: str) -> list[LiveOu]:
    return [LiveOu(id=ou["Id"], name=ou["Name"], children=_read_ous(org, ou["Id"]))
            for ou in _pages(org, "list_organizational_units_for_parent", "OrganizationalUnits",
                             ParentId=parent_id)]


def _ou_ids(ous: list[LiveOu]) -> Iterator[str]:
    for ou in ous:
        yield ou.id
        yield from _ou_ids(ou.children)


def _tags(org: Any, resource_id: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in _pages(org, "list_tags_for_resource", "Tags", ResourceId=resource_id)}


def read_identity_center(session: boto3.Session, region: str | None = None) -> LiveIdentityCenter | None:
    """Groups, permission sets and assignments of the organization's instance; None if not enabled."""
    sso = session.client("sso-admin", region_name=region, config=RETRIES)
    instances = list(_pages(sso, "list_instances", "Instances"))
    if not instances:
        return None
    if len(instances) > 1:
        raise ValueError(f"this account sees {len(instances)} IAM Identity Center instances; "
                         "adopt reads the organization's only instance")
    instance_arn, store_id = instances[0]["InstanceArn"], instances[0]["IdentityStoreId"]
    store = session.client("identitystore", region_name=region, config=RETRIES)
    groups = [LiveGroup(id=g["GroupId"], name=g.get("DisplayName", ""), description=g.get("Description", ""))
              for g in _pages(store, "list_groups", "Groups", IdentityStoreId=store_id)]
    users = [u["UserId"] for u in _pages(store, "list_users", "Users", IdentityStoreId=store_id)]
    permission_sets = [_read_permission_set(sso, instance_arn, arn)
                       for arn in _pages(sso, "list_permission_sets", "PermissionSets", InstanceArn=instance_arn)]
    # One paginated call per principal finds every assignment across all accounts.
    assignments = [
        LiveAssignment(permission_set_arn=item["PermissionSetArn"], account_id=item["AccountId"],
                       principal_type=item["PrincipalType"], principal_id=item["PrincipalId"])
        for principal_type, principal_ids in (("GROUP", [g.id for g in groups]), ("USER", users))
        for principal_id in principal_ids
        for item in _pages(sso, "list_account_assignments_for_principal", "AccountAssignments",
                           InstanceArn=instance_arn, PrincipalId=principal_id, PrincipalType=principal_type)
        if item.get("AccountId")
    ]
    return LiveIdentityCenter(instance_arn=instance_arn, identity_store_id=store_id, groups=groups,
                              permission_sets=permission_sets, assignments=assignments, user_count=len(users))


def _read_permission_set(sso: Any, instance_arn: str, arn: str) -> LivePermissionSet:
    ids = {"InstanceArn": instance_arn, "PermissionSetArn": arn}
    described = sso.describe_permission_set(**ids)["PermissionSet"]
    managed = [p["Arn"] for p in _pages(sso, "list_managed_policies_in_permission_set", "AttachedManagedPolicies",
                                        **ids)]
    customer = [{"name": p["Name"], "path": p.get("Path", "/")} for p in
                _pages(sso, "list_customer_managed_policy_references_in_permission_set",
                       "CustomerManagedPolicyReferences", **ids)]
    inline = sso.get_inline_policy_for_permission_set(**ids).get("InlinePolicy", "")
    try:
        boundary = sso.get_permissions_boundary_for_permission_set(**ids).get("PermissionsBoundary")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        boundary = None  # AWS answers ResourceNotFoundException for a permission set without a boundary
    return LivePermissionSet(
        arn=arn, name=described["Name"], description=described.get("Description", ""),
        session_duration=described.get("SessionDuration", "PT1H"), relay_state=described.get("RelayState") or None,
        managed_policies=managed, customer_managed_policies=customer, inline_policy=inline or "",
        boundary=boundary or None,
    )
