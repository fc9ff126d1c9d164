"""Resources analysed while the program runs give exactly the findings of analysing afterwards."""

from __future__ import annotations

from dataclasses import replace

from org.plan.analyzer import PolicyPackProcess, describe_run
from org.plan.command import make_plan
from tests.conftest import ROOT

OVERRIDES = ['groundwork:org={"path": "org", "closeOnDeletion": true}']


def test_streamed_analysis_equals_analysis_after_the_run():
    plan = make_plan("org", overrides=OVERRIDES)
    assert len(plan.mandatory) == 5  # every account: close-on-deletion is refused in production

    described = describe_run(plan.run.resources, plan.config.values)
    with PolicyPackProcess(ROOT / "policies", config=plan.config.values, project=plan.config.project,
                           stack=plan.config.stack) as pack:
        pack.configure({})
        pack.configure_stack(tags=plan.config.stack_tags, secret_keys=plan.config.secret_keys)
        afterwards = []
        for resource, diagnostics in pack.analyze_each(described):
            afterwards.extend(replace(d, urn=d.urn or resource.urn) for d in diagnostics)
        afterwards.extend(pack.analyze_stack(described))

    def key(d):
        return (d.policy_name, d.urn, d.message, d.enforcement_level)

    assert sorted(map(key, plan.diagnostics)) == sorted(map(key, afterwards))
    assert [key(d) for d in plan.diagnostics] == [key(d) for d in afterwards]  # same order too
