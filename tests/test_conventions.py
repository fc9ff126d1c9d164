"""Conventions: tags, SSM paths and deletability are applied to every resource a program declares."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest
from groundwork.context import load_context
from groundwork.conventions import apply_conventions, is_taggable
from groundwork.errors import ConfigError

from tests.conftest import stack_config

CONTEXT_TAGS = {"context": "shop", "stage": "dev", "owner": "team-shop@example.com"}


class Sample(pulumi.ComponentResource):
    """A component, so the tests also prove children of components are covered."""

    def __init__(self, name: str) -> None:
        super().__init__("groundwork:test:Sample", name)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(f"{name}-topic", opts=child)
        self.table = aws.dynamodb.Table(
            f"{name}-table", hash_key="pk", attributes=[{"name": "pk", "type": "S"}],
            billing_mode="PAY_PER_REQUEST", deletion_protection_enabled=True, opts=child)
        self.register_outputs({})


def sample_program(with_conventions: bool = True) -> list[pulumi.CustomResource]:
    ctx = load_context()
    if with_conventions:
        apply_conventions(ctx)
    bucket = aws.s3.Bucket("data")
    queue = aws.sqs.Queue("orders", tags={"owner": "orders-team", "team": "checkout"})
    role = aws.iam.Role("worker", assume_role_policy='{"Version": "2012-10-17", "Statement": []}')
    policy = aws.iam.RolePolicy("worker-inline", role=role.id, policy='{"Version": "2012-10-17", "Statement": []}')
    params = [
        aws.ssm.Parameter("unnamed", type="String", value="x"),
        aws.ssm.Parameter("outside", name="db/url", type="String", value="x"),
        aws.ssm.Parameter("inside", name="/dev/shop/db/host", type="String", value="x"),
        aws.ssm.Parameter("computed", name=bucket.bucket.apply(lambda b: f"buckets/{b}"), type="String", value="x"),
    ]
    pool = aws.cognito.UserPool("users", deletion_protection="ACTIVE")
    lb = aws.lb.LoadBalancer("edge", load_balancer_type="application", enable_deletion_protection=True,
                             subnets=["subnet-1", "subnet-2"])
    repo = aws.ecr.Repository("images")
    db = aws.rds.Instance("db", instance_class="db.t4g.micro", engine="postgres", allocated_storage=20,
                          username="app", manage_master_user_password=True, deletion_protection=True)
    sample = Sample("sample")
    return [bucket, queue, role, policy, *params, pool, lb, repo, db, sample.topic, sample.table]


def _declared(run, config, **kwargs):
    declared: list = []
    result = run(lambda: declared.extend(sample_program(**kwargs)), config=config)
    return result, declared


def test_every_taggable_resource_gets_the_context_tags(run):
    classes: dict[str, type] = {}

    def program():
        # An observer, registered first, that learns each declared type's Python class.
        pulumi.runtime.register_stack_transformation(
            lambda args: classes.setdefault(args.type_, type(args.resource)) and None)
        sample_program()

    result = run(program, config=stack_config())
    taggable = [r for r in result.resources if r.custom and is_taggable(classes[r.type])]
    assert len(taggable) == 13
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        for key in ("context", "stage", "owner", "usage"):
            assert key in tags, f"{resource.type} {resource.name} lacks tag {key}"
    untaggable = [r for r in result.resources if r.custom and not is_taggable(classes[r.type])]
    assert [r.type for r in untaggable] == ["aws:iam/rolePolicy:RolePolicy"]
    assert "tags" not in untaggable[0].inputs


def test_explicit_tags_win_and_extra_tags_are_merged(run):
    result, _ = _declared(run, stack_config(tags={"cost-center": "cc-42"}))
    queue = result.one("aws:sqs/queue:Queue")
    assert queue.inputs["tags"] == {**CONTEXT_TAGS, "owner": "orders-team", "team": "checkout",
                                    "usage": "PRODUCTION", "cost-center": "cc-42"}
    assert result.one("aws:s3/bucket:Bucket").inputs["tags"]["cost-center"] == "cc-42"


def test_children_of_components_are_tagged(run):
    result, _ = _declared(run, stack_config())
    topic = result.one("aws:sns/topic:Topic")
    assert topic.parent.endswith("groundwork:test:Sample::sample")
    assert topic.inputs["tags"]["context"] == "shop"


def test_without_conventions_nothing_is_tagged(run):
    """Negative control: the assertions above depend on the conventions, not on the harness."""
    result, _ = _declared(run, stack_config(), with_conventions=False)
    assert result.one("aws:s3/bucket:Bucket").inputs.get("tags") is None
    assert result.one("aws:ssm/parameter:Parameter", "outside").inputs["name"] == "db/url"


def test_ssm_parameters_are_moved_under_the_stack_prefix_with_a_warning(run):
    result, _ = _declared(run, stack_config())
    names = {r.name: r.inputs["name"] for r in result.of_type("aws:ssm/parameter:Parameter")}
    assert names["unnamed"] == "/dev/shop/unnamed"
    assert names["outside"] == "/dev/shop/db/url"
    assert names["inside"] == "/dev/shop/db/host"
    assert names["computed"].startswith("/dev/shop/buckets/data-")
    warnings = result.warnings()
    assert any("'outside'" in w and "'/dev/shop/db/url'" in w for w in warnings)
    assert not any("'inside'" in w for w in warnings)


DELETABLE = {
    ("aws:s3/bucket:Bucket", "forceDestroy"): True,
    ("aws:ecr/repository:Repository", "forceDelete"): True,
    ("aws:dynamodb/table:Table", "deletionProtectionEnabled"): False,
    ("aws:cognito/userPool:UserPool", "deletionProtection"): "INACTIVE",
    ("aws:lb/loadBalancer:LoadBalancer", "enableDeletionProtection"): False,
    ("aws:rds/instance:Instance", "deletionProtection"): False,
    ("aws:rds/instance:Instance", "skipFinalSnapshot"): True,
}


@pytest.mark.parametrize("usage", ["EPHEMERAL", "POC"])
def test_non_production_resources_are_deletable(run, usage):
    config = stack_config(usage=usage, teardown=None)
    result, _ = _declared(run, config)
    for (type_, prop), wanted in DELETABLE.items():
        assert result.one(type_).inputs.get(prop) == wanted, (type_, prop)
    assert any("deletion_protection_enabled=True overridden" in w for w in result.warnings())


def test_production_resources_keep_their_protection(run):
    result, _ = _declared(run, stack_config())
    assert result.one("aws:s3/bucket:Bucket").inputs.get("forceDestroy") is None
    assert result.one("aws:dynamodb/table:Table").inputs["deletionProtectionEnabled"] is True
    assert result.one("aws:cognito/userPool:UserPool").inputs["deletionProtection"] == "ACTIVE"
    assert result.one("aws:rds/instance:Instance").inputs["deletionProtection"] is True


def test_ephemeral_resources_carry_expires_at(run):
    result, _ = _declared(run, stack_config(usage="EPHEMERAL", ttlHours="6"))
    expires = {r.inputs["tags"]["expires-at"] for r in result.resources if r.inputs.get("tags")}
    assert len(expires) == 1
    assert next(iter(expires)).endswith("Z")


@pytest.mark.parametrize("option", ["protect", "retain_on_delete"])
@pytest.mark.parametrize("usage", ["EPHEMERAL", "POC"])
def test_protect_and_retain_are_refused_outside_production(run, usage, option):
    def program():
        apply_conventions(load_context())
        aws.s3.Bucket("keep", opts=pulumi.ResourceOptions(**{option: True}))

    with pytest.raises(ConfigError) as caught:
        run(program, config=stack_config(usage=usage))
    message = str(caught.value)
    assert "'keep'" in message and f"{option}=True" in message and usage in message


def test_protect_is_allowed_in_production(run):
    def program():
        apply_conventions(load_context())
        aws.s3.Bucket("keep", opts=pulumi.ResourceOptions(protect=True))

    result = run(program, config=stack_config())
    assert result.one("aws:s3/bucket:Bucket").protect is True


def test_roles_carry_the_stack_role_boundary_resolved_in_the_deploying_account(run):
    result, _ = _declared(run, stack_config(roleBoundary="groundwork-workload-boundary"))
    role = result.one("aws:iam/role:Role", "worker")
    assert role.inputs["permissionsBoundary"] == "arn:aws:iam::123456789012:policy/groundwork-workload-boundary"


def test_a_role_boundary_arn_is_used_as_given(run):
    arn = "arn:aws:iam::210987654321:policy/team-boundary"
    result, _ = _declared(run, stack_config(roleBoundary=arn))
    assert result.one("aws:iam/role:Role", "worker").inputs["permissionsBoundary"] == arn


def test_without_role_boundary_roles_have_none(run):
    """The org stack runs with the management account's admin rights and sets no boundary."""
    result, _ = _declared(run, stack_config())
    assert "permissionsBoundary" not in result.one("aws:iam/role:Role", "worker").inputs


