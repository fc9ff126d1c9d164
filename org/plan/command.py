"""``python -m org plan``: evaluate a stack's real program offline and show what it declares."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from components.errors import ConfigError
from org.plan.report import resource_tree, type_counts
from org.plan.runtime import ProgramRun, resource_types, run_program
from org.plan.stackconfig import PROJECT_ROOT, load_stack_config

EXIT_OK, EXIT_VIOLATION, EXIT_INVALID = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan", help="run a stack's program offline under mocks")
    parser.add_argument("--stack", required=True, help="stack name (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value (repeatable)")
    parser.set_defaults(handler=run)


def plan_stack(stack: str, overrides: list[str] | None = None, root: Path = PROJECT_ROOT) -> ProgramRun:
    """Load the stack's config and run the real ``__main__.py`` under mocks."""
    config = load_stack_config(stack, overrides, root)
    region = config.values.get("aws:region", "us-east-1")
    from org.plan.mocks import GroundworkMocks

    return run_program(root / "__main__.py", config=config.values, project=config.project,
                       stack=stack, mocks=GroundworkMocks(region=str(region)),
                       secret_keys=config.secret_keys)


def run(args: argparse.Namespace) -> int:
    try:
        result = plan_stack(args.stack, args.config)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        document = {
            "stack": result.stack,
            "project": result.project,
            "resources": [
                {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent,
                 "inputs": r.inputs, "protect": r.protect, "provider": r.provider}
                for r in result.resources
            ],
            "counts": resource_types(result.resources),
            "outputs": result.stack_outputs,
            "warnings": result.warnings(),
        }
        print(json.dumps(document, indent=2, sort_keys=True, default=str))
        return EXIT_OK
    print("\n".join(resource_tree(result)))
    print(f"\nResources: {len(result.resources)} to create")
    print("\n".join(type_counts(result)))
    for warning in result.warnings():
        print(f"warning: {warning}")
    return EXIT_OK
