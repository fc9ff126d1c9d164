"""Human-readable rendering of a plan: a resource tree like `pulumi preview` and type counts."""

from __future__ import annotations

from org.plan.runtime import ProgramRun, RecordedResource, resource_types


def resource_tree(run: ProgramRun) -> list[str]:
    """Lines of the resource tree, children indented under their component."""
    children: dict[str, list[RecordedResource]] = {}
    for resource in run.resources:
        children.setdefault(resource.parent, []).append(resource)
    known = {r.urn for r in run.resources}
    roots = [r for r in run.resources if r.parent not in known]
    lines = [f"pulumi:pulumi:Stack  {run.project}-{run.stack}"]

    def walk(resource: RecordedResource, depth: int) -> None:
        flags = []
        if resource.protect:
            flags.append("protect")
        if resource.retain_on_delete:
            flags.append("retain")
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        lines.append(f"{'  ' * depth}+ {resource.type}  {resource.name}{suffix}")
        for child in children.get(resource.urn, []):
            walk(child, depth + 1)

    for resource in roots:
        walk(resource, 1)
    return lines


def type_counts(run: ProgramRun) -> list[str]:
    counts = resource_types(run.resources)
    width = max((len(t) for t in counts), default=0)
    return [f"  {type_:<{width}}  {count}" for type_, count in counts.items()]
