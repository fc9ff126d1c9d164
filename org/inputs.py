"""What the SSO, bootstrap and mail features need from the organization: its data and the AWS ids.

When the org feature runs in the same stack it has published both in ``program.shared`` (the
data and the account/OU names while checking, the component with the ids when declaring);
otherwise the data is loaded from the org folder and the ids come from the feature's config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi
from groundwork.errors import ConfigError, NotCheckedError

from org.loader import OrgValidationError, load_org


def org_data(program: Any, org_path: str) -> Any:
    """The validated org data: the org feature's, or loaded from ``org_path``."""
    shared = program.shared.org_data
    if shared is not None:
        return shared
    return load_org_data(program, org_path)


def load_org_data(program: Any, org_path: str, header: str = "Invalid org data:") -> Any:
    """The org data at ``org_path``, loaded once per program run.

    The first failure is a ConfigError with every problem; a later feature reading the same
    invalid folder gets a one-line :class:`NotCheckedError` instead of the same list again.
    """
    loads: dict[Path, Any] = program.shared.org_data_loads
    where = Path(org_path).resolve()
    if where in loads:
        if isinstance(loads[where], list):
            raise NotCheckedError(f"not checked: the org data in {Path(org_path).as_posix()!r} is invalid "
                             "(see its problems above)")
        return loads[where]
    try:
        data = load_org(Path(org_path))
    except OrgValidationError as error:
        loads[where] = list(error.problems)
        raise ConfigError(f"{header}\n" + "\n".join(error.problems)) from None
    loads[where] = data
    return data




def known_ids(program: Any, attribute: str) -> Mapping[str, pulumi.Input[str]] | None:
    """What the org feature of this stack publishes as ``attribute`` (``account_ids``/``ou_ids``).

    The component's ids when it is declared; while checking, the names it will publish (mapped to
    themselves, enough to check references); None when the org feature is not in this stack.
    """
    organization = program.shared.organization
    if organization is not None:
        return getattr(organization, attribute, None)
    names = program.shared.org_names
    if names is not None:
        return {name: name for name in names[attribute]}
    return None


def org_check_failed(program: Any) -> bool:
    """True when the org feature of this stack failed its checks (its names are unknown)."""
    return "org" in getattr(program, "failed", ()) and program.shared.org_names is None


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


def require_trusted_access(org: Any, principal: str, feature: str) -> None:
    """Refuse to declare a feature whose service the organization has no trusted access for."""
    spec = getattr(org, "spec", None)
    principals = getattr(spec, "service_principals", None)
    if principals is not None and principal not in principals:
        raise ConfigError(
            f"Invalid org data:\n{Path(getattr(org, 'root', 'org')).as_posix()}/organization.yaml: "
            f"servicePrincipals: {feature} needs trusted access for {principal!r}; add it to the list"
        )
