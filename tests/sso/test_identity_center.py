"""The SSO feature under mocks: the resources IAM Identity Center needs, and the no-instance path."""

from __future__ import annotations

import json

import pytest
from groundwork.errors import ConfigError

from features.sso import program as sso_program
from tests.conftest import stack_config
from tests.sso.harness import feature_program
from tests.sso.stand_in import EXAMPLE_ACCOUNT_IDS, example_org

INSTANCE = "arn:aws:sso:::instance/ssoins-7223d1b1d1a1c1f1"
STORE = "d-9067a1b2c3"
CONFIGURED = {"instanceArn": INSTANCE, "identityStoreId": STORE}
ASSIGNMENT = "aws:ssoadmin/accountAssignment:AccountAssignment"
PERMISSION_SET = "aws:ssoadmin/permissionSet:PermissionSet"


def run_sso(run, settings=None, **kwargs):
    config = stack_config(sso=settings if settings is not None else CONFIGURED)
    return run(feature_program(sso_program.FEATURE, **kwargs), config=config)


def test_groups_are_created_in_the_configured_identity_store(run):
    result = run_sso(run)
    groups = {r.inputs["displayName"]: r for r in result.of_type("aws:identitystore/group:Group")}
    assert sorted(groups) == ["Admin", "Developer", "PowerUser", "ReadOnly"]
    assert {g.inputs["identityStoreId"] for g in groups.values()} == {STORE}
    component = result.one("groundwork:sso:IdentityCenter", "sso")
    assert all(r.parent == component.urn for r in result.resources if r.type.startswith("aws:"))


def test_assignment_matrix_is_one_grant_per_group_permission_set_and_account(run):
    result = run_sso(run)
    groups = {r.outputs["groupId"]: r.inputs["displayName"] for r in result.of_type("aws:identitystore/group:Group")}
    sets = {r.outputs["arn"]: r.inputs["name"] for r in result.of_type(PERMISSION_SET)}
    accounts = {v: k for k, v in EXAMPLE_ACCOUNT_IDS.items()}
    grants = sorted((groups[a.inputs["principalId"]], sets[a.inputs["permissionSetArn"]],
                     accounts[a.inputs["targetId"]]) for a in result.of_type(ASSIGNMENT))
    assert grants == [
        ("Admin", "AdministratorAccess", "log-archive"),
        ("Admin", "AdministratorAccess", "security-audit"),
        ("Admin", "AdministratorAccess", "shared-services"),
        ("Developer", "Developer", "orders-dev"),
        ("PowerUser", "PowerUserAccess", "shared-services"),
        ("ReadOnly", "ReadOnlyAccess", "orders-dev"),   # Workloads/NonProd under Workloads
        ("ReadOnly", "ReadOnlyAccess", "orders-prod"),  # Workloads/Prod under Workloads
    ]
    for assignment in result.of_type(ASSIGNMENT):
        assert assignment.inputs["principalType"] == "GROUP"
        assert assignment.inputs["targetType"] == "AWS_ACCOUNT"
        assert assignment.inputs["instanceArn"] == INSTANCE


