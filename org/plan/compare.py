"""``python -m org plan --compare BASE``: what a change does, next to the plan of its base branch.

Both plans are ``--json`` documents. Resources are matched by URN: a URN only in the base is
removed, only in the head is added (an import when it carries an import id), in both with
different inputs is changed, or replaced when a changed input is one AWS cannot update in place
(known for the types Groundwork declares; elsewhere the real ``pulumi preview`` decides).
Inputs listed in a resource's ``ignoreChanges`` are not changes. Accounts that leave the
organization come first: they are the one change that cannot be taken back by another commit.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groundwork.errors import ConfigError

ACCOUNT = "aws:organizations/account:Account"
# Inputs AWS cannot change in place (create-only in pulumi-aws): changing one replaces the resource.
REPLACED_BY = {
    "aws:organizations/organizationalUnit:OrganizationalUnit": {"parentId"},
    "aws:organizations/policy:Policy": {"type"},
    "aws:organizations/policyAttachment:PolicyAttachment": {"policyId", "targetId"},
    "aws:organizations/account:Account": {"email", "iamUserAccessToBilling", "roleName"},
    "aws:identitystore/group:Group": {"identityStoreId"},
    "aws:ssoadmin/permissionSet:PermissionSet": {"instanceArn", "name"},
    "aws:ssoadmin/accountAssignment:AccountAssignment": {
        "instanceArn", "permissionSetArn", "principalId", "principalType", "targetId", "targetType"},
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": {
        "instanceArn", "permissionSetArn", "managedPolicyArn"},
    "aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment": {
        "instanceArn", "permissionSetArn", "customerManagedPolicyReference"},
    "aws:ssoadmin/permissionsBoundaryAttachment:PermissionsBoundaryAttachment": {
        "instanceArn", "permissionSetArn", "permissionsBoundary"},
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": {"instanceArn", "permissionSetArn"},
    "aws:ssm/parameter:Parameter": {"name"},
    "aws:sqs/queue:Queue": {"name", "fifoQueue"},
    "aws:sns/topic:Topic": {"name", "fifoTopic"},
    "aws:iam/role:Role": {"name"},
    "aws:cloudwatch/logGroup:LogGroup": {"name"},
    "aws:cloudwatch/eventBus:EventBus": {"name"},
    "aws:cloudwatch/eventRule:EventRule": {"name", "eventBusName"},
    "aws:pipes/pipe:Pipe": {"name"},
    "aws:s3/bucket:Bucket": {"bucket"},
    "aws:s3/bucketV2:BucketV2": {"bucket"},
}
MAX_SHOWN = 80  # characters of a value shown in a change line
# How `plan --json` wrote assets before it described them (Python's default repr: a memory address).
_OBJECT_REPR = re.compile(r"^<pulumi\.asset\.\w+ object at 0x[0-9a-f]+>$")


def json_value(value: Any) -> Any:
    """``json.dumps`` default for a plan document: assets and archives as stable, comparable data."""
    import pulumi

    if isinstance(value, pulumi.AssetArchive):
        return {"assetArchive": {name: json_value(asset) for name, asset in sorted(value.assets.items())}}
    if isinstance(value, pulumi.StringAsset):
        return {"stringAsset": hashlib.sha256(value.text.encode()).hexdigest()}
    if isinstance(value, (pulumi.FileAsset, pulumi.FileArchive)):
        path = Path(str(value.path))
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        return {type(value).__name__[0].lower() + type(value).__name__[1:]: str(value.path), "sha256": digest}
    if isinstance(value, (pulumi.RemoteAsset, pulumi.RemoteArchive)):
        return {"remote": str(value.uri)}
    return str(value)


def _normalized(value: Any) -> Any:
    return json.loads(json.dumps(value, default=json_value, sort_keys=True))


@dataclass(frozen=True)
class InputChange:
    """One changed input: its path (``tags.cost-center``), the values before and after."""

    path: str
    before: Any
    after: Any

    def describe(self) -> str:
        return f"{self.path}: {_short(self.before)} -> {_short(self.after)}"


@dataclass
class ResourceChange:
    """A resource that differs between the base and the head plan."""

    kind: str  # added, imported, removed, replaced, changed
    urn: str
    type: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)
    changes: list[InputChange] = field(default_factory=list)
    note: str = ""


@dataclass
class ChangeSummary:
    """Every difference, accounts that leave the organization first."""

    stack: str
    account_removals: list[ResourceChange] = field(default_factory=list)
    removed: list[ResourceChange] = field(default_factory=list)
    replaced: list[ResourceChange] = field(default_factory=list)
    changed: list[ResourceChange] = field(default_factory=list)
    added: list[ResourceChange] = field(default_factory=list)
    imported: list[ResourceChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.account_removals or self.removed or self.replaced or self.changed
                    or self.added or self.imported)

    def counts(self) -> dict[str, int]:
        return {"accountRemovals": len(self.account_removals), "removed": len(self.removed) +
                len(self.account_removals), "replaced": len(self.replaced), "changed": len(self.changed),
                "added": len(self.added), "imported": len(self.imported), "unchanged": self.unchanged}

    def as_json(self) -> dict[str, Any]:
        def item(change: ResourceChange) -> dict[str, Any]:
            return {"urn": change.urn, "type": change.type, "name": change.name, "note": change.note,
                    "changes": [{"path": c.path, "before": c.before, "after": c.after} for c in change.changes]}

        return {"stack": self.stack, "counts": self.counts(),
                **{kind: [item(c) for c in getattr(self, kind)] for kind in
                   ("account_removals", "removed", "replaced", "changed", "added", "imported")}}


def load_plan_document(path: str | Path) -> dict[str, Any]:
    """A ``plan --json`` document, or a ConfigError naming the file and what is wrong."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--compare {path}: no such file (write it with `python -m org plan --json`)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"--compare {path}: not a JSON plan document ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise ConfigError(f"--compare {path}: not a plan document (no 'resources' list); "
                          "write it with `python -m org plan --stack <stack> --json`")
    return document


