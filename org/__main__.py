"""``python -m org``: the organization's command line (validate, adopt, vend, list, diagram, access, plan, pattern)."""

from __future__ import annotations

import argparse
import importlib
import sys

# Sub-command modules, each with add_parser(subparsers); handlers return the exit code.
COMMANDS = [
    "org.commands.validate",
    "org.commands.adopt",
    "org.commands.vend",
    "org.commands.list",
    "org.commands.diagram",
    "org.sso_command",
    "org.plan.command",
    "org.commands.pattern",
]

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
    for module_name in COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
