"""Builds the platform for one stack from its config: the body of ``__main__.py``.

Each feature is switched on by its key under the ``groundwork`` config namespace and lives in its
own module (``features/<name>/program.py``, exporting a typed ``FEATURE``). What a feature reads
of the features before it is an explicit, typed input built here: the organization as an
``OrgSource`` for mail, SSO, bootstrap and the buses, the buses as ``BusTargets`` for the pipes.
The program runs in two phases:

1. **Check** (:func:`check_all`): ``feature.check(stack, settings, inputs)`` of every enabled
   feature, in order (then the ``groundwork:teardown`` settings of an EPHEMERAL stack), validates
   settings, org data, cross references, pattern samples, templates and limits without declaring
   anything, and returns the feature's plan. Every ConfigError is collected; if there is any, ONE
   ConfigError with all of them is raised and no resource is declared, so a mistake in a late
   feature never leaves the early features half-applied.
2. **Declare** (:func:`declare_all`): ``feature.declare(stack, plan, inputs)`` of every feature, in
   the same order, declares the resources; the inputs now carry what earlier features declared
   (the organization's account ids for SSO assignments, the buses as a pipe's target).

Before phase 1 every key of the ``groundwork`` namespace must be known (a context key, a feature,
``teardown``, a key the policy pack reads, or a secret key a feature's ``...Config`` setting names):
under the Pulumi CLI the program is the only reader of the stack config, and a misspelled feature
key would otherwise switch the feature off and delete its resources on the next ``pulumi up``.
Features read no ``pulumi.Config`` themselves: their settings, the region and the secrets they
name come from here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
from groundwork.buses.bus import EventBusArgs, EventBusPlatform
from groundwork.context import CONFIG_KEYS, NAMESPACE, StackContext, load_context
from groundwork.conventions import apply_conventions
from groundwork.errors import ConfigError
from groundwork.fanout.component import CloudEventsFanout, CloudEventsFanoutArgs

import features.bootstrap.program as bootstrap
import features.buses.program as buses
import features.fanout.program as fanout
import features.mail.program as mail
import features.organization.program as organization
import features.pipes.program as pipes
import features.sso.program as sso
from features.bootstrap.account_bootstrap import AccountBootstrap
from features.lifecycle import EphemeralTeardown, TeardownArgs, TeardownSettings
from features.organization.component import Organization
from features.organization.source import OrgSource
from features.settings import StackSecrets, config_object, referenced_config_keys, unknown_key_problems
from features.sso.identity_center import IdentityCenter
from features.stack import Feature, Stack
from org.inputs import OrgDataLoads

__all__ = ["FEATURES", "Feature", "Stack", "StackOutputs", "StackPlan", "build", "check_all",
           "check_config_keys", "combine", "declare_all", "read_stack"]

# The features in the order they are checked and declared: a plain list, followed by a reader
# and by tools. Order matters: the organization first (its data and account ids are inputs of
# mail, sso, bootstrap and the buses), the buses before pipes (a pipe may target one of them).
FEATURES: list[Feature[Any, Any, Any]] = [
    organization.FEATURE, mail.FEATURE, sso.FEATURE, bootstrap.FEATURE, buses.FEATURE, pipes.FEATURE,
    fanout.FEATURE,
]
TEARDOWN = "teardown"
# Keys of the groundwork namespace the policy pack reads from the stack config (not the program).
POLICY_KEYS = ("policyWaivers",)
PlanT = TypeVar("PlanT")
InputsT = TypeVar("InputsT")


@dataclass
class StackPlan:
    """Phase 1's result: each enabled feature's checked plan (None: the feature is off)."""

    org: organization.OrgPlan | None = None
    mail: mail.MailPlan | None = None
    sso: sso.SsoPlan | None = None
    bootstrap: bootstrap.BootstrapPlan | None = None
    buses: dict[str, EventBusArgs] | None = None
    pipes: pipes.PipesSettings | None = None
    fanouts: dict[str, CloudEventsFanoutArgs] | None = None
    teardown: TeardownSettings | None = None
    org_loads: OrgDataLoads = field(default_factory=OrgDataLoads)


@dataclass
class StackOutputs:
    """Phase 2's result: what each feature declared (None: the feature is off)."""

    organization: Organization | None = None
    mail: mail.Mail | None = None
    identity_center: IdentityCenter | None = None
    bootstrap: AccountBootstrap | None = None
    event_buses: dict[str, EventBusPlatform] | None = None
    pipes: pipes.PipesPlatform | None = None
    fanouts: dict[str, CloudEventsFanout] | None = None
    teardown: EphemeralTeardown | None = None


