"""Stack-wide conventions applied to every resource the program declares.

The Pulumi counterpart of CDK aspects: a transformation that merges the context tags
into every taggable AWS resource, keeps SSM parameters under ``/{stage}/{context}/``, gives every
IAM role the stack's permissions boundary (``groundwork:roleBoundary``: the bootstrap's deploy
role may create only roles that carry it), makes non-production resources deletable and refuses
``protect``/``retain_on_delete`` there. Each library component applies it to its own children
(``with_conventions``); a program applies it to the resources it declares itself with
``apply_conventions``.

Legacy transformations run inside the SDK, so they behave the same under the real
engine and under the mock runtime the tests use (new-style transforms run in the engine and
are never called under mocks).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from .context import NAMESPACE, StackContext
from .errors import ConfigError

SSM_PARAMETER = "aws:ssm/parameter:Parameter"
IAM_ROLE = "aws:iam/role:Role"

# Property -> value that lets a resource be deleted; applied only where the class has it.
DELETABLE_SETTINGS: dict[str, Any] = {
    "force_destroy": True,  # S3 buckets, Route 53 zones, IAM users
    "force_delete": True,  # ECR repositories
    "deletion_protection": False,  # RDS, DocumentDB, Neptune, QLDB
    "deletion_protection_enabled": False,  # DynamoDB tables
    "enable_deletion_protection": False,  # load balancers
    "skip_final_snapshot": True,  # RDS, Redshift
}
# Types whose deletion_protection is a string enum, not a bool.
STRING_DELETION_PROTECTION = {"aws:cognito/userPool:UserPool": "INACTIVE"}


@functools.cache
def accepted_properties(resource_class: type) -> frozenset[str]:
    """Input property names a pulumi-aws resource class accepts (from its constructor)."""
    init = getattr(resource_class, "_internal_init", None)
    if init is None:
        return frozenset()
    return frozenset(inspect.signature(init).parameters)


TAG_MAP, TAG_LIST = "map", "list"


@functools.cache
def tags_shape(resource_class: type) -> str | None:
    """How a pulumi-aws resource takes its resource tags, read from its ``tags`` annotation:
    ``map`` (``{key: value}``, nearly all), ``list`` (``[{key, value, propagate_at_launch}]``,
    autoscaling groups) or None (no ``tags`` input, or one that is not resource tags, e.g. the
    tag filter of a DevOps Guru resource collection)."""
    init = getattr(resource_class, "_internal_init", None)
    parameter = inspect.signature(init).parameters.get("tags") if init is not None else None
    if parameter is None:
        return None
    annotation = str(parameter.annotation)
    if "Mapping[str" in annotation:
        return TAG_MAP
    if "Sequence[" in annotation and "TagArgs" in annotation:
        return TAG_LIST
    return None


def is_taggable(resource_class: type) -> bool:
    return tags_shape(resource_class) is not None


def merge_tags(defaults: Mapping[str, str], explicit: Any) -> Any:
    """Defaults first, explicit values on top; copes with Output-valued tag maps."""
    if explicit is None:
        return dict(defaults)
    if isinstance(explicit, dict) and not any(isinstance(v, pulumi.Output) for v in explicit.values()):
        return {**defaults, **explicit}
    return pulumi.Output.from_input(explicit).apply(lambda tags: {**defaults, **(tags or {})})


def _tag_key(entry: Any) -> Any:
    return entry.get("key") if isinstance(entry, Mapping) else getattr(entry, "key", None)


def merge_tag_list(defaults: Mapping[str, str], explicit: Any) -> Any:
    """The list form (autoscaling groups): one ``{key, value, propagate_at_launch: True}`` entry per
    default the program did not set itself (instances launched by the group carry the tags too);
    the program's own entries are kept as given."""

    def merged(entries: Any) -> list[Any]:
        entries = list(entries or [])
        own = {_tag_key(entry) for entry in entries}
        added = [{"key": key, "value": value, "propagate_at_launch": True}
                 for key, value in defaults.items() if key not in own]
        return [*added, *entries]

    if explicit is None or (isinstance(explicit, list) and not any(
            isinstance(e, pulumi.Output) or isinstance(_tag_key(e), pulumi.Output) for e in explicit)):
        return merged(explicit)
    return pulumi.Output.from_input(explicit).apply(merged)


def _ssm_name(ctx: StackContext, resource_name: str, name: Any) -> Any:
    prefix = ctx.ssm_prefix

    def rewrite(value: str | None) -> str:
        if value and value.startswith(prefix):
            return value
        new = prefix + (value or resource_name).lstrip("/")
        pulumi.log.warn(
            f"SSM parameter '{resource_name}': name {value!r} is not under {prefix}; "
            f"renamed to {new!r}"
        )
        return new

    if isinstance(name, pulumi.Output):
        return name.apply(rewrite)
    return rewrite(name)


