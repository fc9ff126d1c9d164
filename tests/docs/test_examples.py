"""Every YAML, JSON and Python example of README.md and docs/ runs, so a broken example fails CI.

- YAML stack config (``groundwork:<feature>: ...``) is put into the example stack that owns the
  feature (org, events-dev or sandbox) in place of that stack's own value, and the real program
  runs under the mock runtime: every feature's validation and declaration, as ``python -m org
  plan`` does. A ``config:`` block is a whole stack file, run the same way.
- YAML shaped like ``org/sso.yaml`` is validated against the example org by the SSO loader.
- JSON policy-pack config is sent to the real policy pack (``Configure``), as ``pulumi preview
  --policy-pack-config`` does.
- Python runs inside a program under the mock runtime, with ``ctx`` (the stack context),
  ``queue`` (an SQS queue) and ``workflow`` (a Step Functions state machine) given.

A block that cannot run on its own is marked with ``<!-- example: fragment -->`` on the line
above it; a fragment must still parse. Blocks marked ``<!-- example: file <path> -->`` are the
files of a project a page builds (docs/quickstart-workload.md): they are written out together and
the project is planned with ``python -m org plan --program``, policy pack included. Any other block that does not run fails here, naming the
file and line, so the example is fixed or marked, never silently skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pulumi_aws as aws
import pytest
import yaml
from groundwork.context import load_context
from groundwork.conventions import apply_conventions
from groundwork.errors import ConfigError

from org.loader import load_org
from org.plan.analyzer import PolicyPackProcess
from org.plan.command import _run_program
from org.plan.stackconfig import load_stack_config
from org.sso import SsoValidationError, load_sso
from tests.docs.examples import ROOT, Block, all_blocks, blocks

# Which example stack a feature's config belongs to (the stack that already enables it).
STACK_OF_FEATURE = {
    "org": "org", "mail": "org", "sso": "org", "bootstrap": "org",
    "eventBuses": "events-dev", "pipes": "events-dev", "fanouts": "events-dev",
    "teardown": "sandbox", "ttlHours": "sandbox",
}
SSO_KEYS = {"groups", "permissionSets", "assignments"}

YAML = all_blocks("yaml", "yml")
JSON = all_blocks("json")
PYTHON = all_blocks("python", "py")


def ids(blocks: list[Block]) -> list[str]:
    return [b.where for b in blocks]


def test_the_pages_have_examples_of_every_kind():
    """The extraction itself works: a regression in it would silently run nothing."""
    assert len(YAML) >= 10 and len(PYTHON) >= 5 and JSON
    assert any(b.path.name == "README.md" for b in YAML + PYTHON)


def stack_for(block: Block, document: dict[str, Any]) -> str:
    features = {key.split(":", 1)[1] for key in document if key.startswith("groundwork:")}
    stacks = {STACK_OF_FEATURE[f] for f in features if f in STACK_OF_FEATURE}
    assert len(stacks) == 1, (f"{block.where}: cannot tell which example stack the keys "
                              f"{sorted(document)} belong to; mark it <!-- example: fragment -->")
    return stacks.pop()


def run_stack_config(block: Block, values: dict[str, Any], stack: str) -> None:
    config = load_stack_config(stack)
    config.values.update(values)
    problem = _config_problem(config)
    if problem:
        pytest.fail(f"{block.where}: the example does not pass the {stack} stack's validation:\n{problem}",
                    pytrace=False)


def _config_problem(config) -> str:
    """The ConfigError message of running the real program with this config under mocks, or ''."""
    try:
        _run_program(config, ROOT, None)
    except ConfigError as error:
        return str(error)
    return ""


@pytest.mark.parametrize("block", YAML, ids=ids(YAML))
def test_yaml_example(block: Block, tmp_path: Path):
    try:
        document = yaml.safe_load(block.text)
    except yaml.YAMLError as error:
        pytest.fail(f"{block.where}: not valid YAML: {error}")
    if block.fragment or block.project_file:
        return
    assert isinstance(document, dict), f"{block.where}: expected a mapping; mark it <!-- example: fragment -->"
    if set(document) == {"config"}:
        values = document["config"]
        stack = "sandbox" if values.get("groundwork:usage") == "EPHEMERAL" else "events-dev"
        base = load_stack_config(stack)
        base.values.clear()
        base.values.update(values)
        problem = _config_problem(base)
        if problem:
            pytest.fail(f"{block.where}: the stack file does not validate:\n{problem}", pytrace=False)
    elif set(document) <= SSO_KEYS:
        org = load_org(ROOT / "org")
        path = tmp_path / "sso.yaml"
        path.write_text(block.text)
        try:
            load_sso(path, org)
        except SsoValidationError as error:
            pytest.fail(f"{block.where}: not a valid org/sso.yaml:\n" + "\n".join(error.problems))
    elif all(key.startswith(("groundwork:", "aws:")) for key in document):
        run_stack_config(block, document, stack_for(block, document))
    else:
        pytest.fail(f"{block.where}: unknown kind of YAML example (keys {sorted(document)}); "
                    "make it stack config, a stack file or org/sso.yaml, or mark it <!-- example: fragment -->")


@pytest.mark.parametrize("block", JSON, ids=ids(JSON))
def test_json_example(block: Block):
    try:
        document = json.loads(block.text)
    except json.JSONDecodeError as error:
        pytest.fail(f"{block.where}: not valid JSON: {error}")
    if block.fragment:
        return
    config = load_stack_config("events-dev").values
    with PolicyPackProcess(ROOT / "policies", config=config) as pack:
        try:
            pack.configure(document)
        except ValueError as error:
            pytest.fail(f"{block.where}: the policy pack refuses this config: {error}")
        # The Pulumi CLI checks each policy's settings against the schema the pack declares.
        problems = []
        for name, settings in document.items():
            policy = pack.info().policy(name)
            schema = {"type": "object", "properties": policy.config_schema, "required": policy.required_config}
            properties = {k: v for k, v in settings.items() if k != "enforcementLevel"}
            problems += [f"{name}.{'.'.join(map(str, e.path))}: {e.message}"
                         for e in jsonschema.Draft7Validator(schema).iter_errors(properties)]
        assert not problems, f"{block.where}: not valid for the pack's config schema: {problems}"


@pytest.mark.parametrize("block", PYTHON, ids=ids(PYTHON))
def test_python_example(block: Block, run, monkeypatch):
    try:
        code = compile(block.text, block.where, "exec")
    except SyntaxError as error:
        pytest.fail(f"{block.where}: not valid Python: {error}")
    if block.fragment or block.project_file:
        return
    monkeypatch.chdir(ROOT)

    def program() -> None:
        ctx = load_context()
        apply_conventions(ctx)
        queue = aws.sqs.Queue("orders", sqs_managed_sse_enabled=True)
        workflow = aws.sfn.StateMachine("workflow", role_arn="arn:aws:iam::123456789012:role/sfn",
                                        definition='{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')
        exec(code, {"__name__": "docs_example", "ctx": ctx, "queue": queue, "workflow": workflow})

    run(program)


QUICKSTART = ROOT / "docs" / "quickstart-workload.md"


def test_the_workload_quick_start_project_plans_clean(tmp_path: Path):
    """The quick start's files, written out as a team's repository would hold them, plan offline
    with the command the page shows: the program runs, every resource passes the policy pack."""
    files = [b for b in blocks(QUICKSTART) if b.project_file]
    assert {Path(b.marker_arg).name for b in files} >= {"Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"}
    for block in files:
        target = tmp_path / block.marker_arg
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.text)
    project = Path(files[0].marker_arg).parent
    # As the page says: from the Groundwork checkout, the program importing the installed library.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "org", "plan", "--stack", "dev", "--program",
                             str(tmp_path / project)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "+ aws:pipes/pipe:Pipe  fulfilment" in result.stdout
    assert "Policy check passed: 0 mandatory" in result.stdout
