"""The filter-policy builder: CloudEvents attributes in, an SNS policy within the limits out."""

from __future__ import annotations

import json

import pytest

from components.buses.limits import MAX_FILTER_POLICY_BYTES
from components.fanout.filter_policy import (
    CloudEventsFilter,
    FilterPolicyError,
    build_filter_policy,
    check_filter_policy,
    combinations,
    filter_policy_json,
)


def test_core_attributes_and_extensions():
    policy = build_filter_policy(CloudEventsFilter.of(
        source=["com.acme.orders"], type=["order.placed"], dataversion=["1.0"],
        extensions={"tenant": ["eu"]},
    ))
    assert policy == {"source": ["com.acme.orders"], "type": ["order.placed"],
                      "dataversion": ["1.0"], "tenant": ["eu"]}


def test_trailing_star_is_a_prefix_match_and_duplicates_collapse():
    policy = build_filter_policy(CloudEventsFilter.of(type=["order.*", "order.*", "refund.issued"]))
    assert policy == {"type": [{"prefix": "order."}, "refund.issued"]}


def test_operators_pass_through():
    policy = build_filter_policy(CloudEventsFilter.of(
        dataversion=[{"anything-but": ["1.0"]}], extensions={"traceparent": [{"exists": True}]}))
    assert policy == {"dataversion": [{"anything-but": ["1.0"]}], "traceparent": [{"exists": True}]}


def test_empty_filter_means_no_policy():
    assert build_filter_policy(CloudEventsFilter()) is None


def test_json_is_compact_and_stable():
    text = filter_policy_json({"type": ["a"], "source": ["s"]})
    assert text == '{"source":["s"],"type":["a"]}'


@pytest.mark.parametrize("spec,fragment", [
    (CloudEventsFilter.of(type=["*"]), "only a trailing '*'"),
    (CloudEventsFilter.of(type=["order.*.v1*"]), "only a trailing '*'"),
    (CloudEventsFilter.of(type=[{"wildcard": "order.*"}]), "operator 'wildcard' is not one of"),
    (CloudEventsFilter.of(type=[{"prefix": ""}]), "'prefix' takes a non-empty string"),
    (CloudEventsFilter.of(type=[{"exists": "yes"}]), "'exists' takes true or false"),
    (CloudEventsFilter.of(type=[42]), "neither a string nor one operator object"),
    (CloudEventsFilter.of(extensions={"type": ["x"]}), "use the 'type' field"),
    (CloudEventsFilter.of(extensions={"Tenant-Id": ["x"]}), "1-20 lower-case letters or digits"),
])
def test_malformed_filters(spec, fragment):
    with pytest.raises(FilterPolicyError, match=fragment.replace("*", r"\*").replace("(", r"\(")):
        build_filter_policy(spec)


def test_more_than_five_keys_is_refused():
    spec = CloudEventsFilter.of(type=["a"], source=["s"], dataversion=["1"],
                                extensions={"tenant": ["t"], "region": ["r"], "channel": ["c"]})
    with pytest.raises(FilterPolicyError, match="has 6 keys .*SNS allows at most 5 keys"):
        build_filter_policy(spec)


def test_five_keys_are_fine():
    spec = CloudEventsFilter.of(type=["a"], source=["s"], dataversion=["1"],
                                extensions={"tenant": ["t"], "region": ["r"]})
    assert len(build_filter_policy(spec)) == 5


def test_combinations_over_150_are_refused_with_the_arithmetic():
    spec = CloudEventsFilter.of(type=[f"order.t{i}" for i in range(16)],
                                dataversion=[f"{i}.0" for i in range(10)])
    with pytest.raises(FilterPolicyError, match=r"16 x 10 = 160 combinations .*at most 150"):
        build_filter_policy(spec)


def test_exactly_150_combinations_pass():
    spec = CloudEventsFilter.of(type=[f"order.t{i}" for i in range(15)],
                                dataversion=[f"{i}.0" for i in range(10)])
    assert combinations(build_filter_policy(spec)) == 150


def test_nested_keys_count_their_depth_as_sns_does():
    # The AWS example: four values three levels deep, three values two levels deep -> 72.
    policy = {"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]}}
    assert combinations(policy) == 72


def test_size_limit():
    big = {"type": ["x" * (MAX_FILTER_POLICY_BYTES // 2), "y" * (MAX_FILTER_POLICY_BYTES // 2)]}
    with pytest.raises(FilterPolicyError, match="bytes; SNS allows at most 262144 bytes"):
        check_filter_policy(big)
    assert len(json.dumps(big)) > MAX_FILTER_POLICY_BYTES
