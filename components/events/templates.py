"""Design-time checks of a pipe's input templates (the JSON text with ``<$.path>`` placeholders).

Rules: at most 8,192 characters; every ``<$...>`` / ``<aws.pipes...>`` token well formed; the
reserved variables are the ones AWS documents; and once placeholders are replaced the text parses
as JSON. Quoting follows the cookbook and AWS's input-transformation page: a placeholder outside
quotes is replaced by the JSON value (string, number, object, ...), a placeholder inside quotes by
the value's text — so objects and arrays (and ``aws.pipes.event.json``) must stay unquoted. With a
sample event the paths are resolved too: a quoted object is refused, a path missing from the
sample is reported (Pipes silently omits that key).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEMPLATE_LENGTH = 8192
RESERVED_VARIABLES = (
    "aws.pipes.pipe-arn",
    "aws.pipes.pipe-name",
    "aws.pipes.source-arn",
    "aws.pipes.enrichment-arn",
    "aws.pipes.target-arn",
    "aws.pipes.event",
    "aws.pipes.event.json",
    "aws.pipes.event.ingestion-time",
)
UNQUOTED_ONLY = {"aws.pipes.event.json"}
# $ followed by .name or [index] segments; names as event keys use them (detail-type, @timestamp).
JSON_PATH = re.compile(r"^\$(?:\.[A-Za-z0-9_@:-]+|\[\d+\])*$")
PATH_SEGMENT = re.compile(r"\.([A-Za-z0-9_@:-]+)|\[(\d+)\]")
_MISSING = object()


@dataclass(frozen=True)
class Placeholder:
    """One ``<...>`` token: its text, where it starts and whether it sits inside a JSON string."""

    token: str
    offset: int
    quoted: bool

    @property
    def is_path(self) -> bool:
        return self.token.startswith("$")


@dataclass
class TemplateReport:
    """What a check found: refusals (``problems``), advice (``notes``) and the placeholders."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)


def scan(template: str, report: TemplateReport) -> str:
    """Find placeholders, record malformed ones, return the text with placeholders substituted."""
    out: list[str] = []
    in_string = escaped = False
    i = 0
    while i < len(template):
        char = template[i]
        if char == "<" and (template.startswith("<$", i) or template.startswith("<aws.", i)):
            end = template.find(">", i)
            newline = template.find("\n", i)
            if end == -1 or (newline != -1 and newline < end):
                report.problems.append(f"placeholder at offset {i} is not closed with '>'")
                return ""
            token = template[i + 1:end]
            placeholder = Placeholder(token, i, in_string)
            report.placeholders.append(placeholder)
            _check_token(placeholder, report)
            out.append("x" if in_string else "null")
            i = end + 1
            continue
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        out.append(char)
        i += 1
    return "".join(out)


def _check_token(placeholder: Placeholder, report: TemplateReport) -> None:
    token, offset = placeholder.token, placeholder.offset
    if placeholder.is_path:
        if not JSON_PATH.match(token):
            report.problems.append(
                f"<{token}> at offset {offset} is not a JSON path like <$.body.orderId> or <$.items[0]>")
        return
    if token not in RESERVED_VARIABLES:
        report.problems.append(
            f"<{token}> at offset {offset} is not a reserved variable; known: "
            + ", ".join(f"<{name}>" for name in RESERVED_VARIABLES))
        return
    if token in UNQUOTED_ONLY and placeholder.quoted:
        report.problems.append(
            f"<{token}> at offset {offset} is inside quotes, but it is raw JSON and can only be a field "
            "value: remove the quotes around it")


def resolve(path: str, event: Any) -> Any:
    """The value at ``path`` ($.a.b[0]) in ``event``, or ``_MISSING``."""
    value = event
    for name, index in PATH_SEGMENT.findall(path[1:]):
        if name:
            if not isinstance(value, dict) or name not in value:
                return _MISSING
            value = value[name]
        else:
            position = int(index)
            if not isinstance(value, list) or position >= len(value):
                return _MISSING
            value = value[position]
    return value


def check_template(template: str, *, sample: dict[str, Any] | None = None) -> TemplateReport:
    """All findings for ``template`` (resolved against ``sample`` when one is given)."""
    report = TemplateReport()
    if len(template) > MAX_TEMPLATE_LENGTH:
        report.problems.append(
            f"{len(template)} characters is over the limit of {MAX_TEMPLATE_LENGTH} Pipes accepts")
        return report
    substituted = scan(template, report)
    if report.problems:
        return report
    try:
        json.loads(substituted)
    except json.JSONDecodeError as error:
        report.problems.append(
            f"not valid JSON once placeholders are filled in ({error.msg} at line {error.lineno} "
            f"column {error.colno}): a placeholder may only stand for a whole value or sit inside a "
            'quoted string; for plain text, write a JSON string such as "Hello, <$.body.name>"')
        return report
    if sample is not None:
        _check_against_sample(report, sample)
    return report


def _check_against_sample(report: TemplateReport, sample: dict[str, Any]) -> None:
    for placeholder in report.placeholders:
        if not placeholder.is_path:
            continue
        value = resolve(placeholder.token, sample)
        if value is _MISSING:
            report.notes.append(
                f"<{placeholder.token}> does not resolve in the sample event: Pipes omits the key "
                "entirely (no null); default it upstream if the target needs it")
        elif placeholder.quoted and isinstance(value, (dict, list)):
            kind = "an object" if isinstance(value, dict) else "an array"
            report.problems.append(
                f"<{placeholder.token}> is {kind} in the sample event but sits inside quotes, which "
                "breaks the JSON: remove the quotes so the value is inserted as-is")
