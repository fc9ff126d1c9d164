"""Sample events from stack config: inline objects and JSON/JSON5 files, checked against a pattern."""

from __future__ import annotations

import json

import pytest
from groundwork.errors import ConfigError
from groundwork.events.samples import SampleEvents, check_sample_events
from pydantic import ValidationError

PATTERN = {"source": ["shop.orders"], "detail": {"total": [{"numeric": [">=", 100]}]}}
BIG = {"source": "shop.orders", "detail": {"total": 120}}
SMALL = {"source": "shop.orders", "detail": {"total": 20}}


def test_inline_and_file_samples_that_agree_pass(tmp_path):
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "big.json").write_text(json.dumps(BIG))
    (tmp_path / "events" / "small.json5").write_text("// too small\n{source: 'shop.orders', detail: {total: 20},}")
    samples = SampleEvents.model_validate({"mustMatch": ["events/big.json", BIG],
                                           "mustNotMatch": ["events/small.json5"]})
    check_sample_events(PATTERN, samples, where="groundwork:pipes.orders.filters[0]", root=tmp_path)


def test_a_disagreeing_sample_stops_the_deploy(tmp_path):
    samples = SampleEvents(must_match=[BIG, SMALL])
    with pytest.raises(ConfigError) as caught:
        check_sample_events(PATTERN, samples, where="groundwork:eventBuses.orders.rules.big", root=tmp_path)
    assert str(caught.value) == ("groundwork:eventBuses.orders.rules.big: sample event #2 should match but "
                                 "does not (first mismatch: detail.total)")


def test_missing_or_bad_sample_files_are_named(tmp_path):
    (tmp_path / "list.json").write_text("[1]")
    with pytest.raises(ConfigError, match=r"^w\.samples\.mustMatch\[0\]: sample event file .*nope.json: cannot read"):
        check_sample_events(PATTERN, SampleEvents(must_match=["nope.json"]), where="w", root=tmp_path)
    with pytest.raises(ConfigError, match=r"^w\.samples\.mustNotMatch\[0\]: .*must hold one JSON object"):
        check_sample_events(PATTERN, SampleEvents(must_not_match=["list.json"]), where="w", root=tmp_path)


def test_no_samples_is_fine_and_unknown_keys_are_refused():
    check_sample_events(PATTERN, None, where="w")
    with pytest.raises(ValidationError):
        SampleEvents.model_validate({"mustMatch": [], "shouldMatch": []})


def test_relative_sample_files_are_read_from_the_working_directory(tmp_path, monkeypatch):
    """Pulumi runs a program from its project folder: a relative sample path starts there, never at
    the folder the library is installed in."""
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "small.json").write_text(json.dumps(SMALL))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        check_sample_events(PATTERN, SampleEvents(must_match=["events/small.json"]), where="w")
    assert "sample event #1 should match" in str(caught.value)
