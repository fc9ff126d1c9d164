"""Turn a :class:`LiveOrganization` into Groundwork's data files, listing what they cannot express.

Every existing object keeps its id as ``importId`` so the components import it. What Groundwork
has no place for (accounts in the root, suspended accounts, policies of types it does not manage,
Identity Center users, ...) is never dropped silently: each one is a line of ``unexpressed``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from org.adopt.live import LiveAccount, LiveIdentityCenter, LiveOrganization, LiveOu, LivePermissionSet
from org.model import (
    ACCOUNT_NAME,
    MAX_TAGS,
    OU_NAME,
    RESERVED_TAG_KEYS,
    SERVICE_PRINCIPAL,
    TAG_KEY,
    TAG_VALUE,
    is_email,
)
from org.sso import GROUP_NAME, MANAGED_POLICY_ARN, PERMISSION_SET_NAME

ACTIVE = "ACTIVE"
OWNER_TAGS = ("account-owner", "owner")
PURPOSE_TAGS = ("purpose", "description")


@dataclass
class Adoption:
    """The files to write (path relative to the org folder -> text) and what they leave out."""

    files: dict[str, str] = field(default_factory=dict)
    unexpressed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    accounts: int = 0
    imports: int = 0


def slug(value: str, max_length: int = 50) -> str:
    """A Groundwork name from an AWS display name: lower case, letters, digits and '-'."""
    text = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    if not text or not text[0].isalpha():
        text = f"a-{text}".rstrip("-")
    return text[:max_length].rstrip("-")


def adopt(live: LiveOrganization, *, mail_domain: str, owner: str,
          email_pattern: str = "{name}@{mailDomain}") -> Adoption:
    """The data files for ``live`` and the list of what they cannot express."""
    result = Adoption()
    if live.feature_set != "ALL":
        raise ValueError(f"organization {live.id} has feature set {live.feature_set}; Groundwork manages "
                         "organizations with all features (SCPs, trusted access) only")
    ou_paths = _ou_paths(live.ous, "", result)
    account_names = _accounts(live, ou_paths, result, mail_domain=mail_domain, owner=owner,
                              email_pattern=email_pattern)
    scps = _scps(live, ou_paths, result)
    organization: dict[str, Any] = {
        "importId": live.id,
        "mailDomain": mail_domain,
        "emailPattern": email_pattern,
        "featureSet": "ALL",
        "servicePrincipals": [p for p in live.service_principals if SERVICE_PRINCIPAL.match(p)],
        "enabledPolicyTypes": list(live.enabled_policy_types),
        "ous": _ou_tree(live.ous, ou_paths),
        "scps": scps,
    }
    for principal in live.service_principals:
        if not SERVICE_PRINCIPAL.match(principal):
            result.unexpressed.append(f"trusted service {principal}: not a service principal Groundwork accepts "
                                      "(the import will fail until it is removed in AWS or here)")
    for account_id, service in live.delegated_administrators:
        who = account_names.get(account_id, account_id)
        result.unexpressed.append(f"delegated administrator {who} ({account_id}) for {service}: Groundwork "
                                  "does not manage delegated administrators; it stays as it is in AWS")
    result.imports += 1 + len(ou_paths) + sum(len(s["targets"]) + 1 for s in scps)
    result.files["organization.yaml"] = (
        f"# Adopted from AWS Organization {live.id} by `python -m org adopt` (see docs/organization.md).\n"
        + _yaml(organization))
    if live.identity_center is not None:
        result.files["sso.yaml"] = _sso(live.identity_center, account_names, result)
    else:
        result.notes.append("IAM Identity Center is not enabled: no sso.yaml written")
    return result


def _ou_paths(ous: list[LiveOu], prefix: str, result: Adoption) -> dict[str, str]:
    """OU id -> path for every OU Groundwork can name; the others are listed with their subtrees."""
    paths: dict[str, str] = {}
    for ou in ous:
        path = f"{prefix}/{ou.name}" if prefix else ou.name
        if not OU_NAME.match(ou.name) or ou.name.strip() != ou.name or "/" in ou.name:
            result.unexpressed.append(f"OU {path!r} ({ou.id}): its name is not a Groundwork OU name "
                                      "(letters, digits, space, '.', '_', '-'); it and everything under it "
                                      "are left out")
            continue
        paths[ou.id] = path
        paths.update(_ou_paths(ou.children, path, result))
    return paths


def _ou_tree(ous: list[LiveOu], paths: dict[str, str]) -> list[dict[str, Any]]:
    nodes = []
    for ou in ous:
        if ou.id not in paths:
            continue
        node: dict[str, Any] = {"name": ou.name, "importId": ou.id}
        children = _ou_tree(ou.children, paths)
        if children:
            node["children"] = children
        nodes.append(node)
    return nodes


def _accounts(live: LiveOrganization, ou_paths: dict[str, str], result: Adoption, *, mail_domain: str,
              owner: str, email_pattern: str) -> dict[str, str]:
    """Write one file per expressible account; return account id -> Groundwork name."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for account in sorted(live.accounts, key=lambda a: (a.name.lower(), a.id)):
        where = f"account {account.name!r} ({account.id})"
        if account.id == live.management_account_id:
            result.notes.append(f"{where} is the management account: it is the organization itself, "
                                "not a member account file")
            continue
        if account.status != ACTIVE:
            result.unexpressed.append(f"{where} is {account.status}: Groundwork declares active accounts only")
            continue
        if account.parent_id == live.root_id:
            result.unexpressed.append(f"{where} sits directly in the root: Groundwork places every account "
                                      "in an OU (move it into one, then run adopt again)")
            continue
        if account.parent_id not in ou_paths:
            result.unexpressed.append(f"{where} is in an OU that is left out (see above)")
            continue
        name = _unique(slug(account.name), account.id, taken)
        names[account.id] = name
        result.files[f"accounts/{name}.yaml"] = _account_file(account, name, ou_paths[account.parent_id],
                                                               result, mail_domain=mail_domain, owner=owner,
                                                               email_pattern=email_pattern)
        result.accounts += 1
        result.imports += 1
    return names


