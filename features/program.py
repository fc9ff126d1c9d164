"""Builds the platform for one stack from its config: the body of ``__main__.py``.

Each feature is switched on by its key under the ``groundwork`` config namespace and lives in its
own module, so features never edit each other; ``FEATURES`` lists them as typed ``Feature``
objects (config key, check, declare), in order. The program runs in two phases:

1. **Check**: ``feature.check(program, settings)`` of every enabled feature (in the order listed, then
   the ``groundwork:teardown`` settings of an EPHEMERAL stack) validates settings, org data, cross
   references, pattern samples, templates and limits without declaring anything, and returns the
   feature's plan. A feature may publish plain data in ``Program.shared`` (typed: ``features.stack.Shared``) for later checks (the
   loaded org data, the bus names a pipe may target). Every feature's ConfigError is collected;
   if there is any, ONE ConfigError with all of them is raised and no resource is declared, so a
   mistake in a late feature never leaves the early features half-applied.
2. **Declare**: ``feature.declare(program, plan)`` of every feature, in the same order, declares the
   resources. Later features may use what earlier ones published (the organization's account
   ids for SSO assignments, the buses as a pipe's target); only what needs resource outputs is
   resolved here.

``build(program, settings)`` of a feature module runs both phases for that feature alone.

Before phase 1 every key of the ``groundwork`` namespace must be known (a context key, a feature,
``teardown``, a key the policy pack reads, or a secret key a feature's ``...Config`` setting names):
under the Pulumi CLI the program is the only reader of the stack config, and a misspelled feature
key would otherwise switch the feature off and delete its resources on the next ``pulumi up``.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from groundwork.context import CONFIG_KEYS, NAMESPACE, StackContext, load_context
from groundwork.conventions import apply_conventions
from groundwork.errors import ConfigError

import features.bootstrap.program as bootstrap
import features.buses.program as buses
import features.fanout.program as fanout
import features.mail.program as mail
import features.organization.program as organization
import features.pipes.program as pipes
import features.sso.program as sso
from features.settings import config_object, referenced_config_keys, unknown_key_problems
from features.stack import Feature, Program

__all__ = ["FEATURES", "Feature", "Program", "build", "check_config_keys", "combine", "prepare_all"]

# The features in the order they are checked and declared: a plain list, followed by a reader
# and by tools. Order matters: the organization first (its org data and account ids are read by
# mail, sso, bootstrap and the buses), the buses before pipes (a pipe may target one of them).
FEATURES: list[Feature[Any, Any]] = [
    Feature("org", organization.prepare, organization.declare),
    Feature("mail", mail.prepare, mail.declare),
    Feature("sso", sso.prepare, sso.declare),
    Feature("bootstrap", bootstrap.prepare, bootstrap.declare),
    Feature("eventBuses", buses.prepare, buses.declare),
    Feature("pipes", pipes.prepare, pipes.declare),
    Feature("fanouts", fanout.prepare, fanout.declare),
]
TEARDOWN = "teardown"
# Keys of the groundwork namespace the policy pack reads from the stack config (not the program).
POLICY_KEYS = ("policyWaivers",)


def build() -> Program:
    """Validate the context and every enabled feature, then (only if all is valid) declare."""
    config = pulumi.Config(NAMESPACE)
    ctx = _checked_context(config)
    apply_conventions(ctx)  # a stack transformation, not a resource: nothing is declared yet
    program = Program(ctx, config, pulumi.get_project(), pulumi.get_stack())
    plans = prepare_all(program)
    for feature in FEATURES:
        if feature.key in plans:
            feature.declare(program, plans[feature.key])
    if TEARDOWN in plans:
        _declare_teardown(program, plans[TEARDOWN])
    pulumi.export("context", ctx.tags)
    return program


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


def prepare_all(program: Program) -> dict[str, Any]:
    """Phase 1: every enabled feature's plan by config key; ONE ConfigError naming every problem."""
    plans: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for feature in FEATURES:
        key = feature.key
        try:
            settings = config_object(program.config, key, "an object of the feature's settings (see the docs)")
            if settings is None:
                if program.config.get(key) is not None:  # `groundwork:sso:` with every setting commented out
                    raise ConfigError(f"Invalid stack config:\n{NAMESPACE}:{key} is empty: write {{}} to use the "
                                      "feature with its defaults, or remove the key to turn the feature off")
                continue
            plans[key] = feature.check(program, settings)
        except ConfigError as error:
            program.failed.add(key)
            problems.append((key, str(error)))
    if not program.context.is_ephemeral and program.config.get(TEARDOWN) is not None:
        program.failed.add(TEARDOWN)
        problems.append((TEARDOWN, f"Invalid stack config:\n{NAMESPACE}:{TEARDOWN} is set but usage is "
                         f"{program.context.usage!r}: only an EPHEMERAL stack is torn down, so this stack would "
                         "silently lose its teardown schedule; remove groundwork:teardown (and ttlHours) to keep "
                         "the stack, or set usage back to 'EPHEMERAL'"))
    if program.context.is_ephemeral:
        try:
            plans[TEARDOWN] = _prepare_teardown(program)
        except ConfigError as error:
            program.failed.add(TEARDOWN)
            problems.append((TEARDOWN, str(error)))
    if problems:
        raise ConfigError(combine(problems))
    return plans


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


def _prepare_teardown(program: Program) -> Any:
    from features.lifecycle import TeardownSettings

    return TeardownSettings.from_config(config_object(program.config, TEARDOWN, "an object (backendUrl, ...)"))


def _declare_teardown(program: Program, settings: Any) -> None:
    from features.lifecycle import EphemeralTeardown, TeardownArgs

    teardown = EphemeralTeardown(
        "teardown",
        TeardownArgs(context=program.context, settings=settings,
                     project=program.project, stack=program.stack),
    )
    pulumi.export("expiresAt", teardown.expires_at)
