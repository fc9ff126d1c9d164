"""``python -m org validate``: check every org file at once (CI runs it on each vending pull request)."""

from __future__ import annotations

import argparse
import sys

from org.commands.common import EXIT_INVALID, EXIT_OK, add_root_argument, load_or_report, quota_warning
from org.loader import show_path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate", help="validate organization.yaml, SCPs and every account file",
        description="Validate the org data (organization.yaml, the SCP documents and every account "
                    "file) as CI does on each vending pull request: every problem on its own line, "
                    "exit 2 if there is any.")
    add_root_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data = load_or_report(args.root)
    if data is None:
        return EXIT_INVALID
    print(f"{show_path(args.root)}: valid: {len(data.ou_paths)} OUs, {len(data.accounts)} accounts, "
          f"{len(data.scps)} SCPs")
    warning = quota_warning(data)
    if warning:
        print(warning, file=sys.stderr)
    return EXIT_OK
