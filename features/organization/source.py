"""The organization as the features after ``groundwork:org`` see it (mail, SSO, bootstrap, buses).

When the org feature is in the same stack, its plan (while checking) or its component (while
declaring) gives the org data and the account/OU ids; otherwise each feature loads the data from
its own ``orgPath`` and takes the ids from its config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from features.organization.component import Organization
from org.inputs import OrgDataLoads
from org.model import OrgData


@dataclass(frozen=True)
class OrgSource:
    """What a feature may use of the organization of its stack.

    ``data``: the org feature's validated data (None: not in this stack, or its check failed).
    ``account_ids``/``ou_ids``: name -> id; while checking, the names the organization will
    publish ids for (mapped to themselves, enough to check references); None when the org feature
    is not in this stack. ``check_failed``: the org feature's own problem is reported already, so
    references to its names are not checked again. ``organization``: the declared component
    (resources that need the organization's trusted access depend on it).
    """

    loads: OrgDataLoads
    data: OrgData | None = None
    account_ids: Mapping[str, pulumi.Input[str]] | None = None
    ou_ids: Mapping[str, pulumi.Input[str]] | None = None
    check_failed: bool = False
    organization: Organization | None = None

    @classmethod
    def while_checking(cls, loads: OrgDataLoads, data: OrgData | None, *, failed: bool) -> OrgSource:
        """Phase 1: the org feature's checked data (None: not enabled, or ``failed``)."""
        if data is None:
            return cls(loads, check_failed=failed)
        return cls(loads, data, {a.name: a.name for a in data.accounts}, {p: p for p in data.ou_paths})

    @classmethod
    def declared(cls, loads: OrgDataLoads, data: OrgData | None, organization: Organization | None) -> OrgSource:
        """Phase 2: the declared organization's ids (None: the org feature is not in this stack)."""
        if organization is None:
            return cls(loads)
        return cls(loads, data, organization.account_ids, organization.ou_ids, organization=organization)

    def data_at(self, org_path: str) -> OrgData:
        """The org feature's data, else the data loaded from the feature's ``orgPath``."""
        return self.data if self.data is not None else self.loads.load(org_path)
