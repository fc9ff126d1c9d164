"""Decode each analyzer request once, instead of once per policy.

pulumi-policy 1.21 turns the request's protobuf ``Struct`` into Python (``MessageToDict``,
``deserialize_properties``, ``unknown_checking_proxy``) again for every policy, and once more
for the provider: with 20 policies that decoding costs several times the policies' own work.
:func:`install` wraps ``Analyze``/``AnalyzeStack`` so that, for the duration of one request,
those three steps are memoised per input object: every policy then sees the same read-only
decoded inputs. The resource options and provider the SDK rebuilds per policy are built once per
request too, and ``inspect.signature`` of the SDK's ``Settings`` once per process. ``Remediate``
is untouched (remediations rewrite inputs in turn).

Installed only for the SDK versions it was verified against; ``GROUNDWORK_POLICY_FASTPATH=0``
turns it off. The tests run the corpus both ways and expect identical results.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
from collections.abc import Callable
from typing import Any

from pulumi_policy import policy as sdk
from pulumi_policy.version import VERSION

VERIFIED_VERSIONS = frozenset({"1.21.0"})
_local = threading.local()


def memo(fn: Callable[..., Any], value: Any, *args: Any) -> Any:
    """``fn(value, *args)``, computed once per request for the same ``value`` object.

    ``args`` must not change the result within one request (e.g. the stack tags).
    """
    cache: dict[tuple[int, int], tuple[Any, Any]] | None = getattr(_local, "cache", None)
    if cache is None:
        return fn(value, *args)
    key = (id(fn), id(value))
    hit = cache.get(key)
    if hit is not None and hit[0] is value:
        return hit[1]
    result = fn(value, *args)
    cache[key] = (value, result)  # holding ``value`` keeps its id from being reused meanwhile
    return result


class _JsonFormat:
    """Stands in for ``google.protobuf.json_format`` inside ``pulumi_policy.policy``."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - SDK name
        if args or kwargs:
            return self._real.MessageToDict(message, *args, **kwargs)
        return memo(self._real.MessageToDict, message)


def _single_argument(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(value: Any, *args: Any) -> Any:
        if args:  # e.g. deserialize_properties(..., proxy_secrets=True) in Remediate
            return fn(value, *args)
        return memo(fn, value)

    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


def _per_request(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: Any, request: Any, context: Any) -> Any:
        _local.cache = {}
        try:
            return method(self, request, context)
        finally:
            _local.cache = None

    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper


def _per_request_method(method: Callable[..., Any]) -> Callable[..., Any]:
    """A servicer method of one request argument, computed once per request for that argument."""

    def of_request(request: Any, servicer: Any) -> Any:
        return method(servicer, request)

    def wrapper(self: Any, request: Any) -> Any:
        return memo(of_request, request, self)

    wrapper.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapper


@functools.cache
def _signature(callable_: Any) -> inspect.Signature:
    """``inspect.signature``, once per callable: the SDK asks for ``pulumi.runtime.Settings``'s
    on every request (to learn whether it takes ``organization``), about a tenth of the pack's CPU."""
    return inspect.signature(callable_)


def install() -> bool:
    """Patch the SDK's analyzer hot path; False (and no change) if it is not a verified version."""
    if os.environ.get("GROUNDWORK_POLICY_FASTPATH", "1") == "0" or VERSION not in VERIFIED_VERSIONS:
        return False
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if servicer is None or getattr(servicer.Analyze, "__wrapped__", None) is not None:
        return servicer is not None
    sdk.json_format = _JsonFormat(sdk.json_format)
    sdk.deserialize_properties = _single_argument(sdk.deserialize_properties)
    sdk.unknown_checking_proxy = _single_argument(sdk.unknown_checking_proxy)
    # The options and the provider of a resource, built once per request instead of per policy.
    servicer._get_resource_options = _per_request_method(servicer._get_resource_options)
    servicer._get_provider_resource = _per_request_method(servicer._get_provider_resource)
    sdk.signature = _signature
    servicer.Analyze = _per_request(servicer.Analyze)
    servicer.AnalyzeStack = _per_request(servicer.AnalyzeStack)
    return True