def test_a_role_with_another_boundary_is_refused(run):
    def program():
        apply_conventions(load_context())
        aws.iam.Role("admin", assume_role_policy="{}",
                     permissions_boundary="arn:aws:iam::aws:policy/AdministratorAccess")

    for configured in ("arn:aws:iam::123456789012:policy/groundwork-workload-boundary", "groundwork-workload-boundary"):
        with pytest.raises(ConfigError) as raised:
            run(program, config=stack_config(roleBoundary=configured))
    assert ("Resource 'admin' (aws:iam/role:Role) sets permissions_boundary="
            "'arn:aws:iam::aws:policy/AdministratorAccess', but every role of this stack must carry "
            "groundwork:roleBoundary") in str(raised.value)


@pytest.mark.parametrize("value", ["arn:aws:iam::aws:role/x", "has space", "x" * 129])
def test_a_malformed_role_boundary_is_named(run, value):
    with pytest.raises(ConfigError) as raised:
        run(lambda: load_context(), config=stack_config(roleBoundary=value))
    assert f"groundwork:roleBoundary = {value[:40]!r}"[:-1] in str(raised.value)


def test_a_role_that_sets_the_stack_boundary_itself_is_kept(run):
    arn = "arn:aws:iam::123456789012:policy/groundwork-workload-boundary"

    def program():
        apply_conventions(load_context())
        aws.iam.Role("explicit", assume_role_policy="{}", permissions_boundary=arn)

    result = run(program, config=stack_config(roleBoundary="groundwork-workload-boundary"))
    assert result.one("aws:iam/role:Role", "explicit").inputs["permissionsBoundary"] == arn


