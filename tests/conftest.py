"""Shared fixtures: run programs under the mock runtime and inspect what they declared."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# The policy pack's own modules (groundwork_policies), for tests of its pure functions; the pack
# itself runs as the CLI runs it (tests/policies/conftest.py).
if str(ROOT / "policies") not in sys.path:
    sys.path.append(str(ROOT / "policies"))

from org.plan.runtime import ProgramRun, run_program  # noqa: E402

FIXED_NOW = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)

BASE_CONFIG: dict[str, Any] = {
    "aws:region": "eu-west-1",
    "groundwork:context": "shop",
    "groundwork:stage": "dev",
    "groundwork:owner": "team-shop@example.com",
    "groundwork:usage": "PRODUCTION",
}


def stack_config(**overrides: Any) -> dict[str, Any]:
    """BASE_CONFIG with ``groundwork:<key>`` overrides (use None to drop a key)."""
    config = dict(BASE_CONFIG)
    for key, value in overrides.items():
        full = key if ":" in key else f"groundwork:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    return config


@pytest.fixture
def run() -> Callable[..., ProgramRun]:
    """``run(program, config=...)`` -> ProgramRun with every resource, its inputs and options."""

    def _run(program: Callable[[], Any] | Path | str, config: dict[str, Any] | None = None,
             **kwargs: Any) -> ProgramRun:
        return run_program(program, config=config if config is not None else stack_config(), **kwargs)

    return _run


def assert_refused(run: Callable[..., ProgramRun], config: dict[str, Any], *fragments: str) -> str:
    """Run the whole program with ``config``; assert it stops with a ConfigError containing every fragment."""
    from groundwork.errors import ConfigError

    from features.program import build

    with pytest.raises(ConfigError) as error:
        run(build, config=config)
    message = str(error.value)
    for fragment in fragments:
        assert fragment in message, message
    return message
