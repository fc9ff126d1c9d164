"""The example stack Pulumi.events-dev.yaml plans offline with buses and fan-out as documented."""

from __future__ import annotations

import json

from org.plan.command import plan_stack
from org.plan.stackconfig import SECRET_PLACEHOLDER


def test_events_dev_example_plans():
    result = plan_stack("events-dev")
    assert {r.name for r in result.of_type("groundwork:events:EventBusPlatform")} == {"bus-orders"}
    # One bus in the stack: the DynamoDB -> bus pipe puts its events on `orders`, not on a bus of its own.
    assert [b.inputs["name"] for b in result.of_type("aws:cloudwatch/eventBus:EventBus")] == ["orders-dev-orders"]
    assert {r.inputs["name"] for r in result.of_type("aws:cloudwatch/eventRule:EventRule")} == {
        "orders-dev-orders-placed-to-buffer", "orders-dev-orders-power-updated-to-buffer",
        "orders-dev-orders-shipped-to-partner"}
    assert result.one("aws:cloudwatch/eventArchive:EventArchive").inputs["retentionDays"] == 30
    connection = result.one("aws:cloudwatch/eventConnection:EventConnection")
    assert connection.inputs["authorizationType"] == "OAUTH_CLIENT_CREDENTIALS"
    # The secure value in the stack file reaches the connection (as the plan's placeholder).
    assert connection.inputs["authParameters"]["oauth"]["clientParameters"]["clientSecret"] == SECRET_PLACEHOLDER
    policy = json.loads(result.one("aws:cloudwatch/eventBusPolicy:EventBusPolicy").inputs["policy"])
    assert policy["Statement"][0]["Principal"]["AWS"] == ["arn:aws:iam::111122223333:root",
                                                          "arn:aws:iam::444455556666:root"]
    subscriptions = {r.name: json.loads(r.inputs["filterPolicy"])
                     for r in result.of_type("aws:sns/topicSubscription:TopicSubscription")}
    assert subscriptions["fanout-orders-billing-subscription"]["dataversion"] == ["1.0"]
    assert subscriptions["fanout-orders-shipping-subscription"]["dataversion"] == ["2.0"]
    assert subscriptions["fanout-orders-analytics-subscription"]["type"] == [{"prefix": "order."}]
    # The pipes of the same stack warn about their own pitfalls; buses and fan-out warn about nothing.
    assert [w for w in result.warnings() if not w.startswith("EventPipe ")] == []
