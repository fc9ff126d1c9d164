"""Account bootstrap under mocks: StackSets, their OU/region instances, preferences and the opt-out rule."""

from __future__ import annotations

import fnmatch

import pytest
from groundwork.errors import ConfigError

from features.bootstrap import program as bootstrap_program
from features.bootstrap.templates import GITHUB_OIDC, STATE_BACKEND
from tests.conftest import stack_config
from tests.sso.harness import feature_program
from tests.sso.stand_in import EXAMPLE_OU_IDS, example_org

STACK_SET = "aws:cloudformation/stackSet:StackSet"
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
SETTINGS = {
    "targets": ["Workloads", "Infrastructure"],
    "regions": ["eu-west-1", "eu-central-1"],
    "github": {
        "owner": "acme-corp",
        "repositories": ["orders-service", "platform"],
        "branches": ["main", "release/*"],
        "environments": ["production"],
        "policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
    },
    "failureTolerancePercentage": 10,
    "maxConcurrentPercentage": 50,
    "regionConcurrencyType": "SEQUENTIAL",
}


def run_bootstrap(run, settings=None, **kwargs):
    config = stack_config(bootstrap=settings if settings is not None else SETTINGS)
    return run(feature_program(bootstrap_program.FEATURE, **kwargs), config=config)


def with_github(**github):
    return {**SETTINGS, "github": {**SETTINGS["github"], **github}}


def config_error(run, settings, **kwargs) -> str:
    with pytest.raises(ConfigError) as raised:
        run_bootstrap(run, settings, **kwargs)
    return str(raised.value)


def test_two_service_managed_stack_sets_with_auto_deployment(run):
    result = run_bootstrap(run)
    stack_sets = {s.inputs["name"]: s for s in result.of_type(STACK_SET)}
    assert sorted(stack_sets) == ["shop-dev-bootstrap-github-oidc", "shop-dev-bootstrap-pulumi-state"]
    for stack_set in stack_sets.values():
        assert stack_set.inputs["permissionModel"] == "SERVICE_MANAGED"
        assert stack_set.inputs["autoDeployment"] == {"enabled": True, "retainStacksOnAccountRemoval": False}
        assert stack_set.inputs["capabilities"] == ["CAPABILITY_NAMED_IAM"]
        assert stack_set.inputs["operationPreferences"] == {
            "failureTolerancePercentage": 10, "maxConcurrentPercentage": 50, "regionConcurrencyType": "SEQUENTIAL"}
        assert "administrationRoleArn" in stack_set.ignore_changes
    assert stack_sets["shop-dev-bootstrap-github-oidc"].inputs["templateBody"] == GITHUB_OIDC.read_text()
    assert stack_sets["shop-dev-bootstrap-pulumi-state"].inputs["templateBody"] == STATE_BACKEND.read_text()
    component = result.one("groundwork:bootstrap:AccountBootstrap", "bootstrap")
    assert {r.parent for r in result.of_type(STACK_SET) + result.of_type(INSTANCE)} == {component.urn}


def instances_by_region(result) -> list[tuple[str, str]]:
    return sorted((i.inputs["stackSetName"], i.inputs["stackSetInstanceRegion"]) for i in result.of_type(INSTANCE))


def test_account_global_template_goes_to_the_home_region_only_regional_to_every_region(run):
    """IAM roles, policies and the OIDC provider exist once per account: a second region's stack
    instance of the same template would fail with EntityAlreadyExists (issue 12, defect 1)."""
    assert instances_by_region(run_bootstrap(run)) == [
        ("shop-dev-bootstrap-github-oidc", "eu-west-1"),  # homeRegion defaults to the first region
        ("shop-dev-bootstrap-pulumi-state", "eu-central-1"), ("shop-dev-bootstrap-pulumi-state", "eu-west-1"),
    ]
    moved = run_bootstrap(run, {**SETTINGS, "homeRegion": "eu-central-1"})
    assert instances_by_region(moved) == [
        ("shop-dev-bootstrap-github-oidc", "eu-central-1"),
        ("shop-dev-bootstrap-pulumi-state", "eu-central-1"), ("shop-dev-bootstrap-pulumi-state", "eu-west-1"),
    ]


