"""The analyzer client speaks the protocol like the engine: encoding checked by an echo pack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from org.plan.analyzer import (
    UNKNOWN,
    PolicyPackProcess,
    ProviderDescription,
    ResourceDescription,
    Secret,
    from_recorded,
    make_urn,
    providers_of,
)
from org.plan.runtime import RecordedResource

ECHO = Path(__file__).parent / "echo_pack"


@pytest.fixture(scope="module")
def echo():
    with PolicyPackProcess(ECHO, config={"groundwork:stage": "sandbox", "groundwork:obj": {"a": 1}},
                           stack="sbx") as pack:
        pack.configure({"echo": {"x": "configured"}})
        pack.configure_stack(tags={"team": "shop"})
        yield pack


def _seen(diagnostics):
    assert len(diagnostics) == 1, diagnostics
    return json.loads(diagnostics[0].message.split("\n", 1)[1])


def test_info_lists_policies_with_types_and_levels(echo):
    info = echo.info()
    assert info.name == "echo-pack"
    assert info.policy("echo").policy_type == "resource"
    assert info.policy("echo").enforcement_level == "mandatory"
    assert info.policy("echo").config_schema == {"x": {"type": "string"}}
    assert info.policy("echo-stack").policy_type == "stack"
    assert echo.handshake() is False  # pulumi-policy 1.21 does not implement Handshake


def test_analyze_carries_inputs_options_provider_config_and_stack(echo):
    parent = make_urn("groundwork", "sbx", "groundwork:x:Comp", "c")
    found = echo.analyze(ResourceDescription(
        "aws:sqs/queue:Queue", "jobs", inputs={"name": UNKNOWN, "tags": {"a": "b"}, "kms": Secret("k")},
        protect=True, parent=parent,
        provider=ProviderDescription(inputs={"defaultTags": {"tags": {"owner": "me"}}})))
    seen = _seen(found)
    assert found[0].policy_name == "echo" and found[0].mandatory
    assert seen["urn"] == "urn:pulumi:sbx::groundwork::aws:sqs/queue:Queue::jobs"
    assert seen["protect"] is True and seen["parent"] == parent
    assert seen["provider"] == {"defaultTags": {"tags": {"owner": "me"}}}
    assert seen["stack_tags"] == {"team": "shop"}
    assert seen["config"] == {"x": "configured"}
    assert seen["stage"] == "sandbox" and seen["stack"] == "sbx"
    assert seen["keys"] == ["kms", "name", "tags"]
    assert seen["name_prop"].startswith("unknown: string value at .name")


def test_analyze_stack_links_parents_and_dependencies(echo):
    comp = ResourceDescription("groundwork:x:Comp", "c")
    comp.urn = echo.complete_urn(comp)
    queue = ResourceDescription("aws:sqs/queue:Queue", "q", parent=comp.urn)
    queue.urn = echo.complete_urn(queue)
    policy = ResourceDescription("aws:sqs/queuePolicy:QueuePolicy", "p", dependencies=[queue.urn])
    found = echo.analyze_stack([comp, queue, policy])
    seen = _seen(found)
    assert seen["resources"] == [["groundwork:x:Comp", "c", None, []],
                                 ["aws:sqs/queue:Queue", "q", "c", []],
                                 ["aws:sqs/queuePolicy:QueuePolicy", "p", None, ["q"]]]


def test_remediate_returns_rewritten_inputs(echo):
    [remediation] = echo.remediate(ResourceDescription("aws:sqs/queue:Queue", "q", inputs={"tags": {"a": "b"}}))
    assert remediation.policy_name == "tag-it"
    assert remediation.properties == {"tags": {"a": "b", "remediated": "yes"}}


def test_configure_refuses_unknown_policy(echo):
    with pytest.raises(ValueError, match="nope"):
        echo.configure({"nope": "advisory"})


def test_from_recorded_turns_nones_into_unknowns_and_finds_providers():
    provider = RecordedResource(urn="urn:p", type="pulumi:providers:aws", name="eu", custom=True, parent="",
                                inputs={"region": "eu-west-1", "defaultTags": {"tags": {"a": "b"}}})
    queue = RecordedResource(urn="urn:q", type="aws:sqs/queue:Queue", name="q", custom=True, parent="urn:c",
                             inputs={"name": None, "tags": {"x": "y"}}, protect=True, provider="urn:p::id-1")
    described = from_recorded(queue, providers_of([provider, queue]))
    assert described.inputs == {"name": UNKNOWN, "tags": {"x": "y"}}
    assert described.provider is not None and described.provider.inputs["defaultTags"] == {"tags": {"a": "b"}}
    assert described.protect and described.parent == "urn:c"


def test_start_failure_shows_stderr(tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nname: broken\n")
    (tmp_path / "__main__.py").write_text("raise SystemExit('pack exploded')\n")
    with pytest.raises(RuntimeError, match="pack exploded"):
        with PolicyPackProcess(tmp_path, startup_timeout=20):
            pass
