"""What the org sub-commands share: the ``--root`` option, exit codes and problem reporting."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from org.loader import OrgValidationError, load_org
from org.model import OrgData
from org.plan.stackconfig import PROJECT_ROOT

EXIT_OK, EXIT_INVALID = 0, 2
DEFAULT_ACCOUNT_QUOTA = 10  # accounts per organization, the management account included
DEFAULT_ROOT = PROJECT_ROOT / "org"


def add_root_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help="the org data folder (default: org/ of this repository)")


def report(problems: list[str], what: str = "org data") -> int:
    """Print every problem on its own line to stderr; return the invalid-input exit code."""
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(f"{count} problem{'s' if count != 1 else ''} in the {what}", file=sys.stderr)
    return EXIT_INVALID


def load_or_report(root: Path) -> OrgData | None:
    """The validated org, or None after reporting why it is invalid."""
    try:
        return load_org(root)
    except OrgValidationError as error:
        report(error.problems)
        return None


def quota_warning(data: OrgData) -> str | None:
    """A warning when the org needs more accounts than the default AWS quota allows."""
    total = len(data.accounts) + 1  # the management account counts too
    if total <= DEFAULT_ACCOUNT_QUOTA:
        return None
    return (f"warning: the organization needs {total} accounts (with the management account); the "
            f"default quota is {DEFAULT_ACCOUNT_QUOTA}: raise it in Service Quotas before `pulumi up`")
