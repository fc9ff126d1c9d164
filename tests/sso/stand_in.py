"""A stand-in for the org contract's OrgData (org.model), shaped like the example org in org/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pulumi


@dataclass
class Account:
    name: str
    ou: str
    bootstrap: bool = True
    owner: str = "platform-team@acme-corp.example"
    purpose: str = "example"
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def email(self) -> str:
        return f"{self.name}@aws.acme-corp.example"

    @property
    def source(self) -> Path:
        return Path("org/accounts") / f"{self.name}.yaml"


@dataclass
class StandInOrg:
    """Has the attributes of the contract's OrgData that the sso and bootstrap features use."""

    accounts: list[Account]
    ou_paths: list[str]
    mail_domain: str = "aws.acme-corp.example"
    root: Path = Path("org")

    def account(self, name: str) -> Account:
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)

    def accounts_under(self, ou_path: str) -> list[Account]:
        return [a for a in self.accounts if a.ou == ou_path or a.ou.startswith(ou_path + "/")]


EXAMPLE_OUS = ["Security", "Infrastructure", "Workloads", "Workloads/Prod", "Workloads/NonProd", "Sandbox"]


def example_org(**bootstrap: bool) -> StandInOrg:
    """The example org: accounts by OU as in org/accounts/; ``name=False`` opts an account out of bootstrap."""
    accounts = [
        Account("log-archive", "Security"),
        Account("orders-dev", "Workloads/NonProd"),
        Account("orders-prod", "Workloads/Prod"),
        Account("security-audit", "Security"),
        Account("shared-services", "Infrastructure"),
    ]
    for account in accounts:
        account.bootstrap = bootstrap.get(account.name.replace("-", "_"), True)
    return StandInOrg(accounts=accounts, ou_paths=list(EXAMPLE_OUS))



EXAMPLE_ACCOUNT_IDS = {
    "log-archive": "111111111111",
    "security-audit": "222222222222",
    "shared-services": "333333333333",
    "orders-prod": "444444444444",
    "orders-dev": "555555555555",
}
EXAMPLE_OU_IDS = {path: f"ou-ab12-{index:08d}" for index, path in enumerate(EXAMPLE_OUS)}


class StandInOrganization(pulumi.ComponentResource):
    """What the org feature publishes as program.shared['organization'] (ids as Outputs)."""

    def __init__(self) -> None:
        super().__init__("groundwork:test:StandInOrganization", "organization")
        self.account_ids = {k: pulumi.Output.from_input(v) for k, v in EXAMPLE_ACCOUNT_IDS.items()}
        self.ou_ids = {k: pulumi.Output.from_input(v) for k, v in EXAMPLE_OU_IDS.items()}
        self.root_id = pulumi.Output.from_input("r-ab12")
        self.register_outputs({})


def publish_org(program, org: StandInOrg | None = None, with_component: bool = True) -> None:
    """Put the stand-in org (and, optionally, its component's ids) where the org feature would."""
    program.shared["org_data"] = org or example_org()
    if with_component:
        program.shared["organization"] = StandInOrganization()
