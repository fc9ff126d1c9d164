"""``groundwork:org``: build the organization of the management stack from the data under ``org/``."""

from __future__ import annotations

from typing import Any

import pulumi

from components.errors import ConfigError
from components.organization.component import Organization, OrganizationArgs
from components.organization.settings import OrgSettings
from org.loader import OrgValidationError, load_org

RAM_PRINCIPAL = "ram.amazonaws.com"


def build(program: Any, settings: object) -> Organization:
    """Validate settings and every org file, then declare the organization and publish it.

    Publishes ``program.shared["org_data"]`` (the validated :class:`org.model.OrgData`) and
    ``program.shared["organization"]`` (the component, with ``account_ids``, ``ou_ids``, ``root_id``).
    """
    org_settings = OrgSettings.from_config(settings)
    try:
        data = load_org(org_settings.root)
    except OrgValidationError as error:
        raise ConfigError("Invalid org data (run `python -m org validate`):\n" + "\n".join(error.problems)) from None
    if org_settings.share_account_ids and RAM_PRINCIPAL not in data.spec.service_principals:
        raise ConfigError(
            "Invalid stack config:\ngroundwork:org.shareAccountIds = True: sharing with the organization "
            f"needs trusted access for RAM; add {RAM_PRINCIPAL} to servicePrincipals in organization.yaml"
        )
    organization = Organization(
        "org",
        OrganizationArgs(
            context=program.context,
            data=data,
            batch_size=org_settings.account_creation_batch_size,
            close_on_deletion=org_settings.close_on_deletion,
            share_account_ids=org_settings.share_account_ids,
        ),
    )
    program.shared["org_data"] = data
    program.shared["organization"] = organization
    pulumi.export("rootId", organization.root_id)
    pulumi.export("ouIds", organization.ou_ids)
    pulumi.export("accountIds", organization.account_ids)
    return organization
