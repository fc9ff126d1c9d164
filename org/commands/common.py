"""What the org sub-commands share: the ``--root`` option, exit codes and problem reporting."""

from __future__ import annotations

import argparse
import json
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


MORE_MAY_FOLLOW = "more problems may follow: some checks need the files above to be valid first"


def report(problems: list[str], what: str = "org data", *, json_output: bool = False,
           more_may_follow: bool = False) -> int:
    """Print every problem on its own line to stderr (and, for ``--json``, a JSON error document
    to stdout, so a CI artifact is never empty); return the invalid-input exit code."""
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(f"{count} problem{'s' if count != 1 else ''} in the {what}", file=sys.stderr)
    if more_may_follow:
        print(MORE_MAY_FOLLOW, file=sys.stderr)
    if json_output:
        print(json.dumps({"error": f"invalid {what}", "messages": problems, "moreMayFollow": more_may_follow,
                          "exitCode": EXIT_INVALID}, indent=2))
    return EXIT_INVALID


def load_or_report(root: Path, *, json_output: bool = False) -> OrgData | None:
    """The validated org, or None after reporting why it is invalid."""
    try:
        return load_org(root)
    except OrgValidationError as error:
        report(error.problems, json_output=json_output, more_may_follow=error.more_may_follow)
        return None


def quota_warning(data: OrgData) -> str | None:
    """A warning when the org needs more accounts than the default AWS quota allows."""
    total = len(data.accounts) + 1  # the management account counts too
    if total <= DEFAULT_ACCOUNT_QUOTA:
        return None
    return (f"warning: the organization needs {total} accounts (with the management account); the "
            f"default quota is {DEFAULT_ACCOUNT_QUOTA}: raise it in Service Quotas before `pulumi up`")
