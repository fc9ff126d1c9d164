"""The pack config the plan takes (``--policy-config``), checked as the Pulumi CLI checks
``--policy-pack-config`` before the pack sees it, and stricter on names the CLI ignores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from org.plan.analyzer import PackInfo, PolicyPackProcess
from org.plan.policy_config import checked_policy_config
from tests.policies.conftest import PACK_DIR
from tests.test_plan_cli import plan


@pytest.fixture(scope="module")
def info() -> PackInfo:
    with PolicyPackProcess(PACK_DIR) as pack:
        return pack.info()


def test_levels_and_settings_pass_through_and_all_sets_every_level(info):
    checked = checked_policy_config(info, {"all": "advisory", "required-tags": {"enforcementLevel": "mandatory",
                                                                               "ownerPattern": "^team-"}},
                                    "pack.json")
    assert set(checked) == {p.name for p in info.policies}
    assert checked["required-tags"] == {"ownerPattern": "^team-", "enforcementLevel": "mandatory"}
    assert {c["enforcementLevel"] for name, c in checked.items() if name != "required-tags"} == {"advisory"}
    assert checked_policy_config(info, {}, "pack.json")["stage-usage"] == {}  # defaults: the pack's own


@pytest.mark.parametrize("given, expected", [
    ({"stage-usage": {"allowedStages": "dev"}}, "pack.json: stage-usage.allowedStages: 'dev' is not of type 'array'"),
    ({"stage-usage": {"enforcementLevel": "loud"}}, "pack.json: stage-usage.enforcementLevel = 'loud': must be one of"),
    ({"stage-usage": 3}, "pack.json: stage-usage: 3 is neither an enforcement level nor an object"),
    ({"required-tag": "advisory"}, "pack.json: 'required-tag' is not a policy of the pack (did you mean "
                                   "'required-tags'?)"),
    ({"account-email-domain": {"mailDomian": "aws.example.com"}},
     "pack.json: account-email-domain.mailDomian is not a setting of the policy (did you mean 'mailDomain'?)"),
    ({"all": {"enforcementLevel": "advisory", "exemptTypes": []}}, "pack.json: all takes only an enforcementLevel"),
])
def test_each_problem_names_the_file_the_policy_and_the_setting(info, given, expected):
    with pytest.raises(ValueError) as refused:
        checked_policy_config(info, given, "pack.json")
    assert expected in str(refused.value)


def test_every_problem_is_reported_at_once(info):
    with pytest.raises(ValueError) as refused:
        checked_policy_config(info, {"required-tag": "advisory", "stage-usage": {"allowedStages": "dev"}}, "p.json")
    assert len(str(refused.value).splitlines()) == 2


def test_the_example_pack_configs_pass(info):
    for path in sorted((PACK_DIR / "config").glob("*.json")):
        checked_policy_config(info, json.loads(path.read_text()), path.name)


def test_the_plan_refuses_a_misspelled_setting_naming_the_file(tmp_path: Path):
    config = tmp_path / "org.json"
    config.write_text(json.dumps({"account-email-domain": {"mailDomian": "aws.acme-corp.example"}}))
    result = plan("--stack", "org", "--policy-config", str(config))
    assert result.returncode == 2, result.stdout[-2000:]
    assert f"{config}: account-email-domain.mailDomian is not a setting of the policy" in result.stderr
    assert "Traceback" not in result.stderr


def test_all_reaches_the_pack_as_the_cli_sends_it(tmp_path: Path):
    config = tmp_path / "org.json"
    config.write_text(json.dumps({"all": "advisory",
                                  "account-email-domain": {"mailDomain": "aws.acme-corp.example"}}))
    result = plan("--stack", "org", "--policy-config", str(config), "--config",
                  'groundwork:org={"path": "org", "closeOnDeletion": true}')
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "  account-close-on-deletion (advisory): 5 findings" in result.stdout
