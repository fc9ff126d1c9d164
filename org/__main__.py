"""``python -m org``: the organization's command line (validate, adopt, vend, list, diagram, access, plan, pattern)."""

from __future__ import annotations

import argparse
import sys

import org.plan.command as plan
import org.sso_command as access
from org.commands import adopt, diagram, pattern, validate, vend
from org.commands import list as list_accounts

# Sub-command modules, each with add_parser(subparsers); handlers return the exit code.
COMMANDS = [validate, adopt, vend, list_accounts, diagram, access, plan, pattern]

DESCRIPTION = """\
Groundwork's command line, run from the repository root with its virtualenv:
.venv/bin/python -m org <command>, or python -m org <command> after . .venv/bin/activate.

  org data (org/):   validate, adopt, vend, list, diagram, access
  offline plan:      plan
  event patterns:    pattern

None of them needs the Pulumi CLI; only adopt reads AWS (the management account's
credentials, standard chain). Docs: README.md and docs/."""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: one sub-command per module of ``COMMANDS``."""
    parser = argparse.ArgumentParser(prog="python -m org", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="<command>",
                                       title="commands")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
