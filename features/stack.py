"""The types every feature is written against: ``Stack`` (what a feature knows of its stack) and
``Feature`` (a config key and two phases with explicit inputs and outputs).

Kept apart from ``features.program`` (the composition) so feature modules can name these types
without importing the composition that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from groundwork.context import StackContext

from features.settings import StackSecrets

InputsT = TypeVar("InputsT")
PlanT = TypeVar("PlanT")
OutputT = TypeVar("OutputT")


@dataclass(frozen=True)
class Stack:
    """What a feature knows of the stack it is declared in, read once by the composition.

    ``region`` is the AWS provider's region (``aws:region``, else the environment); ``secrets``
    reads the secret config keys a feature's settings name. Features read no ``pulumi.Config``.
    """

    context: StackContext
    project: str
    name: str
    region: str | None
    secrets: StackSecrets


@dataclass(frozen=True)
class Feature(Generic[InputsT, PlanT, OutputT]):
    """One feature of the platform, switched on by ``groundwork:<key>``.

    ``check(stack, settings, inputs)`` (phase 1) validates the raw settings against what earlier
    features planned and returns the feature's plan without declaring anything;
    ``declare(stack, plan, inputs)`` (phase 2) declares that plan's resources against what earlier
    features declared and returns what it built. ``inputs`` is the feature's own typed view of the
    features before it (e.g. ``OrgSource``), built explicitly by ``features.program``.
    """

    key: str
    check: Callable[[Stack, object, InputsT], PlanT]
    declare: Callable[[Stack, PlanT, InputsT], OutputT]

    def build(self, stack: Stack, settings: object, inputs: InputsT) -> OutputT:
        """Both phases for this feature alone (tests, and programs that want one feature)."""
        return self.declare(stack, self.check(stack, settings, inputs), inputs)
