"""``python -m org validate|vend|list|diagram`` against scratch copies of the example org."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from org.__main__ import main
from org.commands.diagram import mermaid, node_id
from org.loader import load_org
from tests.conftest import ROOT
from tests.org.conftest import EXAMPLE_ORG


def cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def vend(capsys, root: Path, *extra: str, name: str = "payments-dev", ou: str = "Workloads/NonProd",
         owner: str = "payments-team@acme-corp.example") -> tuple[int, str, str]:
    return cli(capsys, "vend", "--root", str(root), "--name", name, "--ou", ou, "--owner", owner, *extra)


def test_validate_accepts_the_example_org(capsys):
    code, out, err = cli(capsys, "validate", "--root", str(EXAMPLE_ORG))
    assert (code, err) == (0, "")
    assert "valid: 6 OUs, 5 accounts, 3 SCPs" in out


def test_vend_writes_a_request_that_validate_accepts(capsys, org_copy: Path):
    code, out, err = vend(capsys, org_copy, "--purpose", "Payments integration tests",
                          "--tag", "cost-center=2400", "--tag", "domain=payments", "--no-bootstrap")
    assert code == 0, err
    written = org_copy / "accounts" / "payments-dev.yaml"
    assert yaml.safe_load(written.read_text()) == {
        "name": "payments-dev", "ou": "Workloads/NonProd", "owner": "payments-team@acme-corp.example",
        "purpose": "Payments integration tests", "tags": {"cost-center": "2400", "domain": "payments"},
        "bootstrap": False,
    }
    # What the pull request adds: the path and every line of the new file.
    assert f"wrote {written}" in out
    for line in written.read_text().splitlines():
        assert f"+ {line}" in out
    assert "payments-dev@aws.acme-corp.example" in out
    assert "SCPs that will apply: deny-leaving-organization, deny-root-user, allowed-regions" in out
    code, out, _ = cli(capsys, "validate", "--root", str(org_copy))
    assert code == 0 and "6 accounts" in out
    account = load_org(org_copy).account("payments-dev")
    assert (account.ou, account.bootstrap, account.email) == (
        "Workloads/NonProd", False, "payments-dev@aws.acme-corp.example")


def test_vend_defaults_purpose_and_bootstrap(capsys, org_copy: Path):
    assert vend(capsys, org_copy, name="search-dev")[0] == 0
    account = load_org(org_copy).account("search-dev")
    assert account.bootstrap is True
    assert account.purpose == "search-dev account owned by payments-team@acme-corp.example"


def _accounts(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "accounts").iterdir())


def test_vend_refuses_a_duplicate_name(capsys, org_copy: Path):
    before = _accounts(org_copy)
    code, out, err = vend(capsys, org_copy, name="orders-dev")
    assert code == 2
    assert f"{org_copy}/accounts/orders-dev.yaml: name: 'orders-dev' is already used by" in err
    assert _accounts(org_copy) == before and out == ""
    assert (org_copy / "accounts" / "orders-dev.yaml").read_text() == (
        EXAMPLE_ORG / "accounts" / "orders-dev.yaml").read_text()


def test_vend_refuses_a_duplicate_email_case_insensitively(capsys, org_copy: Path):
    # An imported account already owns the address the new name would derive.
    (org_copy / "accounts" / "legacy-billing.yaml").write_text(
        "name: legacy-billing\nou: Infrastructure\nowner: finance@acme-corp.example\n"
        "purpose: Imported billing account\nemail: Billing@AWS.Acme-Corp.example\n")
    before = _accounts(org_copy)
    code, _, err = vend(capsys, org_copy, name="billing", ou="Infrastructure")
    assert code == 2
    assert (f"{org_copy}/accounts/billing.yaml: email: email 'billing@aws.acme-corp.example' is also used by "
            f"{org_copy}/accounts/legacy-billing.yaml") in err
    assert _accounts(org_copy) == before


def test_vend_refuses_an_unknown_ou_and_an_invalid_owner_together(capsys, org_copy: Path):
    before = _accounts(org_copy)
    code, _, err = vend(capsys, org_copy, ou="Workloads/Staging", owner="payments-team")
    assert code == 2
    target = f"{org_copy}/accounts/payments-dev.yaml"
    assert f"{target}: ou: 'Workloads/Staging' is not an OU of the organization" in err
    assert f"{target}: owner: must be the email address" in err
    assert err.strip().splitlines()[-1] == "2 problems in the account request"
    assert "Traceback" not in err
    assert _accounts(org_copy) == before


@pytest.mark.parametrize("extra, message", [
    (("--tag", "cost-center"), "--tag: 'cost-center' must be KEY=VALUE"),
    (("--tag", "owner=me"), "tag key 'owner' is set by the platform"),
    (("--purpose", "x"), "purpose: String should have at least 3 characters"),
])
def test_vend_refuses_bad_options(capsys, org_copy: Path, extra, message):
    code, _, err = vend(capsys, org_copy, *extra)
    assert code == 2 and message in err
    assert not (org_copy / "accounts" / "payments-dev.yaml").exists()


def test_vend_refuses_a_bad_name_and_an_owner_on_the_mail_domain(capsys, org_copy: Path):
    code, _, err = vend(capsys, org_copy, name="Payments", owner="payments@aws.acme-corp.example")
    assert code == 2
    assert "name: must be 3-50 characters" in err
    assert not (org_copy / "accounts" / "Payments.yaml").exists()
    code, _, err = vend(capsys, org_copy, owner="payments@aws.acme-corp.example")
    assert code == 2 and "owner: 'payments@aws.acme-corp.example' is on the mail domain" in err


def test_vend_refuses_while_the_org_is_invalid(capsys, org_copy: Path):
    (org_copy / "accounts" / "orders-dev.yaml").write_text("name: orders-dev\n")
    code, _, err = vend(capsys, org_copy)
    assert code == 2
    assert "orders-dev.yaml: ou: is required" in err and "fix the org data" in err
    assert not (org_copy / "accounts" / "payments-dev.yaml").exists()


def test_list_groups_accounts_by_ou(capsys):
    code, out, _ = cli(capsys, "list", "--root", str(EXAMPLE_ORG))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Security/  (2 accounts)"
    assert lines[1].split()[:3] == ["-", "log-archive", "log-archive@aws.acme-corp.example"]
    assert "[no bootstrap]" in lines[1]
    assert "Workloads/  (2 accounts)" in lines
    assert "  Prod/  (1 account)" in lines
    assert lines[-1] == "5 accounts in 6 OUs"
    code, out, _ = cli(capsys, "list", "--root", str(EXAMPLE_ORG), "--json")
    document = json.loads(out)
    assert list(document) == load_org(EXAMPLE_ORG).ou_paths
    assert [a["name"] for a in document["Security"]] == ["log-archive", "security-audit"]
    assert document["Sandbox"] == []


def test_diagram_is_the_ou_tree_with_accounts(capsys):
    code, out, _ = cli(capsys, "diagram", "--root", str(EXAMPLE_ORG), "--markdown")
    assert code == 0
    assert out.startswith("```mermaid\ngraph TD\n") and out.rstrip().endswith("```")
    edges = set(re.findall(r"^  (\w+) --> (\w+)$", out, re.MULTILINE))
    data = load_org(EXAMPLE_ORG)
    expected = set()
    for path in data.ou_paths:
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        expected.add((node_id("ou", parent) if parent else "root", node_id("ou", path)))
    for account in data.accounts:
        expected.add((node_id("ou", account.ou), node_id("acct", account.name)))
    assert edges == expected
    assert '  ou_Workloads_Prod["Prod"]:::ou' in out
    assert 'acct_orders_prod["orders-prod<br/><small>orders-prod@aws.acme-corp.example</small>"]' in out


def test_diagram_in_the_docs_is_current():
    docs = (EXAMPLE_ORG.parent / "docs" / "organization.md").read_text()
    assert mermaid(load_org(EXAMPLE_ORG)) in docs


def test_plan_of_the_example_org_stack():
    result = subprocess.run([sys.executable, "-m", "org", "plan", "--stack", "org", "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["counts"]["aws:organizations/account:Account"] == 5
    assert document["counts"]["aws:organizations/organizationalUnit:OrganizationalUnit"] == 6
    parameters = sorted(r["inputs"]["name"] for r in document["resources"]
                        if r["type"] == "aws:ssm/parameter:Parameter"
                        and r["inputs"]["name"].endswith("/account/id"))  # mail adds its own parameters
    assert parameters == sorted(f"/prod/platform/{a.name}/account/id" for a in load_org(EXAMPLE_ORG).accounts)
    assert set(document["outputs"]["accountIds"]) == {a.name for a in load_org(EXAMPLE_ORG).accounts}


@pytest.mark.parametrize("name", ["", " ", ".hidden", "a/b"])
def test_a_refused_name_writes_nothing_and_never_fails_with_a_traceback(capsys, org_copy: Path, name: str):
    before = sorted(p.relative_to(org_copy) for p in org_copy.rglob("*"))
    code, out, err = vend(capsys, org_copy, name=name)
    assert code == 2 and out == ""
    assert "--name: must be 3-50 characters" in err and repr(name) in err
    assert sorted(p.relative_to(org_copy) for p in org_copy.rglob("*")) == before


def test_a_purpose_with_a_line_break_is_refused(capsys, org_copy: Path):
    code, _, err = vend(capsys, org_copy, "--purpose", "first line\nsecond: line")
    assert code == 2
    assert "purpose: must be one line of text" in err and "'first line\\nsecond: line'" in err
    assert not (org_copy / "accounts" / "payments-dev.yaml").exists()


def test_vend_never_writes_outside_the_accounts_folder(capsys, org_copy: Path):
    code, _, err = vend(capsys, org_copy, name="../escaped")
    assert code == 2 and "name: must be 3-50 characters" in err
    assert not (org_copy / "escaped.yaml").exists()
    assert sorted(p.name for p in org_copy.iterdir()) == ["accounts", "organization.yaml", "scps"]


def test_quota_warning_once_the_org_needs_more_than_ten_accounts(capsys, org_copy: Path):
    for index in range(4):  # 5 + 4 + management = 10: still within the default quota
        assert vend(capsys, org_copy, name=f"team-{index}")[0] == 0
    code, _, err = cli(capsys, "validate", "--root", str(org_copy))
    assert code == 0 and err == ""
    code, _, err = vend(capsys, org_copy, name="team-4")
    assert code == 0
    assert "needs 11 accounts (with the management account); the default quota is 10" in err