def _unique(name: str, account_id: str, taken: set[str]) -> str:
    if len(name) < 3 or not ACCOUNT_NAME.match(name):
        name = f"account-{account_id}"
    if name in taken:
        name = f"{name[:45]}-{account_id[-4:]}"
    taken.add(name)
    return name


def _account_file(account: LiveAccount, name: str, ou: str, result: Adoption, *, mail_domain: str,
                  owner: str, email_pattern: str) -> str:
    where = f"account {name} ({account.id})"
    lowered = {key.lower(): value for key, value in account.tags.items()}
    owner_value = next((lowered[k] for k in OWNER_TAGS if is_email(lowered.get(k, ""))
                        and not lowered[k].lower().endswith("@" + mail_domain)), owner)
    purpose = next((lowered[k] for k in PURPOSE_TAGS if 3 <= len(lowered.get(k, "")) <= 256),
                   f"Adopted account {account.name} ({account.id})")
    tags: dict[str, str] = {}
    for key, value in sorted(account.tags.items()):
        if key.lower() in RESERVED_TAG_KEYS:
            result.unexpressed.append(f"{where}: tag {key}={value!r} uses a key the platform sets; its value "
                                      "is replaced once the adoption ids are removed")
        elif not TAG_KEY.match(key) or key.lower().startswith("aws:") or not TAG_VALUE.match(value):
            result.unexpressed.append(f"{where}: tag {key}={value!r} is not a tag Groundwork can declare")
        elif len(tags) >= MAX_TAGS:
            result.unexpressed.append(f"{where}: tag {key} is beyond the {MAX_TAGS} tags an account file holds")
        else:
            tags[key] = value
    data: dict[str, Any] = {"name": name, "ou": ou, "owner": owner_value, "purpose": purpose}
    if tags:
        data["tags"] = tags
    derived = email_pattern.format(name=name, mailDomain=mail_domain).lower()
    if account.email.lower() != derived:
        data["email"] = account.email  # the legacy root email stays; the policy pack accepts it
    if account.name != name:
        data["awsName"] = account.name
    data["importId"] = account.id
    return f"# Adopted by `python -m org adopt`: existing account {account.id}.\n" + _yaml(data)


def _scps(live: LiveOrganization, ou_paths: dict[str, str], result: Adoption) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    taken: set[str] = set()
    for policy in sorted(live.policies, key=lambda p: (p.name.lower(), p.id)):
        where = f"{policy.type} {policy.name!r} ({policy.id})"
        if policy.type != "SERVICE_CONTROL_POLICY":
            result.unexpressed.append(f"{where}: Groundwork manages service control policies only; it stays "
                                      "as it is in AWS")
            continue
        targets = []
        for kind, target in policy.targets:
            if kind == "ORGANIZATIONAL_UNIT" and target in ou_paths:
                targets.append(ou_paths[target])
            else:
                result.unexpressed.append(f"{where}: attachment to {kind.lower().replace('_', ' ')} {target} "
                                          "(Groundwork attaches SCPs to OUs only; it stays as it is in AWS)")
        if not targets:
            result.unexpressed.append(f"{where}: attached to no OU Groundwork declares; left out")
            continue
        try:
            document = json.loads(policy.content)
        except json.JSONDecodeError:
            result.unexpressed.append(f"{where}: content is not JSON; left out")
            continue
        name = slug(policy.name, 100)
        if name in taken:
            name = f"{name}-{policy.id[-6:].lower()}"
        taken.add(name)
        result.files[f"scps/{name}.json"] = json.dumps(document, indent=2) + "\n"
        specs.append({"name": name, "description": policy.description, "file": f"scps/{name}.json",
                      "targets": sorted(targets), "importId": policy.id, "awsName": policy.name})
    return specs


