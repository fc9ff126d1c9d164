"""What the SSO and bootstrap features need from the organization: its data and the AWS ids.

When the org feature runs in the same stack it has published both in ``program.shared``;
otherwise the data is loaded from the org folder and the ids come from the feature's config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pulumi

from components.errors import ConfigError
from org.loader import OrgValidationError, load_org


def org_data(program: Any, org_path: str) -> Any:
    """The validated org data: the org feature's, or loaded from ``org_path``."""
    shared = program.shared.get("org_data")
    if shared is not None:
        return shared
    try:
        return load_org(Path(org_path))
    except OrgValidationError as error:
        raise ConfigError("Invalid org data:\n" + "\n".join(error.problems)) from None


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
