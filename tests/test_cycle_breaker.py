"""The linear dependency cycle check gives the SDK's answers, and deep chains no longer break it."""

from __future__ import annotations

import random

import pulumi
import pytest
from pulumi.runtime import resource_cycle_breaker as sdk

from components import cycle_breaker
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
