"""``python -m org access``: the SSO check a vending pull request runs, and the matrix it prints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from org.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def copy_org(tmp_path: Path) -> Path:
    root = tmp_path / "org"
    shutil.copytree(ROOT / "org", root, ignore=shutil.ignore_patterns("__pycache__", "*.py", "plan", "commands"))
    return root


def test_prints_who_gets_which_permission_set_in_each_account(capsys):
    assert main(["access"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "log-archive"
    assert out[-1] == "7 assignments: 4 groups, 4 permission sets, 5 accounts"
    orders_prod = out.index("orders-prod")
    assert out[orders_prod + 1].split() == ["ReadOnlyAccess", "PT8H", "ReadOnly"]


def test_json_lists_every_expanded_assignment(capsys):
    assert main(["access", "--json"]) == 0
    grants = json.loads(capsys.readouterr().out)
    assert {"group": "ReadOnly", "permissionSet": "ReadOnlyAccess", "account": "orders-prod"} in grants
    assert len(grants) == 7


def test_invalid_sso_data_exits_2_with_every_problem(tmp_path, capsys, monkeypatch):
    root = copy_org(tmp_path)
    text = (root / "sso.yaml").read_text().replace("targets: [Workloads/NonProd]", "targets: [Workloads/Foo, billing]")
    (root / "sso.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["access", "--root", str(root)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("org/sso.yaml: assignments[2].targets[0]: unknown OU 'Workloads/Foo' (known: ")
    assert err[1].startswith("org/sso.yaml: assignments[2].targets[1]: unknown account or OU 'billing'")
    assert err[-1] == "2 problems in the SSO data"
