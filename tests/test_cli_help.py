"""The command line's help agrees with the command line, and ``make help`` with the Makefile."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

import pytest

from org.__main__ import build_parser
from tests.conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every sub-command parser, nested ones as 'pattern test'."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = sub
                found.update({f"{name} {k}": v for k, v in subcommands(sub).items()})
    return found


REAL = subcommands(build_parser())
TOP_LEVEL = sorted(name for name in REAL if " " not in name)


@pytest.fixture(scope="module")
def top_help() -> str:
    result = run(sys.executable, "-m", "org", "--help")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_help_lists_every_real_command_in_its_table_and_its_description(top_help):
    listed = re.findall(r"^    (\S+)  ", top_help, flags=re.M)
    assert sorted(listed) == TOP_LEVEL
    description = top_help.split("options:")[0]
    named = set(re.findall(r"\b[a-z]+\b", description.split(":", 1)[1])) & set(TOP_LEVEL)
    assert sorted(named) == TOP_LEVEL, f"commands missing from the description: {set(TOP_LEVEL) - named}"


@pytest.mark.parametrize("command", sorted(REAL))
def test_every_command_has_a_description_and_its_help_has_no_markup(command):
    assert (REAL[command].description or "").strip(), f"{command} has no description"
    result = run(sys.executable, "-m", "org", *command.split(), "--help")
    assert result.returncode == 0, result.stderr
    assert "`" not in result.stdout, f"raw backticks in the help of {command}"


def test_the_top_level_help_has_no_markup(top_help):
    assert "`" not in top_help


def test_vend_help_shows_the_purpose_default():
    help_text = REAL["vend"].format_help()
    purpose = next(a for a in REAL["vend"]._actions if a.dest == "purpose")
    assert purpose.required or "default:" in purpose.help
    assert "--purpose" in help_text


def help_of(command: str, option: str) -> str:
    return next(a.help for a in REAL[command]._actions if option in a.option_strings)


def test_list_json_help_names_the_printed_keys():
    keys = set(re.search(r"\{([^}]*)\}", help_of("list", "--json")).group(1).replace(" ", "").split(","))
    document = json.loads(run(sys.executable, "-m", "org", "list", "--json").stdout)
    accounts = [a for group in document.values() for a in group]
    assert accounts and all(set(a) == keys for a in accounts)


def test_access_json_help_names_the_printed_keys():
    keys = set(re.search(r"\{([^}]*)\}", help_of("access", "--json")).group(1).replace(" ", "").split(","))
    document = json.loads(run(sys.executable, "-m", "org", "access", "--json").stdout)
    assert document and all(set(a) == keys for a in document)


def test_make_help_lists_every_documented_target_and_every_target_is_documented():
    result = run("make", "--no-print-directory", "help")
    assert result.returncode == 0, result.stderr
    listed = re.findall(r"^  make (\S+) ", result.stdout, flags=re.M)
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, flags=re.M).group(1).split()
    assert sorted(listed) == sorted(phony)
    assert len(result.stdout.splitlines()) == len(listed)


# Where the docs describe each command's options: every long option of the real parser must be named there.
DOCUMENTED_IN = {
    "plan": "README.md",
    "vend": "docs/organization.md",
    "pattern test": "docs/event-patterns.md",
}


@pytest.mark.parametrize("command", sorted(DOCUMENTED_IN))
def test_every_option_is_documented(command):
    page = (ROOT / DOCUMENTED_IN[command]).read_text()
    options = [o for a in REAL[command]._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    missing = [o for o in options if not re.search(re.escape(o) + r"\b", page)]
    assert not missing, f"{DOCUMENTED_IN[command]} does not mention {missing} of python -m org {command}"
