"""Refusals of groundwork:eventBuses: clear messages, and nothing declared when config is wrong."""

from __future__ import annotations

import pytest
from groundwork.errors import ConfigError

from features.program import build
from tests.buses.helpers import bus_config, bus_settings
from tests.conftest import assert_refused

PLACED = {"source": ["com.acme.orders"], "detail-type": ["order.placed"]}


def rules_of(n: int) -> dict:
    return {f"rule-{i}": {"pattern": PLACED, "targets": [{"type": "sqsBuffer", "name": "buffer"}]}
            for i in range(n)}



def test_more_than_five_targets_per_rule(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["targets"] = [
        {"type": "sqsBuffer", "name": f"buffer-{i}"} for i in range(6)]
    assert_refused(run, bus_config(settings),
                   "groundwork:eventBuses.buses.orders.rules.placed-to-buffer.targets",
                   "6 targets; EventBridge allows at most 5 targets per rule")


def test_five_targets_are_fine(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["targets"] = [
        {"type": "sqsBuffer", "name": f"buffer-{i}"} for i in range(5)]
    result = run(build, config=bus_config(settings))
    assert len(result.of_type("aws:cloudwatch/eventTarget:EventTarget")) == 6  # 5 + the partner rule


def test_rule_count_guard_is_configurable(run):
    settings = bus_settings(rules=rules_of(4))
    settings["maxRulesPerBus"] = 3
    assert_refused(run, bus_config(settings), "groundwork:eventBuses.buses.orders: 4 rules on one bus, "
                   "more than 3 (the configured guard maxRulesPerBus)")


def test_default_rule_guard_is_the_regional_quota(run):
    settings = bus_settings(rules=rules_of(101), apiDestinations={})
    config = bus_config(settings)
    config["aws:region"] = "eu-south-1"
    assert_refused(run, config, "101 rules on one bus, more than 100 (the default EventBridge quota "
                   "'Rules per event bus' for this region)")


def test_three_hundred_rules_pass_the_default_guard_elsewhere():
    from groundwork.buses.bus import check_bus
    from groundwork.context import context_from_mapping

    from features.buses.program import parse
    from features.buses.settings import bus_args

    ctx = context_from_mapping({"context": "shop", "stage": "dev", "owner": "team-shop@example.com",
                                "usage": "PRODUCTION"})

    def args(n):
        bus = parse(bus_settings(rules=rules_of(n), apiDestinations={}, producers=[])).buses["orders"]
        return bus_args(ctx, "orders", bus)

    import pulumi

    pulumi.runtime.set_all_config({"aws:region": "eu-west-1"})
    check_bus("bus", args(300))
    with pytest.raises(ConfigError, match="301 rules on one bus, more than 300"):
        check_bus("bus", args(301))


def test_invalid_event_pattern_names_the_rule_and_path(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["pattern"] = {"source": "com.acme.orders"}
    assert_refused(run, bus_config(settings),
                   "groundwork:eventBuses.buses.orders.rules.placed-to-buffer.pattern",
                   "invalid event pattern at")


def test_pattern_over_the_size_quota(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["pattern"] = {
        "source": [f"com.acme.source-{i:04d}" for i in range(120)]}
    assert_refused(run, bus_config(settings), "rules.placed-to-buffer.pattern", "'Event pattern size' is 2048")
    settings["maxPatternLength"] = 4096
    run(build, config=bus_config(settings))


def test_samples_that_do_not_behave_stop_the_deploy(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["samples"] = {
        "mustMatch": [{"source": "com.acme.orders", "detail-type": "order.cancelled", "detail": {}}]}
    assert_refused(run, bus_config(settings), "groundwork:eventBuses.buses.orders.rules.placed-to-buffer: "
                   "sample event #1 should match but does not (first mismatch: detail-type)")


def test_sample_event_files_are_read_like_pipes_samples(run, tmp_path):
    sample = tmp_path / "cancelled.json"  # absolute here; relative paths start at the project root
    sample.write_text('{"source": "com.acme.orders", "detail-type": "order.cancelled", "detail": {}}')
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["samples"] = {"mustMatch": [str(sample)]}
    assert_refused(run, bus_config(settings), "rules.placed-to-buffer: sample event #1 should match")


def test_samples_that_behave_pass(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["samples"] = {
        "mustMatch": [{"source": "com.acme.orders", "detail-type": "order.placed", "detail": {}}],
        "mustNotMatch": [{"source": "com.acme.orders", "detail-type": "order.cancelled", "detail": {}}]}
    result = run(build, config=bus_config(settings))
    rules = [rule for rule in result.of_type("aws:cloudwatch/eventRule:EventRule")
             if rule.name == "bus-orders-placed-to-buffer-rule"]
    assert len(rules) == 1, "a rule whose samples behave is declared"


def test_unknown_producer_account_is_named(run):
    settings = bus_settings(producers=["shop-prod", "ghost-account"])
    assert_refused(run, bus_config(settings),
                   "groundwork:eventBuses.buses.orders.producers: unknown account 'ghost-account'",
                   "known in groundwork:eventBuses.accountIds: shop-prod")


def test_bad_account_id(run):
    settings = bus_settings()
    settings["accountIds"]["shop-prod"] = "1234"
    assert_refused(run, bus_config(settings), "groundwork:eventBuses.accountIds", "not a 12-digit account id")


@pytest.mark.parametrize("retry,fragment", [
    ({"maxAgeSeconds": 59}, "maxAgeSeconds"),
    ({"maxAgeSeconds": 86401}, "maxAgeSeconds"),
    ({"maxAttempts": 186}, "maxAttempts"),
    ({"maxAttempts": -1}, "maxAttempts"),
])
def test_retry_policy_bounds(run, retry, fragment):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["targets"][0]["retry"] = retry
    assert_refused(run, bus_config(settings), fragment)


def test_fifo_buffer_without_message_group(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["targets"] = [
        {"type": "sqsBuffer", "name": "importer", "fifo": True}]
    assert_refused(run, bus_config(settings), "a FIFO buffer needs messageGroupId")


def test_buffer_queue_feeding_several_filtered_consumers_is_refused(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["targets"][0]["consumers"] = [
        {"name": "invoicer", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:invoicer",
         "filter": {"body": {"detail": {"country": ["FR"]}}}},
        {"name": "reporter", "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:reporter"},
    ]
    message = assert_refused(run, bus_config(settings),
                             "groundwork:eventBuses.buses.orders.rules.placed-to-buffer.targets.importer",
                             "is the event source of 2 consumers (invoicer, reporter)",
                             "delete a message that does not match a consumer's filter")
    assert "lost" in message


def test_one_consumer_on_a_buffer_is_wired(run):
    settings = bus_settings()
    fn = "arn:aws:lambda:eu-west-1:123456789012:function:invoicer"
    settings["buses"]["orders"]["rules"]["placed-to-buffer"]["targets"][0]["consumers"] = [
        {"name": "invoicer", "functionArn": fn, "batchSize": 50, "maxBatchingWindowSeconds": 10}]
    result = run(build, config=bus_config(settings))
    mapping = result.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    buffer = result.one("aws:sqs/queue:Queue", "bus-orders-placed-to-buffer-importer-buffer")
    assert mapping.inputs["eventSourceArn"] == buffer.outputs["arn"]
    assert mapping.inputs["functionName"] == fn
    assert mapping.inputs["batchSize"] == 50
    assert mapping.inputs["maximumBatchingWindowInSeconds"] == 10


def test_unknown_setting_is_named(run):
    settings = bus_settings()
    settings["buses"]["orders"]["rulez"] = {}
    assert_refused(run, bus_config(settings), "groundwork:eventBuses.buses.orders.rulez is not a known setting")


def test_refusal_declares_nothing(run):
    """Validation happens before the first resource: a refused config leaves no half-built bus."""
    from org.plan.runtime import RecordingMonitor

    recorded = []
    original = RecordingMonitor.RegisterResource

    def spy(self, request):
        recorded.append(request.type)
        return original(self, request)

    settings = bus_settings(producers=["ghost-account"])
    RecordingMonitor.RegisterResource = spy
    try:
        with pytest.raises(ConfigError):
            run(build, config=bus_config(settings))
    finally:
        RecordingMonitor.RegisterResource = original
    assert [t for t in recorded if t != "pulumi:pulumi:Stack"] == []
