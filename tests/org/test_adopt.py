"""``python -m org adopt`` against a moto organization of 56 member accounts in nested OUs.

The chain a newcomer runs: adopt -> ``validate`` passes -> the offline plan (program + policy
pack) shows every object as an import and nothing to create. moto runs in-process
(``mock_aws``); the reader passes no endpoint, so botocore's own ``AWS_ENDPOINT_URL`` handling
applies to real use.

What moto lacks (checked against moto 5.2.1, pinned in requirements-dev.txt), and how it is handled:
- sso-admin GetPermissionsBoundaryForPermissionSet / PutPermissionsBoundaryToPermissionSet are not
  implemented: the test answers Get as AWS does for a permission set without a boundary
  (ResourceNotFoundException); boundaries are covered by the translation test below.
- moto makes permission set ARNs ``arn:aws:sso:::instance/ssoins-X/ps-Y``; AWS makes
  ``arn:aws:sso:::permissionSet/ssoins-X/ps-Y`` (botocore sso-admin model, PermissionSetArn
  pattern; pulumi-aws ssoadmin import examples). The test makes moto use AWS's form.
- moto makes identity store ids ``d-`` + 10 letters; AWS's are ``d-`` + 10 hex digits (botocore
  identitystore model, IdentityStoreId pattern). The test makes moto use AWS's form.
- ListAccountsForProvisionedPermissionSet only ever returns the caller's account, so adopt
  reads assignments per principal (ListAccountAssignmentsForPrincipal), as it should at scale.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.ssoadmin import models as sso_models
from moto.ssoadmin import responses as sso_responses
from moto.ssoadmin.exceptions import ResourceNotFoundException

from org.__main__ import main
from org.adopt import reader
from org.adopt.live import LiveIdentityCenter, LiveOrganization, LiveOu, LivePermissionSet
from org.adopt.translate import adopt

ROOT = Path(__file__).resolve().parents[2]
MAIL_DOMAIN = "aws.acme.example"
OWNER = "platform-team@acme.example"
MEMBER_ACCOUNTS = 56


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def aws_permission_set_arn(instance_arn: str) -> str:
        instance = instance_arn.rsplit("/", 1)[1]
        return f"arn:aws:sso:::permissionSet/{instance}/ps-{os.urandom(8).hex()}"

    def no_boundary(self: sso_responses.SSOAdminResponse) -> str:
        raise ResourceNotFoundException("The specified permissions boundary was not found")

    moto_instance_init = sso_models.Instance.__init__

    def aws_identity_store_id(self: sso_models.Instance, *args: object, **kwargs: object) -> None:
        moto_instance_init(self, *args, **kwargs)
        self.identity_store_id = f"d-{os.urandom(5).hex()}"

    monkeypatch.setattr(sso_models.Instance, "__init__", aws_identity_store_id)
    monkeypatch.setattr(sso_models.PermissionSet, "generate_id", staticmethod(aws_permission_set_arn))
    monkeypatch.setattr(sso_responses.SSOAdminResponse, "get_permissions_boundary_for_permission_set",
                        no_boundary, raising=False)
    _fake_credentials(monkeypatch)
    monkeypatch.setattr(reader, "PAGE_SIZE", 4)  # every list spans several pages, as at real size
    with mock_aws():
        yield


def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def _seed() -> dict:
    """A realistic organization: nested OUs, legacy emails and names, SCPs, Identity Center."""
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    for policy_type in ("SERVICE_CONTROL_POLICY", "TAG_POLICY"):
        org.enable_policy_type(RootId=root, PolicyType=policy_type)
    for principal in ("sso.amazonaws.com", "member.org.stacksets.cloudformation.amazonaws.com"):
        org.enable_aws_service_access(ServicePrincipal=principal)

    def ou(parent: str, name: str) -> str:
        return org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]

    security, workloads, sandbox = ou(root, "Security"), ou(root, "Workloads"), ou(root, "Sandbox")
    prod, nonprod = ou(workloads, "Prod"), ou(workloads, "NonProd")
    payments, retail = ou(prod, "Payments"), ou(prod, "Retail")
    placements = [security, sandbox, nonprod, payments, retail, prod]
    ids: dict[str, str] = {}
    for index in range(MEMBER_ACCOUNTS):
        if index % 3 == 0:  # a legacy display name and a legacy root email
            name, email = f"Team {index:02d} Workload", f"aws-legacy+team{index:02d}@old-corp.example"
        else:  # already follows the pattern
            name = f"team-{index:02d}"
            email = f"{name}@{MAIL_DOMAIN}"
        account_id = org.create_account(AccountName=name, Email=email)["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=placements[index % 6])
        tags = [{"Key": "cost-center", "Value": f"{1000 + index}"}]
        if index % 5 == 0:
            tags += [{"Key": "owner", "Value": f"team{index:02d}@acme.example"}, {"Key": "stage", "Value": "prod"}]
        org.tag_resource(ResourceId=account_id, Tags=tags)
        ids[name] = account_id
    in_root = org.create_account(AccountName="stray", Email="stray@old-corp.example")["CreateAccountStatus"]
    closed = org.create_account(AccountName="closed-one", Email="closed@old-corp.example")["CreateAccountStatus"]
    org.move_account(AccountId=closed["AccountId"], SourceParentId=root, DestinationParentId=sandbox)
    org.close_account(AccountId=closed["AccountId"])
    org.register_delegated_administrator(AccountId=ids["team-01"], ServicePrincipal="guardduty.amazonaws.com")

    def scp(name: str, statement: dict, targets: list[str], type_: str = "SERVICE_CONTROL_POLICY") -> str:
        content = {"Version": "2012-10-17", "Statement": [statement]} if type_ == "SERVICE_CONTROL_POLICY" \
            else {"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"}}}}
        policy_id = org.create_policy(Name=name, Description=f"{name} (legacy)", Type=type_,
                                      Content=json.dumps(content))["Policy"]["PolicySummary"]["Id"]
        for target in targets:
            org.attach_policy(PolicyId=policy_id, TargetId=target)
        return policy_id

    scp("DenyLeaveOrg", {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
        [security, workloads, sandbox])
    scp("Region Lock", {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}},
        [prod, nonprod, ids["team-02"]])
    scp("cost-tags", {}, [root], type_="TAG_POLICY")

    sso = boto3.client("sso-admin", region_name="eu-west-1")
    instance = sso.list_instances()["Instances"][0]
    arn, store_id = instance["InstanceArn"], instance["IdentityStoreId"]
    store = boto3.client("identitystore", region_name="eu-west-1")
    groups = {name: store.create_group(IdentityStoreId=store_id, DisplayName=name, Description=f"{name} people")[
        "GroupId"] for name in ("Admins", "Developers", "Auditors")}
    user = store.create_user(IdentityStoreId=store_id, UserName="jane", DisplayName="Jane Doe",
                             Name={"GivenName": "Jane", "FamilyName": "Doe"})["UserId"]

    def permission_set(name: str, duration: str, managed: list[str], inline: dict | None = None,
                       customer: list[dict] | None = None) -> str:
        ps = sso.create_permission_set(InstanceArn=arn, Name=name, Description=f"{name} access",
                                       SessionDuration=duration)["PermissionSet"]["PermissionSetArn"]
        for policy in managed:
            sso.attach_managed_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=ps, ManagedPolicyArn=policy)
        if inline:
            sso.put_inline_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=ps, InlinePolicy=json.dumps(inline))
        for reference in customer or []:
            sso.attach_customer_managed_policy_reference_to_permission_set(
                InstanceArn=arn, PermissionSetArn=ps, CustomerManagedPolicyReference=reference)
        return ps

    admin = permission_set("AdministratorAccess", "PT1H", ["arn:aws:iam::aws:policy/AdministratorAccess"])
    developer = permission_set(
        "Developer", "PT8H", ["arn:aws:iam::aws:policy/PowerUserAccess"],
        inline={"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser",
                                                        "Resource": "*"}]},
        customer=[{"Name": "team-boundary-extras", "Path": "/platform/"}])
    readonly = permission_set("ReadOnly", "PT4H", ["arn:aws:iam::aws:policy/ReadOnlyAccess"])

    def assign(ps: str, principal: str, account: str, principal_type: str = "GROUP") -> None:
        sso.create_account_assignment(InstanceArn=arn, TargetId=account, TargetType="AWS_ACCOUNT",
                                      PermissionSetArn=ps, PrincipalType=principal_type, PrincipalId=principal)

    accounts = list(ids.values())
    for account in accounts[:10]:
        assign(admin, groups["Admins"], account)
    for account in accounts[10:40]:
        assign(developer, groups["Developers"], account)
    for account in accounts:
        assign(readonly, groups["Auditors"], account)
    assign(readonly, user, accounts[0], "USER")
    return {"instance_arn": arn, "identity_store_id": store_id, "in_root": in_root["AccountId"],
            "closed": closed["AccountId"], "assignments": 10 + 30 + len(accounts)}


def test_adopt_validate_plan_imports_everything_and_creates_nothing(
        moto_endpoint: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeded = _seed()
    org_root = tmp_path / "org"

    assert main(["adopt", "--root", str(org_root), "--mail-domain", MAIL_DOMAIN, "--owner", OWNER]) == 0
    out = capsys.readouterr().out
    # Nothing is dropped silently: each object the files cannot hold is listed.
    for expected in (f"({seeded['in_root']}) sits directly in the root", f"({seeded['closed']}) is SUSPENDED",
                     "TAG_POLICY 'cost-tags'", "attachment to account", "delegated administrator team-01",
                     "1 Identity Center users", "assignment of USER", "tag stage='prod' uses a key the platform sets"):
        assert expected in out, out
    account_files = sorted((org_root / "accounts").glob("*.yaml"))
    assert len(account_files) == MEMBER_ACCOUNTS

    legacy = (org_root / "accounts" / "team-00-workload.yaml").read_text()
    assert "email: aws-legacy+team00@old-corp.example" in legacy and "awsName: Team 00 Workload" in legacy
    assert "email:" not in (org_root / "accounts" / "team-01.yaml").read_text()  # derived address

    assert main(["validate", "--root", str(org_root)]) == 0

    run_plan = _plan(tmp_path, org_root, seeded)
    document = run_plan["document"]
    operations: dict[str, list[str]] = {}
    for resource in document["resources"]:
        if resource["custom"]:
            operations.setdefault(resource["operation"], []).append(f"{resource['type']} {resource['name']}")
    assert operations.get("create", []) == [], operations.get("create")
    imported = operations["import"]
    expected_accounts = MEMBER_ACCOUNTS
    assert sum(" org-account-" in r for r in imported) == expected_accounts
    assert sum(r.startswith("aws:ssoadmin/accountAssignment") for r in imported) == seeded["assignments"]
    assert document["operations"] == {"import": len(imported), "create": 0}
    # The adopted accounts keep their legacy root emails and the policy pack agrees.
    assert document["summary"]["mandatory"] == 0, [d for d in document["diagnostics"]
                                                   if d["enforcement_level"] == "mandatory"]


def _plan(tmp_path: Path, org_root: Path, seeded: dict) -> dict:
    """The offline plan of a stack with the adopted org and SSO (and nothing else), with the policy pack."""
    import yaml

    from org.plan.command import make_plan, plan_document

    project = tmp_path / "project"
    project.mkdir()
    for entry in ("__main__.py", "components", "features", "Pulumi.yaml", "org"):
        (project / entry).symlink_to(ROOT / entry)
    config = {
        "aws:region": "eu-west-1",
        "groundwork:context": "platform", "groundwork:stage": "prod",
        "groundwork:owner": OWNER, "groundwork:usage": "PRODUCTION",
        "groundwork:org": {"path": str(org_root), "publishAccountIds": False},
        "groundwork:sso": {"orgPath": str(org_root), "instanceArn": seeded["instance_arn"],
                           "identityStoreId": seeded["identity_store_id"]},
    }
    (project / "Pulumi.adopted.yaml").write_text(yaml.safe_dump({"config": config}))
    # The adopting team points the pack's mail domain at theirs, as policies/config/org.json does.
    policy_config = tmp_path / "org-policy.json"
    policy_config.write_text(json.dumps({"account-email-domain": {"mailDomain": MAIL_DOMAIN}}))
    plan = make_plan("adopted", policy_pack=str(ROOT / "policies"), policy_config=str(policy_config),
                     root=project)
    return {"document": plan_document(plan)}


def test_adopt_refuses_to_overwrite_without_force_and_writes_nothing(
        moto_endpoint: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org_root = tmp_path / "org"
    (org_root / "accounts").mkdir(parents=True)
    (org_root / "accounts" / "keep.yaml").write_text("name: keep\n")
    assert main(["adopt", "--root", str(org_root), "--mail-domain", MAIL_DOMAIN, "--owner", OWNER]) == 2
    assert "unless --force" in capsys.readouterr().err
    assert [p.name for p in org_root.rglob("*") if p.is_file()] == ["keep.yaml"]
    # With --force but no organization to read (AWS fails): still nothing replaced.
    assert main(["adopt", "--root", str(org_root), "--mail-domain", MAIL_DOMAIN, "--owner", OWNER, "--force"]) == 1
    assert [p.name for p in org_root.rglob("*") if p.is_file()] == ["keep.yaml"]


def test_force_replaces_the_data_and_invalid_adopted_data_writes_nothing(
        moto_endpoint: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    account = org.create_account(AccountName="shop-dev", Email="shop-dev@old-corp.example")
    org.move_account(AccountId=account["CreateAccountStatus"]["AccountId"], SourceParentId=root,
                     DestinationParentId=ou)
    org_root = tmp_path / "org"
    shutil.copytree(ROOT / "org" / "accounts", org_root / "accounts")
    (org_root / "organization.yaml").write_text((ROOT / "org" / "organization.yaml").read_text())

    args = ["adopt", "--root", str(org_root), "--mail-domain", MAIL_DOMAIN, "--owner", OWNER, "--force"]
    assert main(args) == 0
    assert sorted(p.name for p in (org_root / "accounts").iterdir()) == ["shop-dev.yaml"]
    assert not (org_root / "scps").exists() and "importId: o-" in (org_root / "organization.yaml").read_text()
    before = {p: p.read_text() for p in org_root.rglob("*") if p.is_file()}

    # An SCP AWS holds but Groundwork's checker refuses (moto does not check Sids; AWS allows only
    # letters and digits): the adopted data fails validation, so nothing is replaced.
    policy = org.create_policy(Name="bad", Description="", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": "no-dashes", "Effect": "Deny", "Action": "s3:*",
                                                 "Resource": "*"}]}))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy, TargetId=ou)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "scps/bad.json: Statement[0].Sid" in err and "nothing written" in err
    assert {p: p.read_text() for p in org_root.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["org"]  # no staging folder left behind


def test_adopt_writes_nothing_when_aws_fails_part_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # No organization in this account: DescribeOrganization fails -> exit 1, no file, no staging folder.
    _fake_credentials(monkeypatch)
    with mock_aws():
        assert main(["adopt", "--root", str(tmp_path / "org"), "--mail-domain", MAIL_DOMAIN,
                     "--owner", OWNER]) == 1
    assert "nothing written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_translation_keeps_boundaries_and_lists_what_it_cannot_express() -> None:
    # Response shapes of GetPermissionsBoundaryForPermissionSet from the botocore sso-admin model.
    live = LiveOrganization(
        id="o-abcdef1234", feature_set="ALL", management_account_id="111111111111", root_id="r-ab12",
        enabled_policy_types=["SERVICE_CONTROL_POLICY"], service_principals=["sso.amazonaws.com"],
        ous=[LiveOu(id="ou-ab12-11111111", name="Workloads"), LiveOu(id="ou-ab12-22222222", name="Bad/Name")],
        accounts=[], policies=[],
        identity_center=LiveIdentityCenter(
            instance_arn="arn:aws:sso:::instance/ssoins-1234567890abcdef", identity_store_id="d-1234567890",
            permission_sets=[
                LivePermissionSet(arn="arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
                                  name="Bounded", managed_policies=["arn:aws:iam::aws:policy/PowerUserAccess"],
                                  boundary={"CustomerManagedPolicyReference": {"Name": "edge", "Path": "/b/"}}),
                LivePermissionSet(arn="arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-abcdef1234567890",
                                  name="Empty"),
            ]))
    adoption = adopt(live, mail_domain=MAIL_DOMAIN, owner=OWNER)
    sso = adoption.files["sso.yaml"]
    assert "customerManagedPolicy:\n      name: edge\n      path: /b/" in sso
    assert "Empty" not in sso and any("'Empty'" in line and "grants nothing" in line for line in adoption.unexpressed)
    assert any("'Bad/Name'" in line for line in adoption.unexpressed)


def test_a_wrong_import_id_is_refused_with_the_file_and_what_is_allowed(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    org_root = tmp_path / "org"
    shutil.copytree(ROOT / "org" / "accounts", org_root / "accounts")
    shutil.copytree(ROOT / "org" / "scps", org_root / "scps")
    (org_root / "organization.yaml").write_text((ROOT / "org" / "organization.yaml").read_text()
                                                + "importId: o-NOT_AN_ID\n")
    with (org_root / "accounts" / "orders-dev.yaml").open("a") as file:
        file.write("importId: '12345'\n")
    assert main(["validate", "--root", str(org_root)]) == 2
    err = capsys.readouterr().err
    assert "organization.yaml: importId: must be the id of the existing AWS object, like 'o-abcdef1234'" in err
    assert "orders-dev.yaml: importId: must be the id of the existing AWS object, like '111122223333'" in err


def test_throttled_list_calls_are_retried(moto_endpoint: None, tmp_path: Path) -> None:
    """Organizations answers bursts with TooManyRequestsException (HTTP 400); the reader's clients retry."""
    from botocore.awsrequest import AWSResponse

    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    throttled = []

    def throttle(request: object, **_: object) -> AWSResponse | None:
        if not throttled:
            throttled.append(request)
            body = json.dumps({"__type": "TooManyRequestsException", "Message": "AWS Organizations can't "
                               "complete your request because another request is already in progress."})
            return AWSResponse("https://organizations.us-east-1.amazonaws.com", 400, {}, _RawBody(body.encode()))
        return None

    session = boto3.Session(region_name="eu-west-1")
    session._session.get_component("event_emitter").register_first(
        "before-send.organizations.ListAccounts", throttle)
    live = reader.read_organization(session)
    assert len(throttled) == 1 and [a.name for a in live.accounts] == ["master"]


class _RawBody:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.data
