"""The filter-policy builder: CloudEvents attributes in, an SNS policy within the limits out."""

from __future__ import annotations

import json
import re

import pytest
from groundwork.buses.limits import MAX_FILTER_POLICY_BYTES
from groundwork.fanout.filter_policy import (
    CloudEventsFilter,
    FilterPolicyError,
    build_filter_policy,
    check_filter_policy,
    combinations,
    filter_policy_json,
    matches,
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
    (CloudEventsFilter.of(type=[{"wildcard": "order.**"}]), "type[0].wildcard: wildcard \"order.**\": consecutive wildcard"),
    (CloudEventsFilter.of(type=[{"regex": "order.*"}]), "type[0].regex: unrecognized match type 'regex'"),
    (CloudEventsFilter.of(type=[{"prefix": 7}]), "type[0].prefix: 7: prefix match pattern must be a string"),
    (CloudEventsFilter.of(type=[{"exists": "yes"}]), "type[0].exists: \"yes\": exists must be either true or false"),
    (CloudEventsFilter.of(type=[{"anything-but": {"equals-ignore-case": "x"}}]),
     "unsupported anything-but pattern: equals-ignore-case"),
    (CloudEventsFilter.of(type=[{"numeric": [">", 5, "<", 1]}]), "bottom of a numeric range must be less"),
    (CloudEventsFilter.of(type=[42]), "neither a string nor one operator object"),
    (CloudEventsFilter.of(extensions={"type": ["x"]}), "use the 'type' field"),
    (CloudEventsFilter.of(extensions={"Tenant-Id": ["x"]}), "1-20 lower-case letters or digits"),
])
def test_malformed_filters(spec, fragment):
    with pytest.raises(FilterPolicyError, match=re.escape(fragment)):
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


# The rules below are checked on the recorded cases in test_filter_policy_corpus.py; these pin the
# parts of the public API (scopes, attribute types, limits) that the corpus does not reach directly.

def test_suffix_and_equals_ignore_case_match_strings_only():
    assert matches({"file": [{"suffix": ".png"}]}, {"file": "a.png"})
    assert not matches({"file": [{"suffix": ".png"}]}, {"file": "a.PNG"})
    assert matches({"file": [{"equals-ignore-case": "A.PNG"}]}, {"file": "a.png"})
    assert not matches({"n": [{"suffix": "1"}]}, {"n": 1})


def test_attribute_types_as_sns_reads_them():
    attrs = {"price": {"Type": "Number", "Value": "210.75"}, "tags": {"Type": "String.Array", "Value": '["a", 3]'},
             "blob": {"Type": "Binary", "Value": "AAE="}, "name": {"DataType": "String", "StringValue": "x"}}
    scope = "MessageAttributes"
    assert matches({"price": [{"numeric": [">=", 100]}]}, attrs, scope)
    assert not matches({"price": ["210.75"]}, attrs, scope)  # a Number is not the string
    assert matches({"tags": [3]}, attrs, scope) and matches({"tags": ["a"]}, attrs, scope)
    assert matches({"blob": [{"exists": False}]}, attrs, scope)  # SNS ignores Binary attributes
    assert not matches({"blob": [{"exists": True}]}, attrs, scope)
    assert matches({"name": ["x"]}, attrs, scope)
    # Shorthand: a bare string, number or list is a String, Number or String.Array attribute.
    assert matches({"a": ["x"], "n": [{"numeric": [">", 1]}], "l": ["q"]}, {"a": "x", "n": 5, "l": ["p", "q"]}, scope)
    assert not matches({"n": ["5"]}, {"n": 5}, scope)


def test_a_body_that_is_not_a_json_object_matches_nothing():
    for body in ("plain text", '"a json string"', "[1, 2]"):
        assert not matches({"a": [{"exists": False}]}, body)
    assert matches({"a": ["b"]}, '{"a": "b"}')


def test_numbers_within_sns_bounds_and_precision():
    check_filter_policy({"n": [{"numeric": [">=", -1e9, "<=", 1e9]}]})
    check_filter_policy({"n": [{"numeric": ["=", 0.00001]}]})
    for bad in (1e9 + 1, 0.000001):
        with pytest.raises(FilterPolicyError, match=r"n\[0\]\.numeric\[1\]"):
            check_filter_policy({"n": [{"numeric": ["=", bad]}]})
    with pytest.raises(FilterPolicyError, match="cannot be represented"):
        check_filter_policy('{"n": [{"numeric": ["=", 1E-400]}]}')


def test_scope_decides_nesting_and_unknown_scopes_are_refused():
    nested = {"detail": {"type": ["x"]}}
    check_filter_policy(nested, "MessageBody")
    with pytest.raises(FilterPolicyError, match="detail: .*MessageAttributes does not support nested"):
        check_filter_policy(nested, "MessageAttributes")
    with pytest.raises(FilterPolicyError, match="FilterPolicyScope: \"Body\" is not a filter policy scope"):
        check_filter_policy({"a": ["b"]}, "Body")


def test_or_counts_alternatives_as_a_sum_and_a_one_object_or_is_a_key_name():
    policy = {"a": ["1", "2"], "$or": [{"b": ["1", "2", "3"]}, {"c": ["1"], "d": {"e": ["1", "2"]}}]}
    assert combinations(policy) == 2 * (3 + 1 * 2 * 2)
    with pytest.raises(FilterPolicyError, match=r"\$or\[0\]\.b: unrecognized match type 'b'"):
        check_filter_policy({"$or": [{"b": ["1"]}]})
    assert matches({"$or": ["x"]}, {"$or": "x"})  # not an OR: a key called "$or"
    # Objects whose keys are operator names are match expressions on a key called "$or".
    reserved = {"$or": [{"prefix": "a"}, {"suffix": "z"}]}
    assert matches(reserved, {"$or": "az"}) and not matches(reserved, {"a": ["x"]})


def test_cidr_blocks_and_addresses():
    block = {"ip": [{"cidr": "10.0.0.77/24"}]}  # host bits written are ignored: the whole /24
    assert matches(block, {"ip": "10.0.0.1"}) and matches(block, {"ip": "10.0.0.255"})
    assert not matches(block, {"ip": "10.0.1.0"}) and not matches(block, {"ip": "not-an-ip"})
    assert matches({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8:ffff::1"})
    with pytest.raises(FilterPolicyError, match="mask bits must be below 32"):
        check_filter_policy({"ip": [{"cidr": "10.0.0.1/32"}]})


def test_the_builder_accepts_every_operator_sns_does():
    operators = [{"prefix": "order."}, {"suffix": ".v2"}, {"equals-ignore-case": "ORDER.PLACED"},
                 {"anything-but": ["order.test"]}, {"anything-but": {"prefix": "internal."}}, {"exists": True}]
    policy = build_filter_policy(CloudEventsFilter.of(type=operators, extensions={
        "amount": [{"numeric": [">", 0, "<=", 100]}], "clientip": [{"cidr": "10.0.0.0/8"}]}))
    assert policy["type"] == operators
    assert matches(policy, {"type": "order.placed", "amount": 5, "clientip": "10.1.2.3"})
    assert not matches(policy, {"type": "order.placed", "amount": 500, "clientip": "10.1.2.3"})
    assert not matches(policy, {"type": "order.placed", "amount": 5, "clientip": "192.168.0.1"})
