"""The AWS Organization built from the data under ``org/``: OUs, vended accounts, SCPs, account ids."""

from components.organization.component import Organization, OrganizationArgs
from components.organization.settings import OrgSettings

__all__ = ["OrgSettings", "Organization", "OrganizationArgs"]
