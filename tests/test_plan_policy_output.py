"""The plan's policy section: findings grouped by policy, the description once, one line each.

The input is the policy config docs/policies.md documents, on the events-dev stack: it asks for a
`cost-center` tag no resource carries, so one policy reports every taggable resource.
"""

from __future__ import annotations

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
            for mode, extra in {"text": [], "verbose": ["--verbose"]}.items()}


def policy_section(stdout: str) -> list[str]:
    return stdout[stdout.index("\nPolicies:\n") + 1:].splitlines()


DESCRIPTION = "Taggable AWS resources carry the tags the policy config requires (requiredTags) with allowed values."
HEADER = re.compile(r"^  (\S+) \((\w+)\): (\d+) findings?$")


def groups(stdout: str) -> dict[str, tuple[int, list[str]]]:
    """Policy name -> (the count its header states, the lines of its group)."""
    found: dict[str, tuple[int, list[str]]] = {}
    current = None
    for line in policy_section(stdout):
        header = HEADER.match(line)
        if header:
            current = header.group(1)
            found[current] = (int(header.group(3)), [])
        elif current and line.startswith("    "):
            found[current][1].append(line)
        else:
            current = None
    return found


def test_each_policy_is_one_group_with_its_description_once_and_a_count(outputs):
    stdout = outputs["text"].stdout
    assert outputs["text"].returncode == 1
    by_policy = groups(stdout)
    count, lines = by_policy["required-tags"]
    assert count > FINDINGS_SHOWN  # the documented config asks for a tag no resource has
    assert lines[0] == f"    {DESCRIPTION}" and stdout.count(DESCRIPTION) == 1
    findings = [line for line in lines if line.startswith("    - ")]
    assert len(findings) == FINDINGS_SHOWN
    assert all(re.match(r"    - \S+  \S+: missing tag 'cost-center'", line) for line in findings), findings[:3]
    assert lines[-1] == f"    ... and {count - FINDINGS_SHOWN} more"
    for policy, (count, lines) in by_policy.items():
        shown = sum(1 for line in lines if line.startswith("    - "))
        assert shown == min(count, FINDINGS_SHOWN), policy


def test_verbose_lists_every_finding_once(outputs):
    stdout = outputs["verbose"].stdout
    by_policy = groups(stdout)
    assert by_policy and stdout.count(DESCRIPTION) == 1
    for policy, (count, lines) in by_policy.items():
        findings = [line for line in lines if line.startswith("    - ")]
        assert len(findings) == len(set(findings)) == count, policy
        assert not any(line.startswith("    ...") for line in lines)
