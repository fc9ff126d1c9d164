"""The example org of org/ as the real OrgData (org.model) the features read, and a stand-in for
the ids the declared organization gives later features (an ``OrgSource``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pulumi

from features.organization.source import OrgSource
from org.inputs import OrgDataLoads
from org.loader import load_org
from org.model import OrgData

ORG = Path(__file__).resolve().parents[2] / "org"
EXAMPLE_OUS = ["Security", "Infrastructure", "Workloads", "Workloads/Prod", "Workloads/NonProd", "Sandbox"]


def example_org(*, extra_ous: tuple[str, ...] = (), extra_accounts: tuple[tuple[str, str], ...] = (),
                **bootstrap: bool) -> OrgData:
    """The example org loaded from org/, every account bootstrapped unless ``name=False`` opts it out;
    ``extra_ous``/``extra_accounts`` ((name, OU) pairs) add nested OUs and accounts to it."""
    org = load_org(ORG)
    assert org.ou_paths == EXAMPLE_OUS  # the ids below are keyed by these
    template = org.accounts[0]
    accounts = [*org.accounts, *(dataclasses.replace(template, name=name, ou=ou, email=f"{name}@{org.mail_domain}",
                                                     source=Path("org/accounts") / f"{name}.yaml")
                                 for name, ou in extra_accounts)]
    accounts = [dataclasses.replace(a, bootstrap=bootstrap.get(a.name.replace("-", "_"), True)) for a in accounts]
    return OrgData(spec=org.spec, accounts=accounts, ou_paths=[*org.ou_paths, *extra_ous], scps=org.scps,
                   root=org.root)


EXAMPLE_ACCOUNT_IDS = {
    "log-archive": "111111111111",
    "security-audit": "222222222222",
    "shared-services": "333333333333",
    "orders-prod": "444444444444",
    "orders-dev": "555555555555",
}
EXAMPLE_OU_IDS = {path: f"ou-ab12-{index:08d}" for index, path in enumerate(EXAMPLE_OUS)}


def org_source(org: OrgData | None = None, with_ids: bool = True) -> OrgSource:
    """The example org as the org feature of the stack gives it to later features once declared
    (its ids as Outputs), or only its data (``with_ids=False``: ids come from the feature's config)."""
    data = org or example_org()
    if not with_ids:
        return OrgSource(OrgDataLoads(), data)
    return OrgSource(OrgDataLoads(), data,
                     account_ids={k: pulumi.Output.from_input(v) for k, v in EXAMPLE_ACCOUNT_IDS.items()},
                     ou_ids={k: pulumi.Output.from_input(v) for k, v in EXAMPLE_OU_IDS.items()})
