"""Run a Pulumi program under the SDK's mock runtime and record every registered resource.

Used by the tests (to assert on the resource graph) and by ``python -m org plan``.
The recording monitor reads each ``RegisterResourceRequest`` so that options the mock
``MockResourceArgs`` leave out (parent, protect, retainOnDelete, dependencies, provider)
are captured too.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import runpy
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from groundwork import cycle_breaker
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from org.plan.mocks import GroundworkMocks

STACK_TYPE = "pulumi:pulumi:Stack"
_THIS_REPOSITORY = Path(__file__).resolve().parents[2]


class _Unknown:
    """Marker for a value not known yet (during a preview), as the engine would send it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class Secret:
    """A value the program marked secret (``pulumi.Output.secret``, secret config)."""

    value: Any


@dataclass
class RecordedResource:
    """One resource as the engine would have seen it: identity, inputs, options and mock outputs."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    dependencies: list[str] = field(default_factory=list)
    provider: str = ""
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    # The inputs as the engine would send them (Secret and UNKNOWN markers kept), when they
    # differ from ``inputs`` (plain values: secrets unwrapped, unknowns as None).
    wire_inputs: dict[str, Any] | None = None
    import_id: str = ""  # the `import` option: the engine adopts this existing object instead of creating one

    @property
    def tags(self) -> dict[str, str] | None:
        return self.inputs.get("tags")

    @property
    def engine_inputs(self) -> dict[str, Any]:
        """The inputs with secrets as :class:`Secret` and unknowns as :data:`UNKNOWN`."""
        return self.wire_inputs if self.wire_inputs is not None else self.inputs


@dataclass
class LogRecord:
    severity: str
    message: str


@dataclass
class ProgramRun:
    """Everything a mocked run produced, with small helpers for assertions."""

    resources: list[RecordedResource]
    logs: list[LogRecord]
    stack_outputs: dict[str, Any]
    project: str
    stack: str

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> RecordedResource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise AssertionError(f"expected one {type_} named {name!r}, found {len(found)}: {names}")
        return found[0]

    def by_urn(self, urn: str) -> RecordedResource | None:
        return next((r for r in self.resources if r.urn == urn), None)

    def children_of(self, parent: RecordedResource) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == parent.urn]

    def warnings(self) -> list[str]:
        return [log.message for log in self.logs if log.severity == "warning"]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps every registration request, options included."""

    def __init__(self, mocks: pulumi.runtime.Mocks,
                 on_register: Callable[[], None] | None = None,
                 on_record: Callable[[RecordedResource], None] | None = None) -> None:
        super().__init__(mocks)
        self.on_register = on_register
        self.on_record = on_record
        self.recorded: list[RecordedResource] = []
        self.stack_outputs: dict[str, Any] = {}
        self._stack_urn = ""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine gives the resource: its type qualified by the parent's full qualified
        type, except under the root stack (pulumi/pulumi ``generateURN``/``NewURN``). The SDK's
        mock monitor keeps the stack's type and only the parent's last type, so waivers or SARIF
        written from the plan would not match a real preview."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request):  # noqa: N802 - protocol name
        """The SDK mock monitor's registration, with the request decoded once and without
        rehydrating resource references: the SDK's deserializer turns ``role=lambda_role`` back
        into a resource, looked up from inside this call on another event loop - with unknown
        outputs the plan then waits forever, otherwise it fails with "a different loop"."""
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self._stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        _ensure_event_loop()  # as the SDK's mock monitor: serializing the outputs needs one
        wire, marked = decode_struct(request.object)
        inputs = unmark(wire) if marked else wire
        id_, outputs = self.mocks.new_resource(pulumi_mocks.MockResourceArgs(
            typ=request.type, name=request.name, inputs=for_mocks(wire) if marked else dict(wire),
            provider=request.provider, resource_id=request.importId, custom=request.custom or False,
            transforms=pulumi_mocks._resolve_callbacks(request.transforms)))
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, outputs)
        response = resource_pb2.RegisterResourceResponse(
            urn=urn, id=id_, object=_sync_await(rpc.serialize_properties(outputs, {})))
        recorded = RecordedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            inputs=inputs,
            wire_inputs=wire if marked else None,
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            dependencies=list(request.dependencies),
            provider=request.provider,
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=list(request.ignoreChanges),
            id=response.id,
            outputs=_plain(outputs),
            import_id=request.importId,
        )
        self.recorded.append(recorded)
        if self.on_record is not None:
            self.on_record(recorded)
        if self.on_register is not None:
            self.on_register()
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - protocol name
        if request.urn == self._stack_urn:
            self.stack_outputs = unmark(decode_struct(request.outputs)[0])
        return super().RegisterResourceOutputs(request)


