"""Run the sso/bootstrap features under mocks with a stand-in org published as the org feature would."""

from __future__ import annotations

from collections.abc import Callable

import pulumi
from groundwork.context import NAMESPACE, load_context
from groundwork.conventions import apply_conventions

from features.program import Program
from org.model import OrgData
from tests.sso.stand_in import publish_org


def feature_program(key: str, build: Callable, org: OrgData | None = None,
                    with_component: bool = True) -> Callable[[], Program]:
    """A program body: context + conventions, the stand-in org, then ``build(program, settings)``."""

    def body() -> Program:
        config = pulumi.Config(NAMESPACE)
        ctx = load_context(config)
        apply_conventions(ctx)
        program = Program(ctx, config, pulumi.get_project(), pulumi.get_stack())
        publish_org(program, org, with_component)
        build(program, config.get_object(key))
        return program

    return body
