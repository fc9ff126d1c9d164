"""``python -m org plan --format markdown``: the plan (and its change summary) for a pull request.

Written for a GitHub job summary and a sticky pull-request comment: the first line is a hidden
marker the workflow finds the comment by, account removals come first and loud, long lists fold.
"""

from __future__ import annotations

from typing import Any

from org.plan.compare import ChangeSummary, ResourceChange

MARKER = "<!-- groundwork-plan:{stack} -->"
FOLD_AFTER = 10  # list items shown before the rest folds into <details>


def _code(text: str) -> str:
    return "`" + str(text).replace("`", "'") + "`"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(document: dict[str, Any], summary: ChangeSummary | None = None) -> str:
    """Markdown for one plan document, with the change summary against the base when given."""
    stack = document.get("stack", "")
    operations = document.get("operations") or {}
    plan_summary = document.get("summary") or {}
    lines = [MARKER.format(stack=stack), f"## Offline plan of stack {_code(stack)}", ""]
    if summary is not None:
        lines.extend(_changes(summary))
    lines.append(f"**Resources:** {plan_summary.get('resources', len(document.get('resources', [])))} declared"
                 + (f", {operations.get('import', 0)} to import" if operations.get("import") else ""))
    lines.append("")
    lines.extend(_findings(document))
    warnings = document.get("warnings") or []
    if warnings:
        lines.extend(["", f"<details><summary>{len(warnings)} program warning(s)</summary>", ""])
        lines.extend(f"- {_cell(w)}" for w in warnings)
        lines.extend(["", "</details>"])
    lines.extend(["", "_Offline plan: the real program and policy pack under Pulumi's mock runtime. "
                  "`pulumi preview` against the stack's state is the authority on what changes._"])
    return "\n".join(lines) + "\n"


def _changes(summary: ChangeSummary) -> list[str]:
    lines: list[str] = []
    if summary.account_removals:
        count = len(summary.account_removals)
        lines.append(f"> [!CAUTION]\n> **{count} account{'s' if count != 1 else ''} leave"
                     f"{'s' if count == 1 else ''} the organization with this change.**")
        lines.extend(f"> - {_cell(c.note)}" for c in summary.account_removals)
        lines.append("")
    if summary.empty:
        return lines + ["**Changes against the base branch:** none", ""]
    counts = summary.counts()
    lines.extend(["### Changes against the base branch", "",
                  "| removed | replaced | changed | added | imported | unchanged |",
                  "|---:|---:|---:|---:|---:|---:|",
                  "| " + " | ".join(str(counts[k]) for k in ("removed", "replaced", "changed", "added",
                                                            "imported", "unchanged")) + " |", ""])
    for title, items in (("Removed", summary.removed), ("Replaced", summary.replaced),
                         ("Changed", summary.changed), ("Added", summary.added), ("Imported", summary.imported)):
        if items:
            lines.extend(_section(title, items))
    return lines


def _section(title: str, items: list[ResourceChange]) -> list[str]:
    rows = []
    for change in items:
        row = f"- {_code(change.type)} {_code(change.name)}"
        if change.note:
            row += f": {_cell(change.note)}"
        rows.append(row)
        rows.extend(f"  - {_code(c.describe())}" for c in change.changes[:FOLD_AFTER])
        if len(change.changes) > FOLD_AFTER:
            rows.append(f"  - ... and {len(change.changes) - FOLD_AFTER} more inputs")
    heading = f"**{title} ({len(items)})**"
    if len(items) <= FOLD_AFTER:
        return [heading, "", *rows, ""]
    return [f"<details><summary>{title} ({len(items)})</summary>", "", *rows, "", "</details>", ""]


def _findings(document: dict[str, Any]) -> list[str]:
    diagnostics = document.get("diagnostics") or []
    if document.get("policyPack") is None:
        return ["Policy pack: not run"]
    mandatory = [d for d in diagnostics if d.get("enforcement_level") == "mandatory"]
    verdict = "FAILED" if mandatory else "passed"
    lines = [f"**Policy check {verdict}:** {len(mandatory)} mandatory, {len(diagnostics) - len(mandatory)} "
             "other finding(s)"]
    if not diagnostics:
        return lines
    names = {r["urn"]: f"{r['type']} {r['name']}" for r in document.get("resources", [])}
    lines.extend(["", "| level | policy | resource | message |", "|---|---|---|---|"])
    for d in sorted(diagnostics, key=lambda d: (d.get("enforcement_level") != "mandatory", d.get("policy_name"))):
        where = names.get(d.get("urn", ""), d.get("urn") or "stack")
        message = d.get("message", "").strip().splitlines()
        lines.append(f"| {d.get('enforcement_level')} | {_code(d.get('policy_name'))} | {_cell(where)} | "
                     f"{_cell(message[-1] if message else '')} |")
    return lines
