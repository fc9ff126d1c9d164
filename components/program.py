"""Builds the platform for one stack from its config: the body of ``__main__.py``.

Each feature is switched on by its key under the ``groundwork`` config namespace and lives in
its own module with a ``build(program, settings)`` function, so features never edit each other.
Features run in the order listed: later ones may use what earlier ones published in
``Program.shared`` (e.g. the organization's account ids for SSO assignments, or the stack's event
buses as the target of a pipe).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.context import NAMESPACE, StackContext, load_context
from components.conventions import apply_conventions

# config key -> module with build(program, settings); order matters.
FEATURES: list[tuple[str, str]] = [
    ("org", "components.organization.program"),
    ("mail", "components.mail.program"),
    ("sso", "components.sso.program"),
    ("bootstrap", "components.bootstrap.program"),
    ("eventBuses", "components.buses.program"),  # before pipes: a pipe may target one of these buses
    ("pipes", "components.pipes.program"),
    ("fanouts", "components.fanout.program"),
]


@dataclass
class Program:
    """What every feature builder receives: the validated context and shared results."""

    context: StackContext
    config: pulumi.Config
    project: str
    stack: str
    shared: dict[str, Any] = field(default_factory=dict)


def build() -> Program:
    """Validate config, apply conventions, then build every feature the stack enables."""
    config = pulumi.Config(NAMESPACE)
    ctx = load_context(config)
    apply_conventions(ctx)
    program = Program(ctx, config, pulumi.get_project(), pulumi.get_stack())
    for key, module_name in FEATURES:
        settings = config.get_object(key)
        if settings is None:
            continue
        module = importlib.import_module(module_name)
        module.build(program, settings)
    if ctx.is_ephemeral:
        _build_teardown(program)
    pulumi.export("context", ctx.tags)
    return program


def _build_teardown(program: Program) -> None:
    from components.lifecycle import EphemeralTeardown, TeardownArgs, TeardownSettings

    settings = TeardownSettings.from_config(program.config.get_object("teardown"))
    teardown = EphemeralTeardown(
        "teardown",
        TeardownArgs(context=program.context, settings=settings,
                     project=program.project, stack=program.stack),
    )
    pulumi.export("expiresAt", teardown.expires_at)
