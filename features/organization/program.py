"""``groundwork:org``: build the organization of the management stack from the data under ``org/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from groundwork.errors import ConfigError

from features.organization.component import Organization, OrganizationArgs
from features.organization.settings import OrgSettings
from features.stack import Program
from org.inputs import load_org_data

RAM_PRINCIPAL = "ram.amazonaws.com"


@dataclass(frozen=True)
class OrgPlan:
    """The checked settings and org data, ready to declare."""

    settings: OrgSettings
    data: Any


def prepare(program: Program, settings: object) -> OrgPlan:
    """Validate settings and every org file; declare nothing.

    Publishes ``program.shared.org_data`` (the validated :class:`org.model.OrgData`) and
    ``program.shared.org_names`` (the account names and OU paths the component will publish ids
    for) so the checks of later features can use them.
    """
    org_settings = OrgSettings.from_config(settings)
    data = load_org_data(program, org_settings.root, "Invalid org data (run `python -m org validate`):")
    program.shared.org_data = data
    program.shared.org_names = {"account_ids": [account.name for account in data.accounts],
                                 "ou_ids": list(data.ou_paths)}
    if org_settings.share_account_ids and RAM_PRINCIPAL not in data.spec.service_principals:
        raise ConfigError(
            "Invalid stack config:\ngroundwork:org.shareAccountIds = True: sharing with the organization "
            f"needs trusted access for RAM; add {RAM_PRINCIPAL} to servicePrincipals in organization.yaml"
        )
    return OrgPlan(org_settings, data)


def declare(program: Program, plan: OrgPlan) -> Organization:
    """Declare the organization and publish it as ``program.shared.organization``.

    The component has ``account_ids``, ``ou_ids`` and ``root_id``.
    """
    organization = Organization(
        "org",
        OrganizationArgs(
            context=program.context,
            data=plan.data,
            batch_size=plan.settings.account_creation_batch_size,
            close_on_deletion=plan.settings.close_on_deletion,
            share_account_ids=plan.settings.share_account_ids,
            publish_account_ids=plan.settings.publish_account_ids,
        ),
    )
    program.shared.org_data = plan.data
    program.shared.organization = organization
    pulumi.export("rootId", organization.root_id)
    pulumi.export("ouIds", organization.ou_ids)
    pulumi.export("accountIds", organization.account_ids)
    return organization


def build(program: Program, settings: object) -> Organization:
    """Check, then declare ``groundwork:org`` alone (the program runs the two phases for all features)."""
    return declare(program, prepare(program, settings))
