"""The routing table the forwarder uses: each account's address -> its owner's real mailbox(es).

Built at deploy time from the org data, so a new account request file is all it takes to get a
working mailbox. Pure functions only: no Pulumi, no AWS, easy to test and to show in a plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from groundwork.errors import ConfigError, describe_value

ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
OWNER_SEPARATORS = re.compile(r"[,;]")
LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*/=?^_`{|}~.-]{1,64}$")  # no '+': name+tag reaches name


class AccountLike(Protocol):
    name: str
    email: str
    owner: str


class OrgDataLike(Protocol):
    @property
    def mail_domain(self) -> str: ...

    @property
    def accounts(self) -> Sequence[Any]: ...


@dataclass(frozen=True)
class RoutingTable:
    """``routes``: lower-case account address -> owner addresses; ``catch_all`` gets the rest."""

    domain: str
    routes: dict[str, list[str]] = field(default_factory=dict)
    catch_all: str | None = None
    rules: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        """The compact JSON document the forwarder reads (an S3 object; an env var in local tests)."""
        document: dict[str, Any] = {"domain": self.domain, "routes": self.routes, "catchAll": self.catch_all}
        if self.rules:
            document["rules"] = self.rules
        return json.dumps(document, sort_keys=True, separators=(",", ":"))


def on_domain(address: str, domain: str) -> bool:
    """True if ``address`` is on ``domain`` or one of its subdomains (mail to it would loop)."""
    host = address.rpartition("@")[2].lower()
    domain = domain.lower()
    return host == domain or host.endswith("." + domain)


def owner_addresses(owner: str) -> list[str]:
    """Split an owner field into addresses (``a@x.com`` or ``a@x.com, b@y.com``)."""
    return [part.strip() for part in OWNER_SEPARATORS.split(owner) if part.strip()]


def build_routing_table(org: OrgDataLike, catch_all: str | None = None,
                        rules: dict[str, str | list[str]] | None = None) -> RoutingTable:
    """Route every account's address to its owner; refuse anything that would lose or loop mail.

    ``rules`` (``groundwork:mail.routes``) add routes by local part (``postmaster``: any address
    with that local part that is not an account) and by ``@<mail domain>`` (that domain's
    catch-all, before ``catch_all``). Raises one ConfigError listing every problem: an owner that
    is not an email address, an owner, rule target or catch-all on our own mail domain (the
    forwarder would send mail back to itself), a rule key that is neither.
    """
    domain = org.mail_domain.lower()
    problems: list[str] = []
    routes: dict[str, list[str]] = {}
    for account in org.accounts:
        where = str(getattr(account, "source", None) or f"account {account.name}")
        targets = owner_addresses(account.owner or "")
        if not targets:
            problems.append(f"{where}: owner = {describe_value(account.owner)}: must be an email address")
            continue
        for target in targets:
            if not ADDRESS.match(target):
                problems.append(
                    f"{where}: owner = {describe_value(target)}: not an email address the forwarder can "
                    "deliver to (expected name@example.com; several owners are separated by ',')"
                )
            elif on_domain(target, domain):
                problems.append(
                    f"{where}: owner = {target!r} is on the mail domain {domain} itself: mail to the "
                    "account would be forwarded back to SES in a loop; use the owner's real mailbox"
                )
        routes[account.email.lower()] = _unique(t.lower() for t in targets)
    if catch_all is not None:
        if not ADDRESS.match(catch_all):
            problems.append(f"groundwork:mail.catchAll = {describe_value(catch_all)}: must be an email address")
        elif on_domain(catch_all, domain):
            problems.append(
                f"groundwork:mail.catchAll = {catch_all!r} is on the mail domain {domain}: unknown "
                "recipients would be forwarded back to SES in a loop; use a mailbox elsewhere"
            )
    checked_rules = _check_rules(rules or {}, domain, problems)
    if problems:
        raise ConfigError("Invalid mail routing:\n" + "\n".join(problems))
    return RoutingTable(domain=domain, routes=dict(sorted(routes.items())),
                        catch_all=catch_all.lower() if catch_all else None, rules=checked_rules)


def _check_rules(rules: dict[str, str | list[str]], domain: str, problems: list[str]) -> dict[str, list[str]]:
    checked: dict[str, list[str]] = {}
    for key, value in rules.items():
        where = f"groundwork:mail.routes.{key}"
        rule = key.strip().lower()
        if rule.startswith("@"):
            if rule[1:] != domain:
                problems.append(f"{where}: '@domain' rules route the mail domain {domain} only "
                                f"(SES receives nothing else here); use '@{domain}'")
        elif not LOCAL_PART.match(rule):
            problems.append(f"{where}: not a local part (like postmaster) or '@{domain}'; a '+tag' is "
                            "matched without it, so leave it out")
        targets = owner_addresses(value) if isinstance(value, str) else [str(v).strip() for v in value]
        if not targets:
            problems.append(f"{where} = {describe_value(value)}: give one or more email addresses")
        for target in targets:
            if not ADDRESS.match(target):
                problems.append(f"{where} = {describe_value(target)}: must be an email address")
            elif on_domain(target, domain):
                problems.append(f"{where} = {target!r} is on the mail domain {domain}: mail would be "
                                "forwarded back to SES in a loop")
        checked[rule] = _unique(t.lower() for t in targets)
    return dict(sorted(checked.items()))


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)
