"""Stack context: every bad value stops the program with a message naming key, value and choices."""

from __future__ import annotations

import pytest
from groundwork.context import context_from_mapping, load_context
from groundwork.errors import ConfigError

from tests.conftest import FIXED_NOW, stack_config

GOOD = {"context": "shop", "stage": "dev", "owner": "team-shop@example.com", "usage": "EPHEMERAL"}


def test_valid_context_derives_tags_prefix_and_lease():
    ctx = context_from_mapping({**GOOD, "ttlHours": 6, "tags": {"cost-center": "42"}}, now=FIXED_NOW)
    assert ctx.ssm_prefix == "/dev/shop/"
    assert ctx.expires_at_iso == "2026-11-24T16:00:00Z"
    assert ctx.tags == {
        "cost-center": "42", "context": "shop", "stage": "dev",
        "owner": "team-shop@example.com", "usage": "EPHEMERAL", "expires-at": "2026-11-24T16:00:00Z",
    }


def test_ttl_defaults_to_24_hours_and_only_ephemeral_expires():
    ctx = context_from_mapping(GOOD, now=FIXED_NOW)
    assert ctx.ttl_hours == 24 and ctx.expires_at_iso == "2026-11-25T10:00:00Z"
    production = context_from_mapping({**GOOD, "usage": "PRODUCTION"}, now=FIXED_NOW)
    assert production.expires_at is None and "expires-at" not in production.tags


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"stage": "qa"}, ["groundwork:stage = 'qa'", "'dev', 'test', 'staging', 'prod' or 'sandbox'"]),
        ({"usage": "TEMP"}, ["groundwork:usage = 'TEMP'", "'EPHEMERAL', 'POC' or 'PRODUCTION'"]),
        ({"stage": "prod", "usage": "POC"}, ["usage 'POC' is only allowed for stages dev, sandbox",
                                             "stage 'prod' must use usage 'PRODUCTION'"]),
        ({"stage": "staging", "usage": "EPHEMERAL"}, ["stage 'staging' must use usage 'PRODUCTION'"]),
        ({"context": "Shop_App"}, ["groundwork:context = 'Shop_App'", "lower-case"]),
        ({"owner": "Not An Owner"}, ["groundwork:owner = 'Not An Owner'", "email address or a team id"]),
        ({"ttlHours": 0}, ["groundwork:ttlHours = 0", "greater than or equal to 1"]),
        ({"ttlHours": 10_000}, ["groundwork:ttlHours = 10000", "less than or equal to 336"]),
        ({"tags": {"aws:foo": "x"}}, ["groundwork:tags", "not a valid AWS tag key"]),
    ],
)
def test_each_bad_value_has_its_message(override, expected):
    with pytest.raises(ConfigError) as caught:
        context_from_mapping({**GOOD, **override})
    message = str(caught.value)
    for fragment in expected:
        assert fragment in message
    assert "Traceback" not in message


def test_missing_keys_are_all_reported_together():
    with pytest.raises(ConfigError) as caught:
        context_from_mapping({"stage": "dev"})
    message = str(caught.value)
    for key in ("context", "owner", "usage"):
        assert f"groundwork:{key} is required" in message


def test_a_bad_context_stops_the_program_with_its_message_and_no_traceback():
    """The Pulumi CLI prints a ``RunError`` as its message alone; the offline plan does the same,
    so a bad context value reads as one refusal naming the key (exit 2), not a crash."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run([sys.executable, "-m", "org", "plan", "--stack", "sandbox", "--policy-pack", "none",
                             "--config", "groundwork:stage=qa"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: Invalid stack config") and "groundwork:stage" in result.stderr


def test_load_context_reads_stack_config(run):
    seen = {}
    run(lambda: seen.update(ctx=load_context()),
        config=stack_config(usage="EPHEMERAL", ttlHours="12", tags='{"team": "checkout"}'))
    ctx = seen["ctx"]
    assert (ctx.context, ctx.stage, ctx.usage, ctx.ttl_hours) == ("shop", "dev", "EPHEMERAL", 12)
    assert ctx.extra_tags == {"team": "checkout"}


def test_non_numeric_ttl_is_named(run):
    with pytest.raises(ConfigError, match=r"groundwork:ttlHours = 'soon'"):
        run(load_context, config=stack_config(ttlHours="soon"))


def test_program_stops_before_declaring_anything(run):
    from features.program import build
    from org.plan.mocks import GroundworkMocks

    class CountingMocks(GroundworkMocks):
        created: list[str] = []

        def new_resource(self, args):
            self.created.append(args.typ)
            return super().new_resource(args)

    mocks = CountingMocks()
    with pytest.raises(ConfigError, match="groundwork:stage = 'qa'"):
        run(build, config=stack_config(stage="qa", usage="EPHEMERAL"), mocks=mocks)
    assert mocks.created == []
