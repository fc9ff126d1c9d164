"""The example org stack end to end: the real org data, org/sso.yaml and Pulumi.org.yaml together."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from groundwork.errors import ConfigError

from features.program import build
from org.loader import load_org
from org.plan.stackconfig import load_stack_config
from org.sso import load_sso

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "aws:ssoadmin/accountAssignment:AccountAssignment"


@pytest.fixture(scope="module")
def org_config() -> dict:
    return load_stack_config("org", root=ROOT).values


def test_example_sso_data_is_valid_against_the_example_org():
    org = load_org(ROOT / "org")
    sso = load_sso(ROOT / "org" / "sso.yaml", org)
    by_pair: dict[tuple[str, str], list[str]] = {}
    for grant in sso.assignments:
        by_pair.setdefault((grant.group, grant.permission_set), []).append(grant.account)
    assert by_pair[("ReadOnly", "ReadOnlyAccess")] == ["orders-dev", "orders-prod"]
    assert by_pair[("Admin", "AdministratorAccess")] == ["log-archive", "security-audit", "shared-services"]


def test_org_stack_assigns_permission_sets_to_the_vended_account_ids(run, org_config):
    result = run(build, config=org_config, stack="org")
    accounts = {r.inputs["name"]: r.id for r in result.of_type("aws:organizations/account:Account")}
    assignments = result.of_type(ASSIGNMENT)
    assert len(assignments) == 7
    readonly = sorted(a.inputs["targetId"] for a in assignments if "-ReadOnly-" in a.name)
    assert readonly == sorted([accounts["orders-dev"], accounts["orders-prod"]])
    instance = org_config["groundwork:sso"]["instanceArn"]
    assert {a.inputs["instanceArn"] for a in assignments} == {instance}
    # Trusted access for sso.amazonaws.com comes with the organization: SSO waits for it.
    organization = result.one("aws:organizations/organization:Organization")
    for type_ in ("aws:identitystore/group:Group", "aws:ssoadmin/permissionSet:PermissionSet", ASSIGNMENT,
                  "aws:cloudformation/stackSet:StackSet"):
        assert all(organization.urn in r.dependencies for r in result.of_type(type_)), type_


def test_org_stack_bootstraps_the_target_ous_by_their_ids(run, org_config):
    result = run(build, config=org_config, stack="org")
    ous = {r.name.removeprefix("org-ou-"): r.id for r in result.of_type(
        "aws:organizations/organizationalUnit:OrganizationalUnit")}
    instances = result.of_type("aws:cloudformation/stackSetInstance:StackSetInstance")
    # The account-global OIDC/deploy-role template in the home region only, the state backend in both regions.
    assert sorted((i.inputs["stackSetName"], i.inputs["stackSetInstanceRegion"]) for i in instances) == [
        ("platform-prod-bootstrap-github-oidc", "eu-west-1"),
        ("platform-prod-bootstrap-pulumi-state", "eu-central-1"),
        ("platform-prod-bootstrap-pulumi-state", "eu-west-1")]
    for instance in instances:
        assert instance.inputs["deploymentTargets"]["organizationalUnitIds"] == [ous["Infrastructure"], ous["Workloads"]]


def test_org_stack_without_identity_center_warns_and_keeps_everything_else(run, org_config):
    config = copy.deepcopy(org_config)
    config["groundwork:sso"] = {}
    result = run(build, config=config, stack="org")
    assert result.of_type(ASSIGNMENT) == []
    assert len([w for w in result.warnings() if "IAM Identity Center is not enabled" in w]) == 1
    assert len(result.of_type("aws:cloudformation/stackSet:StackSet")) == 2
    assert len(result.of_type("aws:organizations/account:Account")) == 5


def test_targeting_the_ou_of_an_opted_out_account_is_refused(run, org_config):
    config = copy.deepcopy(org_config)
    config["groundwork:bootstrap"]["targets"] = ["Security", "Workloads"]
    with pytest.raises(ConfigError) as raised:
        run(build, config=config, stack="org")
    assert "org/accounts/log-archive.yaml: bootstrap: false, but its OU 'Security'" in str(raised.value)


def test_missing_trusted_access_is_refused(run, org_config, tmp_path):
    import shutil

    shutil.copytree(ROOT / "org", tmp_path / "org", ignore=shutil.ignore_patterns("__pycache__", "*.py", "plan",
                                                                                  "commands"))
    spec_path = tmp_path / "org" / "organization.yaml"
    lines = spec_path.read_text().splitlines(keepends=True)
    spec_path.write_text("".join(line for line in lines if not line.strip().startswith("- sso.amazonaws.com")))
    config = copy.deepcopy(org_config)
    config["groundwork:org"]["path"] = str(tmp_path / "org")
    config["groundwork:sso"]["orgPath"] = str(tmp_path / "org")
    with pytest.raises(ConfigError) as raised:
        run(build, config=config, stack="org")
    assert "servicePrincipals: groundwork:sso needs trusted access for 'sso.amazonaws.com'" in str(raised.value)
