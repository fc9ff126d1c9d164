"""The event-pattern engine beyond the recorded corpus: error paths and messages, semantics, samples."""

from __future__ import annotations

import json

import json5
import pytest
from groundwork.errors import ConfigError
from groundwork.events.patterns import (
    PatternError,
    check_pipe_support,
    check_samples,
    explain_mismatch,
    matches,
    pattern_json,
    validate_pattern,
)

ORDER = {
    "source": "shop.orders",
    "detail-type": "OrderPlaced",
    "detail": {
        "type": "express",
        "price": 42.5,
        "currency": "EUR",
        "customer": {"ip": "10.1.2.3", "email": "Ann@Example.com"},
        "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}],
        "tags": ["gift", "priority"],
    },
}


def rejection(pattern: dict | str, **kwargs) -> PatternError:
    with pytest.raises(PatternError) as caught:
        validate_pattern(pattern, **kwargs)
    return caught.value


# --- validation: the path names the offending place, the reason says what is allowed --------------

@pytest.mark.parametrize(("pattern", "path", "reason"), [
    ({"detail": {"price": [{"numeric": [">", 0, "<"]}]}}, "detail.price[0].numeric", "numeric takes"),
    ({"detail": {"price": [{"numeric": [">", 0, "<", "ten"]}]}}, "detail.price[0].numeric[3]",
     "needs a number"),
    ({"detail": {"price": [{"numeric": [">", 0, "!=", 5]}]}}, "detail.price[0].numeric[2]",
     "unknown numeric operator"),
    ({"detail": {"price": [{"numeric": [">", 10, "<", 5]}]}}, "detail.price[0].numeric", "range is empty"),
    ({"detail": {"price": [{"numeric": ["<", 10, ">", 5]}]}}, "detail.price[0].numeric", "lower bound"),
    ({"detail": {"price": [{"numeric": [">", 0, ">", 5]}]}}, "detail.price[0].numeric", "lower bound"),
    ({"detail": {"price": [{"numeric": ["=", 6e9]}]}}, "detail.price[0].numeric[1]", "-5.0e9 and 5.0e9"),
    ({"detail": {"price": [{"numeric": ["=", 0.1234567]}]}}, "detail.price[0].numeric[1]",
     "at most 6 digits"),
    ({"detail": {"price": [{"numeric": ["=", True]}]}}, "detail.price[0].numeric[1]", "needs a number"),
    ({"detail": {"type": "express"}}, "detail.type", "must be a list of values"),
    ({"detail": {"type": []}}, "detail.type", "must not be empty"),
    ({"detail": {"type": [["express"]]}}, "detail.type[0]", "cannot be nested"),
    ({"detail": {}}, "detail", "at least one field"),
    ({"detail": {"type": [{"EXISTS": True}]}}, "detail.type[0].EXISTS", "case-sensitive: use 'exists'"),
    ({"detail": {"type": [{"contains": "x"}]}}, "detail.type[0].contains", "unknown operator"),
    ({"detail": {"type": [{"prefix": "a", "suffix": "b"}]}}, "detail.type[0]", "exactly one operator"),
    ({"detail": {"type": [{"prefix": ["ex"]}]}}, "detail.type[0].prefix", "not a list"),
    ({"detail": {"type": [{"suffix": 1}]}}, "detail.type[0].suffix", "needs a string"),
    ({"detail": {"type": [{"exists": "yes"}]}}, "detail.type[0].exists", "true or false"),
    ({"detail": {"type": [{"equals-ignore-case": ["a"]}]}}, "detail.type[0].equals-ignore-case",
     "needs a string"),
    ({"detail": {"type": [{"anything-but": None}]}}, "detail.type[0].anything-but", "strings and numbers"),
    ({"detail": {"type": [{"anything-but": ["a", None]}]}}, "detail.type[0].anything-but[1]",
     "strings and numbers"),
    ({"detail": {"type": [{"anything-but": []}]}}, "detail.type[0].anything-but", "at least one value"),
    ({"detail": {"type": [{"anything-but": {"prefix": ""}}]}}, "detail.type[0].anything-but.prefix",
     "non-empty"),
    ({"detail": {"type": [{"anything-but": {"suffix": ["a", 7]}}]}},
     "detail.type[0].anything-but.suffix[1]", "needs a string"),
    ({"detail": {"type": [{"anything-but": {"prefix": {"equals-ignore-case": "a"}}}]}},
     "detail.type[0].anything-but.prefix", "string or a list of strings"),
    ({"detail": {"type": [{"anything-but": {"numeric": [">", 1]}}]}}, "detail.type[0].anything-but",
     "one of"),
    ({"detail": {"customer": {"ip": [{"cidr": "10.0.0.0/33"}]}}}, "detail.customer.ip[0].cidr",
     "IPv4 mask bits must be below 32"),
    ({"detail": {"customer": {"ip": [{"cidr": "10.0.0.1/32"}]}}}, "detail.customer.ip[0].cidr",
     "exact value instead"),
    ({"detail": {"customer": {"ip": [{"cidr": "10.0.0.300/8"}]}}}, "detail.customer.ip[0].cidr",
     "is not an IPv4 or IPv6 address"),
    ({"detail": {"customer": {"ip": [{"cidr": "::ffff:10.0.0.0/104"}]}}}, "detail.customer.ip[0].cidr",
     "is not an IPv4 or IPv6 address"),
    ({"detail": {"customer": {"ip": [{"cidr": "10.0.0.0"}]}}}, "detail.customer.ip[0].cidr",
     "10.0.0.0/24"),
    ({"detail": {"customer": {"ip": [{"cidr": "2001:db8::/128"}]}}}, "detail.customer.ip[0].cidr",
     "IPv6 mask bits must be below 128"),
    ({"detail": {"price": [{"numeric": [">", 5e9]}]}}, "detail.price[0].numeric", "leaves nothing"),
    ({"detail": {"price": [{"numeric": ["<=", -5e9]}]}}, "detail.price[0].numeric", "leaves nothing"),
    ({"detail": {"type": [{"anything-but": ["a", 1]}]}}, "detail.type[0].anything-but",
     "all strings or all numbers"),
    ({"detail": {"type": [{"anything-but": [1, 6e9]}]}}, "detail.type[0].anything-but[1]",
     "-5.0e9 and 5.0e9"),
    ({"$or": [{"prefix": ["a"]}, {"b": ["c"]}]}, "$or[0].prefix", "reserved"),
    ({"$or": [{"a": {"numeric": ["x"]}}, {"b": ["c"]}]}, "$or[0].a.numeric", "reserved"),
    ({"detail": {"path": [{"wildcard": "a/**/b"}]}}, "detail.path[0].wildcard",
     "consecutive wildcard characters at position 3"),
    ({"detail": {"path": [{"wildcard": "a\\b"}]}}, "detail.path[0].wildcard", "backslash"),
    ({"detail": {"path": [{"wildcard": "*a*a*a*a*a*"}]}}, "detail.path", "too complex for AWS (complexity 11"),
    ({"detail": {"key": [{"wildcard": f"*/datasync/*.{ext}"} for ext in ("bif", "tif", "tiff", "svs")]}},
     "detail.key", "complexity 16, limit 10"),
    ({"detail": {"$or": [{"key": [{"wildcard": "*/a/*/b/*"}]},
                         {"key": [{"anything-but": {"wildcard": ["*/a/*/c/*", "*/a/*/d/*"]}}]}]}},
     "detail.$or[0].key", "too complex"),
    ({"detail": {"$or": [{"type": ["a"]}]}}, "detail.$or", "at least two"),
    ({"detail": {"$or": [{"type": ["a"]}, {}]}}, "detail.$or[1]", "non-empty object"),
    ({"detail": {"$or": [{"type": ["a"]}, {"price": [{"numeric": ["<"]}]}]}},
     "detail.$or[1].price[0].numeric", "numeric takes"),
])
def test_invalid_patterns_name_the_path(pattern, path, reason):
    error = rejection(pattern)
    assert error.path == path
    assert reason in error.reason
    assert str(error) == f"{path}: {error.reason}"
    assert isinstance(error, ValueError)


