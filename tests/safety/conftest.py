"""Fixtures of the safety tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.org.conftest import EXAMPLE_ORG, copy_example


@pytest.fixture
def org_copy(tmp_path: Path) -> Path:
    """A scratch copy of the example org data with its sso.yaml; tests may change it freely."""
    root = copy_example(tmp_path / "org")
    shutil.copy(EXAMPLE_ORG / "sso.yaml", root / "sso.yaml")
    return root
