"""The two-phase program: every feature is checked before any resource is declared.

A mistake in a late feature (bootstrap, pipes, teardown) must not leave the resources of the
features before it registered: under the real engine `pulumi up` starts creating a resource as
soon as it is registered, so the stack would be half-applied.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pulumi
import pytest
from groundwork.errors import ConfigError

from features.program import build, check_all, combine, read_stack
from org.plan.mocks import GroundworkMocks
from org.plan.stackconfig import load_stack_config
from tests.conftest import ROOT, stack_config
from tests.org.conftest import copy_example


class CountingMocks(GroundworkMocks):
    """Records the type of every resource the program registers (components included)."""

    def __init__(self) -> None:
        super().__init__()
        self.created: list[str] = []

    def new_resource(self, args: Any) -> Any:
        self.created.append(args.typ)
        return super().new_resource(args)


def stack_values(stack: str) -> dict[str, Any]:
    return copy.deepcopy(load_stack_config(stack, root=ROOT).values)


def refused(run, config: dict[str, Any], stack: str) -> tuple[str, list[str]]:
    """The one ConfigError's message and the resources registered before it."""
    mocks = CountingMocks()
    with pytest.raises(ConfigError) as error:
        run(build, config=config, stack=stack, mocks=mocks)
    return str(error.value), mocks.created


def test_org_stack_reports_bad_bootstrap_and_sso_together_and_declares_nothing(run):
    config = stack_values("org")
    config["groundwork:bootstrap"]["targets"] = ["Infrastructure", "Nope"]
    config["groundwork:sso"]["identityStoreId"] = "store-1"

    message, created = refused(run, config, "org")

    assert created == []  # not the organization, not the mail domain
    assert message.startswith("Invalid input in 2 features of this stack; nothing was declared.")
    blocks = message.split("\n\n")[1:]
    assert [block.splitlines()[0] for block in blocks] == ["groundwork:sso:", "groundwork:bootstrap:"]
    assert "groundwork:sso.identityStoreId = 'store-1'" in blocks[0]
    assert "must be an identity store id" in blocks[0]
    assert "groundwork:bootstrap.targets[1] = 'Nope': unknown OU" in blocks[1]


def test_a_single_bad_feature_keeps_its_message_unchanged(run):
    config = stack_values("org")
    config["groundwork:bootstrap"]["regions"] = ["eu-west-1", "eu-west-1"]

    message, created = refused(run, config, "org")

    assert created == []
    assert message.startswith("Invalid stack config:\ngroundwork:bootstrap.regions")
    assert "lists a region twice" in message


def test_events_stack_bad_pipes_after_valid_buses_declares_nothing(run):
    config = stack_values("events-dev")
    config["groundwork:pipes"]["dynamodbToEventBus"]["bus"] = "payments"

    message, created = refused(run, config, "events-dev")

    assert created == []  # the buses of groundwork:eventBuses were checked, not declared
    # The bus names are known while checking: the message lists the stack's real buses.
    assert "groundwork:pipes.dynamodbToEventBus.bus = 'payments' is not a bus declared under " \
           "groundwork:eventBuses in this stack; known buses: orders" in message


def test_events_stack_collects_every_feature_and_names_the_pipe_check_it_skipped(run):
    config = stack_values("events-dev")
    config["groundwork:eventBuses"]["maxRulesPerBus"] = 0
    config["groundwork:fanouts"] = {"Orders": {"subscribers": {"billing": {}}}}

    message, created = refused(run, config, "events-dev")

    assert created == []
    blocks = message.split("\n\n")[1:]
    assert [block.splitlines()[0] for block in blocks] == [
        "groundwork:eventBuses:", "groundwork:pipes:", "groundwork:fanouts:"]
    assert "groundwork:eventBuses.maxRulesPerBus = 0" in blocks[0]
    # Not "groundwork:eventBuses is not set": the buses are set but invalid, and said so above.
    assert blocks[1] == ("groundwork:pipes:\n  groundwork:pipes.dynamodbToEventBus.bus = 'orders': not "
                         "checked, groundwork:eventBuses is invalid (see above)")
    assert "groundwork:fanouts: " in blocks[2] and "is not a valid name: names are 1-30 lower-case letters" in blocks[2]