def test_pattern_errors_survive_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(rejection({"a": "b"})))
    assert (error.path, str(error)) == ("a", f"a: {error.reason}")


def test_whole_pattern_problems_use_the_root_path():
    assert rejection("{not json").path == "$"
    assert "not valid JSON" in rejection("{not json").reason
    assert rejection("[1, 2]").reason.startswith("an event pattern must be a JSON object")
    assert rejection({}).reason == "an event pattern must name at least one field"
    assert rejection('{"a": [NaN]}').path == "$"
    assert rejection({"a": [float("inf")]}).path == "$"


def test_max_length_counts_the_compact_json():
    pattern = {"detail": {"type": ["x" * 100]}}
    length = len(pattern_json(pattern))
    assert validate_pattern(pattern, max_length=length) == pattern
    error = rejection(pattern, max_length=length - 1)
    assert (error.path, error.reason) == ("$", f"the event pattern is {length} characters long; the limit "
                                               f"is {length - 1}")
    assert rejection(json.dumps(pattern, indent=2), max_length=length).path == "$"  # text counted as given


def test_validate_returns_the_parsed_pattern():
    text = '{"source": ["shop.orders"], "detail": {"price": [{"numeric": [">=", 10, "<", 100]}]}}'
    assert validate_pattern(text) == json.loads(text)


