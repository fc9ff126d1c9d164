"""Checks that a service control policy document is a policy AWS Organizations will accept."""

from __future__ import annotations

import json
import re
from typing import Any

MAX_SCP_CHARACTERS = 5120  # AWS limit on an SCP document; we upload it minified.
POLICY_KEYS = {"Version", "Id", "Statement"}
STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
ACTION = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$")
SID = re.compile(r"^[A-Za-z0-9]*$")


def minified(document: dict) -> str:
    """The policy as uploaded: compact JSON (whitespace counts against the size limit)."""
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def _check_statement(statement: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(statement, dict):
        return [(where, "each statement must be a JSON object")]
    problems = []
    for key in sorted(set(statement) - STATEMENT_KEYS):
        hint = " (SCPs apply to every principal in the target; they have no Principal)" \
            if key in ("Principal", "NotPrincipal") else ""
        problems.append((f"{where}.{key}", f"is not allowed in an SCP; allowed: "
                                           f"{', '.join(sorted(STATEMENT_KEYS))}{hint}"))
    if statement.get("Effect") not in ("Allow", "Deny"):
        problems.append((f"{where}.Effect", f"must be 'Allow' or 'Deny', got {statement.get('Effect')!r}"))
    has_action, has_not_action = "Action" in statement, "NotAction" in statement
    if has_action == has_not_action:
        problems.append((f"{where}.Action", "give exactly one of Action or NotAction"))
    for key in ("Action", "NotAction"):
        if key in statement:
            actions = _strings(statement[key])
            if actions is None:
                problems.append((f"{where}.{key}", "must be a string or a non-empty list of strings"))
                continue
            for action in actions:
                if not ACTION.match(action):
                    problems.append((f"{where}.{key}", f"{action!r} is not an action like 's3:GetObject'"))
    if "Resource" in statement and "NotResource" in statement:
        problems.append((f"{where}.Resource", "give Resource or NotResource, not both"))
    for key in ("Resource", "NotResource"):
        if key in statement and _strings(statement[key]) is None:
            problems.append((f"{where}.{key}", "must be a string or a non-empty list of strings"))
    if "Condition" in statement and not isinstance(statement["Condition"], dict):
        problems.append((f"{where}.Condition", "must be an object of operator -> {key: value}"))
    if "Sid" in statement and not (isinstance(statement["Sid"], str) and SID.match(statement["Sid"])):
        problems.append((f"{where}.Sid", "must contain only letters and digits"))
    return problems


def check_policy(document: Any) -> list[tuple[str, str]]:
    """Problems of an SCP document as (field, message); empty when AWS would accept it."""
    if not isinstance(document, dict):
        return [("(file)", "an SCP must be a JSON object with Version and Statement")]
    problems = [(key, f"is not a policy key; allowed: {', '.join(sorted(POLICY_KEYS))}")
                for key in sorted(set(document) - POLICY_KEYS)]
    if document.get("Version") != "2012-10-17":
        problems.append(("Version", f"must be '2012-10-17', got {document.get('Version')!r}"))
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        problems.append(("Statement", "must be a statement object or a non-empty list of them"))
        return problems
    sids = [s.get("Sid") for s in statements if isinstance(s, dict) and s.get("Sid")]
    for sid in {sid for sid in sids if sids.count(sid) > 1}:
        problems.append(("Statement", f"Sid {sid!r} is used more than once"))
    for index, statement in enumerate(statements):
        problems.extend(_check_statement(statement, f"Statement[{index}]"))
    size = len(minified(document))
    if size > MAX_SCP_CHARACTERS:
        problems.append(("(file)", f"is {size} characters minified; AWS allows {MAX_SCP_CHARACTERS} per SCP"))
    return problems
