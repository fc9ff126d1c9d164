"""``python -m org access``: validate ``org/sso.yaml`` against the org data and show who gets what where."""

from __future__ import annotations

import argparse
import json
import sys

from org.commands.common import EXIT_INVALID, EXIT_OK, add_root_argument, load_or_report, report
from org.sso import SsoData, SsoValidationError, load_sso


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "access", help="validate org/sso.yaml and show the assignment matrix",
        description="Validate org/sso.yaml (groups, permission sets, assignments) against the org "
                    "data and print who can get into which account: account -> permission set "
                    "(session duration) -> groups.")
    add_root_argument(parser)
    parser.add_argument("--json", action="store_true",
                        help="print [{group, permissionSet, account}, ...] as JSON")
    parser.set_defaults(handler=run)


def matrix(sso: SsoData) -> dict[str, dict[str, list[str]]]:
    """Account -> permission set -> groups, the way someone asks 'who can get into this account?'."""
    by_account: dict[str, dict[str, list[str]]] = {}
    for grant in sso.assignments:
        by_account.setdefault(grant.account, {}).setdefault(grant.permission_set, []).append(grant.group)
    return dict(sorted(by_account.items()))


def render(sso: SsoData) -> list[str]:
    lines = []
    for account, sets in matrix(sso).items():
        lines.append(f"{account}")
        for permission_set, groups in sorted(sets.items()):
            duration = sso.permission_set(permission_set).session_duration
            lines.append(f"  {permission_set:<32} {duration:<8} {', '.join(sorted(groups))}")
    lines.append(f"{len(sso.assignments)} assignments: {len(sso.groups)} groups, "
                 f"{len(sso.permission_sets)} permission sets, {len(sso.accounts)} accounts")
    return lines


def run(args: argparse.Namespace) -> int:
    data = load_or_report(args.root, json_output=args.json)
    if data is None:
        return EXIT_INVALID
    path = args.root / "sso.yaml"
    try:
        sso = load_sso(path, data)
    except SsoValidationError as error:
        return report(error.problems, "SSO data", json_output=args.json)
    for warning in sso.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps([{"group": g.group, "permissionSet": g.permission_set, "account": g.account}
                          for g in sso.assignments], indent=2))
    else:
        print("\n".join(render(sso)))
    return EXIT_OK