# --- semantics ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "expected"), [
    ({"source": ["shop.orders"]}, True),
    ({"source": ["shop.Orders"]}, False),
    ({"detail": {"price": [42.5]}}, True),
    ({"detail": {"price": ["42.5"]}}, False),  # a string never equals a number
    ({"detail": {"price": [{"numeric": [">", 42, "<=", 42.5]}]}}, True),
    ({"detail": {"price": [{"numeric": [">", 42.5]}]}}, False),
    ({"detail": {"price": [{"numeric": ["=", 42.5]}]}}, True),
    ({"detail": {"currency": [{"numeric": [">", 0]}]}}, False),
    ({"detail": {"tags": ["priority"]}}, True),  # any array element
    ({"detail": {"tags": [{"anything-but": "gift"}]}}, True),  # "priority" is not "gift"
    ({"detail": {"tags": [{"anything-but": ["gift", "priority"]}]}}, False),
    ({"detail": {"customer": {"ip": [{"cidr": "10.1.0.0/16"}]}}}, True),
    ({"detail": {"customer": {"ip": [{"cidr": "10.2.0.0/16"}]}}}, False),
    ({"detail": {"customer": {"ip": [{"cidr": "::/0"}]}}}, False),  # an IPv4 address is not in an IPv6 block
    ({"detail": {"customer": {"email": [{"equals-ignore-case": "ann@example.COM"}]}}}, True),
    ({"detail": {"customer": {"email": [{"suffix": {"equals-ignore-case": "@EXAMPLE.com"}}]}}}, True),
    ({"detail": {"customer": {"email": [{"suffix": "@EXAMPLE.com"}]}}}, False),
    ({"detail": {"customer": {"email": [{"wildcard": "*@*.com"}]}}}, True),
    ({"detail": {"customer": {"email": [{"wildcard": "*@*.org"}]}}}, False),
    ({"detail": {"customer": [{"exists": True}]}}, False),  # exists looks at leaves, not objects
    ({"detail": {"customer": {"phone": [{"exists": False}]}}}, True),
    ({"detail": {"customer": {"ip": [{"exists": False}]}}}, False),
    ({"detail": {"customer.ip": ["10.1.2.3"]}}, True),  # dotted keys address nested fields
    ({"detail": {"items": {"sku": ["B-7"]}}}, True),  # objects inside arrays
    ({"detail": {"items": {"sku": ["B-7"], "qty": [1]}}}, True),  # same element
    ({"detail": {"items": {"sku": ["B-7"], "qty": [2]}}}, False),  # values from different elements
    ({"detail": {"$or": [{"type": ["standard"]}, {"price": [{"numeric": [">", 40]}]}]}}, True),
    ({"source": ["other"], "$or": [{"detail": {"type": ["express"]}}, {"detail-type": ["x"]}]}, False),
    ({"source": ["shop.orders"], "detail": {"$or": [{"type": ["standard"]}, {"currency": ["USD"]}]}},
     False),
    ({"$or": [{"detail": {"$or": [{"type": ["x"]}, {"currency": ["EUR"]}]}}, {"source": ["y"]}]}, True),
])
def test_matching_semantics(pattern, expected):
    assert matches(pattern, ORDER) is expected


