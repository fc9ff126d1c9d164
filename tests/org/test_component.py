"""The example organization under the mock runtime: OU tree, accounts, SCPs, SSM ids, protection."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest
from groundwork.errors import ConfigError

from features.program import build, check_all, declare_all, read_stack
from org.loader import load_org
from org.plan.runtime import ProgramRun
from tests.conftest import stack_config
from tests.org.conftest import EXAMPLE_ORG

OU = "aws:organizations/organizationalUnit:OrganizationalUnit"
ACCOUNT = "aws:organizations/account:Account"
ORGANIZATION = "aws:organizations/organization:Organization"
PARAMETER = "aws:ssm/parameter:Parameter"
POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
COMPONENT = "groundwork:org:Organization"


def org_config(root: Path = EXAMPLE_ORG, **settings) -> dict:
    return {"path": str(root), **settings}


def run_org(run, root: Path = EXAMPLE_ORG, usage: str = "PRODUCTION", **settings) -> ProgramRun:
    return run(build, config=stack_config(org=org_config(root, **settings), usage=usage))


@pytest.fixture(scope="module")
def example():
    return load_org(EXAMPLE_ORG)


@pytest.fixture
def result(run) -> ProgramRun:
    return run_org(run)


def ou_by_path(result: ProgramRun) -> dict:
    return {r.name.removeprefix("org-ou-"): r for r in result.of_type(OU)}


def test_organization_settings_come_from_organization_yaml(result: ProgramRun, example):
    organization = result.one(ORGANIZATION, "org")
    assert organization.inputs["featureSet"] == "ALL"
    assert organization.inputs["awsServiceAccessPrincipals"] == list(example.spec.service_principals)
    assert organization.inputs["enabledPolicyTypes"] == ["SERVICE_CONTROL_POLICY"]
    component = result.one(COMPONENT, "org")
    assert all(r.parent == component.urn for r in result.resources if r is not component)


def test_every_ou_is_nested_under_its_parent(result: ProgramRun, example):
    ous = ou_by_path(result)
    assert sorted(ous) == sorted(example.ou_paths)
    root_id = result.one(ORGANIZATION).outputs["roots"][0]["id"]
    assert root_id.startswith("r-")
    for path, ou in ous.items():
        assert ou.inputs["name"] == path.rsplit("/", 1)[-1]
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        expected_parent = root_id if parent is None else ous[parent].id
        assert ou.inputs["parentId"] == expected_parent, path
    assert ous["Workloads/Prod"].inputs["parentId"] == ous["Workloads"].id
    assert result.stack_outputs["rootId"] == root_id
    assert result.stack_outputs["ouIds"] == {path: ou.id for path, ou in ous.items()}


def test_every_account_sits_in_its_ou_with_email_and_tags(result: ProgramRun, example):
    ous = ou_by_path(result)
    accounts = {r.inputs["name"]: r for r in result.of_type(ACCOUNT)}
    assert sorted(accounts) == [a.name for a in example.accounts]
    for request in example.accounts:
        account = accounts[request.name]
        assert account.name == f"org-account-{request.name}"
        assert account.inputs["email"] == f"{request.name}@aws.acme-corp.example"
        assert account.inputs["parentId"] == ous[request.ou].id
        assert account.inputs["closeOnDeletion"] is False
        assert account.inputs["roleName"] == "OrganizationAccountAccessRole"
        assert account.inputs["iamUserAccessToBilling"] == "ALLOW"
        assert account.inputs["tags"] == {
            **request.tags,
            "account-owner": request.owner,
            "organizational-unit": request.ou,
            # the stack conventions, added by the transformation
            "context": "shop", "stage": "dev", "owner": "team-shop@example.com", "usage": "PRODUCTION",
        }
        assert account.protect is True
        assert set(account.ignore_changes) == {"email", "roleName", "iamUserAccessToBilling"}
        assert len(account.id) == 12 and account.id.isdigit()
    assert result.stack_outputs["accountIds"] == {name: r.id for name, r in accounts.items()}


def test_accounts_and_organization_are_protected_only_in_production(run):
    result = run_org(run, usage="POC")
    assert not any(r.protect for r in result.resources)
    production = run_org(run)
    protected = {r.type for r in production.resources if r.protect}
    assert protected == {ACCOUNT, ORGANIZATION}


def test_account_ids_are_published_to_ssm(result: ProgramRun, example):
    accounts = {r.inputs["name"]: r for r in result.of_type(ACCOUNT)}
    parameters = {r.inputs["name"]: r for r in result.of_type(PARAMETER)}
    assert sorted(parameters) == sorted(f"/dev/shop/{a.name}/account/id" for a in example.accounts)
    for name, account in accounts.items():
        parameter = parameters[f"/dev/shop/{name}/account/id"]
        assert parameter.inputs["value"] == account.id
        assert parameter.inputs["type"] == "String"
        assert parameter.inputs["tier"] == "Standard"
    assert not result.warnings()  # names were already under the stack's SSM prefix


def _urn(result: ProgramRun, name: str) -> str:
    return result.one(ACCOUNT, f"org-account-{name}").urn


def test_accounts_are_created_one_after_another_by_default(result: ProgramRun, example):
    names = [a.name for a in example.accounts]
    for previous, current in zip(names, names[1:], strict=False):
        dependencies = result.one(ACCOUNT, f"org-account-{current}").dependencies
        account_deps = {urn for urn in dependencies if "organizations/account:Account" in urn}
        assert account_deps == {_urn(result, previous)}
    first = result.one(ACCOUNT, f"org-account-{names[0]}")
    assert not [u for u in first.dependencies if "organizations/account:Account" in u]


def test_batch_size_creates_accounts_in_groups(run, example):
    result = run_org(run, accountCreationBatchSize=2)
    names = [a.name for a in example.accounts]
    groups = [names[0:2], names[2:4], names[4:]]
    for index, group in enumerate(groups):
        expected = {_urn(result, n) for n in groups[index - 1]} if index else set()
        for name in group:
            dependencies = result.one(ACCOUNT, f"org-account-{name}").dependencies
            assert {u for u in dependencies if "organizations/account:Account" in u} == expected, name


def test_close_on_deletion_is_a_deliberate_setting(run):
    result = run_org(run, closeOnDeletion=True)
    assert {r.inputs["closeOnDeletion"] for r in result.of_type(ACCOUNT)} == {True}


def test_scps_are_minified_documents_attached_to_their_ous(result: ProgramRun, example):
    ous = ou_by_path(result)
    policies = {r.name.removeprefix("org-scp-"): r for r in result.of_type(POLICY)}
    assert sorted(policies) == sorted(scp.spec.name for scp in example.scps)
    organization = result.one(ORGANIZATION)
    for scp in example.scps:
        policy = policies[scp.spec.name]
        assert policy.inputs["type"] == "SERVICE_CONTROL_POLICY"
        assert policy.inputs["name"] == f"shop-dev-{scp.spec.name}"
        assert json.loads(policy.inputs["content"]) == json.loads((EXAMPLE_ORG / scp.spec.file).read_text())
        assert " " not in policy.inputs["content"].replace("Workloads run", "")
        assert organization.urn in policy.dependencies
        attached = {r.inputs["targetId"] for r in result.of_type(ATTACHMENT)
                    if r.inputs["policyId"] == policy.id}
        assert attached == {ous[target].id for target in scp.spec.targets}
    assert len(result.of_type(ATTACHMENT)) == sum(len(s.spec.targets) for s in example.scps)


def test_account_id_sharing_with_the_organization(run, example):
    result = run_org(run, shareAccountIds=True)
    parameters = result.of_type(PARAMETER)
    assert {p.inputs["tier"] for p in parameters} == {"Advanced"}  # RAM shares advanced parameters only
    share = result.one("aws:ram/resourceShare:ResourceShare")
    assert share.inputs["allowExternalPrincipals"] is False
    assert share.inputs["name"] == "shop-dev-account-ids"
    associations = result.of_type("aws:ram/resourceAssociation:ResourceAssociation")
    assert {a.inputs["resourceArn"] for a in associations} == {p.outputs["arn"] for p in parameters}
    assert {a.inputs["resourceShareArn"] for a in associations} == {share.outputs["arn"]}
    principal = result.one("aws:ram/principalAssociation:PrincipalAssociation")
    assert principal.inputs["principal"] == result.one(ORGANIZATION).outputs["arn"]
    assert not run_org(run).of_type("aws:ram/resourceShare:ResourceShare")


def test_program_publishes_org_data_and_component(run):
    published = {}

    def program():
        stack = read_stack(pulumi.Config("groundwork"))
        plan = check_all(stack, pulumi.Config("groundwork"))
        published.update(data=plan.org.data, organization=declare_all(stack, plan).organization)

    run(program, config=stack_config(org=org_config()))
    data, organization = published["data"], published["organization"]
    assert [a.name for a in data.accounts] == [a.name for a in load_org(EXAMPLE_ORG).accounts]
    assert set(organization.account_ids) == {a.name for a in data.accounts}
    assert set(organization.ou_ids) == set(data.ou_paths)


def test_invalid_org_data_stops_the_program_with_every_problem(run, org_copy: Path):
    (org_copy / "accounts" / "orders-dev.yaml").write_text("name: orders-dev\nou: Nope\n")
    (org_copy / "accounts" / "shop.yaml").write_text(
        "name: shop\nou: Workloads\nowner: nobody\npurpose: Shop\n")
    with pytest.raises(ConfigError) as refused:
        run_org(run, org_copy)
    message = str(refused.value)
    assert f"{org_copy}/accounts/orders-dev.yaml: owner: is required" in message
    assert f"{org_copy}/accounts/orders-dev.yaml: ou: 'Nope' is not an OU" in message
    assert f"{org_copy}/accounts/shop.yaml: owner: must be the email address" in message


@pytest.mark.parametrize("settings, message", [
    ({"accountCreationBatchSize": 0}, "groundwork:org.accountCreationBatchSize = 0"),
    ({"accountCreationBatchSize": 9}, "less than or equal to 5"),
    ({"closeOnDeletion": "yes"}, "groundwork:org.closeOnDeletion = 'yes'"),
    ({"orgPath": "org"}, "groundwork:org.orgPath is not a known setting"),
])
def test_invalid_settings_are_named(run, settings, message):
    with pytest.raises(ConfigError, match="Invalid stack config") as refused:
        run_org(run, **settings)
    assert message in str(refused.value)


def test_org_setting_must_be_an_object(run):
    with pytest.raises(ConfigError, match="groundwork:org = 'org/'"):
        run(build, config=stack_config(org=json.dumps("org/")))


def test_sharing_needs_trusted_access_for_ram(run, org_copy: Path):
    path = org_copy / "organization.yaml"
    path.write_text(path.read_text().replace("  - ram.amazonaws.com", ""))
    with pytest.raises(ConfigError, match="add ram.amazonaws.com to servicePrincipals"):
        run_org(run, org_copy, shareAccountIds=True)
    assert run_org(run, org_copy).of_type(ACCOUNT)


def test_removable_lifts_protect_from_one_account_only(run, org_copy: Path):
    path = org_copy / "accounts" / "orders-dev.yaml"
    path.write_text(path.read_text() + "removable: true\n")
    result = run_org(run, org_copy)
    protected = {r.inputs["name"]: r.protect for r in result.of_type(ACCOUNT)}
    assert protected.pop("orders-dev") is False
    assert set(protected.values()) == {True}
    assert result.one(ORGANIZATION).protect is True


def test_ous_nest_to_any_depth_aws_allows(run, org_copy: Path):
    path = org_copy / "organization.yaml"
    deep = ("  - name: Sandbox\n    children:\n      - name: Teams\n        children:\n"
            "          - name: Data\n            children:\n              - name: Lab\n"
            "                children:\n                  - name: Exp\n")
    path.write_text(path.read_text().replace("  - name: Sandbox\n", deep))
    (org_copy / "accounts" / "exp-one.yaml").write_text(
        "name: exp-one\nou: Sandbox/Teams/Data/Lab/Exp\nowner: data-lab@acme-corp.example\npurpose: Experiments\n")
    result = run_org(run, org_copy)
    ous = ou_by_path(result)
    chain = ["Sandbox", "Sandbox/Teams", "Sandbox/Teams/Data", "Sandbox/Teams/Data/Lab", "Sandbox/Teams/Data/Lab/Exp"]
    for parent, child in zip(chain, chain[1:], strict=False):
        assert ous[child].inputs["parentId"] == ous[parent].id
    account = result.one(ACCOUNT, "org-account-exp-one")
    assert account.inputs["parentId"] == ous[chain[-1]].id
    assert account.inputs["email"] == "exp-one@aws.acme-corp.example"
