"""``groundwork:mail``: every vended account gets ``<account>@<mail domain>``, forwarded to its owner.

Example (Pulumi.org.yaml)::

    groundwork:mail:
      zone: {domainName: aws.acme-corp.example}   # or {zoneId: Z0123456789ABCDEFGHIJ}
      catchAll: platform-team@acme-corp.example
      retentionDays: 90

Everything is validated (config, region, org data, routing table) before any resource is declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
from groundwork.context import NAMESPACE
from groundwork.errors import ConfigError
from groundwork.validators import SnsTopicArn
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.mail.domain import CreatedZone, ImportedZone, MailDomain, MailDomainArgs, ZoneChoice
from features.mail.receiving import DEFAULT_VERDICT_ACTIONS, MailReceiving, MailReceivingArgs, VerdictAction
from features.mail.regions import require_receiving_region
from features.mail.routing import ADDRESS, RoutingTable, build_routing_table
from features.organization.source import OrgSource
from features.settings import parse_settings
from features.stack import Feature, Stack

KEY = f"{NAMESPACE}:mail"
ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
DOMAIN_NAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# The table is one S3 object the forwarder reads whole into memory; ~80 bytes per account, so
# 5 MB is tens of thousands of accounts. Anything larger is a mistake in the org data.
ROUTES_MAX_BYTES = 5 * 1024 * 1024
SUBJECT_PREFIX = re.compile(r"^[\x20-\x7e]{1,40}$")


class VerdictSettings(BaseModel):
    """What to do with mail whose SES verdict is FAIL: forward, tag (subject marked) or drop.

    Drops are logged with the S3 location and counted in the ``Dropped`` metric; the raw message
    stays in S3 either way.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    virus: VerdictAction = DEFAULT_VERDICT_ACTIONS["virus"]
    spam: VerdictAction = DEFAULT_VERDICT_ACTIONS["spam"]
    spf: VerdictAction = DEFAULT_VERDICT_ACTIONS["spf"]
    dkim: VerdictAction = DEFAULT_VERDICT_ACTIONS["dkim"]
    dmarc: VerdictAction = DEFAULT_VERDICT_ACTIONS["dmarc"]


