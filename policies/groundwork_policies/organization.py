"""Organization safety: accounts survive `pulumi destroy` in production, and receive their mail
on the organization's own domain (or keep the root email their account file declares)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies.config import prop, schema
from groundwork_policies.framework import Context, Finding, Resource, by_type, resource_policy, stack_policy
from groundwork_policies.values import UNKNOWN

ACCOUNT = "aws:organizations/account:Account"
# The Organization component lists, as its `declaredEmails` input, the root emails that account
# files declare with `email:` (adopted accounts keep the address they were created with).
DECLARED_EMAILS = "declaredEmails"


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


def check_email_domain(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    """Stack-wide, because the emails declared in account files are an input of the accounts' parent."""
    domain = ctx.settings.get("mailDomain") or ctx.stack.mail_domain
    if not domain:
        return
    declared_by = {r.urn: _declared(r) for r in resources if DECLARED_EMAILS in r.props}
    for resource in by_type(resources, ACCOUNT):
        email = resource.props.get("email")
        if email is UNKNOWN:
            continue
        if isinstance(email, str) and (email.lower().endswith("@" + domain.lower())
                                       or email.lower() in declared_by.get(resource.parent or "", ())):
            continue
        yield Finding(f"account email {email!r} is not on the organization's mail domain {domain} "
                      "(mail to it would not reach the mail routing) and no account file declares it "
                      "with `email:`", resource=resource)


def _declared(resource: Resource) -> frozenset[str]:
    value = resource.props.get(DECLARED_EMAILS)
    return frozenset(e.lower() for e in value if isinstance(e, str)) if isinstance(value, list) else frozenset()


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
        stack_policy(
            name="account-email-domain",
            description="Member account emails are addresses on the organization's mail domain, or the "
                        "root email an adopted account's file declares with `email:`.",
            check=check_email_domain, enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.HIGH,
            config_schema=schema(mailDomain=prop(
                "string", "", "mail domain; defaults to stack config groundwork:org.mailDomain")),
        ),
    ]
