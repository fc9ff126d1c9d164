"""The README's Python example still runs against the real component API."""

from __future__ import annotations

import re

import pulumi_aws as aws
from groundwork.context import load_context
from groundwork.conventions import apply_conventions

from tests.conftest import ROOT


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_event_pipe_example_declares_a_pipe(run):
    (snippet,) = [b for b in python_blocks() if "EventPipe(" in b and "StepFunctionsTarget" in b]

    def program():
        ctx = load_context()
        apply_conventions(ctx)
        queue = aws.sqs.Queue("orders", sqs_managed_sse_enabled=True)
        workflow = aws.sfn.StateMachine("workflow", role_arn="arn:aws:iam::123456789012:role/sfn",
                                        definition='{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')
        exec(snippet, {"ctx": ctx, "queue": queue, "workflow": workflow})  # our own README

    result = run(program)
    pipe = result.one("aws:pipes/pipe:Pipe")
    assert pipe.inputs["source"] == result.one("aws:sqs/queue:Queue").outputs["arn"]
    assert pipe.inputs["target"] == result.one("aws:sfn/stateMachine:StateMachine").outputs["arn"]


def test_readme_library_example_tags_its_resources_without_the_app(run):
    """The "use the library from your own program" example, run as a program of a workload team:
    no stack transformation, yet the pipe, the topic and the queues carry the context tags."""
    (snippet,) = [b for b in python_blocks() if "from groundwork.context import load_context" in b]

    def program():
        queue = aws.sqs.Queue("orders", sqs_managed_sse_enabled=True, tags=load_context().tags)
        exec(snippet, {"queue": queue})  # our own README

    result = run(program)
    context = load_context_tags()
    declared = [result.one("aws:pipes/pipe:Pipe"), result.one("aws:sns/topic:Topic"),
                *[q for q in result.of_type("aws:sqs/queue:Queue") if q.name != "orders"]]
    assert len(declared) == 4  # pipe, topic, billing queue and its DLQ
    for resource in declared:
        assert context.items() <= (resource.inputs.get("tags") or {}).items(), resource.name


def load_context_tags() -> dict[str, str]:
    from tests.conftest import BASE_CONFIG

    return {key.split(":", 1)[1]: value for key, value in BASE_CONFIG.items() if key.startswith("groundwork:")}


# --- every command the README shows runs as written, after the README's set-up commands ---

import shutil  # noqa: E402
import subprocess  # noqa: E402

import pytest  # noqa: E402

from tests.docs.examples import blocks  # noqa: E402

README = ROOT / "README.md"
# Commands that need what the suite must not use: the Pulumi CLI and AWS, or `make test`/`make plan`/`make bench`
# (they (re)build the virtualenv or take minutes; `make plan` is `python -m org plan --stack org`, run below).
NOT_HERE = ("pulumi ", "make test", "make plan", "make bench", "make validate", "(cd policies && pulumi")


def readme_commands() -> list[str]:
    """Shell lines of the README's sh blocks and every inline `python -m org ...` / `make ...` span."""
    commands = []
    for block in blocks(README):
        if block.lang in ("sh", "bash"):
            for line in block.text.splitlines():
                command = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
                if command:
                    commands.append(command)
    text = README.read_text()
    for span in re.findall(r"`((?:python -m org|make) [^`]+)`", text):
        commands.append(" ".join(span.split()))
    return list(dict.fromkeys(commands))


COMMANDS = readme_commands()
RUNNABLE = [c for c in COMMANDS
            if not c.startswith(NOT_HERE) and c != ". .venv/bin/activate" and "..." not in c]  # "..." = any command


def test_the_readme_shows_the_commands_a_newcomer_needs():
    assert ". .venv/bin/activate" in COMMANDS  # the set-up says how python -m org finds its packages
    for expected in ("python -m org validate", "python -m org access", "python -m org diagram",
                     "python -m org plan --stack org", "make help"):
        assert expected in RUNNABLE, expected
    assert any(c.startswith("python -m org vend ") for c in RUNNABLE)
    assert any(c.startswith("python -m org pattern test ") for c in RUNNABLE)


@pytest.mark.parametrize("command", RUNNABLE)
def test_readme_command_runs_as_written(command, tmp_path):
    """Run exactly as a newcomer would: activate the virtualenv, then the command, from the clone."""
    if command.startswith("python -m org vend "):  # writes an account file: do it on a copy of org/
        shutil.copytree(ROOT / "org", tmp_path / "org", ignore=shutil.ignore_patterns("__pycache__"))
        command += f" --root {tmp_path / 'org'}"
    result = subprocess.run(["bash", "-c", f". .venv/bin/activate && {command}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"


@pytest.mark.parametrize("page", ["README.md", "docs/organization.md"])
def test_the_shown_org_diagram_is_what_the_diagram_command_prints(page):
    from org.commands.diagram import mermaid
    from org.loader import load_org

    (shown,) = [b.text.strip() for b in blocks(ROOT / page) if b.lang == "mermaid"]
    assert shown == mermaid(load_org(ROOT / "org")), f"{page}: regenerate with python -m org diagram"


def test_the_shown_plan_output_is_what_the_plan_prints():
    """Every line of the README's `make plan` sample (but the elisions) appears in the real output, in order."""
    (sample,) = [b.text for b in blocks(README) if b.lang == "text" and b.text.startswith("$ make plan")]
    shown = [line for line in sample.splitlines()[1:] if line.strip() not in ("...", "")]
    result = subprocess.run(["bash", "-c", ". .venv/bin/activate && python -m org plan --stack org"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    printed = iter(result.stdout.splitlines())
    for line in shown:
        assert any(candidate == line for candidate in printed), f"README shows {line!r}; the plan does not print it there"