def test_instances_target_the_ou_ids_with_the_preferences(run):
    result = run_bootstrap(run)
    for instance in result.of_type(INSTANCE):
        assert instance.inputs["deploymentTargets"] == {
            "organizationalUnitIds": [EXAMPLE_OU_IDS["Workloads"], EXAMPLE_OU_IDS["Infrastructure"]]}
        assert instance.inputs["operationPreferences"]["regionConcurrencyType"] == "SEQUENTIAL"
        assert "region" not in instance.inputs  # deprecated in pulumi-aws 7


def test_oidc_parameters_trust_only_the_configured_repositories_and_refs(run):
    result = run_bootstrap(run)
    oidc = next(s for s in result.of_type(STACK_SET) if s.inputs["name"].endswith("github-oidc"))
    parameters = oidc.inputs["parameters"]
    assert parameters["AllowedSubjects"].split(",") == [
        "repo:acme-corp/orders-service:ref:refs/heads/main",
        "repo:acme-corp/orders-service:ref:refs/heads/release/*",
        "repo:acme-corp/orders-service:environment:production",
        "repo:acme-corp/platform:ref:refs/heads/main",
        "repo:acme-corp/platform:ref:refs/heads/release/*",
        "repo:acme-corp/platform:environment:production",
    ]
    assert parameters == {
        "CreateOidcProvider": "true",
        "AllowedSubjects": parameters["AllowedSubjects"],
        "DeployRoleName": "shop-dev-github-deploy",
        "DeployRolePolicyArns": "arn:aws:iam::aws:policy/AdministratorAccess",
        "WorkloadBoundaryName": "groundwork-workload-boundary",
        "MaxSessionDurationSeconds": "3600",
        "TeardownRoleNamePattern": "groundwork-teardown-*",
    }
    state = next(s for s in result.of_type(STACK_SET) if s.inputs["name"].endswith("pulumi-state"))
    assert state.inputs["parameters"] == {"BucketNamePrefix": "shop-dev-pulumi-state",
                                          "NoncurrentVersionRetentionDays": "90"}


def oidc_parameters(result) -> dict:
    return next(s for s in result.of_type(STACK_SET) if s.inputs["name"].endswith("github-oidc")).inputs["parameters"]


def test_deploy_role_trusts_the_teardown_builds_by_default(run):
    """The default that makes an EPHEMERAL stack's teardown work with the bootstrap deploy role."""
    from features.lifecycle.teardown import build_role_name

    pattern = oidc_parameters(run_bootstrap(run))["TeardownRoleNamePattern"]
    assert pattern == "groundwork-teardown-*"
    assert fnmatch.fnmatchcase(build_role_name("groundwork", "feature-x"), pattern)


def test_allow_ephemeral_teardown_false_leaves_github_the_only_principal(run):
    parameters = oidc_parameters(run_bootstrap(run, with_github(allowEphemeralTeardown=False)))
    assert parameters["TeardownRoleNamePattern"] == ""
    assert parameters["DeployRoleName"] == "shop-dev-github-deploy"


def test_allow_ephemeral_teardown_must_be_a_boolean(run):
    message = config_error(run, with_github(allowEphemeralTeardown="sometimes"))
    assert "groundwork:bootstrap.github.allowEphemeralTeardown = 'sometimes'" in message


@pytest.mark.parametrize("owner", ["*", "", "  ", "acme*", "acme/*"])
def test_wildcard_or_empty_owner_is_refused(run, owner):
    message = config_error(run, with_github(owner=owner))
    assert "groundwork:bootstrap.github.owner" in message
    assert "wildcard or empty owner" in message or "GitHub user or organization name" in message


def test_wildcard_repository_and_missing_refs_are_refused(run):
    assert "'*' is not a repository name" in config_error(run, with_github(repositories=["*"]))
    message = config_error(run, with_github(branches=[], environments=[]))
    assert "give branches and/or environments" in message


