"""What the features of one stack share: the validated context and config (``Program``), and the
typed description of a feature (``Feature``): its config key and its two phases.

Kept apart from ``features.program`` (the composition) so feature modules can name these types
without importing the composition that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pulumi
from groundwork.context import StackContext

if TYPE_CHECKING:  # types only: the feature modules import this module
    from groundwork.buses.bus import EventBusPlatform
    from groundwork.fanout.component import CloudEventsFanout

    from features.bootstrap.account_bootstrap import AccountBootstrap
    from features.mail.receiving import MailReceiving
    from features.organization.component import Organization
    from features.sso.identity_center import IdentityCenter
    from org.model import OrgData

PlanT = TypeVar("PlanT")
OutputT = TypeVar("OutputT")


@dataclass
class Shared:
    """What features publish for the features after them, each under a typed name.

    Filled while checking: ``org_data`` and ``org_names`` (the account names and OU paths the
    organization will publish ids for), ``org_data_loads`` (org folders loaded by other features,
    by resolved path: the OrgData or its problems), ``event_bus_names``. Filled while declaring:
    the components (``organization``, ``event_buses``, ...).
    """

    org_data: OrgData | None = None
    org_names: dict[str, list[str]] | None = None
    org_data_loads: dict[Path, Any] = field(default_factory=dict)
    organization: Organization | None = None
    mail_domain: Any = None
    mail: MailReceiving | None = None
    identity_center: IdentityCenter | None = None
    bootstrap: AccountBootstrap | None = None
    event_bus_names: list[str] | None = None
    event_buses: dict[str, EventBusPlatform] | None = None
    fanouts: dict[str, CloudEventsFanout] | None = None


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
    shared: Shared = field(default_factory=Shared)
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
