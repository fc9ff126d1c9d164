"""The plan's policy section: findings grouped by policy, the description once, one line each.

The input is the policy config docs/policies.md documents, on the events-dev stack: it asks for a
`cost-center` tag no resource carries, so one policy reports every taggable resource.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from org.plan.report import FINDINGS_SHOWN
from tests.conftest import ROOT


def documented_policy_config() -> str:
    text = (ROOT / "docs" / "policies.md").read_text()
    (block,) = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    return block


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    config = tmp_path_factory.mktemp("policy") / "config.json"
    config.write_text(documented_policy_config())
    base = [sys.executable, "-m", "org", "plan", "--stack", "events-dev", "--policy-config", str(config)]
    return {mode: subprocess.run(base + extra, cwd=ROOT, capture_output=True, text=True, timeout=300)
            for mode, extra in {"text": [], "verbose": ["--verbose"], "json": ["--json"]}.items()}


def policy_section(stdout: str) -> list[str]:
    return stdout[stdout.index("\nPolicies:\n") + 1:].splitlines()


def test_each_policy_is_one_group_with_its_description_once_and_a_count(outputs):
    diagnostics = json.loads(outputs["json"].stdout)["diagnostics"]
    tagging = [d for d in diagnostics if d["policy_name"] == "required-tags"]
    assert len(tagging) > FINDINGS_SHOWN  # the documented config makes many findings
    section = policy_section(outputs["text"].stdout)
    text = "\n".join(section)
    assert f"  required-tags (mandatory): {len(tagging)} findings" in section
    assert text.count(tagging[0]["description"]) == 1
    findings = [line for line in section if line.startswith("    - ")]
    assert len(findings) <= FINDINGS_SHOWN * len({d["policy_name"] for d in diagnostics})
    assert all(re.match(r"    - \S+  \S+: missing tag 'cost-center'", line) for line in findings), findings[:3]
    assert f"    ... and {len(tagging) - FINDINGS_SHOWN} more" in section
    assert outputs["text"].returncode == 1


def test_verbose_lists_every_finding_once(outputs):
    diagnostics = json.loads(outputs["json"].stdout)["diagnostics"]
    section = policy_section(outputs["verbose"].stdout)
    findings = [line for line in section if line.startswith("    - ")]
    assert len(findings) == len(diagnostics)
    assert "\n".join(section).count(diagnostics[0]["description"]) == 1
    assert not any("more" in line and line.startswith("    ...") for line in section)
