"""The pack's metadata, its documentation table, and the fast path's equivalence."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tests.policies.conftest import PACK_DIR, evaluate
from tests.policies.corpus import compliant, violations
from tests.policies.corpus.builders import DEV, queue

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


@pytest.fixture(scope="module")
def info(packs):
    return packs.get(DEV).info()


def test_pack_metadata_matches_pulumipolicy_yaml(info):
    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python" and manifest["name"] == info.name == "groundwork"
    assert manifest["runtime"]["options"]["virtualenv"]  # the CLI installs requirements.txt there
    assert manifest["version"] and manifest["description"]


def _names(requirements: Path) -> set[str]:
    lines = (line.split("#")[0].strip() for line in requirements.read_text().splitlines())
    return {re.split(r"[=<>~!\[ ;]", line)[0].lower().replace("_", "-") for line in lines if line}


def test_the_pack_venv_provides_every_module_the_pack_imports():
    """The Pulumi CLI builds the pack's venv from policies/requirements.txt alone: every third-party
    module the pack's code imports comes from a distribution pinned in dependencies.txt, or is the
    groundwork library it installs (tests/policies/test_pack_venv.py installs it)."""
    import ast
    import importlib.metadata
    import sys

    imported: set[str] = set()
    for source in PACK_DIR.rglob("*.py"):
        if "venv" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"groundwork_policies", "__future__"}
    distributions = importlib.metadata.packages_distributions()
    listed = _names(PACK_DIR / "dependencies.txt") | {"groundwork"}
    missing = {m: distributions.get(m) for m in third_party
               if not {d.lower().replace("_", "-") for d in distributions.get(m, [])} & listed}
    assert len(third_party) >= 4 and not missing, missing
    for line in (PACK_DIR / "dependencies.txt").read_text().splitlines():
        assert not line.strip() or line.startswith("#") or "==" in line, f"not pinned: {line}"


def test_every_policy_is_described_and_configurable(info):
    assert len(info.policies) >= 18
    for policy in info.policies:
        assert policy.description and policy.severity and policy.enforcement_level, policy.name
        assert "waivers" in policy.config_schema, policy.name
        for key, spec in policy.config_schema.items():
            assert spec.get("description"), f"{policy.name}.{key} has no description"


MANDATORY = ("stage-usage", "stage-usage-tags", "ephemeral-teardown", "ephemeral-deletable", "ephemeral-expires-at", "s3-bucket-baseline",
             "queue-topic-encryption", "iam-no-admin-wildcard", "lambda-runtime", "kms-key-rotation",
             "ses-receipt-rule-security", "required-tags")


@pytest.mark.parametrize("policy", MANDATORY)
def test_security_stage_and_ephemeral_violations_block_the_deployment(policy, run_case):
    """A corpus violation of each of these policies comes back from the pack as a mandatory finding
    (what stops ``pulumi up``), not merely a policy declared mandatory in the metadata."""
    cases = [c for c in violations.CASES if policy in c.expect and not c.policy_config]
    assert cases, f"no violation case for {policy} in the corpus"
    found = [d for d in run_case(cases[0]) if d.policy_name == policy]
    assert found and all(d.mandatory for d in found), (cases[0].id, found)


def test_naming_findings_are_advisory(run_case):
    naming = [d for c in violations.CASES if "resource-naming" in c.expect and not c.policy_config
              for d in run_case(c) if d.policy_name == "resource-naming"]
    assert naming and {d.enforcement_level for d in naming} == {"advisory"}


def test_docs_table_lists_every_policy_with_its_default_level(info):
    rows = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"^\|\s*`([a-z0-9-]+)`\s*\|[^|]*\|\s*(\w+)\s*\|", line)
        if match:
            rows[match.group(1)] = match.group(2).lower()
    assert rows == {p.name: p.enforcement_level for p in info.policies}


def test_the_readme_counts_the_policies_the_pack_has(info):
    readme = (PACK_DIR.parent / "README.md").read_text()
    stated = re.search(r"`policies/` holds (\d+) policies", readme)
    assert stated and int(stated.group(1)) == len(info.policies)


def test_a_disabled_policy_reports_nothing(packs):
    case = next(c for c in violations.CASES if c.id == "sqs-sse-disabled")
    assert evaluate(packs.get(DEV), replace(case, policy_config={"queue-topic-encryption": "disabled"})) == []


def test_fast_path_gives_the_same_results_as_the_sdk_path(packs):
    fast = packs.get(DEV)
    slow = packs.get(DEV, extra_env={"GROUNDWORK_POLICY_FASTPATH": "0"})
    cases = [c for c in violations.CASES + compliant.CASES if c.env is DEV]
    assert len(cases) > 60
    for case in cases:
        assert evaluate(fast, case) == evaluate(slow, case), case.id


def test_a_config_the_policy_cannot_use_is_a_finding_not_a_failed_request(packs):
    pack = packs.get(DEV)
    pack.configure({"required-tags": {"exemptTypes": 5}, "s3-bucket-baseline": {"exemptTypes": 7}})
    pack.configure_stack()
    try:
        found = {d.policy_name: d.message for d in pack.analyze_all([queue()])}
    finally:
        pack.configure()
    assert set(found) == {"required-tags", "s3-bucket-baseline"}
    assert all("policy could not evaluate this input (TypeError" in m for m in found.values())


def test_docs_config_example_is_accepted_by_the_pack(packs, info):
    block = re.search(r"## Configuration.*?```json\n(.*?)```", DOCS.read_text(), re.S).group(1)
    example = json.loads(block)
    for policy, settings in example.items():
        known = set(info.policy(policy).config_schema) | {"enforcementLevel"}
        assert set(settings) <= known, (policy, set(settings) - known)
    pack = packs.get(DEV)
    try:
        pack.configure(example)
    finally:
        pack.configure()