def test_an_opted_out_account_under_a_target_is_refused_with_its_fix(run):
    message = config_error(run, SETTINGS, org=example_org(orders_dev=False))
    assert ("org/accounts/orders-dev.yaml: bootstrap: false, but its OU 'Workloads/NonProd' is under "
            "bootstrap target 'Workloads'") in message
    assert "move the account to an OU that is not a target" in message


def test_an_opted_out_account_outside_the_targets_is_fine(run):
    org = example_org(log_archive=False)  # Security is not a target
    result = run_bootstrap(run, org=org)
    assert len(result.of_type(STACK_SET)) == 2


def test_targets_must_be_known_distinct_and_not_nested(run):
    message = config_error(run, {**SETTINGS, "targets": ["Workloads", "Workloads/Prod", "Foo", "Workloads"]})
    assert "groundwork:bootstrap.targets[1] = 'Workloads/Prod': already covered by target 'Workloads'" in message
    assert "groundwork:bootstrap.targets[2] = 'Foo': unknown OU (known: Infrastructure, Sandbox" in message
    assert "groundwork:bootstrap.targets[3] = 'Workloads': listed twice" in message


@pytest.mark.parametrize(("change", "expected"), [
    ({"regions": ["eu-west-1", "eu-west-1"]}, "lists a region twice"),
    ({"regions": ["Ireland"]}, "'Ireland' is not an AWS region name"),
    ({"regionConcurrencyType": "FAST"}, "groundwork:bootstrap.regionConcurrencyType = 'FAST'"),
    ({"maxConcurrentPercentage": 0}, "groundwork:bootstrap.maxConcurrentPercentage = 0"),
    ({"failureTolerancePercentage": 101}, "groundwork:bootstrap.failureTolerancePercentage = 101"),
    ({"stateBucketPrefix": "Pulumi_State"}, "must be 3-30 lower-case letters"),
    ({"targets": []}, "groundwork:bootstrap.targets = []"),
    ({"retain": True}, "groundwork:bootstrap.retain is not a known setting"),
    ({"homeRegion": "us-east-1"}, "homeRegion = 'us-east-1' must be one of regions (eu-west-1, eu-central-1)"),
    ({"github": {**SETTINGS["github"], "permissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess"}},
     "groundwork:bootstrap.github.permissionsBoundaryArn = 'arn:aws:iam::aws:policy/PowerUserAccess': is no "
     "longer a setting"),
])
def test_bad_settings_are_one_config_error(run, change, expected):
    assert expected in config_error(run, {**SETTINGS, **change})


def test_ou_ids_come_from_config_without_the_org_feature(run):
    result = run_bootstrap(run, {**SETTINGS, "ouIds": {"Workloads": "ou-zz99-11111111",
                                                       "Infrastructure": "ou-zz99-22222222"}},
                           with_component=False)
    targets = {tuple(i.inputs["deploymentTargets"]["organizationalUnitIds"]) for i in result.of_type(INSTANCE)}
    assert targets == {("ou-zz99-11111111", "ou-zz99-22222222")}
    message = config_error(run, {**SETTINGS, "ouIds": {"Workloads": "ou-zz99-11111111"}}, with_component=False)
    assert "groundwork:bootstrap.ouIds: no OU id for Infrastructure" in message


def test_a_long_context_needs_an_explicit_bucket_prefix(run):
    config = stack_config(context="customer-orders-platform", bootstrap=SETTINGS)
    with pytest.raises(ConfigError) as raised:
        run(feature_program(bootstrap_program.FEATURE), config=config)
    assert "stateBucketPrefix: the default 'customer-orders-platform-dev-pulumi-state' is longer" in str(raised.value)


def test_accounts_that_want_bootstrap_but_no_target_reaches_are_named_in_a_warning(run):
    result = run_bootstrap(run)  # targets Workloads and Infrastructure; Security has two accounts
    warnings = [w for w in result.warnings() if "ask for bootstrap" in w]
    assert len(warnings) == 1
    assert "log-archive (Security), security-audit (Security)." in warnings[0]
    opted_out = run_bootstrap(run, org=example_org(log_archive=False, security_audit=False))
    assert [w for w in opted_out.warnings() if "ask for bootstrap" in w] == []
