"""``python -m org pattern test`` as a user runs it: exit codes and output per event file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PATTERN = {"source": ["shop.orders"], "detail": {"price": [{"numeric": [">", 100]}]}}


def cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "org", "pattern", "test", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_all_events_match(tmp_path):
    pattern = write(tmp_path / "pattern.json", PATTERN)
    big = write(tmp_path / "big.json", {"source": "shop.orders", "detail": {"price": 250}})
    result = cli("--pattern", pattern, "--event", big)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"MATCH     {big}"]


def test_a_non_matching_event_exits_1_and_says_where(tmp_path):
    pattern = write(tmp_path / "pattern.json", PATTERN)
    big = write(tmp_path / "big.json", {"source": "shop.orders", "detail": {"price": 250}})
    small = write(tmp_path / "small.json", {"source": "shop.orders", "detail": {"price": 5}})
    result = cli("--pattern", pattern, "--event", big, "--event", small)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"MATCH     {big}",
        f"NO MATCH  {small}  (first mismatch: detail.price)",
    ]


def test_json5_files_are_read(tmp_path):
    pattern = tmp_path / "pattern.json5"
    pattern.write_text("// orders only\n{source: ['shop.orders'],}\n")
    event = tmp_path / "event.json5"
    event.write_text("{source: 'shop.orders', /* comment */ detail: {},}")
    result = cli("--pattern", pattern, "--event", event)
    assert result.returncode == 0, result.stderr
    assert "MATCH" in result.stdout


def test_an_invalid_pattern_exits_2_with_the_path(tmp_path):
    pattern = write(tmp_path / "pattern.json", {"detail": {"price": [{"numeric": [">", 0, "<"]}]}})
    event = write(tmp_path / "event.json", {"detail": {"price": 1}})
    result = cli("--pattern", pattern, "--event", event)
    assert result.returncode == 2
    assert f"invalid event pattern in {pattern}: detail.price[0].numeric: numeric takes" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_max_length_and_unreadable_files_exit_2(tmp_path):
    pattern = write(tmp_path / "pattern.json", PATTERN)
    event = write(tmp_path / "event.json", {"source": "shop.orders"})
    too_long = cli("--pattern", pattern, "--event", event, "--max-length", "10")
    assert too_long.returncode == 2
    assert "the limit is 10" in too_long.stderr
    missing = cli("--pattern", pattern, "--event", tmp_path / "nope.json")
    assert missing.returncode == 2
    assert "nope.json: cannot read" in missing.stderr
    (tmp_path / "broken.json").write_text("{")
    broken = cli("--pattern", pattern, "--event", tmp_path / "broken.json")
    assert broken.returncode == 2
    assert "neither JSON nor JSON5" in broken.stderr
    listed = write(tmp_path / "list.json", [{"source": "shop.orders"}])
    not_an_object = cli("--pattern", pattern, "--event", event, "--event", listed)
    assert not_an_object.returncode == 2
    assert not_an_object.stdout == ""  # nothing is reported before every input is known to be usable
    assert "list.json: an event must be a JSON object" in not_an_object.stderr


def test_a_binary_event_file_is_named(tmp_path):
    pattern = write(tmp_path / "pattern.json", PATTERN)
    (tmp_path / "photo.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    result = cli("--pattern", pattern, "--event", tmp_path / "photo.json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'photo.json'}: not UTF-8 text (byte 0x89 at offset 0)" in result.stderr


@pytest.mark.parametrize("limit", ["-5", "0", "ten"])
def test_max_length_must_be_a_positive_whole_number(tmp_path, limit):
    pattern = write(tmp_path / "pattern.json", PATTERN)
    event = write(tmp_path / "event.json", {"source": "shop.orders"})
    result = cli("--pattern", pattern, "--event", event, "--max-length", limit)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"argument --max-length: {limit!r}" in result.stderr or f"argument --max-length: {limit} " in result.stderr


def test_pipes_flag_refuses_bus_only_operators(tmp_path):
    pattern = write(tmp_path / "pattern.json", {"detail": {"file": [{"wildcard": "*.png"}]}})
    event = write(tmp_path / "event.json", {"detail": {"file": "a.png"}})
    assert cli("--pattern", pattern, "--event", event).returncode == 0
    result = cli("--pattern", pattern, "--event", event, "--pipes")
    assert result.returncode == 2
    assert "detail.file[0].wildcard: wildcard works on event bus rules but not in EventBridge Pipes" in result.stderr
    long = write(tmp_path / "long.json", {"source": ["x" * 4100]})
    assert "the limit is 4096" in cli("--pattern", long, "--event", event, "--pipes").stderr


POLICY = {"store": ["example_corp"], "price_usd": [{"numeric": [">=", 100]}]}


def test_sns_policy_on_message_bodies(tmp_path):
    policy = write(tmp_path / "policy.json", POLICY)
    big = write(tmp_path / "big.json", {"store": "example_corp", "price_usd": 210.75})
    small = write(tmp_path / "small.json", {"store": "example_corp", "price_usd": 5})
    result = cli("--sns", "--pattern", policy, "--event", big, "--event", small)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [f"MATCH     {big}", f"NO MATCH  {small}  (first mismatch: price_usd)"]


def test_sns_policy_on_message_attributes(tmp_path):
    policy = write(tmp_path / "policy.json", POLICY)
    attributes = write(tmp_path / "attributes.json", {"store": {"Type": "String", "Value": "example_corp"},
                                                      "price_usd": {"Type": "Number", "Value": "210.75"}})
    result = cli("--sns", "--scope", "MessageAttributes", "--pattern", policy, "--event", attributes)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"MATCH     {attributes}"]
    # The same file read as a message body does not match: the values are {Type, Value} objects.
    assert cli("--sns", "--pattern", policy, "--event", attributes).returncode == 1


def test_invalid_sns_policy_exits_2_naming_the_place_and_scope(tmp_path):
    nested = write(tmp_path / "policy.json", {"detail": {"store": ["x"]}})
    event = write(tmp_path / "event.json", {"detail": {"store": "x"}})
    assert cli("--sns", "--pattern", nested, "--event", event).returncode == 0
    result = cli("--sns", "--scope", "MessageAttributes", "--pattern", nested, "--event", event)
    assert result.returncode == 2
    assert "invalid SNS filter policy (MessageAttributes)" in result.stderr
    assert "detail: a nested object" in result.stderr and "Traceback" not in result.stderr
    wildcard = write(tmp_path / "wildcard.json", {"store": [{"wildcard": "ex**"}]})
    result = cli("--sns", "--pattern", wildcard, "--event", event)
    assert result.returncode == 2 and "store[0].wildcard: wildcard \"ex**\": consecutive wildcard" in result.stderr


def test_scope_without_sns_is_refused(tmp_path):
    pattern = write(tmp_path / "pattern.json", PATTERN)
    event = write(tmp_path / "event.json", {"source": "shop.orders"})
    result = cli("--scope", "MessageBody", "--pattern", pattern, "--event", event)
    assert result.returncode == 2 and "add --sns" in result.stderr
