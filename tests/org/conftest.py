"""Fixtures for the org data tests: scratch copies of the example org, optionally with a case layered on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE_ORG = ROOT / "org"
CORPUS = Path(__file__).parent / "corpus"
DATA_ENTRIES = ("organization.yaml", "accounts", "scps")


def copy_example(target: Path) -> Path:
    """Copy only the data of org/ (not its Python code) to ``target``."""
    target.mkdir(parents=True)
    for entry in DATA_ENTRIES:
        source = EXAMPLE_ORG / entry
        if source.is_dir():
            shutil.copytree(source, target / entry)
        else:
            shutil.copy(source, target / entry)
    return target


def layer_case(root: Path, case: str) -> Path:
    """Lay a corpus case over ``root``: files replace or add; a REMOVE file lists paths to delete."""
    case_dir = CORPUS / case
    for path in sorted(case_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(case_dir)
        if relative.name == "REMOVE":
            for line in path.read_text().split():
                (root / line).unlink()
            continue
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, root / relative)
    return root


@pytest.fixture
def org_copy(tmp_path: Path) -> Path:
    """A scratch copy of the example org data; tests may change it freely."""
    return copy_example(tmp_path / "org")