def test_invalid_org_data_is_listed_once_for_every_feature_that_reads_it(run, tmp_path: Path):
    org = copy_example(tmp_path / "org")
    (org / "accounts" / "orders-dev.yaml").write_text("name: orders-dev\nou: Nope\n")
    config = stack_values("org")
    config["groundwork:org"]["path"] = str(org)
    for key in ("mail", "sso", "bootstrap"):
        config[f"groundwork:{key}"]["orgPath"] = str(org)

    message, created = refused(run, config, "org")

    assert created == []
    assert message.count(f"{org}/accounts/orders-dev.yaml: ou: 'Nope' is not an OU") == 1
    blocks = message.split("\n\n")[1:]
    assert blocks[0].startswith("groundwork:org:\n  Invalid org data (run `python -m org validate`):")
    # mail, sso and bootstrap read the same folder: one short line for all three, no second list.
    assert blocks[1] == (f"groundwork:mail, groundwork:sso, groundwork:bootstrap:\n  not checked: the org "
                         f"data in {org.as_posix()!r} is invalid (see its problems above)")


def test_ephemeral_teardown_settings_are_checked_with_the_features(run):
    config = stack_config(usage="EPHEMERAL", ttlHours="8", teardown={"backendUrl": "s3://bucket"},
                          fanouts={"orders": {"subscribers": {"billing": {"maxReceiveCount": 0}}}})

    message, created = refused(run, config, "feature-x")

    assert created == []
    blocks = message.split("\n\n")[1:]
    assert [block.splitlines()[0] for block in blocks] == ["groundwork:fanouts:", "groundwork:teardown:"]
    assert "groundwork:teardown.deployRoleArn" in blocks[1]


@pytest.mark.parametrize("stack, features", [
    ("org", ["org", "mail", "sso", "bootstrap"]),
    ("events-dev", ["buses", "pipes", "fanouts"]),
    ("sandbox", ["teardown"]),
])
def test_checking_the_example_stacks_declares_nothing(run, stack, features):
    def check_only() -> None:
        config = pulumi.Config("groundwork")
        plan = check_all(read_stack(config), config)
        pulumi.export("plans", [name for name, value in vars(plan).items() if value is not None and name != "org_loads"])

    result = run(check_only, config=stack_values(stack), stack=stack)

    assert result.resources == []
    assert result.stack_outputs["plans"] == features


def test_example_stacks_declare_after_checking(run):
    result = run(build, config=stack_values("events-dev"), stack="events-dev")
    bus = result.one("aws:cloudwatch/eventBus:EventBus", "bus-orders-bus")
    pipe = result.one("aws:pipes/pipe:Pipe", "power-events")
    assert pipe.inputs["target"] == bus.outputs["arn"]  # the pipe still targets the declared bus


def test_combine_keeps_one_message_as_is_and_merges_identical_ones():
    assert combine([("sso", "Invalid stack config:\nx")]) == "Invalid stack config:\nx"
    merged = combine([("sso", "same"), ("bootstrap", "same"), ("pipes", "a\n\nb")])
    assert merged == ("Invalid input in 3 features of this stack; nothing was declared. Fix all of these:\n\n"
                      "groundwork:sso, groundwork:bootstrap:\n  same\n\ngroundwork:pipes:\n  a\n\n  b")


def test_every_feature_has_both_phases_and_a_unique_key():
    from features.program import FEATURES, Feature

    keys = [feature.key for feature in FEATURES]
    assert len(set(keys)) == len(keys), keys
    for feature in FEATURES:
        assert isinstance(feature, Feature), feature
        assert callable(feature.check), f"{feature.key}: check (phase 1) is missing"
        assert callable(feature.declare), f"{feature.key}: declare (phase 2) is missing"
        assert feature.check is not feature.declare, f"{feature.key}: check and declare are one function"


def test_every_listed_feature_is_checked_by_the_program(run):
    """FEATURES (the keys the program accepts) and check_all (what it runs) agree: a feature listed
    but not wired would accept its key and silently build nothing."""
    from features.program import FEATURES

    config = stack_config(**{feature.key: ["not", "an", "object"] for feature in FEATURES})
    with pytest.raises(ConfigError) as refused:
        run(build, config=config)
    message = str(refused.value)
    unchecked = [f.key for f in FEATURES if f"groundwork:{f.key}" not in message]
    assert unchecked == []
    assert f"Invalid input in {len(FEATURES)} features" in message
