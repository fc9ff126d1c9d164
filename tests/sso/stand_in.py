"""The example org of org/ as the real OrgData (org.model) the features read, and a stand-in for
the organization component's ids (program.shared.organization)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pulumi

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


class StandInOrganization(pulumi.ComponentResource):
    """What the org feature publishes as program.shared.organization (ids as Outputs)."""

    def __init__(self) -> None:
        super().__init__("groundwork:test:StandInOrganization", "organization")
        self.account_ids = {k: pulumi.Output.from_input(v) for k, v in EXAMPLE_ACCOUNT_IDS.items()}
        self.ou_ids = {k: pulumi.Output.from_input(v) for k, v in EXAMPLE_OU_IDS.items()}
        self.root_id = pulumi.Output.from_input("r-ab12")
        self.register_outputs({})


def publish_org(program, org: OrgData | None = None, with_component: bool = True) -> None:
    """Put the example org (and, optionally, its component's ids) where the org feature would."""
    program.shared.org_data = org or example_org()
    if with_component:
        program.shared.organization = StandInOrganization()