def test_a_later_field_on_the_same_path_replaces_the_earlier_one_like_aws():
    # AWS's compiler keeps the last definition of a path (a repeated JSON key behaves the same way)
    nested_then_dotted = {"a": {"b": ["x"]}, "a.b": ["y"]}
    assert matches(nested_then_dotted, {"a": {"b": "y"}})
    assert not matches(nested_then_dotted, {"a": {"b": "x"}})
    assert matches('{"a": ["x"], "a": ["y"]}', {"a": "y"})
    # inside a $or alternative the alternative's own definition wins over the shared one
    shared_then_or = {"a": ["x"], "$or": [{"a": ["y"]}, {"b": ["z"]}]}
    assert matches(shared_then_or, {"a": "y"})
    assert matches(shared_then_or, {"a": "x", "b": "z"})
    assert not matches(shared_then_or, {"a": "x"})
    # and a shared field after the $or applies to every alternative
    or_then_shared = {"$or": [{"a": ["y"]}, {"b": ["z"]}], "a": ["x"]}
    assert matches(or_then_shared, {"a": "x"})
    assert not matches(or_then_shared, {"a": "y"})


def test_or_over_1000_rule_combinations_is_invalid_as_aws_documents():
    # "Content filtering in Amazon EventBridge event patterns": over 1000 rule combinations, counted
    # by multiplying the number of arguments of each $or array, is an InvalidEventPatternException.
    pattern = {f"f{i}": {"$or": [{"a": ["x"]}, {"b": ["y"]}]} for i in range(10)}  # 2**10 = 1024
    error = rejection(pattern)
    assert "= 1024 rule combinations; EventBridge refuses more than 1000" in error.reason
    assert error.path == "f0.$or"
    validate_pattern({f"f{i}": {"$or": [{"a": ["x"]}, {"b": ["y"]}]} for i in range(9)})  # 512
    nested = {"$or": [{"a": ["x"]}, {"$or": [{"b": ["y"]}] + [{f"c{i}": ["z"]} for i in range(500)]}]}
    assert "2 x 501 = 1002" in rejection(nested).reason  # a $or inside a $or multiplies too


def test_numbers_that_underflow_or_overflow_are_refused_not_read_as_zero():
    error = rejection('{"detail": {"n": [{"numeric": ["<", 1E-325]}]}}')
    assert error.path == "detail.n[0].numeric[1]" and "1E-325 underflows to 0" in error.reason
    assert rejection('{"n": [1e-400]}').path == "n[0]"
    assert "overflows" in rejection('{"n": [{"anything-but": [1E400]}]}').reason
    assert matches('{"n": [{"numeric": ["=", 0E-5]}]}', {"n": 0})  # a written zero is zero


def test_wildcard_escapes_and_anchoring():
    assert matches({"f": [{"wildcard": "a\\*b"}]}, {"f": "a*b"})
    assert not matches({"f": [{"wildcard": "a\\*b"}]}, {"f": "axxb"})
    assert matches({"f": [{"wildcard": "a\\\\b"}]}, {"f": "a\\b"})
    assert matches({"f": [{"wildcard": "a.c"}]}, {"f": "a.c"})
    assert not matches({"f": [{"wildcard": "a.c"}]}, {"f": "abc"})  # '.' is literal, not a regex
    assert not matches({"f": [{"wildcard": "*.png"}]}, {"f": "x.png.bak"})  # anchored at both ends
    assert matches({"f": [{"wildcard": "*"}]}, {"f": ""})