class ZoneSettings(BaseModel):
    """Exactly one of ``zoneId`` (import an existing hosted zone) or ``domainName`` (create one)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    zone_id: str | None = Field(default=None, alias="zoneId")
    domain_name: str | None = Field(default=None, alias="domainName")

    @field_validator("zone_id")
    @classmethod
    def _zone_id(cls, value: str | None) -> str | None:
        if value is not None and not ZONE_ID.match(value):
            raise ValueError("must be a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ")
        return value

    @field_validator("domain_name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not DOMAIN_NAME.match(value.lower().rstrip(".")):
            raise ValueError("must be a DNS domain name like aws.example.com")
        return value.lower().rstrip(".") if value else value

    @model_validator(mode="after")
    def _exactly_one(self) -> ZoneSettings:
        if self.zone_id and self.domain_name:
            raise ValueError("give either zoneId (use an existing hosted zone) or domainName (create "
                             "a hosted zone), not both")
        if not self.zone_id and not self.domain_name:
            raise ValueError("give zoneId (use an existing hosted zone) or domainName (create a "
                             "hosted zone for it)")
        return self

    def choice(self) -> ZoneChoice:
        return ImportedZone(self.zone_id) if self.zone_id else CreatedZone(str(self.domain_name))


class MailSettings(BaseModel):
    """The ``groundwork:mail`` object."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    zone: ZoneSettings
    mail_exchange: str | None = Field(default=None, alias="mailExchange",
                                      description="name with the MX record; defaults to the mail domain")
    catch_all: str | None = Field(default=None, alias="catchAll")
    drop_spam: bool = Field(default=False, alias="dropSpam",
                            description="shorthand for verdicts.spam = drop (kept for existing stacks)")
    verdicts: VerdictSettings = Field(default_factory=VerdictSettings)
    subject_prefix: str | None = Field(default=None, alias="subjectPrefix",
                                       description="put before every forwarded subject, e.g. [aws]")
    allowed_sender_domains: list[str] = Field(
        default_factory=list, alias="allowedSenderDomains", max_length=50,
        description="if set, mail to account (root) addresses only from these domains, authenticated")
    routes: dict[str, str | list[str]] = Field(
        default_factory=dict, description="extra rules: local part or '@<mail domain>' -> address(es)")
    retention_days: int = Field(default=90, alias="retentionDays", ge=1, le=3650)
    sender: str | None = Field(default=None, description="verified From address; default forwarder@<domain>")
    org_path: str = Field(default="org", alias="orgPath")
    alarm_topic_arn: SnsTopicArn | None = Field(default=None, alias="alarmTopicArn")

    @field_validator("catch_all", "sender")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not ADDRESS.match(value):
            raise ValueError("must be an email address like name@example.com")
        return value.lower() if value else value

    @field_validator("subject_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and not SUBJECT_PREFIX.match(value):
            raise ValueError("must be 1-40 printable ASCII characters, like [aws]")
        return value

    @field_validator("allowed_sender_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if not DOMAIN_NAME.match(str(d).lower().rstrip("."))]
        if bad:
            raise ValueError(f"{bad} {'is' if len(bad) == 1 else 'are'} not DNS domain names like amazon.com")
        return sorted({d.lower().rstrip(".") for d in value})

    @model_validator(mode="after")
    def _spam_once(self) -> MailSettings:
        if self.drop_spam and "spam" in self.verdicts.model_fields_set and self.verdicts.spam != "drop":
            raise ValueError(f"dropSpam: true contradicts verdicts.spam = {self.verdicts.spam!r}; "
                             "keep only verdicts.spam")
        return self

    def verdict_actions(self) -> dict[str, str]:
        actions = self.verdicts.model_dump()
        if self.drop_spam:
            actions["spam"] = "drop"
        return actions

    @field_validator("mail_exchange")
    @classmethod
    def _exchange(cls, value: str | None) -> str | None:
        if value is not None and not DOMAIN_NAME.match(value.lower().rstrip(".")):
            raise ValueError("must be a DNS domain name like aws.example.com")
        return value.lower().rstrip(".") if value else value

    @classmethod
    def parse(cls, raw: object) -> MailSettings:
        return parse_settings(cls, raw, KEY,
                              shape="an object with at least 'zone' ({domainName: ...} or {zoneId: ...})")


class MailPlan(BaseModel):
    """Everything decided before declaring resources (also handy for tests and plans)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: MailSettings
    region: str
    domain: str
    sender: str
    routing: RoutingTable


def check(stack: Stack, raw_settings: object, org: OrgSource) -> MailPlan:
    """Validate config, region, org data and routing; raise one ConfigError on any problem."""
    settings = MailSettings.parse(raw_settings)
    region = require_receiving_region(stack.region)
    data = org.data_at(settings.org_path)
    domain = data.mail_domain.lower().rstrip(".")
    problems = []
    if settings.mail_exchange and settings.mail_exchange != domain:
        problems.append(
            f"{KEY}.mailExchange = {settings.mail_exchange!r}: accounts receive mail as "
            f"<account>@{domain} (org mailDomain), so the MX record must be on {domain}; leave "
            "mailExchange out or set it to the mail domain"
        )
    zone = settings.zone
    if zone.domain_name and domain != zone.domain_name and not domain.endswith("." + zone.domain_name):
        problems.append(
            f"{KEY}.zone.domainName = {zone.domain_name!r}: the mail domain {domain} is not that domain "
            "or a subdomain of it, so its records cannot live in that hosted zone"
        )
    sender = settings.sender or f"forwarder@{domain}"
    if sender.rpartition("@")[2] != domain:
        problems.append(f"{KEY}.sender = {sender!r}: must be an address on {domain}, the domain SES "
                        "verifies for this stack (SES only sends from verified identities)")
    if problems:
        raise ConfigError("Invalid stack config:\n" + "\n".join(problems))
    routing = build_routing_table(data, settings.catch_all, settings.routes)
    size = len(routing.to_json().encode())
    if size > ROUTES_MAX_BYTES:
        raise ConfigError(
            f"Invalid mail routing:\nthe routing table is {size} bytes, more than the {ROUTES_MAX_BYTES} "
            "the forwarder loads; shorten owner lists or split the accounts across mail domains"
        )
    return MailPlan(settings=settings, region=region, domain=domain, sender=sender, routing=routing)


@dataclass(frozen=True)
class Mail:
    """What ``groundwork:mail`` declared: the mail domain (zone and records) and the receiving pipeline."""

    domain: MailDomain
    receiving: MailReceiving


def declare(stack: Stack, decided: MailPlan, org: OrgSource) -> Mail:
    """Declare the mail domain and the receiving pipeline for ``groundwork:mail``."""
    ctx = stack.context
    zone_parameter = f"{ctx.ssm_prefix}mail/{decided.domain}/hostedzone/id"
    mail_domain = MailDomain("mail-domain", MailDomainArgs(
        zone=decided.settings.zone.choice(),
        mail_exchange=decided.domain,
        region=decided.region,
        zone_id_parameter=zone_parameter,
    ))
    receiving = MailReceiving("mail", MailReceivingArgs(
        context=ctx,
        domains=[decided.domain],
        region=decided.region,
        sender=decided.sender,
        routes_json=decided.routing.to_json(),
        retention_days=decided.settings.retention_days,
        verdict_actions=decided.settings.verdict_actions(),
        subject_prefix=decided.settings.subject_prefix or "",
        allowed_sender_domains=decided.settings.allowed_sender_domains,
        alarm_actions=[decided.settings.alarm_topic_arn] if decided.settings.alarm_topic_arn else [],
    ), opts=pulumi.ResourceOptions(depends_on=[mail_domain]))
    pulumi.export("mail", {
        "domain": decided.domain,
        "sender": decided.sender,
        "zoneId": mail_domain.zone_id,
        "nameServers": mail_domain.name_servers,
        "rawMailBucket": receiving.bucket.bucket,
        "mailboxes": {address: targets for address, targets in decided.routing.routes.items()},
    })
    return Mail(mail_domain, receiving)


FEATURE: Feature[OrgSource, MailPlan, Mail] = Feature("mail", check, declare)
