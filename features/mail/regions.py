"""Where SES can receive mail: the MX target, the receipt rule set and the forwarder share one region.

SES accepts inbound SMTP only in some of the regions where it sends, and a receipt rule can
invoke only a Lambda function in its own region, so a region outside this list is refused
before anything is declared.
"""

from __future__ import annotations

from groundwork.errors import ConfigError

# AWS regions with an SES email receiving endpoint (inbound-smtp.<region>.amazonaws.com).
# Source: AWS General Reference, "Amazon Simple Email Service endpoints and quotas", table
# "Email Receiving endpoints" (checked 2026-11-24). Its January 2024 version listed us-east-1,
# us-east-2, us-west-2, ca-central-1, eu-west-1, eu-west-2, eu-central-1, ap-northeast-1 and
# ap-southeast-1/2/3 (after the September 2023 "receiving in 7 new regions" launch). The later
# additions here (us-west-1, sa-east-1, eu-west-3, eu-south-1, eu-north-1, ap-northeast-2/3,
# ap-south-1, af-south-1, il-central-1) were confirmed by their inbound-smtp endpoints serving
# as MX targets in public deployments, not by a copy of the current table. Regions without such
# evidence (e.g. me-south-1, ap-east-1, GovCloud, China) are refused; add one once AWS lists it.
SES_RECEIVING_REGIONS: frozenset[str] = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-south-1", "eu-north-1",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "af-south-1", "il-central-1",
})


def inbound_smtp_endpoint(region: str) -> str:
    """The MX target SES receives on in ``region`` (refuses regions without receiving)."""
    require_receiving_region(region)
    return f"inbound-smtp.{region}.amazonaws.com"


def require_receiving_region(region: str | None, *, where: str = "aws:region") -> str:
    """Return ``region`` if SES receives email there; otherwise raise one clear ConfigError."""
    if not region:
        raise ConfigError(
            f"Invalid stack config:\n{where} is required for mail routing: SES email receiving, the "
            "receipt rule set and the forwarder Lambda must all live in one receiving region"
        )
    if region not in SES_RECEIVING_REGIONS:
        raise ConfigError(
            f"Invalid stack config:\n{where} = {region!r}: SES does not receive email in this region "
            "(no inbound-smtp endpoint), and the receipt rule set and forwarder Lambda must be in the "
            f"receiving region. Use one of: {', '.join(sorted(SES_RECEIVING_REGIONS))}"
        )
    return region
