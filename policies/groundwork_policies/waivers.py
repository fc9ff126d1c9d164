"""Waivers: exempt one resource from one named policy, with a reason and an expiry date.

Sources, all carrying a reason and ``expires`` (YYYY-MM-DD, last valid day, UTC):

* a tag on the resource: ``groundwork:waiver:<policy>[/<check>]`` =
  ``<reason> expires=YYYY-MM-DD`` (``;`` may separate them, but most AWS tagging APIs reject
  ``;`` in tag values, so prefer a space);
* the policy's own config: ``waivers: [{urn|name|type, check?, reason, expires}]``;
* the stack config ``groundwork:policyWaivers: [{policy, urn|name|type, reason, expires}]``.

A waived finding is not reported under its policy: it is handed to the advisory
``waived-findings`` policies (which run last), so it stays visible as
``waived: ... (until ...)``. An expired or malformed waiver does not apply; the finding is
reported normally with a note saying why the waiver was ignored.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity, StackValidationPolicy

from groundwork_policies.config import schema

if TYPE_CHECKING:
    from groundwork_policies.framework import Context, Finding, Resource

TAG_PREFIX = "groundwork:waiver:"
_EXPIRES = re.compile(r"(?:^|[\s;,])expires=(\S+)\s*$")
_local = threading.local()


@dataclass(frozen=True)
class Waiver:
    policy: str
    check: str | None
    reason: str
    expires: date | None
    source: str
    problem: str | None = None

    def applies_to(self, policy: str, check: str | None) -> bool:
        return self.policy == policy and (self.check is None or self.check == check)


def _split_policy(text: str) -> tuple[str, str | None]:
    policy, _, check = text.partition("/")
    return policy, check or None


def _expiry(text: Any) -> tuple[date | None, str | None]:
    if not isinstance(text, str) or not text:
        return None, "no expiry date (expires=YYYY-MM-DD)"
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, f"expiry {text!r} is not a YYYY-MM-DD date"


def parse_tag(key: str, value: Any) -> Waiver:
    """A waiver from a ``groundwork:waiver:<policy>`` tag."""
    policy, check = _split_policy(key[len(TAG_PREFIX):])
    source = f"tag {key}"
    if not isinstance(value, str):
        return Waiver(policy, check, "", None, source, "tag value is not known yet")
    match = _EXPIRES.search(value)
    reason = (value[:match.start()] if match else value).strip(" ;,")
    expires, problem = _expiry(match.group(1) if match else None)
    if not reason:
        problem = problem or "no reason given"
    return Waiver(policy, check, reason, expires, source, problem)


def parse_entry(entry: Mapping[str, Any], policy: str | None, source: str) -> Waiver:
    """A waiver from a config entry (``policy`` implied when it is the policy's own config)."""
    name, check = _split_policy(str(entry.get("policy", policy or "")))
    check = entry.get("check") or check
    reason = str(entry.get("reason") or "").strip()
    expires, problem = _expiry(entry.get("expires"))
    if not reason:
        problem = problem or "no reason given"
    return Waiver(name, check, reason, expires, source, problem)


def _matches(entry: Mapping[str, Any], resource: Resource | None) -> bool:
    selectors = {k: entry[k] for k in ("urn", "name", "type") if entry.get(k)}
    if not selectors or resource is None:
        return False
    return all(getattr(resource, key) == value for key, value in selectors.items())


def waivers_for(policy: str, check: str | None, resource: Resource | None, ctx: Context) -> list[Waiver]:
    """Every waiver naming this policy (and check) for this resource, whatever its state."""
    found: list[Waiver] = []
    tags = resource.effective_tags if resource is not None else None
    if isinstance(tags, Mapping):
        for key, value in tags.items():
            if key.startswith(TAG_PREFIX):
                waiver = parse_tag(key, value)
                if waiver.applies_to(policy, check):
                    found.append(waiver)
    for entry in ctx.settings.get("waivers") or ():
        if isinstance(entry, Mapping) and _matches(entry, resource):
            waiver = parse_entry(entry, policy, f"policy config of {policy}")
            if waiver.applies_to(policy, check):
                found.append(waiver)
    for entry in ctx.stack.waivers:
        if _matches(entry, resource):
            waiver = parse_entry(entry, None, "stack config groundwork:policyWaivers")
            if waiver.applies_to(policy, check):
                found.append(waiver)
    return found


def report(policy: str, finding: Finding, resource: Resource | None, ctx: Context,
           report_violation: Callable[..., None], *, stack_level: bool) -> None:
    """Report ``finding`` unless a valid, unexpired waiver covers it (then defer it as waived)."""
    label = f"[{finding.check}] " if finding.check else ""
    notes = []
    today = ctx.now.date()
    for waiver in waivers_for(policy, finding.check, resource, ctx):
        if waiver.problem:
            notes.append(f"waiver from {waiver.source} ignored: {waiver.problem}")
        elif waiver.expires is not None and waiver.expires < today:
            notes.append(f"waiver from {waiver.source} expired on {waiver.expires.isoformat()}")
        else:
            until = waiver.expires.isoformat() if waiver.expires else "?"
            _defer(stack_level, resource.urn if resource is not None else None,
                   f"waived: {policy}: {label}{finding.message} - {waiver.reason} (until {until}, {waiver.source})")
            return
    message = label + finding.message + "".join(f" ({note})" for note in notes)
    urn = finding.resource.urn if stack_level and finding.resource is not None else None
    report_violation(message, urn)


# Waived findings wait here, per gRPC worker thread (one request is served by one thread),
# until the waived-findings policy of the same request reports them.
def _pending(stack_level: bool) -> list[tuple[str | None, str]]:
    attr = "stack" if stack_level else "resource"
    pending = getattr(_local, attr, None)
    if pending is None:
        pending = []
        setattr(_local, attr, pending)
    return pending


def _defer(stack_level: bool, urn: str | None, text: str) -> None:
    _pending(stack_level).append((urn, text))


def _drain(stack_level: bool) -> list[tuple[str | None, str]]:
    pending = _pending(stack_level)
    items = list(pending)
    pending.clear()
    return items


def _report_waived_resource(args: Any, report_violation: Callable[..., None]) -> None:
    for urn, text in _drain(False):
        if urn == args.urn:  # anything else is left over from a request whose reporter was disabled
            report_violation(text)


def _report_waived_stack(args: Any, report_violation: Callable[..., None]) -> None:
    for urn, text in _drain(True):
        report_violation(text, urn)


WAIVED_DESCRIPTION = ("Findings a valid waiver exempts: reported as advisory so they stay visible "
                      "until the waiver expires.")


def policies() -> tuple[ResourceValidationPolicy, StackValidationPolicy]:
    """The two advisory reporters of waived findings; they must come last in the pack."""
    return (
        ResourceValidationPolicy(
            name="waived-findings", description=WAIVED_DESCRIPTION, validate=_report_waived_resource,
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW, config_schema=schema(),
            remediation_steps="Fix the finding before the waiver expires, or renew the waiver with a reason."),
        StackValidationPolicy(
            name="waived-stack-findings", description=WAIVED_DESCRIPTION, validate=_report_waived_stack,
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW, config_schema=schema(),
            remediation_steps="Fix the finding before the waiver expires, or renew the waiver with a reason."),
    )
