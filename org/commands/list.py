"""``python -m org list``: the vended accounts, grouped by OU in tree order."""

from __future__ import annotations

import argparse
import json

from org.commands.common import EXIT_INVALID, EXIT_OK, add_root_argument, load_or_report
from org.model import OrgData


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list", help="list accounts by OU",
        description="List the vended accounts grouped by OU, in tree order, with email and owner.")
    add_root_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object: OU path -> list of accounts, each "
                             "{name, email, owner, purpose, bootstrap, removable, tags}")
    parser.set_defaults(handler=run)


def accounts_by_ou(data: OrgData) -> dict[str, list[dict[str, object]]]:
    """Every OU path (tree order) -> the accounts placed directly in it."""
    return {
        path: [{"name": a.name, "email": a.email, "owner": a.owner, "purpose": a.purpose,
                "bootstrap": a.bootstrap, "removable": a.removable, "tags": a.tags}
               for a in data.accounts if a.ou == path]
        for path in data.ou_paths
    }


def render(data: OrgData) -> list[str]:
    lines = []
    for path, accounts in accounts_by_ou(data).items():
        indent = "  " * path.count("/")
        count = len(data.accounts_under(path))
        lines.append(f"{indent}{path.rsplit('/', 1)[-1]}/  ({count} account{'' if count == 1 else 's'})")
        for account in accounts:
            flag = ("" if account["bootstrap"] else "  [no bootstrap]") + (
                "  [removable]" if account["removable"] else "")
            lines.append(f"{indent}  - {account['name']:<20} {account['email']:<44} "
                         f"owner {account['owner']}{flag}")
    lines.append(f"{len(data.accounts)} accounts in {len(data.ou_paths)} OUs")
    return lines


def run(args: argparse.Namespace) -> int:
    data = load_or_report(args.root, json_output=args.json)
    if data is None:
        return EXIT_INVALID
    if args.json:
        print(json.dumps(accounts_by_ou(data), indent=2))
    else:
        print("\n".join(render(data)))
    return EXIT_OK
