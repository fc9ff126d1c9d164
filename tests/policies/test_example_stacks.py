"""The repository's own example stacks pass the pack with no mandatory violation.

Every ``Pulumi.<stack>.yaml`` at the root is planned offline (the real program under mocks) and
its resources are sent through the pack as the engine would send them, so stacks and features
merged later are covered automatically.
"""

from __future__ import annotations

import pytest

from org.plan.analyzer import PolicyPackProcess, analyze_recorded, describe_run
from org.plan.command import plan_stack
from org.plan.stackconfig import PROJECT_ROOT, load_stack_config
from tests.policies.conftest import PACK_DIR

STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in PROJECT_ROOT.glob("Pulumi.*.yaml"))


def test_there_are_example_stacks():
    assert {"org", "events-dev", "sandbox"} <= set(STACKS)


def test_sandbox_stack_is_actually_checked():
    """The EPHEMERAL example declares its teardown; the pack sees the schedule and the tags."""
    run = plan_stack("sandbox")
    types = {r.type for r in run.resources}
    assert {"groundwork:lifecycle:EphemeralTeardown", "aws:scheduler/schedule:Schedule"} <= types
    config = load_stack_config("sandbox")
    resources = [r for r in describe_run(run.resources, config.values)
                 if r.type != "aws:scheduler/schedule:Schedule"]
    with PolicyPackProcess(PACK_DIR, config=config.values, stack="sandbox") as pack:
        pack.configure()
        pack.configure_stack()
        found = {d.policy_name for d in pack.analyze_all(resources) if d.mandatory}
    assert found == {"ephemeral-teardown"}


@pytest.mark.parametrize("stack", STACKS)
def test_example_stack_has_no_mandatory_violation(stack):
    config = load_stack_config(stack)
    run = plan_stack(stack)
    diagnostics = analyze_recorded(run.resources, config.values, pack_dir=PACK_DIR, project=config.project,
                                   stack=stack, stack_tags=config.stack_tags, secret_keys=config.secret_keys)
    mandatory = [f"{d.policy_name} {d.urn}: {d.message}" for d in diagnostics if d.mandatory]
    assert mandatory == [], "\n".join(mandatory)
