"""``plan --compare``, ``--format markdown`` and ``--sarif`` on real plans of the example org stack.

The base is the plan of the repository's ``org`` stack. The head removes an account, changes
another, adds one, renames a permission set (a new logical name: removed and added) and moves
Identity Center groups to another identity store (a create-only input: a replacement).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from org.plan import markdown
from org.plan.command import make_plan, plan_document
from org.plan.compare import change_lines, compare, json_value
from org.plan.report import operations_line, resource_tree
from org.plan.runtime import ProgramRun, RecordedResource

ROOT = Path(__file__).resolve().parents[1]
SSO = yaml.safe_load((ROOT / "Pulumi.org.yaml").read_text())["config"]["groundwork:sso"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return plan_document(make_plan("org"))


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    org = tmp_path_factory.mktemp("head") / "org"
    shutil.copytree(ROOT / "org", org, ignore=shutil.ignore_patterns("*.py", "__pycache__", "commands",
                                                                     "plan", "adopt"))
    (org / "accounts" / "security-audit.yaml").unlink()  # the account leaves the organization
    orders = yaml.safe_load((org / "accounts" / "orders-dev.yaml").read_text())
    orders["tags"]["cost-center"] = "2400"
    (org / "accounts" / "orders-dev.yaml").write_text(yaml.safe_dump(orders))
    (org / "accounts" / "payments-dev.yaml").write_text(yaml.safe_dump({
        "name": "payments-dev", "ou": "Workloads/NonProd", "owner": "payments@acme-corp.example",
        "purpose": "Payments integration tests"}))
    (org / "sso.yaml").write_text((org / "sso.yaml").read_text().replace("ReadOnlyAccess\n", "ReadOnlyAll\n"))
    overrides = [f"groundwork:org={json.dumps({'path': str(org)})}",
                 f"groundwork:sso={json.dumps({**SSO, 'orgPath': str(org), 'identityStoreId': 'd-90670f0f0f'})}"]
    return plan_document(make_plan("org", overrides=overrides))


def test_account_removal_comes_first_and_loud(base: dict, head: dict) -> None:
    summary = compare(base, head)
    assert [c.name for c in summary.account_removals] == ["org-account-security-audit"]
    assert "security-audit <security-audit@aws.acme-corp.example> will be removed from the organization" in \
        summary.account_removals[0].note
    text = change_lines(summary)
    assert text[1] == "  !!! 1 ACCOUNT(S) LEAVE THE ORGANIZATION !!!" and "security-audit" in text[2]
    rendered = markdown.render(head, summary)
    caution = rendered.index("[!CAUTION]")
    assert caution < rendered.index("### Changes against the base branch")
    assert "**1 account leaves the organization with this change.**" in rendered


def test_changes_added_removed_and_replaced(base: dict, head: dict) -> None:
    summary = compare(base, head)
    changed = {c.name: c for c in summary.changed}
    orders = changed["org-account-orders-dev"]
    assert [c.describe() for c in orders.changes] == ['tags.cost-center: "2300" -> "2400"']
    added = {c.name for c in summary.added}
    assert "org-account-payments-dev" in added
    assert "sso-ps-ReadOnlyAll" in added and any(c.name == "sso-ps-ReadOnlyAccess" for c in summary.removed)
    replaced = {c.name: c for c in summary.replaced}
    assert sorted(replaced) == ["sso-group-Admin", "sso-group-Developer", "sso-group-PowerUser", "sso-group-ReadOnly"]
    assert replaced["sso-group-Admin"].note == "replaced: AWS cannot change identityStoreId in place"
    # The SSM parameter of the removed account goes with it; nothing is called unchanged that changed.
    assert any(c.name == "org-security-audit-account-id" for c in summary.removed)
    assert summary.unchanged == len(base["resources"]) - len(summary.removed) - len(summary.account_removals) \
        - len(summary.changed) - len(summary.replaced)


def test_identical_plans_have_no_changes(base: dict) -> None:
    summary = compare(base, base)
    assert summary.empty and summary.unchanged == len(base["resources"])
    assert "**Changes against the base branch:** none" in markdown.render(base, summary)


def test_ignored_inputs_are_not_changes(base: dict) -> None:
    head = json.loads(json.dumps(base, default=json_value))
    account = next(r for r in head["resources"] if r["name"] == "org-account-orders-dev")
    account["inputs"]["email"] = "someone-else@aws.acme-corp.example"  # in ignoreChanges (create-only)
    assert "email" in account["ignoreChanges"]
    assert compare(base, head).empty


def test_cli_markdown_and_sarif_point_at_the_account_files(base: dict, tmp_path: Path) -> None:
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(base, default=json_value))
    sarif_file = tmp_path / "findings.sarif"
    result = subprocess.run(
        [sys.executable, "-m", "org", "plan", "--stack", "org", "--config",
         'groundwork:org={"path": "org", "closeOnDeletion": true}', "--compare", str(base_file),
         "--format", "markdown", "--sarif", str(sarif_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr  # closeOnDeletion in PRODUCTION is mandatory
    assert result.stdout.startswith("<!-- groundwork-plan:org -->\n")
    assert "closeOnDeletion: false -> true" in result.stdout
    assert "**Policy check FAILED:** 5 mandatory" in result.stdout

    log = json.loads(sarif_file.read_text())
    _check_sarif_structure(log)
    results = log["runs"][0]["results"]
    assert len(results) == 5
    located = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in results}
    assert set(located) == {f"org/accounts/{name}.yaml" for name in
                            ("log-archive", "orders-dev", "orders-prod", "security-audit", "shared-services")}
    for uri, found in located.items():
        line = found["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert (ROOT / uri).read_text().splitlines()[line - 1].startswith("name: ")
        assert found["level"] == "error" and found["ruleId"] == "account-close-on-deletion"


def _check_sarif_structure(log: dict) -> None:
    """The required structure of SARIF 2.1.0 (OASIS sarif-schema-2.1.0.json: sarifLog, run, tool,
    toolComponent, result, message, location, region) and what GitHub code scanning reads."""
    assert log["version"] == "2.1.0" and isinstance(log["runs"], list) and log["$schema"].endswith("2.1.0.json")
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rule_ids = [rule["id"] for rule in driver.get("rules", [])]
        assert len(rule_ids) == len(set(rule_ids))
        for rule in driver.get("rules", []):
            assert rule["defaultConfiguration"]["level"] in ("none", "note", "warning", "error")
            severity = rule.get("properties", {}).get("security-severity")
            assert severity is None or 0.0 <= float(severity) <= 10.0
        for result in run["results"]:
            assert isinstance(result["message"]["text"], str) and result["message"]["text"]
            assert result["level"] in ("none", "note", "warning", "error")
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            for location in result["locations"]:
                physical = location["physicalLocation"]
                assert not physical["artifactLocation"]["uri"].startswith(("/", "file:"))
                assert isinstance(physical["region"]["startLine"], int) and physical["region"]["startLine"] >= 1


def test_plan_text_marks_imports() -> None:
    def resource(name: str, import_id: str = "", custom: bool = True, parent: str = "") -> RecordedResource:
        return RecordedResource(urn=f"urn:{name}", type="aws:organizations/account:Account" if custom else
                                "groundwork:org:Organization", name=name, custom=custom, parent=parent,
                                inputs={}, import_id=import_id)

    run = ProgramRun(resources=[resource("org", custom=False), resource("old", "111111111111", parent="urn:org"),
                                resource("new", parent="urn:org")], logs=[], stack_outputs={},
                     project="groundwork", stack="org")
    assert operations_line(run) == "Resources: 1 to import, 1 to create (+ 1 components)"
    tree = resource_tree(run)
    assert "    = aws:organizations/account:Account  old" in tree
    assert "    + aws:organizations/account:Account  new" in tree
