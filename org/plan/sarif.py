"""``python -m org plan --sarif FILE``: policy findings as SARIF 2.1.0 for GitHub code scanning.

Each finding points at the file and line that declared its resource where that is known: an
account's own file, the OU or SCP entry in ``organization.yaml``, the group, permission set or
assignment in ``sso.yaml``; everything else at the stack's ``Pulumi.<stack>.yaml``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"mandatory": "error", "advisory": "warning", "remediate": "note", "disabled": "none"}
# GitHub ranks code-scanning alerts by this rule property (a CVSS-like score as a string).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
ACCOUNT = "aws:organizations/account:Account"


@dataclass
class SourceIndex:
    """Where the org data declares things: file (relative to the repository) and line."""

    repository: Path
    stack_file: Path
    org_root: Path | None = None
    _lines: dict[Path, list[str]] = field(default_factory=dict)
    _accounts: dict[str, Path] | None = None

    def relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.repository.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def line_of(self, path: Path, pattern: str, after: str | None = None) -> int | None:
        """1-based line of the first line matching ``pattern`` (after the first matching ``after``)."""
        if path not in self._lines:
            try:
                self._lines[path] = path.read_text(encoding="utf-8").splitlines()
            except OSError:
                self._lines[path] = []
        regex, start = re.compile(pattern), 0
        lines = self._lines[path]
        if after is not None:
            start = next((i for i, line in enumerate(lines) if re.match(after, line)), len(lines))
        return next((i + 1 for i in range(start, len(lines)) if regex.search(lines[i])), None)

    def account_file(self, name: str) -> Path | None:
        """The account file whose ``name`` (or ``awsName``) is ``name``."""
        if self._accounts is None:
            self._accounts = {}
            for path in sorted((self.org_root / "accounts").glob("*.yaml")) if self.org_root else []:
                try:
                    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                except (OSError, yaml.YAMLError):
                    continue
                for key in ("name", "awsName"):
                    if isinstance(data, dict) and isinstance(data.get(key), str):
                        self._accounts[data[key]] = path
        return self._accounts.get(name)

    def locate(self, resource: dict[str, Any] | None) -> tuple[str, int]:
        """File and line that declared ``resource`` (the stack file when nothing closer is known)."""
        found = self._declared(resource) if resource is not None and self.org_root is not None else None
        if found is not None and found[1] is not None:
            return self.relative(found[0]), found[1]
        return self.relative(self.stack_file), self.line_of(self.stack_file, r"^config:") or 1

    def _declared(self, resource: dict[str, Any]) -> tuple[Path, int | None] | None:
        assert self.org_root is not None
        type_, name, inputs = resource["type"], resource["name"], resource.get("inputs") or {}
        organization, sso = self.org_root / "organization.yaml", self.org_root / "sso.yaml"
        if type_ == ACCOUNT and isinstance(inputs.get("name"), str):
            path = self.account_file(inputs["name"])
            return (path, self.line_of(path, r"^name:")) if path else None
        if type_ == "aws:ssm/parameter:Parameter" and str(inputs.get("name", "")).endswith("/account/id"):
            path = self.account_file(str(inputs["name"]).split("/")[-3])
            return (path, self.line_of(path, r"^name:")) if path else None
        if type_ == "aws:organizations/organizationalUnit:OrganizationalUnit":
            return organization, self.line_of(organization, _name_entry(str(inputs.get("name", ""))), r"^ous:")
        if type_ in ("aws:organizations/policy:Policy", "aws:organizations/policyAttachment:PolicyAttachment"):
            scp = name.split("-scp-", 1)[1] if "-scp-" in name else ""
            candidates = [scp] + [scp.rsplit("-", n)[0] for n in range(1, scp.count("-") + 1)]
            for candidate in candidates:  # an attachment's name ends with its target OU
                line = self.line_of(organization, _name_entry(candidate), r"^scps:")
                if line:
                    return organization, line
            return None
        if type_ == "aws:organizations/organization:Organization":
            return organization, 1
        if type_ == "aws:identitystore/group:Group":
            return sso, self.line_of(sso, _name_entry(str(inputs.get("displayName", ""))), r"^groups:")
        if type_ == "aws:ssoadmin/permissionSet:PermissionSet":
            return sso, self.line_of(sso, _name_entry(str(inputs.get("name", ""))), r"^permissionSets:")
        if type_.startswith("aws:ssoadmin/") and "-ps-" in name:
            return sso, self.line_of(sso, r"^permissionSets:")
        if type_ == "aws:ssoadmin/accountAssignment:AccountAssignment":
            return sso, self.line_of(sso, r"^assignments:")
        return None


def _name_entry(name: str) -> str:
    return rf"^\s*(-\s+)?name:\s*['\"]?{re.escape(name)}['\"]?\s*(#.*)?$"


def sarif_log(document: dict[str, Any], sources: SourceIndex) -> dict[str, Any]:
    """A SARIF 2.1.0 log of the plan's policy findings."""
    resources = {r["urn"]: r for r in document.get("resources", [])}
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for diagnostic in document.get("diagnostics", []):
        policy = diagnostic.get("policy_name", "")
        level = LEVELS.get(diagnostic.get("enforcement_level", ""), "warning")
        if policy not in rules:
            rule: dict[str, Any] = {
                "id": policy, "name": policy,
                "shortDescription": {"text": diagnostic.get("description") or policy},
                "defaultConfiguration": {"level": level},
                "properties": {"tags": ["groundwork", diagnostic.get("policy_pack") or "policy"]},
            }
            if diagnostic.get("severity") in SECURITY_SEVERITY:
                rule["properties"]["security-severity"] = SECURITY_SEVERITY[diagnostic["severity"]]
            rules[policy] = rule
        urn = diagnostic.get("urn", "")
        uri, line = sources.locate(resources.get(urn))
        message = diagnostic.get("message", "").strip() or policy
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                                         "region": {"startLine": line}}}
        if urn:
            location["logicalLocations"] = [{"fullyQualifiedName": urn, "kind": "resource"}]
        results.append({
            "ruleId": policy, "ruleIndex": list(rules).index(policy), "level": level,
            "message": {"text": message}, "locations": [location],
            "partialFingerprints": {"groundworkFinding/v1": hashlib.sha256(
                f"{policy}\n{urn}\n{message}".encode()).hexdigest()},
        })
    return {
        "$schema": SARIF_SCHEMA, "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "groundwork-policy-pack", "rules": list(rules.values())}},
            "automationDetails": {"id": f"groundwork-plan/{document.get('stack', '')}/"},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": sources.repository.resolve().as_uri() + "/"}},
            "results": results,
        }],
    }


def write_sarif(document: dict[str, Any], sources: SourceIndex, path: str | Path) -> None:
    Path(path).write_text(json.dumps(sarif_log(document, sources), indent=2) + "\n", encoding="utf-8")
