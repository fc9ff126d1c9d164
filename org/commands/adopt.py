"""``python -m org adopt``: bring an existing AWS Organization under Groundwork.

Reads the live organization (OUs, accounts, SCPs, trusted services, delegated administrators,
IAM Identity Center) with the standard AWS credential chain and writes ``organization.yaml``,
``accounts/*.yaml``, ``scps/*.json`` and ``sso.yaml`` with every object's id (``importId``), so
the first ``pulumi up`` imports instead of creating. What the files cannot express is listed.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from botocore.exceptions import BotoCoreError, ClientError

from org.adopt.files import existing_entries, stage, swap_in
from org.adopt.reader import read_organization
from org.adopt.translate import adopt
from org.commands.common import EXIT_INVALID, EXIT_OK, add_root_argument, report
from org.loader import OrgValidationError, load_org, show_path
from org.model import DOMAIN, is_email
from org.sso import load_sso

EXIT_AWS = 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "adopt", help="write the data files of an existing AWS Organization (every object imported, not created)",
        description="Read the live organization and IAM Identity Center with the management account's "
                    "credentials (standard AWS chain; AWS_ENDPOINT_URL honoured) and write organization.yaml, "
                    "accounts/, scps/ and sso.yaml with every object's id, so the first pulumi up imports "
                    "it. Lists what the files cannot express. Writes nothing unless every file validates; "
                    "refuses to replace existing files without --force. Exit 0: written; 1: AWS refused "
                    "a call; 2: invalid arguments or existing files.")
    add_root_argument(parser)
    parser.add_argument("--mail-domain", required=True,
                        help="mailDomain of organization.yaml; accounts whose root email differs keep it as email:")
    parser.add_argument("--owner", required=True,
                        help="owner of adopted accounts without an owner/account-owner tag (an email address)")
    parser.add_argument("--sso-region", help="region of IAM Identity Center (default: the session's region)")
    parser.add_argument("--force", action="store_true",
                        help="replace existing organization.yaml, sso.yaml, accounts/ and scps/")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    problems = []
    if not DOMAIN.match(args.mail_domain):
        problems.append(f"--mail-domain {args.mail_domain!r}: must be a lower-case DNS domain, e.g. aws.acme.example")
    if not is_email(args.owner) or args.owner.lower().endswith("@" + args.mail_domain.lower()):
        problems.append(f"--owner {args.owner!r}: must be an email address outside the mail domain")
    existing = existing_entries(args.root)
    if existing and not args.force:
        problems.append(f"{show_path(args.root)}: already holds {', '.join(show_path(p) for p in existing)}; "
                        "adopt writes nothing over them unless --force")
    if problems:
        return report(problems, "adopt arguments")
    try:
        live = read_organization(sso_region=args.sso_region)
    except (BotoCoreError, ClientError, ValueError) as error:
        print(f"error: reading the organization failed, nothing written: {error}", file=sys.stderr)
        return EXIT_AWS
    try:
        adoption = adopt(live, mail_domain=args.mail_domain, owner=args.owner)
    except ValueError as error:
        print(f"error: {error}; nothing written", file=sys.stderr)
        return EXIT_INVALID
    staging = stage(args.root, adoption.files)
    try:
        data = load_org(staging)  # the files must pass `validate` before they replace anything
        if (staging / "sso.yaml").is_file():
            load_sso(staging / "sso.yaml", data)
    except OrgValidationError as error:
        shutil.rmtree(staging, ignore_errors=True)
        report([p.replace(str(staging), show_path(args.root)) for p in error.problems], "adopted data")
        print("nothing written: the organization has objects the data files cannot hold as they are", file=sys.stderr)
        return EXIT_INVALID
    swap_in(staging, args.root)
    print(f"{show_path(args.root)}: adopted organization {live.id}: {len(data.ou_paths)} OUs, "
          f"{adoption.accounts} accounts, {len(data.scps)} SCPs; {adoption.imports} objects to import")
    for note in adoption.notes:
        print(f"note: {note}")
    if adoption.unexpressed:
        print(f"\nNot expressed in the data files ({len(adoption.unexpressed)}); each stays in AWS as it is:")
        for line in adoption.unexpressed:
            print(f"  - {line}")
    print("\nNext: `python -m org validate`, then `python -m org plan --stack <stack>` shows every object as "
          "an import; see docs/organization.md (Adopting an existing organization).")
    return EXIT_OK
