"""``groundwork:org``: build the organization of the management stack from the data under ``org/``."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from groundwork.errors import ConfigError

from features.organization.component import Organization, OrganizationArgs
from features.organization.settings import OrgSettings
from features.stack import Feature, Stack
from org.inputs import OrgDataLoads
from org.model import OrgData

RAM_PRINCIPAL = "ram.amazonaws.com"


@dataclass(frozen=True)
class OrgPlan:
    """The checked settings and org data, ready to declare."""

    settings: OrgSettings
    data: OrgData


def check(stack: Stack, settings: object, loads: OrgDataLoads) -> OrgPlan:
    """Validate settings and every org file; declare nothing. The plan's data is what the checks
    of later features read (see ``OrgSource.while_checking``)."""
    org_settings = OrgSettings.from_config(settings)
    data = loads.load(org_settings.root, "Invalid org data (run `python -m org validate`):")
    if org_settings.share_account_ids and RAM_PRINCIPAL not in data.spec.service_principals:
        raise ConfigError(
            "Invalid stack config:\ngroundwork:org.shareAccountIds = True: sharing with the organization "
            f"needs trusted access for RAM; add {RAM_PRINCIPAL} to servicePrincipals in organization.yaml"
        )
    return OrgPlan(org_settings, data)


def declare(stack: Stack, plan: OrgPlan, loads: OrgDataLoads) -> Organization:
    """Declare the organization; its ``account_ids``, ``ou_ids`` and ``root_id`` are what later
    features get (see ``OrgSource.declared``)."""
    organization = Organization(
        "org",
        OrganizationArgs(
            context=stack.context,
            data=plan.data,
            batch_size=plan.settings.account_creation_batch_size,
            close_on_deletion=plan.settings.close_on_deletion,
            share_account_ids=plan.settings.share_account_ids,
            publish_account_ids=plan.settings.publish_account_ids,
        ),
    )
    pulumi.export("rootId", organization.root_id)
    pulumi.export("ouIds", organization.ou_ids)
    pulumi.export("accountIds", organization.account_ids)
    return organization


FEATURE: Feature[OrgDataLoads, OrgPlan, Organization] = Feature("org", check, declare)
