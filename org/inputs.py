"""The org data as the features of one program run read it: each org folder loaded once, and the
checks every org-reading feature shares (ids resolved by name, trusted access for a service).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pulumi
from groundwork.errors import ConfigError, NotCheckedError

from org.loader import OrgValidationError, load_org
from org.model import OrgData


class OrgDataLoads:
    """The org folders one program run has loaded, by resolved path: the data or its problems.

    The first failure is a ConfigError with every problem; a later feature reading the same
    invalid folder gets a one-line :class:`NotCheckedError` instead of the same list again.
    """

    def __init__(self) -> None:
        self._loaded: dict[Path, OrgData | list[str]] = {}

    def load(self, org_path: str | Path, header: str = "Invalid org data:") -> OrgData:
        """The validated org data at ``org_path``."""
        where = Path(org_path).resolve()
        known = self._loaded.get(where)
        if isinstance(known, list):
            raise NotCheckedError(f"not checked: the org data in {Path(org_path).as_posix()!r} is invalid "
                                  "(see its problems above)")
        if known is not None:
            return known
        try:
            data = load_org(Path(org_path))
        except OrgValidationError as error:
            self._loaded[where] = list(error.problems)
            raise ConfigError(f"{header}\n" + "\n".join(error.problems)) from None
        self._loaded[where] = data
        return data


def resolve_ids(kind: str, needed: Iterable[str], published: Mapping[str, pulumi.Input[str]] | None,
                configured: Mapping[str, str], config_key: str) -> dict[str, pulumi.Input[str]]:
    """Ids by name from the organization component, else from config; ConfigError naming what is missing."""
    ids: dict[str, pulumi.Input[str]] = dict(configured)
    ids.update(published or {})
    missing = sorted(set(needed) - set(ids))
    if missing:
        source = "the org feature is not in this stack and " if published is None else ""
        raise ConfigError(
            f"Invalid stack config:\n{config_key}: no {kind} id for {', '.join(missing)}: "
            f"{source}{config_key} must map each of them to its id"
        )
    return ids


def require_trusted_access(org: OrgData, principal: str, feature: str) -> None:
    """Refuse a feature whose service the organization has no trusted access for."""
    if principal not in org.spec.service_principals:
        raise ConfigError(
            f"Invalid org data:\n{Path(org.root).as_posix()}/organization.yaml: "
            f"servicePrincipals: {feature} needs trusted access for {principal!r}; add it to the list"
        )
