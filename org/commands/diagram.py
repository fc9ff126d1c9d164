"""``python -m org diagram``: the OU tree with its accounts as a Mermaid graph (README, pull requests)."""

from __future__ import annotations

import argparse
import re

from org.commands.common import EXIT_INVALID, EXIT_OK, add_root_argument, load_or_report
from org.model import OrgData


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diagram", help="print the OU tree and accounts as Mermaid",
        description="Print the OU tree with every account and its root email as a Mermaid graph "
                    "(graph TD), for the README or a vending pull request's description.")
    add_root_argument(parser)
    parser.add_argument("--markdown", action="store_true", help="wrap the graph in a Markdown mermaid code block")
    parser.set_defaults(handler=run)


def node_id(kind: str, key: str) -> str:
    """A Mermaid-safe, stable node id (``ou_Workloads_Prod``, ``acct_orders_prod``)."""
    return f"{kind}_" + re.sub(r"[^A-Za-z0-9]", "_", key)


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(data: OrgData) -> str:
    """``graph TD``: Root -> OUs (nested) -> accounts, each account with its email."""
    lines = ["graph TD", '  root(("Root"))']
    for path in data.ou_paths:
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        lines.append(f'  {node_id("ou", path)}["{_label(path.rsplit("/", 1)[-1])}"]:::ou')
        lines.append(f"  {node_id('ou', parent) if parent else 'root'} --> {node_id('ou', path)}")
    for account in data.accounts:
        lines.append(f'  {node_id("acct", account.name)}["{_label(account.name)}<br/>'
                     f'<small>{_label(account.email)}</small>"]:::account')
        lines.append(f"  {node_id('ou', account.ou)} --> {node_id('acct', account.name)}")
    lines.append("  classDef ou fill:#e8f0fe,stroke:#1a73e8")
    lines.append("  classDef account fill:#fef7e0,stroke:#f9ab00")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    data = load_or_report(args.root)
    if data is None:
        return EXIT_INVALID
    graph = mermaid(data)
    print(f"```mermaid\n{graph}\n```" if args.markdown else graph)
    return EXIT_OK
