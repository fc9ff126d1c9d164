"""``python -m org vend``: write a new account request file, validated exactly like CI will.

The new file is checked together with the whole org (on a scratch copy, so a refused request
leaves nothing behind); only then is it written and what the pull request adds is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

from org.commands.common import (
    EXIT_INVALID,
    EXIT_OK,
    add_root_argument,
    load_or_report,
    quota_warning,
    report,
)
from org.loader import ACCOUNTS_DIR, OrgValidationError, load_org, show_path
from org.model import ACCOUNT_NAME, ACCOUNT_NAME_RULE, OrgData

HEADER = ("# Account request (python -m org vend). Merging this file creates the account;\n"
          "# removing the account later takes two reviewed changes (docs/organization.md).\n")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "vend", help="request a new account (writes org/accounts/<name>.yaml)",
        description="Write a new account request file, validated together with the whole org "
                    "exactly as CI will; a refused request writes nothing. Commit the file in a "
                    "pull request; merging it creates the account.")
    parser.add_argument("--name", required=True, help="account name: lower-case letters, digits, '-'")
    parser.add_argument("--ou", required=True, help="OU path, e.g. Workloads/Prod")
    parser.add_argument("--owner", required=True, help="email of the owning person or team mailbox")
    parser.add_argument("--purpose", help="what the account is for, one line of 3-256 characters "
                                          "(default: '<name> account owned by <owner>')")
    parser.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                        help="extra account tag (repeatable)")
    parser.add_argument("--no-bootstrap", dest="bootstrap", action="store_false",
                        help="skip the account bootstrap StackSets for this account")
    add_root_argument(parser)
    parser.set_defaults(handler=run)


def parse_tags(pairs: list[str]) -> tuple[dict[str, str], list[str]]:
    tags: dict[str, str] = {}
    problems = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            problems.append(f"--tag: {pair!r} must be KEY=VALUE")
        elif key in tags:
            problems.append(f"--tag: key {key!r} is given twice")
        else:
            tags[key] = value
    return tags, problems


def request_document(args: argparse.Namespace, tags: dict[str, str]) -> dict[str, object]:
    document: dict[str, object] = {
        "name": args.name,
        "ou": args.ou,
        "owner": args.owner,
        "purpose": args.purpose if args.purpose is not None else f"{args.name} account owned by {args.owner}",
    }
    if tags:
        document["tags"] = tags
    if not args.bootstrap:
        document["bootstrap"] = False
    return document


def render(document: dict[str, object]) -> str:
    return HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def _existing_name_problem(data: OrgData, name: str, target: Path) -> str | None:
    for account in data.accounts:
        if account.name.casefold() == name.casefold():
            return f"{show_path(target)}: name: {name!r} is already used by {show_path(account.source)}"
    if target.exists():
        return f"{show_path(target)}: (file): already exists"
    return None


def check_on_copy(root: Path, file_name: str, content: str) -> list[str]:
    """Validate the org with the new file added, on a scratch copy; problems name the real paths."""
    with tempfile.TemporaryDirectory(prefix="org-vend-") as scratch:
        copy = Path(scratch) / root.name
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns("*.py", "*.pyc", "__pycache__"))
        (copy / ACCOUNTS_DIR).mkdir(exist_ok=True)
        (copy / ACCOUNTS_DIR / file_name).write_text(content, encoding="utf-8")
        try:
            load_org(copy)
        except OrgValidationError as error:
            shown_copy, shown_root = show_path(copy), show_path(root)
            return [problem.replace(shown_copy, shown_root) for problem in error.problems]
    return []


def write_atomically(target: Path, content: str) -> None:
    """Write ``target`` whole or not at all: a temporary file in the same folder, then a rename."""
    target.parent.mkdir(exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".vend-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    data = load_or_report(root)
    if data is None:
        print("fix the org data before vending a new account", file=sys.stderr)
        return EXIT_INVALID
    tags, problems = parse_tags(args.tag)
    if not ACCOUNT_NAME.match(args.name):  # before the name becomes a file name
        problems.append(f"--name: must be {ACCOUNT_NAME_RULE} (got {args.name!r})")
        return report(problems, "account request")
    target = root / ACCOUNTS_DIR / f"{args.name}.yaml"
    duplicate = _existing_name_problem(data, args.name, target)
    if duplicate:
        problems.append(duplicate)
    if problems:
        return report(problems, "account request")
    content = render(request_document(args, tags))
    problems = check_on_copy(root, target.name, content)
    if problems:
        return report(problems, "account request")
    write_atomically(target, content)
    data = load_org(root)
    account = data.account(args.name)
    print(f"wrote {show_path(target)}; open a pull request with this new file:\n")
    print("\n".join(f"+ {line}" for line in content.rstrip("\n").split("\n")))
    print(f"\nOn merge, `pulumi up` on the org stack creates account {account.name!r} in OU {account.ou!r} "
          f"with root email {account.email}, and publishes its id as "
          f"/<stage>/<context>/{account.name}/account/id.")
    print(f"SCPs that will apply: {', '.join(data.scps_for(account.ou)) or 'none of ours'} "
          "(plus AWS FullAWSAccess)")
    warning = quota_warning(data)
    if warning:
        print(warning, file=sys.stderr)
    return EXIT_OK
