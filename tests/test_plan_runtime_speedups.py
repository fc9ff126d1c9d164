"""The plan runtime's replacements for SDK internals give the SDK's answers, only cheaper."""

from __future__ import annotations

import typing

import pulumi
import pulumi_aws as aws
from pulumi import _types as pulumi_types
from pulumi.runtime import resource as sdk_resource

from org.plan import runtime

SDK_STACK_TRACE = runtime._SDK_GET_STACK_TRACE


class _Base:
    def __init__(self) -> None:  # plays pulumi.Resource: the innermost __init__
        self.ours = runtime._stack_trace()
        self.sdks = SDK_STACK_TRACE()


class _Custom(_Base):
    def __init__(self) -> None:  # plays CustomResource
        super().__init__()


class _Concrete(_Custom):
    def __init__(self) -> None:  # plays a pulumi-aws class
        super().__init__()


def _declare_in_user_code() -> _Concrete:
    return _Concrete()


def test_stack_trace_equals_the_sdks() -> None:
    made = _declare_in_user_code()
    assert made.ours == made.sdks
    assert len(made.ours.frames) > 2
    # The innermost frame kept is the user code that declared the resource.
    assert made.ours.frames[0].pc.uri.endswith("test_plan_runtime_speedups.py")
    assert made.ours.frames[0].pc.line == _declare_in_user_code.__code__.co_firstlineno + 1


def test_stack_trace_without_three_constructors_is_empty_like_the_sdks() -> None:
    made = _Custom()  # only two __init__ frames
    assert made.ours == made.sdks


def test_run_program_installs_the_replacements_and_keeps_positions() -> None:
    def program() -> None:
        aws.sqs.Queue("q", sqs_managed_sse_enabled=True)

    run = runtime.run_program(program)
    assert run.one("aws:sqs/queue:Queue", "q").inputs["sqsManagedSseEnabled"] is True
    assert sdk_resource._get_stack_trace is runtime._stack_trace
    assert hasattr(pulumi_types.unwrap_type, "__wrapped__")


def _annotations() -> list[typing.Any]:
    found: list[typing.Any] = []
    for args in (aws.ssoadmin.AccountAssignmentArgs, aws.ssm.ParameterArgs,
                 aws.organizations.AccountArgs, aws.s3.BucketPolicyArgs):
        found.extend(typing.get_type_hints(args.__init__).values())
    found += [pulumi.Input[str] | None, pulumi.Output[int], str, dict, list]
    return found


def test_memoized_type_unwrapping_equals_the_sdks() -> None:
    runtime._memoize_type_unwrapping()
    for name in ("unwrap_type", "unwrap_optional_type"):
        memoized = getattr(pulumi_types, name)
        original = memoized.__wrapped__
        for annotation in _annotations():
            assert memoized(annotation) == original(annotation), (name, annotation)
            assert memoized(annotation) == original(annotation), (name, annotation)  # cached
    runtime._memoize_type_unwrapping()  # idempotent: never wraps twice
    assert not hasattr(pulumi_types.unwrap_type.__wrapped__, "__wrapped__")
