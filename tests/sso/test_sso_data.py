"""org/sso.yaml: validation against the org data and expansion of OU targets to accounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from org.sso import AccountAssignment, SsoValidationError, load_sso
from tests.sso.stand_in import example_org

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "org" / "sso.yaml"


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "sso.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def base() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def problems_of(path: Path, org=None) -> list[str]:
    with pytest.raises(SsoValidationError) as raised:
        load_sso(path, org or example_org())
    return raised.value.problems


def test_example_expands_ou_targets_to_every_account_below_them():
    sso = load_sso(EXAMPLE, example_org())
    matrix = {(a.group, a.permission_set): sorted(
        x.account for x in sso.assignments if (x.group, x.permission_set) == (a.group, a.permission_set))
        for a in sso.assignments}
    assert matrix == {
        ("Admin", "AdministratorAccess"): ["log-archive", "security-audit", "shared-services"],
        ("PowerUser", "PowerUserAccess"): ["shared-services"],
        ("Developer", "Developer"): ["orders-dev"],
        # Workloads has no accounts itself: both come from its nested OUs.
        ("ReadOnly", "ReadOnlyAccess"): ["orders-dev", "orders-prod"],
    }
    assert [g.name for g in sso.groups] == ["Admin", "PowerUser", "Developer", "ReadOnly"]


def test_deeply_nested_ous_and_duplicate_targets_give_one_grant_each(tmp_path):
    org = example_org(extra_ous=("Workloads/Prod/Payments", "Workloads/Prod/Payments/Cards"),
                      extra_accounts=(("cards-prod", "Workloads/Prod/Payments/Cards"),))
    data = base()
    data["assignments"] = [{"group": "ReadOnly", "permissionSet": "ReadOnlyAccess",
                            "targets": ["Workloads", "Workloads/Prod", "orders-prod"]}]
    sso = load_sso(write(tmp_path, data), org)
    assert sso.assignments == [
        AccountAssignment("ReadOnly", "ReadOnlyAccess", "cards-prod"),
        AccountAssignment("ReadOnly", "ReadOnlyAccess", "orders-dev"),
        AccountAssignment("ReadOnly", "ReadOnlyAccess", "orders-prod"),
    ]


def test_unknown_names_are_all_reported_with_file_and_entry(tmp_path):
    data = base()
    data["assignments"] = [
        {"group": "Admin", "permissionSet": "AdministratorAccess", "targets": ["Security"]},
        {"group": "Ops", "permissionSet": "AdministratorAccess", "targets": ["Security"]},
        {"group": "Admin", "permissionSet": "Root", "targets": ["Workloads/Foo", "billing", "Sandbox"]},
    ]
    path = write(tmp_path, data)
    where = path.as_posix()
    assert problems_of(path) == [
        f"{where}: assignments[1].group: unknown group 'Ops' (known: Admin, Developer, PowerUser, ReadOnly)",
        f"{where}: assignments[2].permissionSet: unknown permission set 'Root' "
        "(known: AdministratorAccess, Developer, PowerUserAccess, ReadOnlyAccess)",
        f"{where}: assignments[2].targets[0]: unknown OU 'Workloads/Foo' "
        "(known: Infrastructure, Sandbox, Security, Workloads, Workloads/NonProd, Workloads/Prod)",
        f"{where}: assignments[2].targets[1]: unknown account or OU 'billing' (no account request "
        "org/accounts/billing.yaml; known OUs: Infrastructure, Sandbox, Security, Workloads, "
        "Workloads/NonProd, Workloads/Prod)",
    ]


def test_an_ou_without_accounts_is_a_warning_not_an_error(tmp_path):
    """Removing an OU's last account (step 2 of the documented removal) must never break CI."""
    data = base()
    data["assignments"].append({"group": "Admin", "permissionSet": "AdministratorAccess", "targets": ["Sandbox"]})
    sso = load_sso(write(tmp_path, data), example_org())
    assert sso.warnings == [f"{tmp_path.as_posix()}/sso.yaml: assignments[4].targets[0]: OU 'Sandbox' has no "
                            "accounts (nested OUs included), so this target grants nothing for now"]


def test_permission_set_names_over_32_characters_are_refused_not_truncated(tmp_path):
    data = base()
    data["permissionSets"][0]["name"] = "AdministratorAccessForPlatformTeam"  # 34 characters
    problems = problems_of(write(tmp_path, data))
    assert len(problems) == 1
    assert "permissionSets[0].name: is 34 characters; IAM Identity Center allows at most 32" in problems[0]


@pytest.mark.parametrize("duration", ["PT30M", "PT13H", "1H", "P1D", "PT", "PT12H1M"])
def test_session_duration_must_be_iso8601_between_1_and_12_hours(tmp_path, duration):
    data = base()
    data["permissionSets"][1]["sessionDuration"] = duration
    problems = problems_of(write(tmp_path, data))
    assert problems == [f"{tmp_path.as_posix()}/sso.yaml: permissionSets[1].sessionDuration: must be an "
                        f"ISO 8601 duration from PT1H to PT12H (e.g. PT4H, PT1H30M) (got {duration!r})"]


