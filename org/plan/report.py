"""Human-readable rendering of a plan: a resource tree like `pulumi preview`, type counts, policy findings."""

from __future__ import annotations

from org.plan.runtime import ProgramRun, RecordedResource, resource_types

# As `pulumi preview` marks them: + create, = import (an existing object adopted by the `import` option).
OPERATION_SYMBOLS = {"create": "+", "import": "="}


def operation(resource: RecordedResource) -> str:
    """What the first `pulumi up` of an empty stack does with this resource: ``import`` or ``create``."""
    return "import" if resource.import_id else "create"


def operation_counts(run: ProgramRun) -> dict[str, int]:
    """AWS (custom) resources per operation, ``import`` and ``create`` always present; components
    are logical groupings that exist only in the stack's state, so they are not counted."""
    counts = {"import": 0, "create": 0}
    for resource in run.resources:
        if resource.custom:
            counts[operation(resource)] += 1
    return counts


def operations_line(run: ProgramRun) -> str:
    """``Resources: 12 to create``, or with imports ``Resources: 178 to import, 0 to create (+ 2 components)``."""
    counts = operation_counts(run)
    if not counts["import"]:
        return f"Resources: {len(run.resources)} to create"
    components = sum(1 for r in run.resources if not r.custom)
    return f"Resources: {counts['import']} to import, {counts['create']} to create (+ {components} components)"


def resource_tree(run: ProgramRun) -> list[str]:
    """Lines of the resource tree, children indented under their component, sorted by type and name."""
    children: dict[str, list[RecordedResource]] = {}
    for resource in run.resources:
        children.setdefault(resource.parent, []).append(resource)
    for siblings in children.values():  # registration order varies between runs; sort for stable diffs
        siblings.sort(key=lambda r: (r.custom, r.type, r.name))
    known = {r.urn for r in run.resources}
    roots = sorted((r for r in run.resources if r.parent not in known), key=lambda r: (r.custom, r.type, r.name))
    lines = [f"pulumi:pulumi:Stack  {run.project}-{run.stack}"]

    def walk(resource: RecordedResource, depth: int) -> None:
        flags = []
        if resource.protect:
            flags.append("protect")
        if resource.retain_on_delete:
            flags.append("retain")
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        lines.append(f"{'  ' * depth}{OPERATION_SYMBOLS[operation(resource)]} {resource.type}  {resource.name}{suffix}")
        for child in children.get(resource.urn, []):
            walk(child, depth + 1)

    for resource in roots:
        walk(resource, 1)
    return lines


def type_counts(run: ProgramRun) -> list[str]:
    counts = resource_types(run.resources)
    width = max((len(t) for t in counts), default=0)
    return [f"  {type_:<{width}}  {count}" for type_, count in counts.items()]


FINDINGS_SHOWN = 10  # per policy without --verbose; the JSON document always has every finding


def finding_reason(diagnostic) -> str:
    """The finding's own text: pulumi-policy prefixes every message with the policy's description."""
    message = diagnostic.message.strip()
    description = (diagnostic.description or "").strip()
    if description and message.startswith(description):
        message = message[len(description):].strip()
    return message


def policy_report(diagnostics: list, run: ProgramRun, verbose: bool = False) -> list[str]:
    """Findings grouped by policy: its description once, a count, one line per finding, a summary.

    Without ``verbose`` each policy lists its first ``FINDINGS_SHOWN`` findings with the first
    line of their reason; ``verbose`` lists every finding with its whole reason.
    """
    names = {r.urn: f"{r.type}  {r.name}" for r in run.resources}
    by_policy: dict[str, list] = {}
    for diagnostic in diagnostics:
        by_policy.setdefault(diagnostic.policy_name, []).append(diagnostic)
    lines = ["Policies:"]
    if not diagnostics:
        lines.append("  no violations")
    hidden = 0
    for policy in sorted(by_policy, key=lambda p: (not any(d.mandatory for d in by_policy[p]), p)):
        found = sorted(by_policy[policy], key=lambda d: (not d.mandatory, names.get(d.urn, d.urn)))
        count = len(found)
        lines.append(f"  {policy} ({found[0].enforcement_level}): {count} finding{'' if count == 1 else 's'}")
        description = next((d.description.strip() for d in found if d.description.strip()), "")
        if description:
            lines.append(f"    {description}")
        shown = found if verbose else found[:FINDINGS_SHOWN]
        for diagnostic in shown:
            where = names.get(diagnostic.urn, "stack" if not diagnostic.urn else diagnostic.urn)
            reason = finding_reason(diagnostic).splitlines() or [""]
            level = "" if diagnostic.enforcement_level == found[0].enforcement_level else (
                f"[{diagnostic.enforcement_level}] ")
            first, rest = reason[0], reason[1:]
            more = f"  (+{len(rest)} line{'' if len(rest) == 1 else 's'}, --verbose)" if rest and not verbose else ""
            lines.append(f"    - {level}{where}: {first}{more}" if first else f"    - {level}{where}")
            if verbose:
                lines.extend(f"        {line}" for line in rest)
        if len(shown) < count:
            hidden += count - len(shown)
            lines.append(f"    ... and {count - len(shown)} more")
    if hidden:
        lines.append(f"  ({hidden} finding(s) not listed: --verbose lists them all, --json gives every one)")
    mandatory = sum(1 for d in diagnostics if d.mandatory)
    advisory = len(diagnostics) - mandatory
    verdict = "FAILED" if mandatory else "passed"
    lines.append(f"\nPolicy check {verdict}: {mandatory} mandatory, {advisory} advisory "
                 f"finding(s) over {len(run.resources)} resources")
    return lines