def test_cidr_with_host_bits_set_covers_the_whole_block():
    block = {"ip": [{"cidr": "10.0.0.128/24"}]}  # the host bits after the mask are ignored
    assert matches(block, {"ip": "10.0.0.200"})
    assert matches(block, {"ip": "10.0.0.255"})
    assert matches(block, {"ip": "10.0.0.5"})
    assert matches(block, {"ip": "10.0.0.0"})
    assert not matches(block, {"ip": "10.0.1.0"})
    assert not matches(block, {"ip": "9.255.255.255"})
    assert matches({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:0DB8:ffff::1"})


def test_ip_addresses_match_in_any_spelling():
    assert matches({"ip": ["2001:db8::1"]}, {"ip": "2001:0db8:0:0:0:0:0:1"})
    assert not matches({"ip": ["2001:db8::1"]}, {"ip": "2001:db8::2"})
    assert matches({"ip": ["10.0.0.1"]}, {"ip": "10.0.0.1"})
    assert matches({"ip": ["10.0.0.1"]}, {"ip": "::ffff:a00:1"})  # IPv4-mapped IPv6 is IPv4
    assert matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "::ffff:a09:807"})
    # AWS only reads plain dotted-quad or hex-and-colon strings as addresses
    assert not matches({"ip": ["10.0.0.1"]}, {"ip": "::ffff:10.0.0.1"})
    assert not matches({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "::ffff:10.9.8.7"})
    assert not matches({"name": ["abc"]}, {"name": "ABC"})


def test_wildcard_complexity_matches_what_aws_accepts_and_refuses():
    from groundwork.events.pattern_complexity import wildcard_complexity

    assert wildcard_complexity(["*:*:*:*:*:event-bus/*"], cap=100) == 11  # recorded AWS rejection
    assert wildcard_complexity(["arn:aws:events:us-east-1:*:event-bus/*"], cap=100) == 3
    assert wildcard_complexity(["/Users/*/dir/dir/dir/dir/dir/doc.txt"], cap=100) == 7  # recorded: accepted
    assert wildcard_complexity(["*.bif", "*.tif", "*.tiff", "*.svs"], cap=100) == 8
    assert wildcard_complexity([f"*/datasync/*.{ext}" for ext in ("bif", "tif", "tiff", "svs")], cap=100) == 16
    assert wildcard_complexity(["a\\*b"], cap=100) == 1  # an escaped star is a literal
    validate_pattern({"key": [{"wildcard": f"*.{ext}"} for ext in ("bif", "tif", "tiff", "svs")]})


def test_booleans_null_and_numbers_keep_their_types():
    assert matches({"f": [True]}, {"f": True})
    assert not matches({"f": [1]}, {"f": True})
    assert not matches({"f": [True]}, {"f": 1})
    assert matches({"f": [None]}, {"f": None})
    assert not matches({"f": [None]}, {})
    assert matches({"f": [300]}, {"f": 300.0})
    assert matches({"f": [{"exists": True}]}, {"f": None})
    assert matches({"f": [{"anything-but": 5}]}, {"f": "5"})


def test_events_and_patterns_may_be_json_text():
    assert matches('{"source": ["shop.orders"]}', json.dumps(ORDER))
    with pytest.raises(ValueError, match="event must be a JSON object"):
        matches({"source": ["x"]}, [ORDER])


def test_explain_mismatch_names_the_first_failing_field():
    assert explain_mismatch({"source": ["shop.orders"]}, ORDER) is None
    assert explain_mismatch({"source": ["shop.orders"], "detail": {"type": ["slow"]}}, ORDER) == "detail.type"
    or_pattern = {"detail": {"$or": [{"type": ["slow"]}, {"currency": ["USD"]}]}}
    assert explain_mismatch(or_pattern, ORDER) == "detail.type (in the closest of 2 $or alternatives)"
    closest = {"source": ["shop.orders"],
               "$or": [{"detail": {"type": ["slow"]}}, {"detail": {"currency": ["EUR"], "price": [1]}}]}
    assert explain_mismatch(closest, ORDER) == "detail.price (in the closest of 2 $or alternatives)"
    split = {"detail": {"items": {"sku": ["B-7"], "qty": [2]}}}
    assert "not within the same array element" in explain_mismatch(split, ORDER)


# --- samples checked at design time --------------------------------------------------------------

PATTERN = {"source": ["shop.orders"], "detail": {"type": ["express"]}}