def test_permission_sets_carry_session_duration_relay_state_and_attachments(run):
    result = run_sso(run)
    sets = {r.inputs["name"]: r for r in result.of_type(PERMISSION_SET)}
    assert {n: s.inputs["sessionDuration"] for n, s in sets.items()} == {
        "AdministratorAccess": "PT1H", "PowerUserAccess": "PT4H", "Developer": "PT8H", "ReadOnlyAccess": "PT8H"}
    assert sets["Developer"].inputs["relayState"] == "https://console.aws.amazon.com/console/home"
    assert "relayState" not in sets["AdministratorAccess"].inputs
    arn_to_name = {s.outputs["arn"]: n for n, s in sets.items()}

    managed = sorted((arn_to_name[r.inputs["permissionSetArn"]], r.inputs["managedPolicyArn"])
                     for r in result.of_type("aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"))
    assert managed == [
        ("AdministratorAccess", "arn:aws:iam::aws:policy/AdministratorAccess"),
        ("Developer", "arn:aws:iam::aws:policy/PowerUserAccess"),
        ("PowerUserAccess", "arn:aws:iam::aws:policy/PowerUserAccess"),
        ("ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ]
    inline = result.one("aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy")
    assert arn_to_name[inline.inputs["permissionSetArn"]] == "Developer"
    statements = {s["Sid"]: s for s in json.loads(inline.inputs["inlinePolicy"])["Statement"]}
    assert statements["DenyIamUsersAndAccessKeys"]["Effect"] == "Deny"
    assert sorted(statements["DenyIamUsersAndAccessKeys"]["Action"]) == [
        "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:CreateUser"]
    boundary = result.one("aws:ssoadmin/permissionsBoundaryAttachment:PermissionsBoundaryAttachment")
    assert arn_to_name[boundary.inputs["permissionSetArn"]] == "Developer"
    assert boundary.inputs["permissionsBoundary"] == {"managedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}


def test_assignments_wait_for_the_policies_of_their_permission_set(run):
    result = run_sso(run)
    developer = next(a for a in result.of_type(ASSIGNMENT) if "Developer-Developer" in a.name)
    attached = {r.urn for r in result.resources
                if r.name.startswith("sso-ps-Developer-") and r.type != PERMISSION_SET}
    assert len(attached) == 3 and attached <= set(developer.dependencies)


def test_customer_managed_policies_and_boundaries_are_attached_by_reference(run, tmp_path):
    (tmp_path / "sso.yaml").write_text("""
groups: [{name: Data}]
permissionSets:
  - name: DataEngineer
    sessionDuration: PT2H
    customerManagedPolicies: [{name: data-lake-read, path: /platform/}, {name: glue-jobs}]
    permissionsBoundary: {customerManagedPolicy: {name: workload-boundary}}
assignments: [{group: Data, permissionSet: DataEngineer, targets: [orders-dev]}]
""")
    result = run_sso(run, {**CONFIGURED, "file": str(tmp_path / "sso.yaml")})
    refs = sorted((r.inputs["customerManagedPolicyReference"]["name"], r.inputs["customerManagedPolicyReference"]["path"])
                  for r in result.of_type("aws:ssoadmin/customerManagedPolicyAttachment:CustomerManagedPolicyAttachment"))
    assert refs == [("data-lake-read", "/platform/"), ("glue-jobs", "/")]
    boundary = result.one("aws:ssoadmin/permissionsBoundaryAttachment:PermissionsBoundaryAttachment")
    assert boundary.inputs["permissionsBoundary"] == {
        "customerManagedPolicyReference": {"name": "workload-boundary", "path": "/"}}
    assert [a.inputs["targetId"] for a in result.of_type(ASSIGNMENT)] == [EXAMPLE_ACCOUNT_IDS["orders-dev"]]


def test_without_an_instance_nothing_is_declared_and_one_warning_explains_the_manual_step(run):
    result = run_sso(run, {})  # the mock's ListInstances returns no instance, as before enabling
    assert [r for r in result.resources if r.type.startswith(("aws:ssoadmin", "aws:identitystore"))] == []
    warnings = [w for w in result.warnings() if "IAM Identity Center" in w]
    assert len(warnings) == 1
    assert "Enable" in warnings[0] and "instanceArn" in warnings[0] and "identityStoreId" in warnings[0]


def test_the_organization_instance_is_looked_up_when_config_gives_none(run):
    from org.plan.mocks import GroundworkMocks

    class Enabled(GroundworkMocks):
        def call(self, args):
            if args.token == "aws:ssoadmin/getInstances:getInstances":
                return {"arns": [INSTANCE], "identityStoreIds": [STORE], "id": "eu-west-1"}
            return super().call(args)

    result = run(feature_program(sso_program.FEATURE), config=stack_config(sso={}),
                 mocks=Enabled(region="eu-west-1"))
    assert {r.inputs["instanceArn"] for r in result.of_type(PERMISSION_SET)} == {INSTANCE}
    assert {r.inputs["identityStoreId"] for r in result.of_type("aws:identitystore/group:Group")} == {STORE}
    assert result.warnings() == []


def test_account_ids_come_from_config_when_the_org_feature_is_absent(run):
    settings = {**CONFIGURED, "accountIds": {**EXAMPLE_ACCOUNT_IDS, "orders-dev": "999999999999"}}
    result = run_sso(run, settings, with_component=False)
    targets = {a.inputs["targetId"] for a in result.of_type(ASSIGNMENT)}
    assert "999999999999" in targets and EXAMPLE_ACCOUNT_IDS["orders-dev"] not in targets


def test_missing_account_ids_are_a_config_error_naming_them(run):
    settings = {**CONFIGURED, "accountIds": {"log-archive": "111111111111"}}
    with pytest.raises(ConfigError) as raised:
        run_sso(run, settings, with_component=False)
    message = str(raised.value)
    assert "groundwork:sso.accountIds: no account id for orders-dev, orders-prod, security-audit, shared-services" in message


@pytest.mark.parametrize(("settings", "expected"), [
    ({"instanceArn": INSTANCE}, "give both instanceArn and identityStoreId"),
    ({"instanceArn": "ssoins-123", "identityStoreId": STORE}, "groundwork:sso.instanceArn = 'ssoins-123'"),
    ({**CONFIGURED, "accountIds": {"x": "12"}}, "account ids must be 12 digits (check x)"),
    ({**CONFIGURED, "region": "x"}, "groundwork:sso.region is not a known setting"),
])
def test_bad_settings_are_one_config_error(run, settings, expected):
    with pytest.raises(ConfigError) as raised:
        run_sso(run, settings)
    assert expected in str(raised.value)


def test_invalid_sso_data_stops_before_any_resource(run, tmp_path):
    (tmp_path / "sso.yaml").write_text(
        "groups: [{name: A}]\npermissionSets: [{name: P, managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]}]\n"
        "assignments: [{group: A, permissionSet: P, targets: [Workloads/Foo]}]\n")
    with pytest.raises(ConfigError) as raised:
        run_sso(run, {**CONFIGURED, "file": str(tmp_path / "sso.yaml")})
    assert "assignments[0].targets[0]: unknown OU 'Workloads/Foo'" in str(raised.value)


def test_an_org_without_the_targeted_accounts_plans_no_grant_there(run):
    """An empty OU is legal in AWS (an account is being removed): no refusal, no assignment there."""
    org = example_org()
    org.accounts = [a for a in org.accounts if a.name != "shared-services"]
    result = run_sso(run, org=org)
    assert result.of_type("aws:ssoadmin/accountAssignment:AccountAssignment")
    assert not [r for r in result.of_type("aws:ssoadmin/accountAssignment:AccountAssignment")
                if "shared-services" in r.name]
