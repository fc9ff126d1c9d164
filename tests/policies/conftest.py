"""Start the policy pack the way the Pulumi CLI does, once per stack-config variant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from org.plan.analyzer import Diagnostic, PolicyPackProcess
from tests.policies.corpus.builders import ENVS, PROJECT, STACK, Case, Env

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


class PackPool:
    """Lazily started pack processes keyed by variant; closed at the end of the session."""

    def __init__(self) -> None:
        self._packs: dict[str, PolicyPackProcess] = {}

    def get(self, env: Env, **options: object) -> PolicyPackProcess:
        key = env.key + "".join(f"|{k}={v}" for k, v in sorted(options.items()))
        if key not in self._packs:
            pack = PolicyPackProcess(PACK_DIR, config=env.config, project=PROJECT, stack=STACK, **options)
            pack.start()
            assert pack.handshake() is False  # pulumi-policy 1.21 has no Handshake; the engine tolerates it
            self._packs[key] = pack
        return self._packs[key]

    def close(self) -> None:
        for pack in self._packs.values():
            pack.close()


@pytest.fixture(scope="session")
def packs() -> Iterator[PackPool]:
    pool = PackPool()
    yield pool
    pool.close()


def evaluate(pack: PolicyPackProcess, case: Case) -> list[Diagnostic]:
    """One preview's worth of analysis for a case: config, stack config, Analyze each, AnalyzeStack."""
    pack.configure(case.policy_config)
    pack.configure_stack(tags=case.stack_tags)
    return pack.analyze_all(case.resources)


@pytest.fixture(scope="session")
def run_case(packs: PackPool):
    def _run(case: Case) -> list[Diagnostic]:
        return evaluate(packs.get(case.env), case)

    return _run


__all__ = ["ENVS", "PACK_DIR", "PackPool", "evaluate"]
