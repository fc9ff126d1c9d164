"""The AWS Organization built from the data under ``org/``: OUs, vended accounts, SCPs, account ids."""

from features.organization.component import Organization, OrganizationArgs
from features.organization.settings import OrgSettings

__all__ = ["OrgSettings", "Organization", "OrganizationArgs"]
