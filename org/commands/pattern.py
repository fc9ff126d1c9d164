"""python -m org pattern test: try an EventBridge event pattern or an SNS filter policy on files, offline.

    python -m org pattern test --pattern filter.json --event order.json --event refund.json
    python -m org pattern test --sns --pattern policy.json --event body.json
    python -m org pattern test --sns --scope MessageAttributes --pattern policy.json --event attributes.json

Prints MATCH or NO MATCH per event; --pipes also applies the Pipes filter rules. With --sns
the pattern is an SNS subscription filter policy, checked as SNS checks it for --scope
(MessageBody by default); each event file is a message body (MessageBody) or a message-attributes
map like {"store": {"Type": "String", "Value": "example_corp"}} (MessageAttributes).
Exit 0 if every event matches, 1 if any does not, 2 if the pattern is invalid (the message
names the path in the pattern) or a file is unusable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from groundwork.events.patterns import PatternError, check_pipe_support, explain_mismatch, validate_pattern
from groundwork.events.samples import load_json_document
from groundwork.fanout.filter_policy import SCOPES, FilterPolicyError
from groundwork.fanout.filter_policy import explain_mismatch as explain_policy_mismatch
from groundwork.fanout.filter_policy_matching import UnusableMessageError, message_fields

EXIT_ALL_MATCH, EXIT_SOME_DO_NOT, EXIT_INVALID = 0, 1, 2
PIPES_FILTER_MAX_LENGTH = 4096


def positive_int(text: str) -> int:
    """A limit given on the command line: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a length; give a whole number of at least 1")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pattern", help="test EventBridge event patterns and SNS filter policies on event files",
        description="Work with EventBridge event patterns and SNS filter policies offline "
                    "(the engines the components use).")
    actions = parser.add_subparsers(dest="pattern_command", required=True)
    test = actions.add_parser("test", help="test an event pattern or SNS filter policy against event files",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    test.add_argument("--pattern", required=True, type=Path, metavar="FILE",
                      help="the event pattern (JSON or JSON5)")
    test.add_argument("--event", required=True, action="append", type=Path, metavar="FILE", dest="events",
                      help="an event (JSON or JSON5); repeat for several")
    test.add_argument("--max-length", type=positive_int, default=None, metavar="N",
                      help="also refuse patterns longer than N characters")
    test.add_argument("--pipes", action="store_true",
                      help="check as an EventBridge Pipes filter: 4,096 characters, no bus-only operators")
    test.add_argument("--sns", action="store_true",
                      help="the pattern is an SNS subscription filter policy (see --scope)")
    test.add_argument("--scope", choices=SCOPES, default=None,
                      help="with --sns: the subscription's FilterPolicyScope (default MessageBody)")
    test.set_defaults(handler=run_test)


def run_test(args: argparse.Namespace) -> int:
    if args.scope and not args.sns:
        print("error: --scope applies to SNS filter policies; add --sns", file=sys.stderr)
        return EXIT_INVALID
    if args.sns:
        if args.pipes:
            print("error: --pipes and --sns exclude each other", file=sys.stderr)
            return EXIT_INVALID
        return run_sns_test(args, args.scope or "MessageBody")
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
    return report_matches((path, explain_mismatch(pattern, event)) for path, event in events)


def run_sns_test(args: argparse.Namespace, scope: str) -> int:
    """``--sns``: validate the filter policy for ``scope`` and report MATCH / NO MATCH per message file."""
    try:
        policy = load_json_document(args.pattern)
        if args.max_length is not None and len(json.dumps(policy, separators=(",", ":"))) > args.max_length:
            raise FilterPolicyError("$", f"the filter policy is longer than {args.max_length} characters")
        explain_policy_mismatch(policy, {}, scope)  # validates the policy
        messages = []
        for path in args.events:
            message = load_json_document(path)
            message_fields(message, scope)  # refuses a malformed attributes map
            messages.append((path, message))
    except FilterPolicyError as error:
        print(f"error: invalid SNS filter policy ({scope}) in {args.pattern}: {error}", file=sys.stderr)
        return EXIT_INVALID
    except UnusableMessageError as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        return EXIT_INVALID
    except ValueError as error:  # an unreadable or unparsable file
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    return report_matches((path, explain_policy_mismatch(policy, message, scope)) for path, message in messages)


def report_matches(results: Iterable[tuple[Path, str | None]]) -> int:
    """Print MATCH / NO MATCH (with the first mismatch) per file; the exit code for all of them."""
    all_match = True
    for path, mismatch in results:
        if mismatch is None:
            print(f"MATCH     {path}")
        else:
            all_match = False
            print(f"NO MATCH  {path}  (first mismatch: {mismatch})")
    return EXIT_ALL_MATCH if all_match else EXIT_SOME_DO_NOT