def _refuse_retention(ctx: StackContext, args: pulumi.ResourceTransformationArgs) -> None:
    opts = args.opts
    for option in ("protect", "retain_on_delete"):
        if getattr(opts, option, None):
            raise ConfigError(
                f"Resource '{args.name}' ({args.type_}) sets {option}=True, but this stack's "
                f"usage is {ctx.usage}: only PRODUCTION stacks may keep resources beyond "
                f"`pulumi destroy`. Remove {option}, or deploy with groundwork:usage PRODUCTION."
            )


def _make_deletable(args: pulumi.ResourceTransformationArgs, props: dict[str, Any]) -> None:
    accepted = accepted_properties(type(args.resource))
    for prop, wanted in DELETABLE_SETTINGS.items():
        if prop not in accepted:
            continue
        if prop == "deletion_protection" and args.type_ in STRING_DELETION_PROTECTION:
            wanted = STRING_DELETION_PROTECTION[args.type_]
        current = props.get(prop)
        if current is not None and current != wanted and not isinstance(current, pulumi.Output):
            pulumi.log.warn(
                f"Resource '{args.name}': {prop}={current!r} overridden to {wanted!r} "
                "because the stack is not PRODUCTION and must stay deletable"
            )
        props[prop] = wanted


def _role_boundary(args: pulumi.ResourceTransformationArgs, props: dict[str, Any], boundary: Any,
                   configured: str) -> None:
    """Every role carries the stack's boundary; a role that sets another one is refused."""
    current = props.get("permissions_boundary")
    if current is None:
        props["permissions_boundary"] = boundary
        return
    same = current == configured if configured.startswith("arn:") else (
        isinstance(current, str) and current.split(":")[-1] == f"policy/{configured}")
    if isinstance(current, str) and not same:
        raise ConfigError(
            f"Resource '{args.name}' ({args.type_}) sets permissions_boundary={current!r}, but every role of "
            f"this stack must carry {NAMESPACE}:roleBoundary ({configured}): the bootstrap's deploy role may "
            "create only roles with that boundary. Remove permissions_boundary from the resource."
        )


def boundary_arn(ctx: StackContext) -> pulumi.Input[str] | None:
    """``groundwork:roleBoundary`` as an ARN: as given, or the name in the deploying account."""
    if ctx.role_boundary is None or ctx.role_boundary.startswith("arn:"):
        return ctx.role_boundary
    account = aws.get_caller_identity_output().account_id
    partition = aws.get_partition_output().partition
    return pulumi.Output.all(account, partition).apply(lambda a: ctx.role_boundary_arn(a[0], a[1]))


def conventions_transformation(
    ctx: StackContext, boundary: pulumi.Input[str] | None = None,
) -> Callable[[pulumi.ResourceTransformationArgs], pulumi.ResourceTransformationResult | None]:
    """The transformation enforcing the stack conventions for ``ctx``; ``boundary`` for its roles
    (default: ``groundwork:roleBoundary`` as an ARN, looked up when the first role is declared)."""
    tags = ctx.tags
    looked_up: list[pulumi.Input[str] | None] = []

    def role_boundary() -> pulumi.Input[str] | None:
        if boundary is not None:
            return boundary
        if not looked_up:
            looked_up.append(boundary_arn(ctx))
        return looked_up[0]

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not ctx.is_production:
            _refuse_retention(ctx, args)
        if not isinstance(args.resource, pulumi.CustomResource) or not args.type_.startswith("aws:"):
            return None
        props = dict(args.props)
        shape = tags_shape(type(args.resource))
        if shape == TAG_MAP:
            props["tags"] = merge_tags(tags, props.get("tags"))
        elif shape == TAG_LIST:
            props["tags"] = merge_tag_list(tags, props.get("tags"))
        if args.type_ == SSM_PARAMETER:
            props["name"] = _ssm_name(ctx, args.name, props.get("name"))
        if args.type_ == IAM_ROLE and ctx.role_boundary:
            _role_boundary(args, props, role_boundary(), ctx.role_boundary)
        if not ctx.is_production:
            _make_deletable(args, props)
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transform


def with_conventions(ctx: StackContext, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """``opts`` of a component plus the conventions of ``ctx`` for all its children.

    Every library component passes its options through this, so its resources carry the context tags
    (and the other conventions) in any program, with or without the stack transformation below.
    Applying both is harmless: each convention leaves a resource that already follows it unchanged.
    """
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[conventions_transformation(ctx)]))


def apply_conventions(ctx: StackContext) -> None:
    """Register the conventions for every resource declared after this call (the app's own resources
    included; the library's components apply them to their children themselves)."""
    pulumi.runtime.register_stack_transformation(conventions_transformation(ctx, boundary_arn(ctx)))
