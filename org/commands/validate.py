"""``python -m org validate``: check every org file at once (CI runs it on each vending pull request)."""

from __future__ import annotations

import argparse
import sys

from org.commands.common import (
    EXIT_OK,
    add_root_argument,
    quota_warning,
    report,
)
from org.loader import OrgValidationError, load_org, show_path
from org.sso import SSO_FILE, SsoValidationError, load_sso, read_sso_file


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate", help="validate organization.yaml, SCPs, every account file and sso.yaml",
        description="Validate the org data (organization.yaml, the SCP documents, every account file "
                    "and sso.yaml) as CI does on each vending pull request: every problem on its own line, "
                    "exit 2 if there is any.")
    add_root_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    sso_path = args.root / SSO_FILE
    try:
        data = load_org(args.root)
    except OrgValidationError as error:
        # All problems at once: sso.yaml's own shape is checked even while the org data is invalid.
        problems = list(error.problems)
        if sso_path.exists():
            try:
                read_sso_file(sso_path)
            except SsoValidationError as sso_error:
                problems += sso_error.problems
        return report(problems, more_may_follow=True)
    # The same checks the plan makes: sso.yaml against this org data (if the org uses SSO).
    assignments = ""
    if sso_path.exists():
        try:
            sso = load_sso(sso_path, data)
        except SsoValidationError as error:
            return report(error.problems, "SSO data")
        for warning in sso.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        assignments = f", {len(sso.assignments)} SSO assignments"
    print(f"{show_path(args.root)}: valid: {len(data.ou_paths)} OUs, {len(data.accounts)} accounts, "
          f"{len(data.scps)} SCPs{assignments}")
    warning = quota_warning(data)
    if warning:
        print(warning, file=sys.stderr)
    return EXIT_OK