def _sso(center: LiveIdentityCenter, account_names: dict[str, str], result: Adoption) -> str:
    groups, group_names = [], {}
    for group in sorted(center.groups, key=lambda g: g.name):
        if not GROUP_NAME.match(group.name):
            result.unexpressed.append(f"Identity Center group {group.name!r} ({group.id}): its name is not a "
                                      "Groundwork group name; left out")
            continue
        entry: dict[str, Any] = {"name": group.name}
        if group.description:
            entry["description"] = group.description
        entry["importId"] = group.id
        groups.append(entry)
        group_names[group.id] = group.name
    permission_sets, ps_names = [], {}
    for permission_set in sorted(center.permission_sets, key=lambda p: p.name):
        entry = _permission_set(permission_set, result)
        if entry is not None:
            permission_sets.append(entry)
            ps_names[permission_set.arn] = permission_set.name
    grants: dict[tuple[str, str], set[str]] = {}
    for assignment in center.assignments:
        where = f"Identity Center assignment of {assignment.principal_type} {assignment.principal_id} to " \
                f"account {assignment.account_id}"
        if assignment.principal_type != "GROUP":
            result.unexpressed.append(f"{where}: Groundwork assigns groups only; it stays as it is in AWS")
        elif assignment.principal_id not in group_names or assignment.permission_set_arn not in ps_names:
            result.unexpressed.append(f"{where}: its group or permission set is left out")
        elif assignment.account_id not in account_names:
            result.unexpressed.append(f"{where}: the account is left out")
        else:
            key = (group_names[assignment.principal_id], ps_names[assignment.permission_set_arn])
            grants.setdefault(key, set()).add(account_names[assignment.account_id])
            result.imports += 1
    if center.user_count:
        result.unexpressed.append(f"{center.user_count} Identity Center users: Groundwork declares groups; "
                                  "users and group memberships stay in Identity Center or your IdP")
    result.imports += len(groups) + sum(_attachment_count(p) for p in permission_sets)
    result.notes.append(f"set groundwork:sso.instanceArn: {center.instance_arn} and "
                        f"groundwork:sso.identityStoreId: {center.identity_store_id} in the stack config")
    data = {
        "groups": groups,
        "permissionSets": permission_sets,
        "assignments": [{"group": group, "permissionSet": ps, "targets": sorted(accounts)}
                        for (group, ps), accounts in sorted(grants.items())],
    }
    return "# Adopted from IAM Identity Center by `python -m org adopt`.\n" + _yaml(data)


def _attachment_count(entry: dict[str, Any]) -> int:
    return (1 + len(entry.get("managedPolicies", [])) + len(entry.get("customerManagedPolicies", []))
            + ("inlinePolicy" in entry) + ("permissionsBoundary" in entry))


def _permission_set(ps: LivePermissionSet, result: Adoption) -> dict[str, Any] | None:
    where = f"permission set {ps.name!r} ({ps.arn})"
    if not PERMISSION_SET_NAME.match(ps.name):
        result.unexpressed.append(f"{where}: its name is not a Groundwork permission set name; left out")
        return None
    entry: dict[str, Any] = {"name": ps.name}
    if ps.description:
        entry["description"] = ps.description
    entry["sessionDuration"] = ps.session_duration
    if ps.relay_state:
        entry["relayState"] = ps.relay_state
    managed = [arn for arn in ps.managed_policies if MANAGED_POLICY_ARN.match(arn)]
    for arn in sorted(set(ps.managed_policies) - set(managed)):
        result.unexpressed.append(f"{where}: managed policy {arn} is not an AWS managed policy ARN Groundwork "
                                  "accepts; left out (the import shows it as a difference)")
    if managed:
        entry["managedPolicies"] = managed
    if ps.customer_managed_policies:
        entry["customerManagedPolicies"] = [{"name": p["name"], "path": p.get("path", "/")}
                                            for p in ps.customer_managed_policies]
    if ps.inline_policy:
        try:
            entry["inlinePolicy"] = json.loads(ps.inline_policy)
        except json.JSONDecodeError:
            result.unexpressed.append(f"{where}: inline policy is not JSON; left out")
            return None
    if ps.boundary:
        if ps.boundary.get("ManagedPolicyArn"):
            entry["permissionsBoundary"] = {"managedPolicyArn": ps.boundary["ManagedPolicyArn"]}
        else:
            reference = ps.boundary.get("CustomerManagedPolicyReference") or {}
            entry["permissionsBoundary"] = {"customerManagedPolicy": {
                "name": reference.get("Name", ""), "path": reference.get("Path", "/")}}
    if not (managed or ps.customer_managed_policies or ps.inline_policy):
        result.unexpressed.append(f"{where}: grants nothing (no policies); Groundwork refuses empty "
                                  "permission sets; left out")
        return None
    entry["importId"] = ps.arn
    return entry


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
