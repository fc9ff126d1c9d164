"""The mail domain in DNS and SES: hosted zone, MX to SES inbound SMTP, domain identity and DKIM.

The hosted zone is either imported by id (the company already runs it) or created for a domain
name; the two cases are separate types so a config can never mean both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from groundwork.errors import ConfigError

from features.mail.regions import inbound_smtp_endpoint

DKIM_RECORDS = 3  # SES Easy DKIM always issues three tokens
RECORD_TTL = 600


@dataclass(frozen=True)
class ImportedZone:
    """Use an existing Route 53 public hosted zone (it is not managed by this stack)."""

    zone_id: str


@dataclass(frozen=True)
class CreatedZone:
    """Create a public hosted zone for ``domain_name`` (delegate its name servers afterwards)."""

    domain_name: str


ZoneChoice = ImportedZone | CreatedZone


@dataclass(frozen=True)
class MailDomainArgs:
    """Inputs of :class:`MailDomain`.

    ``mail_exchange`` is the name that receives mail (the zone's domain or a subdomain of it);
    it gets the MX record and becomes the SES domain identity. ``region`` must be an SES
    receiving region. ``zone_id_parameter`` (optional) publishes the id of a created zone.
    """

    zone: ZoneChoice
    mail_exchange: str
    region: str
    zone_id_parameter: str | None = None


class MailDomain(pulumi.ComponentResource):
    """A domain that SES receives and sends mail for, with every DNS record it needs."""

    def __init__(self, name: str, args: MailDomainArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        _check(args)
        super().__init__("groundwork:mail:MailDomain", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        domain = args.mail_exchange.lower()
        self.domain = domain
        self.zone: aws.route53.Zone | None = None
        self.zone_id_parameter: aws.ssm.Parameter | None = None
        if isinstance(args.zone, CreatedZone):
            self.zone = aws.route53.Zone(
                f"{name}-zone",
                name=args.zone.domain_name.lower(),
                comment="Mail domain for account mailboxes (managed by Groundwork)",
                opts=child,
            )
            self.zone_id: pulumi.Output[str] = self.zone.zone_id
            self.name_servers: pulumi.Output[list[str]] | None = self.zone.name_servers
            if args.zone_id_parameter:
                self.zone_id_parameter = aws.ssm.Parameter(
                    f"{name}-zone-id",
                    name=args.zone_id_parameter,
                    type="String",
                    value=self.zone.zone_id,
                    description=f"Route 53 hosted zone id of {args.zone.domain_name}",
                    opts=child,
                )
        else:
            self.zone_id = pulumi.Output.from_input(args.zone.zone_id)
            self.name_servers = None

        self.inbound_endpoint = inbound_smtp_endpoint(args.region)
        self.mx_record = aws.route53.Record(
            f"{name}-mx",
            zone_id=self.zone_id,
            name=domain,
            type="MX",
            ttl=RECORD_TTL,
            records=[f"10 {self.inbound_endpoint}"],
            opts=child,
        )
        self.identity = aws.ses.DomainIdentity(f"{name}-identity", domain=domain, opts=child)
        self.verification_record = aws.route53.Record(
            f"{name}-verification",
            zone_id=self.zone_id,
            name=f"_amazonses.{domain}",
            type="TXT",
            ttl=RECORD_TTL,
            records=[self.identity.verification_token],
            opts=child,
        )
        self.dkim = aws.ses.DomainDkim(f"{name}-dkim", domain=self.identity.domain, opts=child)
        self.dkim_records = [
            aws.route53.Record(
                f"{name}-dkim-{index}",
                zone_id=self.zone_id,
                name=self.dkim.dkim_tokens.apply(lambda tokens, i=index: f"{tokens[i]}._domainkey.{domain}"),
                type="CNAME",
                ttl=RECORD_TTL,
                records=[self.dkim.dkim_tokens.apply(lambda tokens, i=index: f"{tokens[i]}.dkim.amazonses.com")],
                opts=child,
            )
            for index in range(DKIM_RECORDS)
        ]
        self.identity_arn = self.identity.arn
        self.register_outputs({
            "domain": domain,
            "zoneId": self.zone_id,
            "identityArn": self.identity.arn,
            "inboundEndpoint": self.inbound_endpoint,
            "nameServers": self.name_servers,
        })


def _check(args: MailDomainArgs) -> None:
    """Refuse a mail-exchange name outside the zone before anything is declared."""
    if isinstance(args.zone, CreatedZone):
        zone_name = args.zone.domain_name.lower().rstrip(".")
        exchange = args.mail_exchange.lower().rstrip(".")
        if exchange != zone_name and not exchange.endswith("." + zone_name):
            raise ConfigError(
                f"Invalid mail domain:\nmail exchange {exchange!r} is not {zone_name!r} or a subdomain "
                "of it, so its MX record cannot live in that hosted zone"
            )
    inbound_smtp_endpoint(args.region)  # refuses non-receiving regions
