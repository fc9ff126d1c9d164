"""The recorder and the engine-side description of a program's resources (issue 19): explicit
providers found by their URN, secrets sent as secrets, resources passed as inputs and exported."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from org.plan.analyzer import PolicyPackProcess, Secret, describe_run, provider_urn
from org.plan.runtime import run_program
from tests.policies.conftest import PACK_DIR

TAGS = {"context": "shop", "stage": "dev", "owner": "team-shop@example.com", "usage": "POC"}


def _explicit_provider() -> None:
    eu = aws.Provider("eu", region="eu-west-1", default_tags={"tags": TAGS})
    aws.sqs.Queue("jobs", name="shop-dev-jobs", opts=pulumi.ResourceOptions(provider=eu))
    aws.sqs.Queue("default-provider", name="shop-dev-other")


def test_provider_reference_is_split_at_its_last_separator():
    urn = "urn:pulumi:dev::shop::pulumi:providers:aws::eu"
    assert provider_urn(f"{urn}::0a1b2c") == urn


def test_explicit_provider_region_and_default_tags_reach_the_pack():
    config = {"aws:region": "us-east-1", "groundwork:stage": "dev", "groundwork:usage": "POC"}
    run = run_program(_explicit_provider, config=config)
    described = {r.name: r for r in describe_run(run.resources, config)}
    provider = described["jobs"].provider
    assert provider is not None and provider.urn == run.one("pulumi:providers:aws", "eu").urn
    assert provider.inputs["region"] == "eu-west-1"
    assert described["default-provider"].provider.name == "default"
    with PolicyPackProcess(PACK_DIR, config=config) as pack:
        pack.configure()
        pack.configure_stack()
        assert pack.analyze(described["jobs"]) == []  # tagged through the explicit provider
        assert {d.policy_name for d in pack.analyze(described["default-provider"])} == {"required-tags"}


def _secret_and_reference() -> None:
    aws.ssm.Parameter("db-password", name="/dev/shop/db", type="SecureString",
                      value=pulumi.Output.secret("s3cr3t"))
    role = aws.iam.Role("role", assume_role_policy="{}")
    aws.iam.RolePolicyAttachment("attach", role=role, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    pulumi.export("role", role)


def test_secrets_stay_secrets_for_the_pack_and_plain_for_reports():
    for preview in (True, False):
        run = run_program(_secret_and_reference, preview=preview)
        parameter = run.one("aws:ssm/parameter:Parameter")
        assert parameter.inputs["value"] == "s3cr3t"
        [described] = [d for d in describe_run(run.resources, {}) if d.name == "db-password"]
        assert described.inputs["value"] == Secret("s3cr3t")
        assert run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs["role"] == \
            run.one("aws:iam/role:Role").id
        assert run.stack_outputs["role"]  # an exported resource resolves too


def test_plan_json_never_echoes_a_secret():
    from org.plan.command import Plan, plan_document
    from org.plan.stackconfig import StackConfig

    run = run_program(_secret_and_reference)
    config = StackConfig(stack="test", path=PACK_DIR, values={}, secret_keys=[])
    document = plan_document(Plan(config=config, run=run))
    [parameter] = [r for r in document["resources"] if r["name"] == "db-password"]
    assert parameter["inputs"]["value"] == "[secret]"
    assert "s3cr3t" not in repr(document)


def _policy_as_object() -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                        "Resource": "*"}]}
    policy = aws.iam.Policy("send", policy=document)  # pulumi-aws accepts the object
    pulumi.export("statement", policy.policy.apply(lambda text: json.loads(text)["Statement"][0]["Action"]))


def test_a_policy_given_as_an_object_comes_back_as_the_json_aws_stores():
    run = run_program(_policy_as_object, preview=False)
    assert run.stack_outputs["statement"] == "sqs:SendMessage"


class _Outer(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Outer", name)
        self.inner = _Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class _Inner(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("test:index:Inner", name, None, opts)
        aws.sqs.Queue(f"{name}-queue", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def test_urns_are_the_engines_so_waivers_and_sarif_from_the_plan_match_a_real_preview():
    """pulumi/pulumi generateURN: a child's type is qualified by its parent's FULL qualified type,
    and never by the root stack's (the SDK's mock monitor does both differently)."""
    def program() -> None:
        aws.sqs.Queue("top")
        _Outer("outer")

    urns = {r.name: r.urn for r in run_program(program, config={"aws:region": "eu-west-1"},
                                                project="shop", stack="dev").resources}
    assert urns["top"] == "urn:pulumi:dev::shop::aws:sqs/queue:Queue::top"
    assert urns["outer"] == "urn:pulumi:dev::shop::test:index:Outer::outer"
    assert urns["outer-inner"] == "urn:pulumi:dev::shop::test:index:Outer$test:index:Inner::outer-inner"
    assert urns["outer-inner-queue"] == ("urn:pulumi:dev::shop::test:index:Outer$test:index:Inner$"
                                         "aws:sqs/queue:Queue::outer-inner-queue")
