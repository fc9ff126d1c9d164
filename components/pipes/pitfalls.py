"""Design-time refusals across a pipe's stages: what AWS would reject, or accept and then misbehave.

Each refusal says why and what to do. Stage-local rules live with the stage (``problems()`` on
sources, enrichments and targets); this module adds the rules that need several stages at once
(filters, batch sizes against the target and enrichment, sample events, templates).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..events.patterns import PatternError, check_pipe_support, explain_mismatch, validate_pattern
from ..events.templates import check_template
from .enrichments import Enrichment
from .sources import Source
from .targets import StepFunctionsTarget, Target

MAX_FILTERS = 5
MAX_PATTERN_LENGTH = 4096
FAN_OUT_ADVICE = (
    "a pipe delivers to exactly one target. To fan one event out to many consumers, target an event "
    "bus with one rule per consumer (groundwork.buses) or an SNS topic with SQS subscriptions "
    "(groundwork.fanout); running N pipes on one source bills and polls N times"
)


@dataclass(kw_only=True)
class SampleEvents:
    """Source records (as the filter sees them) that the filters must let through / must drop."""

    must_match: list[dict[str, Any]] = field(default_factory=list)
    must_not_match: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def single_target(target: Target | Sequence[Target]) -> tuple[Target | None, list[str]]:
    """The one target, or a refusal pointing to the bus and fan-out components."""
    if isinstance(target, Target):
        return target, []
    targets = list(target)
    if len(targets) == 1:
        return targets[0], []
    return None, [f"{len(targets)} targets were given, but {FAN_OUT_ADVICE}"]


def batch_limit(target: Target, enrichment: Enrichment | None) -> tuple[int | None, str]:
    """The largest source batch this target and enrichment accept, and who sets it."""
    limits: list[tuple[int, str]] = []
    if isinstance(target, StepFunctionsTarget) and target.is_standard:
        limits.append((1, "a Standard Step Functions target must get batch size 1: each batch starts one "
                          "execution, so a larger batch gives one workflow many records instead of one "
                          "workflow per record"))
    if target.max_batch_size is not None:
        limits.append((target.max_batch_size, f"the {target.kind} target accepts at most "
                                              f"{target.max_batch_size} records per call"))
    if enrichment is not None and enrichment.max_batch_size is not None:
        limits.append((enrichment.max_batch_size, f"an {enrichment.kind} enrichment only accepts batch size "
                                                  f"{enrichment.max_batch_size} (AWS validates this)"))
    if not limits:
        return None, ""
    return min(limits, key=lambda item: item[0])


def fit_batch(source: Source, target: Target, enrichment: Enrichment | None, findings: Findings) -> Source:
    """Refuse an explicit batch size above the limit; fill in the limit when none was given."""
    limit, reason = batch_limit(target, enrichment)
    if limit is None:
        return source
    if source.batch_size is None:
        if source.default_batch_size > limit:
            return dataclasses.replace(source, batch_size=limit)
        return source
    if source.batch_size > limit:
        findings.problems.append(f"batch_size {source.batch_size} is too large: {reason}; set batch_size={limit}")
    return source


def check_filters(filters: Sequence[dict[str, Any]], findings: Findings) -> list[dict[str, Any]]:
    """At most 5 patterns, each valid for Pipes and at most 4,096 characters."""
    if len(filters) > MAX_FILTERS:
        findings.problems.append(
            f"{len(filters)} filters were given; a pipe takes at most {MAX_FILTERS}. Merge them with $or "
            "or anything-but, or filter further in an enrichment")
    checked = []
    for number, pattern in enumerate(filters, start=1):
        try:
            validate_pattern(pattern, max_length=MAX_PATTERN_LENGTH)
            checked.append(check_pipe_support(pattern))
        except PatternError as error:
            findings.problems.append(f"filter #{number} is not a valid Pipes event pattern at {error}")
    return checked


def check_samples(filters: list[dict[str, Any]], samples: SampleEvents, findings: Findings) -> None:
    """A pipe passes an event when any filter matches it (or when there are no filters)."""
    for number, event in enumerate(samples.must_match, start=1):
        if filters and not any(explain_mismatch(p, event) is None for p in filters):
            reasons = "; ".join(f"filter #{i}: {explain_mismatch(p, event)}" for i, p in enumerate(filters, 1))
            findings.problems.append(f"sample event #{number} must pass the filters but is dropped ({reasons})")
    for number, event in enumerate(samples.must_not_match, start=1):
        if not filters:
            findings.problems.append(f"sample event #{number} must be dropped, but the pipe has no filter")
            continue
        passing = [i for i, p in enumerate(filters, 1) if explain_mismatch(p, event) is None]
        if passing:
            findings.problems.append(
                f"sample event #{number} must be dropped but passes filter #{passing[0]}")


def check_templates(enrichment: Enrichment | None, target: Target, samples: SampleEvents,
                    findings: Findings) -> None:
    """Enrichment templates see the source record; target templates see it only without enrichment."""
    sample = samples.must_match[0] if samples.must_match else None
    stages = []
    if enrichment is not None and enrichment.input_template is not None:
        stages.append(("enrichment input_template", enrichment.input_template, sample))
    if target.input_template is not None:
        stages.append(("target input_template", target.input_template, sample if enrichment is None else None))
    for where, template, event in stages:
        report = check_template(template, sample=event)
        findings.problems += [f"{where}: {problem}" for problem in report.problems]
        findings.notes += [f"{where}: {note}" for note in report.notes]
