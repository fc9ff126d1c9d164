"""Reports back what the analyzer protocol delivered, so tests can check the client's encoding."""

import json

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError


def _plain(value):
    """Unwrap the SDK's unknown-checking proxies (without raising on unknowns)."""
    if hasattr(value, "keys"):
        target = value["__target"] if "__target" not in value.keys() else value
        return {k: _plain(v) for k, v in target.items()}
    if hasattr(value, "__len__") and not isinstance(value, str):
        return [_plain(v) for v in value["__target"]]
    return value


def _echo(args, report_violation) -> None:
    raw = args.props["__target"]
    seen = {
        "type": args.resource_type, "name": args.name, "urn": args.urn,
        "protect": args.opts.protect, "parent": args.opts.parent,
        "provider": _plain(args.provider.props) if args.provider else None,
        "stack_tags": dict(args.stack_tags), "config": dict(args.get_config()),
        "stage": pulumi.Config("groundwork").get("stage"), "stack": pulumi.get_stack(),
        "keys": sorted(raw),
    }
    try:
        seen["name_prop"] = args.props.get("name")
    except UnknownValueError as error:
        seen["name_prop"] = f"unknown: {error.message}"
    report_violation(json.dumps(seen, default=str))


def _echo_stack(args, report_violation) -> None:
    report_violation(json.dumps({
        "resources": [[r.resource_type, r.name, r.parent.name if r.parent else None,
                       [d.name for d in r.dependencies]] for r in args.resources]}))


def _tag_it(args):
    props = dict(args.props["__target"])
    props["tags"] = {**props.get("tags", {}), "remediated": "yes"}
    return props


PolicyPack(
    name="echo-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(name="echo", description="echo", validate=_echo,
                                 config_schema=PolicyConfigSchema(properties={"x": {"type": "string"}}),
                                 enforcement_level=EnforcementLevel.MANDATORY),
        StackValidationPolicy(name="echo-stack", description="echo stack", validate=_echo_stack),
        ResourceValidationPolicy(name="tag-it", description="tag it", remediate=_tag_it,
                                 enforcement_level=EnforcementLevel.REMEDIATE),
    ],
)
