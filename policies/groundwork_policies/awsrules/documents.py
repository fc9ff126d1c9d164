"""Embedded documents parse and validate: state-machine definitions, event patterns, pipe templates.

Policy JSON is :mod:`iam`'s; buildspecs and StackSet templates belong to the bootstrap rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from groundwork_policies import library as engines
from groundwork_policies.awsrules.findings import Rule
from groundwork_policies.framework import Resource
from groundwork_policies.values import UNKNOWN, dig

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
PIPE = "aws:pipes/pipe:Pipe"
PATTERN_INPUTS = {"aws:cloudwatch/eventRule:EventRule": "eventPattern",
                  "aws:cloudwatch/eventArchive:EventArchive": "eventPattern"}
PIPE_FILTER_MAX = 4096  # Pipes API reference, Filter.Pattern
# Amazon States Language: state types, and which of them end an execution without Next/End.
STATE_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
TERMINAL_TYPES = {"Succeed", "Fail", "Choice"}


def state_machine(resource: Resource) -> Iterator[Rule]:
    if resource.type != STATE_MACHINE:
        return
    text = resource.props.get("definition")
    if not isinstance(text, str):
        return
    try:
        definition = json.loads(text)
    except ValueError as error:
        yield Rule("definition", "<not JSON>", f"is not JSON ({error}); Step Functions refuses it "
                                               "(InvalidDefinition)", "aws-states-language")
        return
    problems = list(_machine_problems(definition, "$"))
    if problems:
        yield Rule("definition", "<state machine definition>", "; ".join(problems[:5]), "aws-states-language")


def _machine_problems(machine: Any, where: str) -> Iterator[str]:
    if not isinstance(machine, Mapping):
        yield f"{where} is not an object"
        return
    states, start = machine.get("States"), machine.get("StartAt")
    if not isinstance(states, Mapping) or not states:
        yield f"{where}.States must be a non-empty object"
        return
    if start not in states:
        yield f"{where}.StartAt {start!r} names no state"
    for name, state in states.items():
        at = f"{where}.States.{name}"
        if not isinstance(state, Mapping):
            yield f"{at} is not an object"
            continue
        kind = state.get("Type")
        if kind not in STATE_TYPES:
            yield f"{at}.Type {kind!r} is not one of {', '.join(sorted(STATE_TYPES))}"
            continue
        targets = [state.get("Next"), state.get("Default")]
        targets += [c.get("Next") for c in state.get("Choices", []) if isinstance(c, Mapping)]
        targets += [c.get("Next") for c in state.get("Catch", []) if isinstance(c, Mapping)]
        for target in targets:
            if target is not None and target not in states:
                yield f"{at} goes to {target!r}, which is not a state"
        if kind not in TERMINAL_TYPES and "Next" not in state and state.get("End") is not True:
            yield f"{at} has neither Next nor End: true"
        if kind == "Task" and not isinstance(state.get("Resource"), str):
            yield f"{at} is a Task without a Resource"
        if kind == "Choice" and not state.get("Choices"):
            yield f"{at} is a Choice without Choices"
        for index, branch in enumerate(state.get("Branches") or []):
            yield from _machine_problems(branch, f"{at}.Branches[{index}]")
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _machine_problems(state[key], f"{at}.{key}")


def event_patterns(resource: Resource) -> Iterator[Rule]:
    key = PATTERN_INPUTS.get(resource.type)
    if key is not None:
        pattern = resource.props.get(key)
        if isinstance(pattern, str):
            yield from _pattern(key, pattern, pipe=False)
    elif resource.type == PIPE:
        filters = dig(resource.props, "sourceParameters", "filterCriteria", "filters")
        for index, item in enumerate(filters if isinstance(filters, list) else []):
            pattern = dig(item, "pattern")
            if isinstance(pattern, str):
                yield from _pattern(f"sourceParameters.filterCriteria.filters[{index}].pattern", pattern, pipe=True)


def _pattern(field: str, text: str, *, pipe: bool) -> Iterator[Rule]:
    try:
        engine = engines.patterns()
    except engines.LibraryMissing as missing:
        yield _not_evaluated(field, text, missing, "aws-event-pattern")
        return
    try:
        if pipe:
            if len(text) > PIPE_FILTER_MAX:
                raise engine.PatternError("$", f"{len(text)} characters; a Pipes filter takes at most {PIPE_FILTER_MAX}")
            engine.check_pipe_support(text)
        else:
            engine.validate_pattern(text)
    except engine.PatternError as error:
        shown = text if len(text) <= 80 else text[:77] + "..."
        yield Rule(field, shown, f"is not a valid event pattern at {error} (InvalidEventPatternException)",
                   "aws-event-pattern")


def pipe_templates(resource: Resource) -> Iterator[Rule]:
    if resource.type != PIPE:
        return
    for field in ("targetParameters.inputTemplate", "enrichmentParameters.inputTemplate"):
        template = dig(resource.props, *field.split("."))
        if not isinstance(template, str) or template is UNKNOWN:
            continue
        try:
            report = engines.templates().check_template(template)
        except engines.LibraryMissing as missing:
            yield _not_evaluated(field, template, missing, "aws-pipe-input-template")
            continue
        if report.problems:
            shown = template if len(template) <= 80 else template[:77] + "..."
            yield Rule(field, shown, "; ".join(report.problems), "aws-pipe-input-template")


def _not_evaluated(field: str, text: str, missing: Exception, rule: str) -> Rule:
    """The engine is the library's: without it this one rule says so and the others still run."""
    shown = text if len(text) <= 80 else text[:77] + "..."
    return Rule(field, shown, f"could not evaluate: {missing}", rule)


CHECKS = (state_machine, event_patterns, pipe_templates)
