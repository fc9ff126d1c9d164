"""The linear dependency cycle check gives the SDK's answers, and deep chains no longer break it."""

from __future__ import annotations

import random

import pulumi
import pytest
from groundwork import cycle_breaker
from pulumi.runtime import resource_cycle_breaker as sdk

from org.plan.runtime import run_program


class Node:
    """A stand-in resource: numbered like cycle_breaker numbers resources, edges in SDK storage."""

    def __init__(self, order: int | None) -> None:
        if order is not None:
            setattr(self, cycle_breaker._ORDER, order)


def _sdk_reachable(start, target) -> bool:
    """The SDK's definition, written iteratively so deep graphs can be compared."""
    seen, pending = set(), [start]
    while pending:
        node = pending.pop()
        if node is target:
            return True
        if node not in seen:
            seen.add(node)
            pending.extend(getattr(node, sdk._DEPENDENCIES_PROPERTY, set()))
    return False


@pytest.mark.parametrize("seed", range(20))
def test_same_answers_as_the_sdk_on_random_graphs(seed, monkeypatch):
    monkeypatch.setitem(cycle_breaker._state, "younger_edges", 0)
    rng = random.Random(seed)
    nodes = [Node(i if rng.random() > 0.05 else None) for i in range(60)]
    for _ in range(150):
        a, b = rng.sample(nodes, 2)
        if rng.random() < 0.8 and getattr(a, cycle_breaker._ORDER, -1) < getattr(b, cycle_breaker._ORDER, -1):
            a, b = b, a  # mostly older targets, as programs produce; some younger ones too
        expected_cycle = _sdk_reachable(b, a)
        assert cycle_breaker.reachable(b, a) == expected_cycle
        if not expected_cycle:
            cycle_breaker.add_dependency(a, b)
    for a in nodes:
        for b in nodes:
            assert cycle_breaker.reachable(a, b) == _sdk_reachable(a, b)


def test_shortcut_is_off_once_an_edge_points_to_a_younger_resource(monkeypatch):
    monkeypatch.setitem(cycle_breaker._state, "younger_edges", 0)
    old, young = Node(1), Node(2)
    cycle_breaker.add_dependency(old, young)  # e.g. through a component's later child
    assert cycle_breaker._state["younger_edges"] == 1
    assert cycle_breaker.reachable(old, young) is True


def test_a_dependency_chain_of_3000_resources_registers():
    """The SDK's recursive check raised RecursionError past ~1,000 chained resources."""
    def program() -> None:
        previous = None
        for index in range(3000):
            previous = pulumi.CustomResource("test:index:Thing", f"thing-{index}", {"n": index},
                                             pulumi.ResourceOptions(depends_on=[previous] if previous else []))

    result = run_program(program)
    assert len(result.resources) == 3000
    last = result.resources[-1]
    assert last.dependencies == [result.resources[-2].urn]


def test_installed_on_the_verified_sdk():
    """The program and the plan rely on it: a pulumi bump must re-verify before the patch applies."""
    assert cycle_breaker.why_not_installable() is None
    assert cycle_breaker.install() is True
    assert sdk._reachable is cycle_breaker.reachable
    assert sdk._add_dep is cycle_breaker.add_dependency


def test_refuses_another_pulumi_release_and_says_why(monkeypatch):
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", warnings.append)
    monkeypatch.setitem(cycle_breaker._state, "installed", False)
    monkeypatch.setattr(cycle_breaker, "VERIFIED_PULUMI", "0.0.1")
    before = (sdk._reachable, sdk._add_dep, pulumi.Resource.__init__)
    assert cycle_breaker.install() is False
    assert (sdk._reachable, sdk._add_dep, pulumi.Resource.__init__) == before
    assert len(warnings) == 1
    assert "NOT installed" in warnings[0] and "is not the verified 0.0.1" in warnings[0]


def test_refuses_an_sdk_whose_internals_moved(monkeypatch):
    monkeypatch.delattr(sdk, "_add_dep")
    assert "lacks _add_dep" in cycle_breaker.why_not_installable(cycle_breaker.VERIFIED_PULUMI)


def test_the_sdk_check_is_still_recursive():
    """Why the patch exists. When this fails, the SDK's own walk no longer recurses: drop the patch.

    ``install`` replaces ``_reachable``; the recursive generator it was built on stays in the SDK.
    """
    chain = [Node(None) for _ in range(3000)]
    for older, younger in zip(chain, chain[1:], strict=False):
        setattr(younger, sdk._DEPENDENCIES_PROPERTY, {older})
    with pytest.raises(RecursionError):
        for _ in sdk._with_transitive_deps(chain[-1], set()):
            pass
