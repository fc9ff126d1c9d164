"""The AWS rules' data: the pulumi-aws -> API table covers what the stacks plan and names real
members, and the documented constants agree with AWS's own published data."""

from __future__ import annotations

import json
import re
import sys

import pytest

from org.plan.command import plan_stack
from tests.policies.conftest import PACK_DIR

if str(PACK_DIR) not in sys.path:
    sys.path.append(str(PACK_DIR))

from groundwork_policies.awsrules import api, crossresource, documented, iam, iamdata_index
from groundwork_policies.awsrules.api_table import TABLE

STACKS = ("org", "events-dev", "sandbox")


@pytest.fixture(scope="module")
def planned_types() -> set[str]:
    types: set[str] = set()
    for stack in STACKS:
        types |= {r.type for r in plan_stack(stack).resources if r.type.startswith("aws:")}
    return types


def test_the_table_covers_every_resource_type_the_example_stacks_plan(planned_types):
    assert planned_types - set(TABLE) == set()


@pytest.mark.parametrize("resource_type", sorted(TABLE))
def test_every_table_entry_names_a_real_operation_and_members(resource_type):
    entry = TABLE[resource_type]
    assert api.operation_shape(entry.service, entry.operation).type_name == "structure"
    for path, target in entry.renames.items():
        if target != "-":
            assert api.member_for(resource_type, path) is not None, f"{resource_type}: {path} -> {target}"


def test_inputs_match_members_by_name():
    shape = api.member_for("aws:pipes/pipe:Pipe", "sourceParameters.dynamodbStreamParameters.maximumRetryAttempts")
    assert (shape.name, shape.metadata) == ("MaximumRetryAttemptsESM", {"min": -1, "max": 10000})
    assert api.member_for("aws:cloudwatch/logGroup:LogGroup", "retentionInDays").name == "Days"  # PutRetentionPolicy


def test_log_retention_values_are_the_ones_botocore_documents():
    member = api.service_model("logs").operation_model("PutRetentionPolicy").input_shape.members["retentionInDays"]
    listed = re.search(r"Possible values are: ([\d, and]+)\.", member.documentation).group(1)
    assert {int(n) for n in re.findall(r"\d+", listed)} == documented.LOG_RETENTION_DAYS


def test_xray_managed_policies_grant_both_actions_per_moto_documents():
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    managed = json.loads(aws_managed_policies_data)
    for name in crossresource.XRAY_MANAGED:
        allowed = iam.allowed_actions(managed[name]["Document"])
        assert set(crossresource.XRAY_ACTIONS) <= allowed, name


@pytest.mark.parametrize(("left", "right", "expected"), [
    ("arn:*:s3:::*", "arn:aws:s3:::bucket/*", True),
    ("arn:*:kinesis:*:*:*/*/consumer/*:*", "arn:aws:kinesis:eu-west-1:1:stream/s", False),
    ("arn:*:kinesis:*:*:*/*/consumer/*:*", "arn:aws:kinesis:eu-west-1:1:stream/s/consumer/*", True),
    ("arn:*:sqs:*:*:*", "arn:aws:sns:eu-west-1:1:t", False),
    ("a?c", "abc", True),
])
def test_glob_intersection(left, right, expected):
    assert iamdata_index.globs_intersect(left, right) is expected


def test_the_dataset_knows_the_actions_of_issue_12():
    """Facts the defects rest on, as the dataset states them (Service Authorization Reference)."""
    def action(key):
        return iamdata_index.expand(key)[0]

    for key in ("dynamodb:ListStreams", "kinesis:ListStreams", "kafka:GetBootstrapBrokers",
                "xray:PutTraceSegments", "xray:PutTelemetryRecords"):
        assert action(key).resource_arns == (), key
    assert all("/consumer/" in t for t in action("kinesis:SubscribeToShard").resource_arns)


def test_the_table_covers_every_resource_type_the_project_declares():
    """Every ``aws.<module>.<Class>(`` in the program's code, by the type token pulumi-aws registers."""
    import inspect
    from pathlib import Path

    import pulumi_aws

    root = Path(__file__).resolve().parents[2]
    sources = [*root.glob("components/**/*.py"), *root.glob("features/**/*.py"), *root.glob("org/**/*.py"),
               root / "__main__.py"]
    declared = set()
    for source in sources:
        for module, name in re.findall(r"\baws\.(\w+)\.([A-Z]\w+)\(", source.read_text()):
            cls = getattr(getattr(pulumi_aws, module), name)
            declared |= set(re.findall(r"'(aws:[^']+)'", inspect.getsource(cls._internal_init)))
    assert len(declared) >= 55
    assert declared - set(TABLE) == set()


def test_the_bootstrap_templates_policies_are_found_and_pass():
    """The IAM inside the StackSet templates is really checked (not skipped as unparsable)."""
    from pathlib import Path

    templates = sorted((Path(__file__).resolve().parents[2] / "features" / "bootstrap" / "templates").glob("*.y*ml"))
    assert templates
    kinds = set()
    for template in templates:
        documents = iam.stack_set_documents(template.read_text())
        assert documents, template.name
        for document in documents:
            assert isinstance(document.body, dict), (template.name, document.where)
            assert [r for r in iam.check_document(document) if r.error] == [], (template.name, document.where)
            kinds.add(document.kind)
    assert {iam.TRUST, iam.RESOURCE} <= kinds


def test_intrinsic_functions_become_wildcards_and_both_branches():
    node = {"Statement": [{"Fn::If": ["C", {"Effect": "Allow"}, {"Ref": "AWS::NoValue"}]},
                          {"Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"},
                           "Action": {"Fn::Join": [":", ["s3", {"Ref": "Verb"}]]}}]}
    assert iam.approximate(node) == {"Statement": [{"Effect": "Allow"},
                                                   {"Resource": "arn:*:s3:::*/*", "Action": "s3:*"}]}
