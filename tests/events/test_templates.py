"""Input templates: one test per rule (length, token shape, reserved variables, JSON, quoting)."""

from __future__ import annotations

import pytest
from groundwork.events.templates import MAX_TEMPLATE_LENGTH, RESERVED_VARIABLES, check_template

DDB_RECORD = {
    "eventName": "MODIFY",
    "dynamodb": {"Keys": {"userId": {"S": "u-1"}}, "NewImage": {"subjectId": {"S": "s-9"}, "tags": {"L": []}}},
}


def problems(template: str, **kwargs) -> list[str]:
    return check_template(template, **kwargs).problems


def test_template_at_the_length_limit_passes_and_one_more_character_fails():
    padding = MAX_TEMPLATE_LENGTH - len('{"a": ""}')
    assert problems('{"a": "' + "x" * padding + '"}') == []
    too_long = problems('{"a": "' + "x" * (padding + 1) + '"}')
    assert too_long == [f"{MAX_TEMPLATE_LENGTH + 1} characters is over the limit of 8192 Pipes accepts"]


def test_unclosed_placeholder():
    assert problems('{"id": <$.body.id}') == ["placeholder at offset 7 is not closed with '>'"]


@pytest.mark.parametrize("token", ["$body", "$..id", "$.a b", "$.", "$.items[x]"])
def test_malformed_json_path(token):
    found = problems(f'{{"v": <{token}>}}')
    assert found and "is not a JSON path" in found[0]


@pytest.mark.parametrize("token", ["$", "$.body", "$.detail-type", "$.items[0].sku", "$.dynamodb.Keys.userId.S"])
def test_well_formed_json_paths(token):
    assert problems(f'{{"v": <{token}>}}') == []


def test_unknown_reserved_variable_lists_the_known_ones():
    found = problems('{"pipe": "<aws.pipes.pipe_name>"}')
    assert "<aws.pipes.pipe_name> at offset 10 is not a reserved variable" in found[0]
    assert all(f"<{name}>" in found[0] for name in RESERVED_VARIABLES)


def test_every_reserved_variable_is_known():
    template = "{" + ", ".join(f'"k{i}": "<{name}>"' for i, name in enumerate(RESERVED_VARIABLES)
                               if name != "aws.pipes.event.json") + ', "raw": <aws.pipes.event.json>}'
    assert problems(template) == []


def test_event_json_must_not_be_quoted():
    found = problems('{"raw": "<aws.pipes.event.json>"}')
    assert found == ["<aws.pipes.event.json> at offset 9 is inside quotes, but it is raw JSON and can only be a "
                     "field value: remove the quotes around it"]


def test_result_must_be_json_after_substitution():
    found = problems('{"a": <$.x> "b": 1}')
    assert found[0].startswith("not valid JSON once placeholders are filled in (Expecting ',' delimiter")


def test_placeholder_as_a_key_is_not_json():
    assert problems('{<$.key>: 1}')


def test_plain_text_must_be_a_json_string():
    assert problems("Hello, <$.body.name>")
    assert problems('"Hello, <$.body.name>"') == []


def test_cookbook_patterns_are_valid():
    cookbook = [
        '{\n  "userId": "<$.body.userId>",\n  "action": "<$.body.action>"\n}',
        '{\n  "userId": "<$.dynamodb.Keys.userId.S>",\n  "snapshot": <$.dynamodb.NewImage>,\n'
        '  "tags":     <$.dynamodb.NewImage.tags.L>\n}',
        '{\n  "amount":    <$.body.amount>,\n  "isPriority":<$.body.priority>,\n  "currency":  "<$.body.currency>"\n}',
        '{\n  "schemaVersion": "1.0",\n  "domain":        "orders",\n  "payload":       <$.body>\n}',
    ]
    for template in cookbook:
        assert problems(template) == [], template


def test_quoted_object_is_refused_with_a_sample():
    found = problems('{"snapshot": "<$.dynamodb.NewImage>"}', sample=DDB_RECORD)
    assert found == ["<$.dynamodb.NewImage> is an object in the sample event but sits inside quotes, which breaks "
                     "the JSON: remove the quotes so the value is inserted as-is"]


def test_unquoted_object_and_quoted_string_pass_with_a_sample():
    report = check_template('{"id": "<$.dynamodb.Keys.userId.S>", "after": <$.dynamodb.NewImage>}', sample=DDB_RECORD)
    assert report.problems == [] and report.notes == []


def test_path_missing_from_the_sample_is_noted_as_omitted():
    report = check_template('{"subjectId": <$.dynamodb.NewImage.subject.S>}', sample=DDB_RECORD)
    assert report.problems == []
    assert report.notes == ["<$.dynamodb.NewImage.subject.S> does not resolve in the sample event: Pipes omits the "
                            "key entirely (no null); default it upstream if the target needs it"]


def test_angle_brackets_that_are_not_placeholders_are_text():
    assert problems('{"rule": "a < b and c > d"}') == []


def test_escaped_quotes_do_not_confuse_string_tracking():
    assert problems('{"say": "he said \\"<$.body.word>\\"", "raw": <aws.pipes.event.json>}') == []
