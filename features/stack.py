"""What the features of one stack share: the validated context and config (``Program``), and the
typed description of a feature (``Feature``): its config key and its two phases.

Kept apart from ``features.program`` (the composition) so feature modules can name these types
without importing the composition that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pulumi
from groundwork.context import StackContext

PlanT = TypeVar("PlanT")
OutputT = TypeVar("OutputT")


@dataclass
class Program:
    """What every feature receives: the validated context, shared results and failed checks.

    ``failed`` holds the keys of features whose checks failed (phase 1), so a later feature can
    skip a cross check that would only repeat that problem.
    """

    context: StackContext
    config: pulumi.Config
    project: str
    stack: str
    shared: dict[str, Any] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Feature(Generic[PlanT, OutputT]):
    """One feature of the platform, switched on by ``groundwork:<key>``.

    ``check`` (phase 1) validates the raw settings and returns the feature's plan without declaring
    anything; ``declare`` (phase 2) declares the resources of that plan and returns what it built.
    """

    key: str
    check: Callable[[Program, Any], PlanT]
    declare: Callable[[Program, PlanT], OutputT]