def _groups_and_a_collection() -> None:
    apply_conventions(load_context())
    launch = {"id": "lt-0123456789abcdef0", "version": "$Latest"}
    aws.autoscaling.Group("workers", min_size=1, max_size=2, availability_zones=["eu-west-1a"],
                          launch_template=launch)
    aws.autoscaling.Group("tagged", min_size=1, max_size=2, availability_zones=["eu-west-1a"],
                          launch_template=launch,
                          tags=[{"key": "owner", "value": "batch-team", "propagate_at_launch": False},
                                {"key": "team", "value": "batch", "propagate_at_launch": True}])
    # Its `tags` is a filter (which tagged resources DevOps Guru analyses), not the collection's tags.
    aws.devopsguru.ResourceCollection("by-tag", type="AWS_TAGS",
                                      tags={"app_boundary_key": "devops-guru-shop", "tag_values": ["All"]})


def test_autoscaling_groups_get_the_context_tags_in_their_list_form(run):
    """An autoscaling group takes [{key, value, propagateAtLaunch}], not a map (a map fails on AWS)."""
    result = run(_groups_and_a_collection, config=stack_config())
    workers = result.one("aws:autoscaling/group:Group", "workers").inputs["tags"]
    assert isinstance(workers, list)
    assert {t["key"]: t["value"] for t in workers} == {**CONTEXT_TAGS, "usage": "PRODUCTION"}
    assert all(t["propagateAtLaunch"] is True for t in workers)  # the instances carry them too
    tagged = result.one("aws:autoscaling/group:Group", "tagged").inputs["tags"]
    assert [t["key"] for t in tagged].count("owner") == 1  # the group's own entry wins, as given
    own = {t["key"]: t for t in tagged}
    assert own["owner"] == {"key": "owner", "value": "batch-team", "propagateAtLaunch": False}
    assert own["team"]["value"] == "batch" and own["context"]["value"] == "shop"


def test_a_tags_input_that_is_not_resource_tags_is_left_alone(run):
    result = run(_groups_and_a_collection, config=stack_config())
    collection = result.one("aws:devopsguru/resourceCollection:ResourceCollection")
    assert collection.inputs["tags"] == {"appBoundaryKey": "devops-guru-shop", "tagValues": ["All"]}


def test_the_library_and_the_pack_agree_on_every_taggable_type_of_pulumi_aws():
    """The conventions read each class's ``tags`` annotation at run time; the pack has the same
    facts as committed data (generated from the SDK's source). Every resource type of the installed
    pulumi-aws must get the same answer from both."""
    import importlib
    import inspect
    from pathlib import Path

    from groundwork.conventions import tags_shape
    from groundwork_policies.taggable import (
        _TYPE_TOKEN,  # how the pack's generator finds types
        tag_shape,
        taggable_types,
    )

    shapes: dict[str, str | None] = {}
    for source in sorted(Path(aws.__file__).parent.glob("*/*.py")):
        found = None if source.name.startswith("_") else _TYPE_TOKEN.search(source.read_text())
        if found is None:
            continue
        package = importlib.import_module(f"pulumi_aws.{source.parent.name}")  # as programs import it
        resource_class = getattr(package, found.group(1).rsplit(":", 1)[1])
        assert inspect.isclass(resource_class), found.group(1)
        shapes[found.group(1)] = tags_shape(resource_class)
    assert len(shapes) > 1500
    taggable = taggable_types()
    disagree = [t for t, shape in shapes.items() if (shape is not None) != (t in taggable)
                or (shape is not None and shape != tag_shape(t))]
    assert disagree == []
    assert shapes["aws:autoscaling/group:Group"] == "list"


def test_the_pack_finds_the_tagged_autoscaling_group_complete(run):
    """What the conventions give an autoscaling group is what the pack's tagging policies read:
    no required-tags or ephemeral finding for it (both read the list form)."""
    from org.plan.analyzer import PolicyPackProcess, describe_run
    from tests.policies.conftest import PACK_DIR

    config = stack_config()
    result = run(_groups_and_a_collection, config=config)
    described = [r for r in describe_run(result.resources, config)
                 if r.type in ("aws:autoscaling/group:Group", "pulumi:providers:aws")]
    with PolicyPackProcess(PACK_DIR, config=config) as pack:
        pack.configure()
        pack.configure_stack()
        findings = [d for resource in described for d in pack.analyze(resource)]
    tagging = [f"{d.policy_name}: {d.message}" for d in findings if d.policy_name in ("required-tags", "stage-usage-tags")]
    assert tagging == []
