"""Organization safety: accounts survive `pulumi destroy` in production, and receive their mail
on the organization's own domain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import prop, schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy
from groundwork_policies.values import UNKNOWN

ACCOUNT = "aws:organizations/account:Account"


def check_close_on_deletion(resource: Resource, ctx: Context) -> Iterable[Finding]:
    if resource.props.get("closeOnDeletion") is not True or not ctx.stack.is_production:
        return
    for override in ctx.settings.get("overrides") or ():
        if (isinstance(override, Mapping) and override.get("name") in (resource.name, resource.urn)
                and str(override.get("reason") or "").strip()):
            return
    yield Finding("close_on_deletion=True in a PRODUCTION stack: removing the resource would close the "
                  "account (90-day suspension, then permanent). Document an override in this policy's "
                  "config (overrides: [{name, reason}]) if that is really intended")


def check_email_domain(resource: Resource, ctx: Context) -> Iterable[Finding]:
    domain = ctx.settings.get("mailDomain") or ctx.stack.mail_domain
    email = resource.props.get("email")
    if not domain or email is UNKNOWN:
        return
    if not isinstance(email, str) or not email.lower().endswith("@" + domain.lower()):
        yield Finding(f"account email {email!r} is not on the organization's mail domain {domain} "
                      "(mail to it would not reach the mail routing)")


def policies() -> list:
    return [
        resource_policy(
            name="account-close-on-deletion",
            description="Member accounts in PRODUCTION stacks do not set close_on_deletion without a "
                        "documented override.",
            check=check_close_on_deletion, types=[ACCOUNT], enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.CRITICAL,
            config_schema=schema(overrides=prop(
                "array", [], "accounts allowed to close on deletion: {name (or URN), reason}",
                items={"type": "object", "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
                       "required": ["name", "reason"]})),
        ),
        resource_policy(
            name="account-email-domain",
            description="Member account emails are addresses on the organization's mail domain.",
            check=check_email_domain, types=[ACCOUNT], enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH,
            config_schema=schema(mailDomain=prop(
                "string", "", "mail domain; defaults to stack config groundwork:org.mailDomain")),
        ),
    ]
