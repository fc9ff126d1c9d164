"""How Groundwork policies are written: a check yields findings about plain resources.

A *check* is a function ``(resource | resources, ctx) -> Iterable[Finding]``. The builders here
turn checks into pulumi-policy policies that skip irrelevant types cheaply, unwrap the SDK
proxies (unknowns become :data:`values.UNKNOWN`), merge config defaults, resolve the stack's
context and pass every finding through the waiver rules before reporting it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from groundwork_policies import fastpath, stackinfo, waivers
from groundwork_policies.config import settings
from groundwork_policies.library import LibraryMissing
from groundwork_policies.stackinfo import StackInfo
from groundwork_policies.taggable import default_tags_not_applied
from groundwork_policies.values import UNKNOWN, plain


@dataclass
class Resource:
    """A resource as policies see it: plain inputs (unknowns marked), options and provider.

    ``props`` may be shared by all policies of one request (see fastpath): treat it as read-only.
    """

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    protect: bool = False
    parent: str | None = None
    provider_props: dict[str, Any] | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def tags(self) -> Any:
        """The explicit ``tags`` input: a dict, UNKNOWN, or None."""
        return self.props.get("tags")

    @property
    def default_tags(self) -> dict[str, Any]:
        """Tags the provider adds through ``default_tags`` (a JSON string or an object)."""
        if not self.provider_props:
            return {}
        value = self.provider_props.get("defaultTags")
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return {}
        tags = value.get("tags") if isinstance(value, Mapping) else None
        return dict(tags) if isinstance(tags, Mapping) else {}

    @functools.cached_property
    def effective_tags(self) -> Any:
        """Provider default tags overlaid with the resource's own; UNKNOWN if the map is unknown.

        Default tags are left out for the types the provider does not apply them to
        (``provider_tag_exceptions.json``, e.g. autoscaling groups)."""
        tags = self.tags
        if tags is UNKNOWN:
            return UNKNOWN
        merged = {} if self.type in default_tags_not_applied() else self.default_tags  # a fresh dict
        if isinstance(tags, Mapping):
            merged.update(tags)
        elif isinstance(tags, list):  # [{key, value, ...}] as autoscaling groups take them
            for item in tags:
                if item is UNKNOWN:
                    return UNKNOWN
                if isinstance(item, Mapping) and isinstance(item.get("key"), str):
                    merged[item["key"]] = item.get("value")
        return merged

    def related(self, other: Resource) -> bool:
        """True if this resource depends on ``other`` (directly or through a property)."""
        if other.urn in self.dependencies:
            return True
        return any(other.urn in urns for urns in self.property_dependencies.values())

    @classmethod
    def from_args(cls, args: ResourceValidationArgs) -> Resource:
        return fastpath.memo(cls._from_args, args.props, args)

    @classmethod
    def _from_args(cls, _props: Any, args: ResourceValidationArgs) -> Resource:
        return cls(type=args.resource_type, name=args.name, urn=args.urn, props=fastpath.memo(plain, args.props),
                   protect=bool(args.opts.protect), parent=args.opts.parent,
                   provider_props=fastpath.memo(plain, args.provider.props) if args.provider else None)

    @classmethod
    def from_policy_resource(cls, r: Any) -> Resource:
        return cls(type=r.resource_type, name=r.name, urn=r.urn, props=fastpath.memo(plain, r.props),
                   protect=bool(r.opts.protect), parent=r.parent.urn if r.parent else r.opts.parent,
                   provider_props=fastpath.memo(plain, r.provider.props) if r.provider else None,
                   dependencies=[d.urn for d in r.dependencies],
                   property_dependencies={k: [d.urn for d in v] for k, v in r.property_dependencies.items()})


@dataclass(frozen=True)
class Finding:
    """One violation. ``resource`` is the offender in stack policies; ``check`` names a sub-rule."""

    message: str
    resource: Resource | None = None
    check: str | None = None


@dataclass(frozen=True)
class Context:
    settings: Mapping[str, Any]
    stack: StackInfo
    now: datetime


ResourceCheck = Callable[[Resource, Context], Iterable[Finding]]
StackCheck = Callable[[list[Resource], Context], Iterable[Finding]]


def resource_policy(*, name: str, description: str, check: ResourceCheck | None,
                    enforcement_level: EnforcementLevel, severity: Severity,
                    config_schema: PolicyConfigSchema, types: Iterable[str] | None = None,
                    remediation_steps: str | None = None,
                    remediate: Callable[[ResourceValidationArgs], Any] | None = None) -> ResourceValidationPolicy:
    """A resource policy running ``check`` on resources of ``types`` (all types if None).

    Without ``check`` it is a remediation-only policy (``Analyze`` skips it cheaply).
    """
    wanted = frozenset(types) if types is not None else None

    def validate(args: ResourceValidationArgs, report_violation: Callable[..., None]) -> None:
        if wanted is not None and args.resource_type not in wanted:
            return
        try:
            config = settings(config_schema, args.get_config())
            if args.resource_type in config.get("exemptTypes", ()):
                return
            resource = Resource.from_args(args)
            stack = fastpath.memo(_resource_stack, resource, args.stack_tags)
            ctx = Context(config, stack, datetime.now(UTC))
            for finding in _guarded(check, resource, ctx):
                waivers.report(name, finding, resource, ctx, report_violation, stack_level=False)
        except Exception as error:  # never fail the request: that aborts the whole preview
            report_violation(_could_not_evaluate(error))

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate if check else None, remediate=remediate,
        enforcement_level=enforcement_level, severity=severity, config_schema=config_schema,
        remediation_steps=remediation_steps)


def _guarded(check: Callable[[Any, Context], Iterable[Finding]], subject: Any, ctx: Context) -> list[Finding]:
    """Run a check; an unexpected input shape becomes a finding naming the error, not a failed RPC
    that would abort the whole preview without saying which resource caused it."""
    try:
        return list(check(subject, ctx))
    except Exception as error:
        return [Finding(_could_not_evaluate(error))]


def _could_not_evaluate(error: Exception) -> str:
    if isinstance(error, LibraryMissing):
        return f"policy could not evaluate: {error}"
    return (f"policy could not evaluate this input ({type(error).__name__}: {error}); "
            "please report it to the platform team")


def _resource_stack(resource: Resource, stack_tags: Mapping[str, str]) -> StackInfo:
    return stackinfo.resolve(stack_tags, [resource.effective_tags])


def stack_policy(*, name: str, description: str, check: StackCheck,
                 enforcement_level: EnforcementLevel, severity: Severity,
                 config_schema: PolicyConfigSchema, remediation_steps: str | None = None) -> StackValidationPolicy:
    """A stack policy running ``check`` over every resource of the stack."""

    def validate(args: StackValidationArgs, report_violation: Callable[..., None]) -> None:
        try:
            config = settings(config_schema, args.get_config())
            exempt = set(config.get("exemptTypes", ()))
            resources = [Resource.from_policy_resource(r) for r in args.resources
                         if r.resource_type not in exempt]
            stack = stackinfo.resolve(args.stack_tags, [r.effective_tags for r in resources
                                                        if r.type.startswith("aws:")])
            ctx = Context(config, stack, datetime.now(UTC))
            for finding in _guarded(check, resources, ctx):
                waivers.report(name, finding, finding.resource, ctx, report_violation, stack_level=True)
        except Exception as error:  # never fail the request: that aborts the whole preview
            report_violation(_could_not_evaluate(error))

    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=enforcement_level,
        severity=severity, config_schema=config_schema, remediation_steps=remediation_steps)


def by_type(resources: Iterable[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r.type in types]
