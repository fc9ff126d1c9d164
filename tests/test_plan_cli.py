"""``python -m org plan``: the program and the policy pack together, as a new user and CI run it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from org.loader import load_org
from org.plan.command import policy_config_for
from tests.conftest import ROOT

EXAMPLE_STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def plan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "org", "plan", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_examples_are_the_documented_ones():
    assert EXAMPLE_STACKS == ["events-dev", "org", "sandbox"]


@pytest.mark.parametrize("stack", EXAMPLE_STACKS)
def test_every_example_stack_plans_clean(stack):
    result = plan("--stack", stack)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert f"pulumi:pulumi:Stack  groundwork-{stack}" in result.stdout
    assert "Policy check passed: 0 mandatory" in result.stdout
    assert result.stderr == ""  # progress stays quiet when stderr is not a terminal


def test_sandbox_tree_nests_children_under_their_component():
    result = plan("--stack", "sandbox")
    assert "  + groundwork:lifecycle:EphemeralTeardown  teardown" in result.stdout
    assert "    + aws:scheduler/schedule:Schedule  teardown-schedule" in result.stdout
    assert "  aws:iam/role:Role                       2" in result.stdout


def test_a_mandatory_violation_exits_1_and_is_named():
    result = plan("--stack", "org", "--config",
                  'groundwork:org={"path": "org", "closeOnDeletion": true}')
    assert result.returncode == 1
    assert "  account-close-on-deletion (mandatory): 5 findings" in result.stdout
    assert "    - aws:organizations/account:Account  org-account-orders-prod: " in result.stdout
    assert "Policy check FAILED: 5 mandatory" in result.stdout


def test_policy_config_reaches_the_pack():
    result = plan("--stack", "org", "--policy-config", "/dev/null")
    assert result.returncode == 2 and "not valid JSON" in result.stderr


def test_invalid_config_exits_2_without_traceback():
    result = plan("--stack", "sandbox", "--config", "groundwork:stage=qa")
    assert result.returncode == 2
    assert "groundwork:stage = 'qa'" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_org_data_exits_2_with_the_validator_messages(tmp_path):
    org = tmp_path / "org"
    subprocess.run(["cp", "-r", str(ROOT / "org"), str(org)], check=True)
    (org / "accounts" / "orders-dev.yaml").write_text("name: orders-dev\nou: Nowhere\nowner: x\n")
    result = plan("--stack", "org", "--config", f'groundwork:org={{"path": "{org}"}}')
    assert result.returncode == 2
    assert "orders-dev.yaml: ou:" in result.stderr and "Traceback" not in result.stderr


def test_unknown_stack_is_named():
    result = plan("--stack", "nope")
    assert result.returncode == 2
    assert "Pulumi.nope.yaml: no such stack file" in result.stderr


def test_json_document_shape():
    result = plan("--stack", "org", "--json", "--config",
                  'groundwork:org={"path": "org", "closeOnDeletion": true}')
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert set(document) >= {"stack", "project", "resources", "counts", "outputs", "warnings",
                             "diagnostics", "summary", "policyPack"}
    assert document["summary"] == {"resources": len(document["resources"]), "mandatory": 5,
                                   "advisory": 0, "exitCode": 1}
    resource = document["resources"][0]
    assert set(resource) >= {"urn", "type", "name", "parent", "inputs", "protect", "dependencies"}
    urns = {r["urn"] for r in document["resources"]}
    finding = document["diagnostics"][0]
    assert finding["policy_name"] == "account-close-on-deletion" and finding["urn"] in urns
    assert document["counts"]["aws:organizations/account:Account"] == 5


def test_plan_without_policies():
    result = plan("--stack", "sandbox", "--policy-pack", "none")
    assert result.returncode == 0 and "Policies:" not in result.stdout


def test_org_policy_config_names_the_org_mail_domain():
    """policies/config/org.json repeats the mail domain for the pack; it must not drift."""
    assert policy_config_for("org", None)["account-email-domain"]["mailDomain"] == load_org(ROOT / "org").mail_domain


def test_project_dir_without_a_pulumi_project_is_named(tmp_path):
    result = plan("--stack", "dev", "--program", str(tmp_path))
    assert result.returncode == 2
    assert f"--program {tmp_path}: no Pulumi.yaml there" in result.stderr and "Traceback" not in result.stderr