@contextlib.contextmanager
def _fewer_collections(young: int = 100_000) -> Iterator[None]:
    """Collect the youngest generation every ``young`` allocations instead of every 700.

    A plan allocates millions of short-lived objects (futures, outputs, protobufs) while the
    heap of live resources grows; with the default threshold the cyclic collector costs about
    a third of a 2,000-account plan. Memory stays the same (measured), as nearly all of it is
    freed by reference counting anyway.
    """
    before = gc.get_threshold()
    gc.set_threshold(young, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


class _CollectingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(LogRecord(record.levelname.lower(), record.getMessage()))


def decode_struct(struct: struct_pb2.Struct) -> tuple[dict[str, Any], bool]:
    """A registration's properties as plain data, and whether any secret or unknown was met.

    Secrets become :class:`Secret`, unknowns :data:`UNKNOWN`, resource references the resource's
    id (a custom resource) or URN (a component), as the engine hands them to providers and
    analyzers; assets and archives the SDK's asset objects. Absent (null) properties are left out.
    """
    marked = [False]
    decoded = _decode_fields(struct, marked)
    return decoded, marked[0]


def _decode_fields(struct: Any, marked: list[bool]) -> dict[str, Any]:
    out = {}
    for key, value in struct.items():
        decoded = _decode(value, marked)
        if decoded is not None:
            out[key] = decoded
    return out


def _decode(value: Any, marked: list[bool]) -> Any:
    if isinstance(value, str):
        if value == rpc.UNKNOWN:
            marked[0] = True
            return UNKNOWN
        return value
    if isinstance(value, struct_pb2.ListValue):
        return [_decode(item, marked) for item in value]
    if isinstance(value, struct_pb2.Struct):
        if rpc._special_sig_key not in value:
            return _decode_fields(value, marked)
        signature = value[rpc._special_sig_key]
        if signature == rpc._special_secret_sig:
            marked[0] = True
            return Secret(_decode(value["value"], marked) if "value" in value else None)
        if signature == rpc._special_resource_sig:
            reference = value["id"] if "id" in value else value["urn"]
            if reference == "":  # a custom resource whose id is not known yet
                marked[0] = True
                return UNKNOWN
            return _decode(reference, marked)
        if signature == rpc._special_output_value_sig:
            marked[0] = True
            inner = _decode(value["value"], marked) if "value" in value else UNKNOWN
            return Secret(inner) if value.get("secret") else inner
        return rpc.deserialize_properties(value)  # assets and archives: no resources inside
    return value


def for_mocks(value: Any) -> Any:
    """Decoded inputs as mocks receive them from the SDK: secrets wrapped as the SDK wraps them,
    unknowns as the engine's unknown value (so echoing them back keeps them unknown)."""
    if value is UNKNOWN:
        return rpc.UNKNOWN
    if isinstance(value, Secret):
        return rpc.wrap_rpc_secret(for_mocks(value.value))
    if isinstance(value, dict):
        return {k: for_mocks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [for_mocks(v) for v in value]
    return value


def unmark(value: Any) -> Any:
    """Secrets unwrapped and unknowns as None: the plain view tests and reports use."""
    if value is UNKNOWN:
        return None
    if isinstance(value, Secret):
        return unmark(value.value)
    if isinstance(value, dict):
        return {k: unmark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unmark(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """Unwrap SDK wrapper values into JSON-friendly Python data (unknowns -> None)."""
    if isinstance(value, dict):
        if rpc._special_sig_key in value:  # secrets and other special values
            if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
                return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, pulumi.Output) or value is rpc.UNKNOWN or type(value).__name__ == "Unknown":
        return None
    if isinstance(value, pulumi.Resource):
        return getattr(value, "urn", None) and str(value)
    return value


def config_to_strings(config: dict[str, Any]) -> dict[str, str]:
    """Pulumi hands config to programs as strings; objects and lists as JSON."""
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
    }


def run_program(
    program: Callable[[], Any] | Path | str,
    *,
    config: dict[str, Any] | None = None,
    project: str = "groundwork",
    stack: str = "test",
    preview: bool = True,
    mocks: pulumi.runtime.Mocks | None = None,
    on_register: Callable[[], None] | None = None,
    on_record: Callable[[RecordedResource], None] | None = None,
    secret_keys: list[str] | None = None,
) -> ProgramRun:
    """Run ``program`` (a callable, or a path to a ``__main__.py``) under mocks; return what it declared.

    Exceptions the program raises propagate, so tests can assert on refusals.
    """
    config = config_to_strings(config or {})
    cycle_breaker.install()  # as __main__.py does: linear dependency checks, no RecursionError
    cycle_breaker.reset()
    region = json.loads(json.dumps(config.get("aws:region", "us-east-1")))
    monitor = RecordingMonitor(mocks or GroundworkMocks(region=region), on_register, on_record)
    handler = _CollectingHandler()
    logger = logging.getLogger(f"groundwork.plan.{id(handler)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)

    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(config, secret_keys or [])
    pulumi_mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview,
                           logger=logger, monitor=monitor)
    root = settings.get_root_resource()

    if isinstance(program, (str, Path)):
        path = Path(program)

        def body() -> None:
            # As the Pulumi CLI runs a program: from its folder, its own modules importable. Modules
            # it imports from there are dropped afterwards, so the next program's `iam.py` is its own.
            folder = path.parent.resolve()
            before = set(sys.modules)
            sys.path.insert(0, str(folder))
            try:
                with contextlib.chdir(folder):
                    runpy.run_path(str(path), run_name="__main__")
            finally:
                sys.path.remove(str(folder))
                if folder != _THIS_REPOSITORY:  # its own modules (components, org) stay shared
                    for name in set(sys.modules) - before:
                        if _defined_in(sys.modules.get(name), folder):
                            del sys.modules[name]
    else:
        body = program

    outputs: dict[str, Any] = {}

    def run_and_collect() -> None:
        # Stack outputs (pulumi.export) land on the root stack resource.
        body()
        if root is not None:
            outputs.update(getattr(root, "outputs", {}) or {})

    try:
        with _fewer_collections():
            _sync_await(pulumi.runtime.stack.run_pulumi_func(run_and_collect))
            resolved = _sync_await(_resolve_outputs(outputs))
    finally:
        logger.removeHandler(handler)
    return ProgramRun(
        resources=list(monitor.recorded),
        logs=handler.records,
        stack_outputs=resolved,
        project=project,
        stack=stack,
    )


def _defined_in(module: Any, folder: Path) -> bool:
    file = getattr(module, "__file__", None)
    return bool(file) and Path(file).resolve().is_relative_to(folder)


async def _resolve_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    for key, value in outputs.items():
        output = pulumi.Output.from_input(value)
        known = await output.is_known()
        resolved[key] = _plain(await output.future()) if known else None
    return resolved


def resource_types(resources: Iterable[RecordedResource]) -> dict[str, int]:
    """Count of resources per type, sorted by type."""
    counts: dict[str, int] = {}
    for resource in resources:
        counts[resource.type] = counts.get(resource.type, 0) + 1
    return dict(sorted(counts.items()))