@pytest.mark.parametrize("duration", ["PT1H", "PT1H30M", "PT12H", "PT90M"])
def test_session_durations_in_range_are_accepted(tmp_path, duration):
    data = base()
    data["permissionSets"][1]["sessionDuration"] = duration
    assert load_sso(write(tmp_path, data), example_org()).permission_sets[1].session_duration == duration


def test_shape_errors_name_the_entry_and_are_collected(tmp_path):
    data = base()
    data["groups"].append({"name": "Admin"})
    data["permissionSets"][2]["permissionsBoundary"] = {
        "managedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess",
        "customerManagedPolicy": {"name": "boundary"}}
    data["permissionSets"][3]["managedPolicies"] = ["ReadOnlyAccess"]
    data["assignments"][0]["role"] = "x"
    problems = problems_of(write(tmp_path, data))
    text = "\n".join(problems)
    assert "permissionSets[2].permissionsBoundary: give exactly one of managedPolicyArn or customerManagedPolicy" in text
    assert "permissionSets[3].managedPolicies: 'ReadOnlyAccess' is not an AWS managed policy ARN" in text
    assert "assignments[0].role: is not a known key; allowed keys: group, permissionSet, targets" in text
    # duplicates are checked once the shape is valid: fix the shape and they show up
    data["permissionSets"][2].pop("permissionsBoundary")
    data["permissionSets"][3]["managedPolicies"] = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    data["assignments"][0].pop("role")
    assert problems_of(write(tmp_path, data)) == [
        f"{tmp_path.as_posix()}/sso.yaml: groups[4].name: 'Admin' is declared twice"]


def test_permission_set_must_grant_something_and_inline_policy_must_be_a_document(tmp_path):
    data = base()
    data["permissionSets"][3]["managedPolicies"] = []
    data["permissionSets"][2]["inlinePolicy"] = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}
    text = "\n".join(problems_of(write(tmp_path, data)))
    assert "permissionSets[3]: grants nothing" in text
    assert "permissionSets[2].inlinePolicy: must be an IAM policy document with Version '2012-10-17'" in text


def test_inline_policy_is_kept_as_the_json_document(tmp_path):
    sso = load_sso(EXAMPLE, example_org())
    developer = sso.permission_set("Developer")
    document = json.loads(developer.inline_policy_json)
    assert document == base()["permissionSets"][2]["inlinePolicy"]


def test_missing_and_malformed_files_are_clear(tmp_path):
    assert problems_of(tmp_path / "nope.yaml") == [f"{(tmp_path / 'nope.yaml').as_posix()}: (file): file not found"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups: [\n")
    assert problems_of(bad)[0].startswith(f"{bad.as_posix()}: (file): not valid YAML")


def test_sso_problems_are_org_validation_errors(tmp_path):
    from org.loader import OrgValidationError

    with pytest.raises(OrgValidationError) as raised:
        load_sso(tmp_path / "missing.yaml", example_org())
    assert raised.value.problems == [f"{(tmp_path / 'missing.yaml').as_posix()}: (file): file not found"]


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "(file): must be a mapping with groups, permissionSets and assignments (got an empty file)"),
    ("# every group removed\n", "to remove all access write each as an empty list"),
    ("groups: []\npermissionSets: []\n", "assignments: is required (write an empty list [] to declare none)"),
    ("groups: []\ngroups: []\npermissionSets: []\nassignments: []\n", "(line 2): key 'groups' is given twice"),
    ("groups: &g []\npermissionSets: *g\nassignments: []\n", "aliases are not allowed in data files"),
])
def test_an_emptied_or_ambiguous_file_never_removes_access_silently(tmp_path, text, fragment):
    path = tmp_path / "sso.yaml"
    path.write_text(text)
    problems = problems_of(path)
    assert any(p.startswith(f"{path.as_posix()}: ") and fragment in p for p in problems), problems


def test_explicit_empty_lists_remove_everything(tmp_path):
    path = tmp_path / "sso.yaml"
    path.write_text("groups: []\npermissionSets: []\nassignments: []\n")
    sso = load_sso(path, example_org())
    assert (sso.groups, sso.permission_sets, sso.assignments) == ([], [], [])


@pytest.mark.parametrize("relay", ["javascript:alert(1)", "http://console.aws.amazon.com/", "console.aws.amazon.com"])
def test_relay_state_must_be_an_https_url(tmp_path, relay):
    data = base()
    data["permissionSets"][2]["relayState"] = relay
    problems = problems_of(write(tmp_path, data))
    assert problems == [f"{tmp_path.as_posix()}/sso.yaml: permissionSets[2].relayState: must be an https:// URL "
                        f"of 1-240 characters (e.g. https://console.aws.amazon.com/...) (got {relay!r})"]


def test_a_too_long_permission_set_name_is_named(tmp_path):
    data = base()
    data["permissionSets"][0]["name"] = "A" * 37
    [problem] = problems_of(write(tmp_path, data))
    assert "permissionSets[0].name: is 37 characters" in problem and repr("A" * 37) in problem
