"""AWS facts the policies depend on, kept as data files next to this module with their source and
the date they were checked (tests fail once a file is older than its allowed age)."""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
LAMBDA_RUNTIMES = HERE / "lambda_runtimes.json"
RDS_ENGINES = HERE / "rds_engines.json"


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def checked(path: Path) -> date:
    return date.fromisoformat(_load(path)["checked"])


def lambda_deprecations() -> dict[str, str]:
    """Lambda runtime identifier -> its deprecation date (YYYY-MM-DD)."""
    return {name: entry["deprecated"] for name, entry in _load(LAMBDA_RUNTIMES)["runtimes"].items()}


def lambda_current() -> dict[str, str]:
    """Runtime family (python, nodejs, ...) -> the newest runtime of that family."""
    return dict(_load(LAMBDA_RUNTIMES)["current"])


@functools.cache
def rds_end_of_standard_support() -> dict[str, dict[str, str]]:
    """RDS engine -> major version -> end of RDS standard support (YYYY-MM-DD)."""
    return {engine: {major: v["endOfStandardSupport"] for major, v in entry["majorVersions"].items()}
            for engine, entry in _load(RDS_ENGINES)["engines"].items()}


def rds_source(engine: str) -> str:
    return _load(RDS_ENGINES)["engines"][engine]["source"]
