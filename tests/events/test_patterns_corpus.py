"""Every AWS-recorded EventBridge pattern case: match, no match (``_NEG``) or invalid (``_EXC``).

The cases live outside the repository (``shared/testdata/eventbridge-patterns`` beside the clone).
Without them the suite fails (``test_the_whole_corpus_is_there``); it never skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import json5
import pytest
from groundwork.events.patterns import PatternError, matches, parse_pattern_number, validate_pattern

REPO_ROOT = Path(__file__).resolve().parents[2]
RELATIVE = Path("shared") / "testdata" / "eventbridge-patterns"


def locate_cases() -> Path:
    """``$GROUNDWORK_PATTERN_CASES``, else ``shared/`` beside the clone (or beside the main checkout
    when this is a git worktree, whose ``.git`` file points into the main clone's ``.git``)."""
    if os.environ.get("GROUNDWORK_PATTERN_CASES"):
        return Path(os.environ["GROUNDWORK_PATTERN_CASES"])
    candidates = [REPO_ROOT.parent / RELATIVE]
    git = REPO_ROOT / ".git"
    if git.is_file():
        gitdir = Path(git.read_text().removeprefix("gitdir:").strip())
        candidates.append(gitdir.parents[2].parent / RELATIVE)  # <main>/.git/worktrees/<name>
    return next((path for path in candidates if path.is_dir()), candidates[0])


CASES = locate_cases()
# One case is split over two plain-JSON files because its pattern repeats a key ("location"):
# AWS keeps the last occurrence, so the raw texts are passed as strings.
MULTI_KEY_EVENT = "complex_multi_key_event.json"
MULTI_KEY_PATTERN = "complex_multi_key_event_pattern.json"


MISSING = "<corpus missing>"


def case_files() -> list[str]:
    if not CASES.is_dir():
        return [MISSING]  # one case that fails, rather than an empty (skipped) parametrization
    return sorted(p.name for p in CASES.iterdir() if p.suffix in (".json5", ".json"))


def expected_outcome(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    if stem.endswith("_EXC"):
        return "invalid"
    if stem.endswith("_NEG"):
        return "no match"
    return "match"


def load_case(name: str) -> tuple[dict | str, dict | str]:
    """(pattern, event) of one case file."""
    if name in (MULTI_KEY_EVENT, MULTI_KEY_PATTERN):
        return (CASES / MULTI_KEY_PATTERN).read_text(), (CASES / MULTI_KEY_EVENT).read_text()
    document = json5.loads((CASES / name).read_text(), parse_float=parse_pattern_number)
    return document["EventPattern"], document["Event"]


def test_the_whole_corpus_is_there():
    # CI always has shared/ beside the clone: a missing corpus is a failure, never a silent skip.
    assert CASES.is_dir(), (f"the AWS-recorded pattern cases are missing: expected {CASES} "
                            "(shared/ beside the clone, or set GROUNDWORK_PATTERN_CASES)")
    assert len(case_files()) == 157


@pytest.mark.parametrize("name", case_files())
def test_recorded_case(name: str):
    assert name != MISSING, f"the AWS-recorded pattern cases are missing: expected {CASES}"
    pattern, event = load_case(name)
    outcome = expected_outcome(name)
    if outcome == "invalid":
        with pytest.raises(PatternError) as error:
            validate_pattern(pattern)
        assert error.value.path and error.value.reason
        with pytest.raises(PatternError):
            matches(pattern, event)
    else:
        validate_pattern(pattern)
        assert matches(pattern, event) is (outcome == "match")