def test_check_samples_accepts_a_pattern_that_does_what_its_samples_say():
    check_samples(PATTERN, must_match=[ORDER], must_not_match=[{**ORDER, "source": "shop.refunds"}],
                  where="groundwork:pipes.orders.filters[0]")


def test_check_samples_reports_every_wrong_sample_in_one_error():
    slow = {**ORDER, "detail": {**ORDER["detail"], "type": "slow"}}
    with pytest.raises(ConfigError) as caught:
        check_samples(PATTERN, must_match=[ORDER, slow], must_not_match=[ORDER],
                      where="groundwork:pipes.orders.filters[0]")
    assert str(caught.value).splitlines() == [
        "groundwork:pipes.orders.filters[0]: sample event #2 should match but does not "
        "(first mismatch: detail.type)",
        "groundwork:pipes.orders.filters[0]: sample event #1 should not match but does",
    ]


def test_check_samples_turns_an_invalid_pattern_into_a_config_error():
    with pytest.raises(ConfigError, match=r"^rule orders: invalid event pattern at detail.type: must be a list"):
        check_samples({"detail": {"type": "express"}}, must_match=[ORDER], where="rule orders")


def test_check_samples_refuses_unusable_samples():
    with pytest.raises(ConfigError, match=r"sample event #1 \(should match\) is unusable: .*JSON object"):
        check_samples(PATTERN, must_match=["[1]"], where="w")


# --- Pipes -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "path"), [
    ({"detail": {"file": [{"wildcard": "*.png"}]}}, "detail.file[0].wildcard"),
    ({"detail": {"file": ["a", {"anything-but": {"suffix": ".png"}}]}}, "detail.file[1].anything-but"),
    ({"$or": [{"a": ["x"]}, {"b": [{"anything-but": {"prefix": "us-"}}]}]}, "$or[1].b[0].anything-but"),
])
def test_pipes_refuse_bus_only_operators(pattern, path):
    validate_pattern(pattern)  # fine on an event bus
    with pytest.raises(PatternError) as caught:
        check_pipe_support(pattern)
    assert caught.value.path == path
    assert "not in EventBridge Pipes filters" in caught.value.reason


def test_pipes_accept_the_shared_operators():
    pattern = {"detail": {"type": [{"prefix": "ex"}, {"anything-but": ["slow"]}, {"numeric": [">", 1]},
                                   {"suffix": {"equals-ignore-case": "S"}}, {"exists": True}]},
               "wildcard": ["a field may be called wildcard"]}
    assert check_pipe_support(pattern) == pattern


def test_exists_false_in_an_array_of_objects_looks_at_the_element_matched_so_far():
    # Fields are walked in name order (as AWS event-ruler does): "wrap" comes after "sku", so it is
    # judged in the item "sku" matched; "gift" comes first, when no item is chosen yet.
    event = {"detail": {"items": [{"sku": "a", "wrap": True, "gift": True}, {"sku": "b"}]}}
    assert matches({"detail": {"items": {"sku": ["b"], "wrap": [{"exists": False}]}}}, event)
    assert not matches({"detail": {"items": {"sku": ["a"], "wrap": [{"exists": False}]}}}, event)
    assert not matches({"detail": {"items": {"sku": ["b"], "gift": [{"exists": False}]}}}, event)
    # Without another field to pick an element, any element with the field makes it exist.
    assert not matches({"detail": {"items": {"wrap": [{"exists": False}]}}}, event)
    assert matches({"detail": {"items": {"ribbon": [{"exists": False}]}}}, event)


def test_json5_loaded_patterns_keep_unrepresentable_numbers_for_validation(tmp_path):
    from groundwork.events.patterns import parse_pattern_number
    from groundwork.events.samples import load_json_document

    pattern = json5.loads("{n: [{numeric: ['>', 1E-325]}]}", parse_float=parse_pattern_number)
    assert "1e-325 underflows to 0" in rejection(pattern).reason
    path = tmp_path / "p.json5"
    path.write_text("// comment\n{n: [1E-325],}")
    assert rejection(load_json_document(path)).path == "n[0]"
