"""The README's Python example still runs against the real component API."""

from __future__ import annotations

import re

import pulumi_aws as aws

from components.context import load_context
from components.conventions import apply_conventions
from tests.conftest import ROOT


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_event_pipe_example_declares_a_pipe(run):
    (snippet,) = [b for b in python_blocks() if "EventPipe(" in b]

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
