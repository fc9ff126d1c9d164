"""A linear replacement for the Pulumi Python SDK's dependency cycle check (same answers).

Before the SDK records "A depends on B" (every ``depends_on`` entry and every resource whose
output is an input) it asks whether A is reachable from B. Its check is a recursive generator:
each step of a dependency chain N deep costs N frames, so one check is O(N^2), and past about
1,000 steps it raises ``RecursionError``. The organization's accounts form exactly such a chain
(``accountCreationBatchSize: 1`` makes each account wait for the previous one), so an org stack
with ~1,000 accounts could not even be evaluated.

The replacement numbers resources in creation order. A program can only hand a resource (or
its outputs) to resources created after it, so edges normally point to older resources and a
path from B only reaches resources older than B: if A is younger, A is not reachable, in O(1).
An edge that points to a younger resource (possible through a component's children or an
output resolved late) switches that shortcut off for good and every check walks the graph,
iteratively, like the SDK does (without its recursion).

It replaces private SDK functions, so it only installs on the pulumi release it was verified
against (``VERIFIED_PULUMI``) and warns loudly otherwise: the program then runs on the SDK's own
check, which is correct but fails past ~1,000 chained resources. After a pulumi upgrade, re-run
``tests/test_cycle_breaker.py`` and raise ``VERIFIED_PULUMI`` (see docs/upgrading.md); the
fix proposed upstream is in docs/upstream/pulumi-linear-cycle-check.md.
"""

from __future__ import annotations

import itertools
from importlib import metadata
from typing import Any

import pulumi
from pulumi.runtime import resource_cycle_breaker as sdk

VERIFIED_PULUMI = "3.272.0"
_SDK_NAMES = ("_reachable", "_add_dep", "_deps", "_DEPENDENCIES_PROPERTY")
_ORDER = "_groundwork_order"
_counter = itertools.count()
_state = {"younger_edges": 0, "installed": False}


def _order(resource: Any) -> int | None:
    return getattr(resource, _ORDER, None)


def reachable(from_resource: Any, to_resource: Any) -> bool:
    """True if ``to_resource`` is ``from_resource`` or one of its transitive dependencies."""
    if from_resource == to_resource:
        return True
    start, target = _order(from_resource), _order(to_resource)
    if not _state["younger_edges"] and start is not None and target is not None and target > start:
        return False
    visited: set[Any] = set()
    pending = [from_resource]
    while pending:
        current = pending.pop()
        if current in visited:
            continue
        if current == to_resource:
            return True
        visited.add(current)
        pending.extend(sdk._deps(current))
    return False


def add_dependency(from_resource: Any, to_resource: Any) -> None:
    """Record the edge in place (the SDK copies the whole set on every edge)."""
    deps = getattr(from_resource, sdk._DEPENDENCIES_PROPERTY, None)
    if deps is None:
        setattr(from_resource, sdk._DEPENDENCIES_PROPERTY, {to_resource})
    else:
        deps.add(to_resource)
    older, younger = _order(to_resource), _order(from_resource)
    if older is None or younger is None or older >= younger:
        _state["younger_edges"] += 1


def why_not_installable(version: str | None = None) -> str | None:
    """Why the patch must not be applied to this SDK (None when it may): version or internals differ."""
    version = version or metadata.version("pulumi")
    if version != VERIFIED_PULUMI:
        return f"pulumi {version} is not the verified {VERIFIED_PULUMI}"
    missing = [name for name in _SDK_NAMES if not hasattr(sdk, name)]
    if missing:
        return f"pulumi.runtime.resource_cycle_breaker lacks {', '.join(missing)}"
    return None


def install() -> bool:
    """Use the linear check in this process; False, with a loud warning, if it cannot apply.

    Call it before the first resource is created (resources created earlier carry no number,
    so every check involving them walks the graph: still correct, just not faster).
    """
    if _state["installed"]:
        return True
    reason = why_not_installable()
    if reason:
        pulumi.log.warn(f"groundwork's linear dependency-cycle check is NOT installed ({reason}); "
                        "the SDK's recursive check stays, and a chain of more than ~1,000 dependent "
                        "resources (e.g. accounts created one at a time) will fail with RecursionError. "
                        "Re-verify components/cycle_breaker.py against this pulumi release.")
        return False
    original_init = pulumi.Resource.__init__

    def numbered_init(self: Any, *args: Any, **kwargs: Any) -> None:
        setattr(self, _ORDER, next(_counter))  # before the SDK runs: children come later
        original_init(self, *args, **kwargs)

    pulumi.Resource.__init__ = numbered_init  # type: ignore[method-assign]
    sdk._reachable = reachable
    sdk._add_dep = add_dependency
    _state["installed"] = True
    return True


def reset() -> None:
    """Forget edges to younger resources (a new program run in the same process starts clean)."""
    _state["younger_edges"] = 0
