"""``python -m org``: the organization's command line (validate, vend, list, diagram, plan)."""

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m org", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMANDS:
        importlib.import_module(module_name).add_parser(subparsers)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