def build() -> StackOutputs:
    """Validate the context and every enabled feature, then (only if all is valid) declare."""
    config = pulumi.Config(NAMESPACE)
    stack = read_stack(config)
    apply_conventions(stack.context)  # a stack transformation, not a resource: nothing is declared yet
    outputs = declare_all(stack, check_all(stack, config))
    pulumi.export("context", stack.context.tags)
    return outputs


def read_stack(config: pulumi.Config) -> Stack:
    """What every feature knows of the stack: the context (after every ``groundwork:`` key is
    known), the project and stack names, the AWS region and the secret keys."""
    region = (pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION"))
    return Stack(_checked_context(config), pulumi.get_project(), pulumi.get_stack(), region,
                 StackSecrets(config))


def _checked_context(config: pulumi.Config) -> StackContext:
    """The context, after every ``groundwork:`` key is known; both kinds of problem at once."""
    problems = []
    try:
        check_config_keys(stack_config_values())
    except ConfigError as error:
        problems.append(str(error))
    try:
        context = load_context(config)
    except ConfigError as error:
        problems.append(str(error).removeprefix("Invalid stack config:\n"))
    if problems:
        raise ConfigError("\n".join(problems) if problems[0].startswith("Invalid") else
                          "Invalid stack config:\n" + problems[0])
    return context


class _Checks:
    """Runs the checks of phase 1 and keeps every problem, by config key."""

    def __init__(self, config: pulumi.Config) -> None:
        self.config = config
        self.problems: list[tuple[str, str]] = []

    def run(self, feature: Feature[InputsT, PlanT, Any], stack: Stack, inputs: InputsT) -> PlanT | None:
        """The feature's plan; None when it is off or its check failed (the problem is kept)."""
        try:
            settings = config_object(self.config, feature.key, "an object of the feature's settings (see the docs)")
            if settings is None:
                if self.config.get(feature.key) is not None:  # `groundwork:sso:` with every setting commented out
                    raise ConfigError(f"Invalid stack config:\n{NAMESPACE}:{feature.key} is empty: write {{}} to use "
                                      "the feature with its defaults, or remove the key to turn the feature off")
                return None
            return feature.check(stack, settings, inputs)
        except ConfigError as error:
            self.refuse(feature.key, str(error))
            return None

    def refuse(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def failed(self, feature: Feature[Any, Any, Any]) -> bool:
        """Whether the feature's check reported a problem (later checks skip what would repeat it)."""
        return any(key == feature.key for key, _ in self.problems)


def check_all(stack: Stack, config: pulumi.Config) -> StackPlan:
    """Phase 1: every enabled feature's plan; ONE ConfigError naming every problem."""
    checks = _Checks(config)
    plan = StackPlan()
    loads = plan.org_loads
    plan.org = checks.run(organization.FEATURE, stack, loads)
    org = OrgSource.while_checking(loads, plan.org.data if plan.org else None,
                                   failed=checks.failed(organization.FEATURE))
    plan.mail = checks.run(mail.FEATURE, stack, org)
    plan.sso = checks.run(sso.FEATURE, stack, org)
    plan.bootstrap = checks.run(bootstrap.FEATURE, stack, org)
    plan.buses = checks.run(buses.FEATURE, stack, org)
    bus_targets = buses.BusTargets(list(plan.buses) if plan.buses is not None else None,
                                   check_failed=checks.failed(buses.FEATURE))
    plan.pipes = checks.run(pipes.FEATURE, stack, bus_targets)
    plan.fanouts = checks.run(fanout.FEATURE, stack, None)
    if not stack.context.is_ephemeral and config.get(TEARDOWN) is not None:
        checks.refuse(TEARDOWN, f"Invalid stack config:\n{NAMESPACE}:{TEARDOWN} is set but usage is "
                      f"{stack.context.usage!r}: only an EPHEMERAL stack is torn down, so this stack would "
                      "silently lose its teardown schedule; remove groundwork:teardown (and ttlHours) to keep "
                      "the stack, or set usage back to 'EPHEMERAL'")
    if stack.context.is_ephemeral:
        try:
            plan.teardown = TeardownSettings.from_config(config_object(config, TEARDOWN, "an object (backendUrl, ...)"))
        except ConfigError as error:
            checks.refuse(TEARDOWN, str(error))
    if checks.problems:
        raise ConfigError(combine(checks.problems))
    return plan


def declare_all(stack: Stack, plan: StackPlan) -> StackOutputs:
    """Phase 2: declare every checked plan, in order, each with what the features before it declared."""
    out = StackOutputs()
    loads = plan.org_loads
    if plan.org is not None:
        out.organization = organization.FEATURE.declare(stack, plan.org, loads)
    org = OrgSource.declared(loads, plan.org.data if plan.org else None, out.organization)
    if plan.mail is not None:
        out.mail = mail.FEATURE.declare(stack, plan.mail, org)
    if plan.sso is not None:
        out.identity_center = sso.FEATURE.declare(stack, plan.sso, org)
    if plan.bootstrap is not None:
        out.bootstrap = bootstrap.FEATURE.declare(stack, plan.bootstrap, org)
    if plan.buses is not None:
        out.event_buses = buses.FEATURE.declare(stack, plan.buses, org)
    if plan.pipes is not None:
        bus_targets = buses.BusTargets(list(out.event_buses or {}), buses=out.event_buses or {})
        out.pipes = pipes.FEATURE.declare(stack, plan.pipes, bus_targets)
    if plan.fanouts is not None:
        out.fanouts = fanout.FEATURE.declare(stack, plan.fanouts, None)
    if plan.teardown is not None:
        out.teardown = EphemeralTeardown("teardown", TeardownArgs(
            context=stack.context, settings=plan.teardown, project=stack.project, stack=stack.name))
        pulumi.export("expiresAt", out.teardown.expires_at)
    return out


def stack_config_values() -> dict[str, Any]:
    """Every config key of the stack as the engine passed it to this program (values as given)."""
    values = dict(pulumi.runtime.config.get_config_env())
    values.update(pulumi.runtime.config.CONFIG.get())
    return values


def known_keys(values: dict[str, Any]) -> set[str]:
    """Keys this program reads under ``groundwork:``: context keys, features, teardown, and the
    secret keys that feature settings refer to (``clientSecretConfig: partnerClientSecret``)."""
    known = set(CONFIG_KEYS) | {feature.key for feature in FEATURES} | {TEARDOWN} | set(POLICY_KEYS)
    for feature in FEATURES:
        raw = values.get(f"{NAMESPACE}:{feature.key}")
        if isinstance(raw, str) and raw.strip().startswith("{"):
            try:
                raw = json.loads(raw)
            except ValueError:
                continue  # reported by the feature's own check
        known |= referenced_config_keys(raw)
    return known


def check_config_keys(values: dict[str, Any]) -> None:
    """Refuse every unknown ``groundwork:`` key, before anything is read: a misspelled feature key
    would otherwise switch the feature off and the next ``pulumi up`` would delete its resources."""
    problems = unknown_key_problems(values, known_keys(values), NAMESPACE)
    if problems:
        raise ConfigError("Invalid stack config (the features are checked once these keys are fixed):\n"
                          + "\n".join(problems))


def combine(problems: list[tuple[str, str]]) -> str:
    """One message from (config key, message) pairs: a single one unchanged, else one block per key.

    Identical messages (e.g. two features reading the same invalid org data) are shown once,
    under all the keys that reported them.
    """
    if len(problems) == 1:
        return problems[0][1]
    keys_by_message: dict[str, list[str]] = {}
    for key, message in problems:
        keys_by_message.setdefault(message, []).append(f"{NAMESPACE}:{key}")
    blocks = [", ".join(keys) + ":\n" + _indent(message) for message, keys in keys_by_message.items()]
    features = len({key for key, _ in problems})
    return (f"Invalid input in {features} features of this stack; nothing was declared. Fix all of "
            "these:\n\n" + "\n\n".join(blocks))


def _indent(message: str) -> str:
    return "\n".join("  " + line if line else line for line in message.splitlines())
