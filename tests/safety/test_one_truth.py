"""One truth for every command: validate checks what the plan checks, an emptied OU is a warning,
and ``--json`` on invalid input prints a JSON error document (a CI artifact is never empty)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from org.__main__ import main
from tests.conftest import ROOT


def cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_checks_sso_yaml_like_the_plan(capsys, org_copy: Path):
    sso = org_copy / "sso.yaml"
    sso.write_text(sso.read_text().replace("sessionDuration: PT4H", "sessionDuration: PT24H"))
    code, _, err = cli(capsys, "validate", "--root", str(org_copy))
    assert code == 2
    assert "sso.yaml: permissionSets[1].sessionDuration: must be an ISO 8601 duration from PT1H to PT12H" in err
    assert "(got 'PT24H')" in err


def test_removing_the_last_account_of_an_ou_warns_and_never_breaks_ci(capsys, org_copy: Path):
    """Step 2 of the documented removal deletes the account file; its OU may be left empty."""
    (org_copy / "accounts" / "orders-dev.yaml").unlink()
    code, out, err = cli(capsys, "validate", "--root", str(org_copy))
    assert code == 0, err
    assert "valid: 6 OUs, 4 accounts" in out
    assert "warning: " in err and "assignments[2].targets[0]: OU 'Workloads/NonProd' has no accounts" in err


def test_an_invalid_organization_file_says_more_problems_may_follow(capsys, org_copy: Path):
    (org_copy / "organization.yaml").write_text("mailDomain: aws.acme-corp.example\n")
    code, _, err = cli(capsys, "validate", "--root", str(org_copy))
    assert code == 2
    assert "organization.yaml: ous: is required" in err
    assert err.rstrip().endswith("more problems may follow: some checks need the files above to be valid first")


def test_list_json_on_invalid_data_prints_an_error_document(capsys, org_copy: Path):
    (org_copy / "accounts" / "orders-dev.yaml").write_text("name: orders-dev\n")
    code, out, _ = cli(capsys, "list", "--root", str(org_copy), "--json")
    document = json.loads(out)
    assert code == 2 and document["exitCode"] == 2 and document["error"] == "invalid org data"
    assert any("orders-dev.yaml: ou: is required" in m for m in document["messages"])


def test_plan_json_on_invalid_config_prints_an_error_document_and_exits_2():
    result = subprocess.run([sys.executable, "-m", "org", "plan", "--stack", "sandbox", "--json", "--policy-pack",
                             "none", "--config", "groundwork:stagee=prod"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["exitCode"] == 2 and document["stack"] == "sandbox"
    assert any("groundwork:stagee is not a known key (did you mean 'stage'?)" in m for m in document["messages"])


def test_an_accounts_path_that_is_not_a_folder_never_removes_every_account(capsys, org_copy: Path):
    import shutil

    shutil.rmtree(org_copy / "accounts")
    (org_copy / "accounts").write_text("orders-dev\n")
    code, _, err = cli(capsys, "validate", "--root", str(org_copy))
    assert code == 2
    assert "accounts: (file): must be a folder of account requests (<account name>.yaml)" in err


def test_access_json_on_invalid_sso_data_prints_an_error_document(capsys, org_copy: Path):
    (org_copy / "sso.yaml").write_text("")
    code, out, _ = cli(capsys, "access", "--root", str(org_copy), "--json")
    document = json.loads(out)
    assert code == 2 and document["error"] == "invalid SSO data"
    assert any("sso.yaml: (file): must be a mapping" in m for m in document["messages"])


@pytest.mark.parametrize(("content", "fragment"), [
    (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "not UTF-8 JSON text (byte 0xcf at offset 0)"),
    (None, "cannot be read (Is a directory)"),
])
def test_an_unreadable_policy_config_is_named(tmp_path: Path, content: bytes | None, fragment: str):
    from groundwork.errors import ConfigError

    from org.plan.command import policy_config_for

    path = tmp_path / "pack.json"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        policy_config_for("sandbox", str(path))


def test_a_shape_error_in_the_org_data_does_not_hide_sso_yaml_problems(capsys, org_copy: Path):
    (org_copy / "accounts" / "orders-dev.yaml").write_text("name: orders-dev\n")
    sso = org_copy / "sso.yaml"
    sso.write_text(sso.read_text().replace("relayState: https://", "relayState: javascript://"))
    code, _, err = cli(capsys, "validate", "--root", str(org_copy))
    assert code == 2
    assert "orders-dev.yaml: ou: is required" in err
    assert "sso.yaml: permissionSets[2].relayState: must be an https:// URL" in err
    assert "more problems may follow" in err
