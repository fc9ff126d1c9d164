"""python -m org pattern test: try an EventBridge event pattern on event files, offline.

    python -m org pattern test --pattern filter.json --event order.json --event refund.json

Prints MATCH or NO MATCH per event; --pipes also applies the Pipes filter rules.
Exit 0 if every event matches, 1 if any does not, 2 if the pattern is invalid (the message
names the path in the pattern) or a file is unusable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.events.patterns import PatternError, check_pipe_support, explain_mismatch, validate_pattern
from components.events.samples import load_json_document

EXIT_ALL_MATCH, EXIT_SOME_DO_NOT, EXIT_INVALID = 0, 1, 2
PIPES_FILTER_MAX_LENGTH = 4096


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pattern", help="test EventBridge event patterns on event files",
        description="Work with EventBridge event patterns offline (the engine the components use).")
    actions = parser.add_subparsers(dest="pattern_command", required=True)
    test = actions.add_parser("test", help="test an event pattern against event files",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    test.add_argument("--pattern", required=True, type=Path, metavar="FILE",
                      help="the event pattern (JSON or JSON5)")
    test.add_argument("--event", required=True, action="append", type=Path, metavar="FILE", dest="events",
                      help="an event (JSON or JSON5); repeat for several")
    test.add_argument("--max-length", type=int, default=None, metavar="N",
                      help="also refuse patterns longer than N characters")
    test.add_argument("--pipes", action="store_true",
                      help="check as an EventBridge Pipes filter: 4,096 characters, no bus-only operators")
    test.set_defaults(handler=run_test)


def run_test(args: argparse.Namespace) -> int:
    try:
        pattern = load_json_document(args.pattern)
        max_length = min(filter(None, (args.max_length, PIPES_FILTER_MAX_LENGTH if args.pipes else None)),
                         default=None)
        validate_pattern(pattern, max_length=max_length)
        if args.pipes:
            check_pipe_support(pattern)
        events = [(path, load_json_document(path)) for path in args.events]
        for path, event in events:
            if not isinstance(event, dict):
                raise ValueError(f"{path}: an event must be a JSON object")
    except PatternError as error:
        print(f"error: invalid event pattern in {args.pattern}: {error}", file=sys.stderr)
        return EXIT_INVALID
    except ValueError as error:  # an unreadable or unparsable file
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    all_match = True
    for path, event in events:
        mismatch = explain_mismatch(pattern, event)
        if mismatch is None:
            print(f"MATCH     {path}")
        else:
            all_match = False
            print(f"NO MATCH  {path}  (first mismatch: {mismatch})")
    return EXIT_ALL_MATCH if all_match else EXIT_SOME_DO_NOT
