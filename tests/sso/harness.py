"""Run the sso/bootstrap features under mocks with the example org as the org feature would give it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
from groundwork.context import NAMESPACE
from groundwork.conventions import apply_conventions

from features.organization.source import OrgSource
from features.program import read_stack
from features.stack import Feature
from org.model import OrgData
from tests.sso.stand_in import org_source


def feature_program(feature: Feature[OrgSource, Any, Any], org: OrgData | None = None,
                    with_component: bool = True) -> Callable[[], Any]:
    """A program body: the stack as the program reads it, conventions, then both phases of
    ``feature`` with the example org (``with_component``: with the declared organization's ids)."""

    def body() -> Any:
        config = pulumi.Config(NAMESPACE)
        stack = read_stack(config)
        apply_conventions(stack.context)
        return feature.build(stack, config.get_object(feature.key), org_source(org, with_component))

    return body
