"""The example org loads into the OrgData contract the mail, SSO and bootstrap features rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from org.loader import load_org
from org.model import OrgData, is_ou_path
from org.scp import check_policy, minified
from tests.org.conftest import EXAMPLE_ORG


@pytest.fixture(scope="module")
def example() -> OrgData:
    return load_org(EXAMPLE_ORG)


def test_example_org_is_valid_with_contracted_shape(example: OrgData):
    assert example.mail_domain == "aws.acme-corp.example"
    assert example.root == EXAMPLE_ORG
    assert example.ou_paths == ["Security", "Infrastructure", "Workloads", "Workloads/Prod",
                                "Workloads/NonProd", "Sandbox"]
    assert [a.name for a in example.accounts] == sorted(a.name for a in example.accounts)
    assert len(example.accounts) == 5
    for account in example.accounts:
        assert account.email == f"{account.name}@aws.acme-corp.example"
        assert account.source == EXAMPLE_ORG / "accounts" / f"{account.name}.yaml"
        assert account.owner.endswith("@acme-corp.example")


def test_account_lookup_and_nested_ou_queries(example: OrgData):
    log_archive = example.account("log-archive")
    assert (log_archive.ou, log_archive.bootstrap) == ("Security", False)
    assert log_archive.tags == {"cost-center": "1000", "data-classification": "confidential"}
    assert example.account("orders-dev").bootstrap is True
    with pytest.raises(KeyError):
        example.account("nope")
    assert [a.name for a in example.accounts_under("Workloads")] == ["orders-dev", "orders-prod"]
    assert [a.name for a in example.accounts_under("Workloads/Prod")] == ["orders-prod"]
    assert example.accounts_under("Sandbox") == []
    with pytest.raises(KeyError):
        example.accounts_under("Workload")


def test_accounts_under_does_not_match_a_sibling_with_the_same_prefix(org_copy: Path):
    text = (org_copy / "organization.yaml").read_text()
    (org_copy / "organization.yaml").write_text(text.replace("  - name: Sandbox\n",
                                                             "  - name: Sandbox\n  - name: Workloads-Legacy\n"))
    (org_copy / "accounts" / "old-shop.yaml").write_text(
        "name: old-shop\nou: Workloads-Legacy\nowner: shop@acme-corp.example\npurpose: Legacy shop\n")
    data = load_org(org_copy)
    assert [a.name for a in data.accounts_under("Workloads")] == ["orders-dev", "orders-prod"]
    assert [a.name for a in data.accounts_under("Workloads-Legacy")] == ["old-shop"]


def test_email_pattern_is_applied_and_lower_cased(org_copy: Path):
    path = org_copy / "organization.yaml"
    path.write_text(path.read_text().replace('emailPattern: "{name}@{mailDomain}"',
                                             'emailPattern: "AWS+{name}@Acme-Corp.example"'))
    data = load_org(org_copy)
    assert data.account("orders-prod").email == "aws+orders-prod@acme-corp.example"


def test_imported_account_keeps_its_real_email(org_copy: Path):
    (org_copy / "accounts" / "billing.yaml").write_text(
        "name: billing\nou: Infrastructure\nowner: finance@acme-corp.example\n"
        "purpose: Pre-existing billing account, imported\nemail: AWS-Billing@acme-corp.example\n")
    assert load_org(org_copy).account("billing").email == "aws-billing@acme-corp.example"


def test_scp_documents_are_loaded_and_fit_the_size_limit(example: OrgData):
    by_name = {scp.spec.name: scp for scp in example.scps}
    assert set(by_name) == {"deny-leaving-organization", "deny-root-user", "allowed-regions"}
    leave = by_name["deny-leaving-organization"]
    assert leave.document["Statement"][0]["Action"] == "organizations:LeaveOrganization"
    assert leave.spec.targets == ["Security", "Infrastructure", "Workloads", "Sandbox"]
    for scp in example.scps:
        assert check_policy(scp.document) == []
        assert len(minified(scp.document)) <= 5120


@pytest.mark.parametrize("path, ok", [
    ("Workloads", True), ("Workloads/Prod", True), ("Team A/dev.x_1", True),
    ("/Workloads", False), ("Workloads/", False), ("Workloads//Prod", False), ("", False),
    ("Work*loads", False), (" Workloads", False), ("A" * 129, False),
])
def test_ou_path_rule(path: str, ok: bool):
    assert is_ou_path(path) is ok


def test_statement_may_be_a_single_object_and_needs_one_action_kind():
    assert check_policy({"Version": "2012-10-17",
                         "Statement": {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}}) == []
    problems = check_policy({"Version": "2012-10-17",
                             "Statement": [{"Effect": "Deny", "Action": "ec2:*", "NotAction": "s3:*"}]})
    assert ("Statement[0].Action", "give exactly one of Action or NotAction") in problems


def test_scps_for_an_ou_include_those_of_the_ous_above(example: OrgData):
    assert example.scps_for("Workloads/Prod") == ["deny-leaving-organization", "deny-root-user", "allowed-regions"]
    assert example.scps_for("Security") == ["deny-leaving-organization"]