def compare(base: dict[str, Any], head: dict[str, Any]) -> ChangeSummary:
    """What applying ``head`` does to a stack that ``base`` describes."""
    base, head = _normalized(base), _normalized(head)
    before = {r["urn"]: r for r in base.get("resources", [])}
    after = {r["urn"]: r for r in head.get("resources", [])}
    summary = ChangeSummary(stack=str(head.get("stack", "")))
    for urn, resource in before.items():
        if urn not in after:
            change = _change("removed", resource)
            if resource["type"] == ACCOUNT:
                change.note = _account_removal_note(resource)
                summary.account_removals.append(change)
            else:
                summary.removed.append(change)
    for urn, resource in after.items():
        if urn not in before:
            if resource.get("importId"):
                change = _change("imported", resource)
                change.note = f"import id {resource['importId']}"
                summary.imported.append(change)
            else:
                summary.added.append(_change("added", resource))
            continue
        old = before[urn]
        ignored = set(resource.get("ignoreChanges") or [])
        changes = [c for c in _diff(old.get("inputs") or {}, resource.get("inputs") or {})
                   if c.path.split(".", 1)[0].split("[", 1)[0] not in ignored]
        protect_lifted = bool(old.get("protect")) and not resource.get("protect")
        if not changes and not protect_lifted:
            summary.unchanged += 1
            continue
        replaced_by = REPLACED_BY.get(resource["type"], set())
        replacing = [c for c in changes if c.path.split(".", 1)[0].split("[", 1)[0] in replaced_by]
        change = _change("replaced" if replacing else "changed", resource)
        change.changes = changes
        if replacing:
            change.note = "replaced: AWS cannot change " + ", ".join(sorted({c.path for c in replacing})) + \
                " in place"
        if protect_lifted:
            change.note = (change.note + "; " if change.note else "") + \
                ("protect lifted: the account can be removed by a later change" if resource["type"] == ACCOUNT
                 else "protect lifted")
        (summary.replaced if replacing else summary.changed).append(change)
    return summary


def _change(kind: str, resource: dict[str, Any]) -> ResourceChange:
    return ResourceChange(kind=kind, urn=resource["urn"], type=resource["type"], name=resource["name"],
                          inputs=resource.get("inputs") or {})


def _account_removal_note(resource: dict[str, Any]) -> str:
    inputs = resource.get("inputs") or {}
    who = f"account {inputs.get('name', resource['name'])} <{inputs.get('email', '?')}>"
    if inputs.get("closeOnDeletion"):
        return f"{who} will be CLOSED (suspended 90 days, then deleted for good)"
    return f"{who} will be removed from the organization (it becomes a standalone account)"


def _diff(before: Any, after: Any, path: str = "") -> list[InputChange]:
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in after:
                changes.append(InputChange(sub, before[key], None))
            elif key not in before:
                changes.append(InputChange(sub, None, after[key]))
            else:
                changes.extend(_diff(before[key], after[key], sub))
        return changes
    if isinstance(before, str) and _OBJECT_REPR.match(before):
        return []  # an asset an older plan could not describe: unknown, not a change
    if before != after:
        return [InputChange(path or "(inputs)", before, after)]
    return []


def _short(value: Any) -> str:
    text = "(none)" if value is None else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."


def change_lines(summary: ChangeSummary) -> list[str]:
    """The change summary as text lines (the plan's text output with ``--compare``)."""
    lines = [f"Changes against the base plan of stack {summary.stack}:"]
    if summary.empty:
        return lines + ["  no changes"]
    if summary.account_removals:
        lines.append(f"  !!! {len(summary.account_removals)} ACCOUNT(S) LEAVE THE ORGANIZATION !!!")
        lines.extend(f"  - {c.note}" for c in summary.account_removals)
    for title, items, mark in (("removed", summary.removed, "-"), ("replaced", summary.replaced, "+-"),
                               ("changed", summary.changed, "~"), ("added", summary.added, "+"),
                               ("imported", summary.imported, "=")):
        if items:
            lines.append(f"  {title} ({len(items)}):")
            for change in items:
                lines.append(f"    {mark} {change.type}  {change.name}" + (f"  ({change.note})" if change.note else ""))
                lines.extend(f"        {c.describe()}" for c in change.changes)
    counts = summary.counts()
    lines.append("  " + ", ".join(f"{counts[k]} {k}" for k in ("removed", "replaced", "changed", "added",
                                                               "imported", "unchanged")))
    return lines
