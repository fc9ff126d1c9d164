"""``python -m org plan`` on the example stacks, as a new user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def plan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "org", "plan", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_sandbox_plan_prints_the_tree():
    result = plan("--stack", "sandbox")
    assert result.returncode == 0, result.stderr
    assert "groundwork:lifecycle:EphemeralTeardown  teardown" in result.stdout
    assert "    + aws:scheduler/schedule:Schedule  teardown-schedule" in result.stdout


def test_plan_json_document():
    result = plan("--stack", "sandbox", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["stack"] == "sandbox"
    assert document["counts"]["aws:scheduler/schedule:Schedule"] == 1
    assert all({"urn", "type", "name", "parent", "inputs"} <= set(r) for r in document["resources"])


def test_invalid_config_exits_2_without_traceback():
    result = plan("--stack", "sandbox", "--config", "groundwork:stage=qa")
    assert result.returncode == 2
    assert "groundwork:stage = 'qa'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_stack_is_named():
    result = plan("--stack", "nope")
    assert result.returncode == 2
    assert "Pulumi.nope.yaml: no such stack file" in result.stderr
