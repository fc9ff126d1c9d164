"""The AWS facts the pack relies on (Lambda runtime deprecations, RDS engine support dates) are
data files with a source and the date they were checked; they fail here once too old to trust."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.policies.conftest import PACK_DIR

DATA_DIR = PACK_DIR / "groundwork_policies"
# AWS announces a Lambda runtime deprecation at least 180 days ahead; refreshing every 90 days
# leaves time to move functions before the date the policy starts refusing them.
MAX_AGE = timedelta(days=90)
FILES = ["lambda_runtimes.json", "rds_engines.json"]


def _load(name: str) -> dict:
    return json.loads((DATA_DIR / name).read_text())


@pytest.mark.parametrize("name", FILES)
def test_data_file_is_sourced_and_fresh(name):
    data = _load(name)
    checked = date.fromisoformat(data["checked"])
    age = datetime.now(UTC).date() - checked
    assert age <= MAX_AGE, (f"{name} was checked on {checked} ({age.days} days ago): refresh it from its "
                            f"source ({data.get('source') or data['via']}) and update 'checked'")
    assert "docs.aws.amazon.com" in json.dumps(data)  # the AWS page the dates come from


def test_lambda_runtime_dates_are_dates_and_current_runtimes_are_supported():
    data = _load("lambda_runtimes.json")
    checked = date.fromisoformat(data["checked"])
    for runtime, entry in data["runtimes"].items():
        deprecated = date.fromisoformat(entry["deprecated"])
        if "blockFunctionUpdate" in entry:
            assert date.fromisoformat(entry["blockFunctionUpdate"]) >= deprecated, runtime
    for family, runtime in data["current"].items():
        assert date.fromisoformat(data["runtimes"][runtime]["deprecated"]) > checked, (family, runtime)
    # As AWS's runtimes page states it (issue 19).
    assert data["runtimes"]["dotnet8"]["deprecated"] == "2026-11-10"


def test_rds_engine_dates_parse():
    sys.path.insert(0, str(PACK_DIR))
    try:
        from groundwork_policies import awsdata
    finally:
        sys.path.remove(str(PACK_DIR))
    support = awsdata.rds_end_of_standard_support()
    assert set(support) == {"postgres", "mysql", "mariadb", "aurora-postgresql", "aurora-mysql", "aurora"}
    for engine, majors in support.items():
        assert majors, engine
        for when in majors.values():
            date.fromisoformat(when)


def test_full_access_pattern_matches_aws_managed_policies():
    """Every AWS managed *FullAccess policy (moto ships AWS's list, with paths) is recognised by its
    ARN; narrower managed policies are not."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    sys.path.insert(0, str(PACK_DIR))
    try:
        from groundwork_policies.privileges import broad_managed_policies
    finally:
        sys.path.remove(str(PACK_DIR))
    managed = json.loads(aws_managed_policies_data)
    arns = {name: f"arn:aws:iam::aws:policy{entry['Path']}{name}" for name, entry in managed.items()}
    broad = {name for name in managed if "FullAccess" in name} | {"AdministratorAccess"}
    assert len(broad) > 100
    assert set(broad_managed_policies(arns.values())) == broad
    assert broad_managed_policies([arns["ReadOnlyAccess"], arns["AWSLambdaBasicExecutionRole"]]) == []


def test_provider_tag_exceptions_are_sourced_taggable_types():
    """The types the provider's default_tags miss: a dated, sourced list of types the pack knows take tags."""
    from groundwork_policies.taggable import taggable_types

    data = _load("provider_tag_exceptions.json")
    date.fromisoformat(data["checked"])
    assert "hashicorp.com" in data["source"] and "pulumi.com" in data["source"]
    assert data["types"] and set(data["types"]) <= set(taggable_types()), data["types"]
