"""A corpus of malformed org data: every case is refused with a line naming the file and the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from org.loader import OrgValidationError, load_org
from tests.conftest import ROOT
from tests.org.conftest import CORPUS, copy_example, layer_case

# case folder -> (file the problem is reported for, field, a fragment of what is allowed/wrong)
EXPECTED: dict[str, tuple[str, str, str]] = {
    "account-unknown-key": ("accounts/payments-dev.yaml", "owners", "(did you mean 'owner'?); allowed keys: name, ou"),
    "account-name-uppercase": ("accounts/Payments-Dev.yaml", "name", "lower-case letters"),
    "account-name-too-short": ("accounts/pd.yaml", "name", "3-50 characters"),
    "account-name-not-file-name": ("accounts/payments-dev.yaml", "name", "must match the file name"),
    "account-name-duplicate": ("accounts/orders-dev-2.yaml", "name", "is also used by"),
    "account-name-yaml-bool": ("accounts/no.yaml", "(file)", "quote it ('no') for a string"),
    "account-email-duplicate": ("accounts/legacy-orders.yaml", "email", "'orders-prod@aws.acme-corp.example' is also used"),
    "account-email-duplicate-case": ("accounts/legacy-orders.yaml", "email", "compared case-insensitively"),
    "account-email-invalid": ("accounts/legacy-orders.yaml", "email", "must be an email address"),
    "account-email-too-long": ("accounts/" + "p" * 50 + ".yaml", "name", "at most 64 characters"),
    "account-unknown-ou": ("accounts/payments-dev.yaml", "ou", "known OUs: Security, Infrastructure"),
    "account-ou-trailing-slash": ("accounts/payments-dev.yaml", "ou", "without a leading or trailing '/'"),
    "account-ou-missing": ("accounts/payments-dev.yaml", "ou", "is required"),
    "account-owner-not-email": ("accounts/payments-dev.yaml", "owner", "email address"),
    "account-owner-on-mail-domain": ("accounts/payments-dev.yaml", "owner", "is on the mail domain"),
    "account-purpose-missing": ("accounts/payments-dev.yaml", "purpose", "is required"),
    "account-tag-number": ("accounts/payments-dev.yaml", "tags.cost-center", "quote the value"),
    "account-tag-reserved": ("accounts/payments-dev.yaml", "tags", "reserved keys"),
    "account-tag-aws-prefix": ("accounts/payments-dev.yaml", "tags", "not aws:"),
    "account-bootstrap-string": ("accounts/payments-dev.yaml", "bootstrap", "valid boolean"),
    "account-yaml-syntax": ("accounts/payments-dev.yaml", "(file)", "not valid YAML (line 3)"),
    "account-yaml-duplicate-key": ("accounts/payments-dev.yaml", "(file)", "key 'ou' is given twice"),
    "account-yaml-alias-bomb": ("accounts/payments-dev.yaml", "(file)", "aliases are not allowed in data files"),
    "account-yaml-merge-key": ("accounts/payments-dev.yaml", "(file)", "merge keys (<<) are not allowed"),
    "account-yaml11-bool": ("accounts/payments-dev.yaml", "(file)", "'yes' is a boolean in YAML 1.1"),
    "account-not-utf8": ("accounts/payments-dev.yaml", "(file)", "is not UTF-8 text (byte 0xe9"),
    "account-binary": ("accounts/payments-dev.yaml", "(file)", "is a binary file"),
    "account-not-a-mapping": ("accounts/payments-dev.yaml", "(file)", "must be a YAML mapping"),
    "account-empty-file": ("accounts/payments-dev.yaml", "(file)", "an empty file"),
    "account-wrong-extension": ("accounts/payments-dev.yml", "(file)", "<account name>.yaml"),
    "org-file-missing": ("organization.yaml", "(file)", "is missing"),
    "org-unknown-key": ("organization.yaml", "mailDomian", "(did you mean 'mailDomain'?); allowed keys: mailDomain"),
    "org-mail-domain-invalid": ("organization.yaml", "mailDomain", "lower-case DNS domain"),
    "org-feature-set": ("organization.yaml", "featureSet", "should be 'ALL'"),
    "org-policy-type-unknown": ("organization.yaml", "enabledPolicyTypes[0]", "'SERVICE_CONTROL_POLICY'"),
    "org-scps-without-policy-type": ("organization.yaml", "enabledPolicyTypes", "must include SERVICE_CONTROL_POLICY"),
    "org-service-principal": ("organization.yaml", "servicePrincipals", "like sso.amazonaws.com"),
    "org-email-pattern-without-name": ("organization.yaml", "emailPattern", "must contain {name}"),
    "org-email-pattern-unknown-field": ("organization.yaml", "emailPattern", "may contain {mailDomain}"),
    "org-ou-duplicate-sibling": ("organization.yaml", "ous[2].children", "'prod' is listed twice"),
    "org-ou-name-with-slash": ("organization.yaml", "ous[3].name", "1-128 characters"),
    "org-ou-too-deep": ("organization.yaml", "ous", "at most 5 levels"),
    "org-ou-unknown-key": ("organization.yaml", "ous[3].accounts", "allowed keys: name, children"),
    "org-scps-section-deleted": ("organization.yaml", "scps", "is required (write [] to declare none"),
    "org-ous-missing": ("organization.yaml", "ous", "is required"),
    "scp-file-missing": ("organization.yaml", "scps[1].file", "'scps/deny-root.json' does not exist"),
    "scp-file-outside": ("organization.yaml", "scps[1].file", "relative to the org folder"),
    "scp-unknown-target": ("organization.yaml", "scps[1].targets", "OU 'Workload' is not in the OU tree"),
    "scp-invalid-json": ("scps/deny-root-user.json", "(file)", "not valid JSON"),
    "scp-principal": ("scps/deny-root-user.json", "Statement[0].Principal", "no Principal"),
    "scp-bad-effect": ("scps/deny-root-user.json", "Statement[0].Effect", "'Allow' or 'Deny'"),
    "scp-bad-version": ("scps/deny-root-user.json", "Version", "'2012-10-17'"),
    "scp-bad-action": ("scps/deny-root-user.json", "Statement[0].Action", "not an action"),
    "scp-too-large": ("scps/deny-root-user.json", "(file)", "AWS allows 5120"),
    "scp-too-many-per-ou": ("organization.yaml", "scps", "OU 'Sandbox' would get 6 SCPs"),
}


def test_corpus_and_table_match():
    cases = {path.name for path in CORPUS.iterdir() if path.is_dir()}
    assert cases == set(EXPECTED)
    assert len(cases) >= 25


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_malformed_case_is_refused_naming_file_and_field(case: str, tmp_path: Path):
    root = layer_case(copy_example(tmp_path / "org"), case)
    with pytest.raises(OrgValidationError) as refused:
        load_org(root)
    file, field, fragment = EXPECTED[case]
    prefix = f"{root / file}: {field}: "
    matching = [p for p in refused.value.problems if p.startswith(prefix)]
    assert matching, f"no problem starts with {prefix!r}: {refused.value.problems}"
    assert any(fragment in p for p in matching), matching


def test_all_problems_of_all_files_are_reported_together(tmp_path: Path):
    root = copy_example(tmp_path / "org")
    for case in ("account-unknown-ou", "account-owner-not-email", "scp-bad-effect", "org-feature-set"):
        layer_case(root, case)
    (root / "accounts" / "orders-dev.yaml").write_text(
        "name: orders-dev\nou: Workloads/NonProd\nowner: orders-team@acme-corp.example\n"
        "purpose: ok\ncolour: blue\n")
    with pytest.raises(OrgValidationError) as refused:
        load_org(root)
    fields = {tuple(p.split(": ", 2)[:2]) for p in refused.value.problems}
    # organization.yaml is invalid, so the OU and SCP checks cannot run; account files still are.
    assert (str(root / "organization.yaml"), "featureSet") in fields
    assert (str(root / "accounts/orders-dev.yaml"), "colour") in fields
    assert (str(root / "accounts/orders-dev.yaml"), "purpose") in fields
    assert (str(root / "accounts/payments-dev.yaml"), "owner") in fields


def test_cli_validate_reports_every_problem_with_exit_code_2_and_no_traceback(tmp_path: Path):
    root = copy_example(tmp_path / "org")
    layer_case(root, "account-unknown-ou")
    layer_case(root, "scp-bad-effect")
    result = subprocess.run([sys.executable, "-m", "org", "validate", "--root", str(root)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{root}/accounts/payments-dev.yaml: ou: 'Workloads/Staging' is not an OU")
               for line in lines)
    assert any(line.startswith(f"{root}/scps/deny-root-user.json: Statement[0].Effect:") for line in lines)
    assert "2 problems in the org data" in lines
