"""``python -m org plan --program DIR`` on public programs we did not write (tests/plan_programs,
see its README), with realistic outputs and with outputs unknown as in a first preview: every
program plans, the pack answers every request (Analyze, AnalyzeStack, Remediate) without an error
and remediation touches only tags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from org.plan.analyzer import UNKNOWN, PolicyPackProcess, describe_run
from org.plan.command import _run_program, load_program_config
from tests.conftest import ROOT
from tests.policies.conftest import PACK_DIR

PROGRAMS = Path(__file__).parent / "plan_programs"
NAMES = sorted(p.name for p in PROGRAMS.iterdir() if (p / "Pulumi.yaml").is_file())
MODES = {"known": True, "first-preview": False}
# Resources each program declares (its Pulumi.yaml, read like the CLI does).
EXPECTED_COUNTS = {
    "aws-py-apigatewayv2-http-api-quickcreate": 5,
    "aws-py-eks": 19,
    "aws-py-resources": 27,
    "aws-py-fargate": 9,
    "aws-py-serverless-raw": 8,
    "aws-py-stepfunctions": 6,
    "aws-py-webserver": 2,
}

# The baseline where these programs have it, and claims they must not get (S3/SQS defaults).
BASELINE_FOUND = {
    "aws-py-apigatewayv2-http-api-quickcreate": {"lambda-runtime"},  # nodejs12.x
    "aws-py-eks": {"eks-public-endpoint"},
    "aws-py-resources": {"kinesis-stream-encryption", "queue-topic-encryption",  # SNS topics
                         "resource-policy-public-principal", "log-group-retention"},  # ECR policy
    "aws-py-fargate": set(),
    "aws-py-serverless-raw": {"lambda-runtime", "iam-service-wildcard"},  # dotnet8; logs:* on *
    "aws-py-stepfunctions": set(),
    "aws-py-webserver": {"ec2-imdsv2-required"},
}
# The role policy embeds the table's ARN (Output.json_dumps): unknown before the table exists.
UNKNOWN_IN_FIRST_PREVIEW = {"aws-py-serverless-raw": {"iam-service-wildcard"}}
NEVER_FOUND = {"security-group-open-ingress", "s3-bucket-baseline", "plaintext-secrets-in-environment"}


@pytest.fixture(scope="module")
def pack():
    with PolicyPackProcess(PACK_DIR, config={"aws:region": "us-east-1"}, project="third-party") as process:
        process.configure()
        process.configure_stack()
        yield process


@pytest.fixture(scope="module")
def runs():
    """Each program run once per mode, as the plan command runs it."""
    found = {}
    for name in NAMES:
        config = load_program_config(PROGRAMS / name, "dev")
        for mode, known in MODES.items():
            found[name, mode] = (config, _run_program(config, PROGRAMS / name, None, known_outputs=known))
    return found


def test_the_programs_are_the_documented_ones():
    assert NAMES == sorted(EXPECTED_COUNTS)
    readme = (PROGRAMS / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in NAMES)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_program_plans_and_the_pack_answers_every_request(runs, pack, name, mode):
    config, run = runs[name, mode]
    assert len(run.resources) == EXPECTED_COUNTS[name]
    described = describe_run(run.resources, config.values)
    diagnostics = pack.analyze_all(described)
    assert not [d for d in diagnostics if "could not evaluate" in d.message], diagnostics
    found = {d.policy_name for d in diagnostics}
    expected = BASELINE_FOUND[name] - (UNKNOWN_IN_FIRST_PREVIEW.get(name, set()) if mode == "first-preview" else set())
    assert expected <= found, found
    assert not found & NEVER_FOUND, found
    assert not [d for d in diagnostics if "queue is not encrypted" in d.message]  # SSE-SQS is the default
    for resource in described:
        for remediation in pack.remediate(resource):
            assert remediation.diagnostic == "", (resource.name, remediation.diagnostic)
            changed = {k for k in {*resource.inputs, *remediation.properties}
                       if resource.inputs.get(k) != remediation.properties.get(k)}
            assert changed == {"tags"}, (resource.name, changed)


def test_a_resource_passed_as_an_input_is_sent_as_its_id(runs):
    _, known = runs["aws-py-apigatewayv2-http-api-quickcreate", "known"]
    role = known.one("aws:iam/role:Role")
    attachment = known.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["role"] == role.id != ""
    permission = known.one("aws:lambda/permission:Permission")
    assert permission.inputs["function"] == known.one("aws:lambda/function:Function").id
    # First preview: the role does not exist yet, so its id is unknown, not a made-up value.
    _, preview = runs["aws-py-apigatewayv2-http-api-quickcreate", "first-preview"]
    attachment = preview.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.engine_inputs["role"] is UNKNOWN
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def test_get_policy_document_gives_the_json_aws_would(runs):
    for mode in MODES:
        _, run = runs["aws-py-serverless-raw", mode]
        document = json.loads(run.one("aws:iam/role:Role").inputs["assumeRolePolicy"])
        assert document == {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}


def test_lookups_give_plausible_ids(runs):
    _, run = runs["aws-py-fargate", "known"]
    group = run.one("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["vpcId"].startswith("vpc-")
    assert all(s.startswith("subnet-") for s in run.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"])
    _, run = runs["aws-py-webserver", "known"]
    assert run.one("aws:ec2/instance:Instance").inputs["ami"].startswith("ami-")


def test_program_modules_do_not_leak_between_programs(runs):
    assert "iam" not in sys.modules  # aws-py-stepfunctions' own iam.py


def test_cli_plans_a_program_from_its_folder():
    result = subprocess.run([sys.executable, "-m", "org", "plan", "--program",
                             str(PROGRAMS / "aws-py-serverless-raw"), "--unknown-outputs", "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    document = json.loads(result.stdout)
    assert document["project"] == "serverless-raw" and document["stack"] == "dev"
    assert result.returncode == 1  # mandatory findings: it was written without these policies
    runtime = [d for d in document["diagnostics"] if d["policy_name"] == "lambda-runtime"]
    assert [d["message"].splitlines()[-1] for d in runtime] == [
        "runtime dotnet8 is deprecated since 2026-11-10 (AWS Lambda runtimes page): move to dotnet10"]


def test_cli_refuses_a_folder_without_a_python_project(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: js\nruntime: nodejs\n")
    result = subprocess.run([sys.executable, "-m", "org", "plan", "--program", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "runtime 'nodejs' is not supported" in result.stderr and "Traceback" not in result.stderr


def test_cli_reports_a_failing_program_in_one_line(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import pulumi_aws as aws\n\naws.sqs.Queue('q')\nraise ValueError('no')\n")
    result = subprocess.run([sys.executable, "-m", "org", "plan", "--program", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == f"error: the program in {tmp_path} failed: ValueError: no ({tmp_path}/__main__.py:4)\n"


def test_program_config_comes_from_its_project_stack_file_and_overrides(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text(
        "name: shop\nruntime:\n  name: python\nmain: app/\n"
        "config:\n  aws:region:\n    default: eu-west-1\n  size:\n    type: string\n    default: small\n"
        "  color: red\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  shop:size: large\n  shop:token:\n    secure: AAABAx\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__main__.py").write_text("import pulumi\n")
    config = load_program_config(tmp_path, "prod", ["shop:color=blue"])
    assert config.project == "shop"
    assert config.values["aws:region"] == "eu-west-1"  # project default
    assert config.values["shop:size"] == "large"  # the stack file wins over the project default
    assert config.values["shop:color"] == "blue"  # --config wins over both
    assert config.secret_keys == ["shop:token"]
    assert load_program_config(tmp_path, "dev").values == {
        "aws:region": "eu-west-1", "shop:size": "small", "shop:color": "red"}  # no Pulumi.dev.yaml
