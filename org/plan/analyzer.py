"""Drive a Pulumi policy pack over its real gRPC analyzer protocol, as the Pulumi CLI does.

A Python policy pack is a gRPC ``Analyzer`` server. The CLI starts it as
``python -u -m pulumi.policy <engine address> <pack dir>`` (cwd = pack dir) with the stack's
identity and config in the environment, reads the port from the first stdout line, then calls
``GetAnalyzerInfo``/``Configure``/``ConfigureStack`` once and ``Analyze`` per resource,
``AnalyzeStack`` once, and ``Remediate`` per resource for REMEDIATE policies.

:class:`PolicyPackProcess` does exactly that from plain Python data, so tests and
``python -m org plan`` can run a pack without the CLI::

    with PolicyPackProcess("policies", config={"groundwork:stage": "dev"}) as pack:
        pack.configure_stack(tags={"team": "shop"})
        for diagnostic in pack.analyze(ResourceDescription("aws:sqs/queue:Queue", "jobs",
                                                           inputs={"name": "shop-dev-jobs"})):
            print(diagnostic.policy_name, diagnostic.enforcement_level, diagnostic.message)

Values the engine does not know yet during a preview are passed as :data:`UNKNOWN`; they are
encoded as the engine encodes them (the string sentinel of ``pulumi.runtime.rpc.UNKNOWN``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

# UNKNOWN marks an input whose value is unknown during preview; Secret wraps an input value to
# send it as a Pulumi secret. The recorder (org.plan.runtime) produces the same markers.
from org.plan.runtime import UNKNOWN, RecordedResource, Secret

# The engine's wire encoding of a value not known during preview (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN_WIRE = rpc.UNKNOWN
SECRET_SIG_KEY = rpc._special_sig_key  # the signature key of every special value, not only secrets
SECRET_SIG = rpc._special_secret_sig
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                 ("grpc.max_send_message_length", 400 * 1024 * 1024)]

# Analyze requests outstanding at once; the pack's gRPC server runs 4 worker threads.
ANALYZE_IN_FLIGHT = 4
_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_LEVEL_VALUES = {name: value for value, name in _LEVELS.items()}
_SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


@dataclass
class ProviderDescription:
    """The provider resource a resource is registered with (e.g. its ``default_tags``)."""

    type: str = "pulumi:providers:aws"
    name: str = "default"
    urn: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResourceDescription:
    """A resource as the engine describes it to an analyzer: identity, inputs and options."""

    type: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)
    urn: str = ""
    protect: bool = False
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    provider: ProviderDescription | None = None
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool | None = None


@dataclass(frozen=True)
class Diagnostic:
    """One policy finding, as plain data."""

    policy_name: str
    enforcement_level: str
    message: str
    urn: str = ""
    description: str = ""
    severity: str = ""
    policy_pack: str = ""

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"


@dataclass(frozen=True)
class Remediation:
    """A remediation the pack applied: the policy and the new inputs (or why it could not run)."""

    policy_name: str
    properties: dict[str, Any] | None
    diagnostic: str = ""


@dataclass(frozen=True)
class PolicyDescription:
    name: str
    description: str
    enforcement_level: str
    severity: str
    policy_type: str  # "resource" | "stack"
    config_schema: dict[str, Any]
    required_config: list[str]


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    description: str
    policies: list[PolicyDescription]

    def policy(self, name: str) -> PolicyDescription:
        return next(p for p in self.policies if p.name == name)


@dataclass(frozen=True)
class EngineLog:
    severity: int
    message: str
    urn: str


class EngineStub(engine_pb2_grpc.EngineServicer):
    """The slice of the engine service a policy pack may call back into: logging and root resource.

    pulumi-policy 1.21 parses the engine address but does not connect to it (``pulumi.log`` in a
    pack goes to stderr); packs in other SDKs, or later versions, log through here.
    """

    def __init__(self) -> None:
        self.logs: list[EngineLog] = []
        self._root = ""

    def Log(self, request, context):  # noqa: N802 - protocol name
        self.logs.append(EngineLog(request.severity, request.message, request.urn))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # noqa: N802
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(self, request, context):  # noqa: N802
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()


def make_urn(project: str, stack: str, type_: str, name: str, parent_type: str = "") -> str:
    """The URN the engine gives a resource (``parent_type`` is the parent's qualified type)."""
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def to_wire(value: Any) -> Any:
    """Plain Python value -> the JSON shape the engine puts into a Struct.

    Unknowns become the unknown sentinel, :class:`Secret` the secret envelope, and Pulumi assets
    and archives (e.g. a Lambda's ``code``) their signature objects, as ``pulumi.runtime.rpc``
    serialises them.
    """
    if value is UNKNOWN:
        return UNKNOWN_WIRE
    if isinstance(value, Secret):
        return {SECRET_SIG_KEY: SECRET_SIG, "value": to_wire(value.value)}
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return _asset_or_archive(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} to an analyzer: {value!r}")


def _asset_or_archive(value: Any) -> dict[str, Any]:
    if isinstance(value, pulumi.Asset):
        encoded: dict[str, Any] = {SECRET_SIG_KEY: rpc._special_asset_sig}
        for attribute in ("path", "text", "uri"):
            if hasattr(value, attribute):
                encoded[attribute] = getattr(value, attribute)
        return encoded
    encoded = {SECRET_SIG_KEY: rpc._special_archive_sig}
    if isinstance(value, pulumi.AssetArchive):
        encoded["assets"] = {name: to_wire(item) for name, item in value.assets.items()}
    for attribute in ("path", "uri"):
        if hasattr(value, attribute):
            encoded[attribute] = getattr(value, attribute)
    return encoded


def to_struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(to_wire(values))
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Struct -> plain data; secrets as :class:`Secret`, unknowns as :data:`UNKNOWN`."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get(SECRET_SIG_KEY) == SECRET_SIG:
                return Secret(plain(value.get("value")))
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if value == UNKNOWN_WIRE:
            return UNKNOWN
        return value

    return plain(json_format.MessageToDict(struct))


def from_recorded(resource: RecordedResource, providers: Mapping[str, ProviderDescription] | None = None,
                  default_provider: ProviderDescription | None = None) -> ResourceDescription:
    """A resource recorded by :func:`org.plan.runtime.run_program` as the engine would send it.

    Inputs go as the engine would send them: secrets as secrets, unknowns as unknowns (a
    resource recorded by hand with plain ``inputs`` has its Nones sent as unknowns).
    ``providers`` maps provider URNs to their descriptions; a resource's provider reference is
    ``<provider URN>::<provider id>``. Resources without an explicit provider get
    ``default_provider``.
    """
    provider = None
    if resource.provider and providers:
        provider = providers.get(resource.provider) or providers.get(provider_urn(resource.provider))
    if provider is None and resource.custom and resource.type.startswith("aws:"):
        provider = default_provider
    return ResourceDescription(
        type=resource.type,
        name=resource.name,
        inputs=_engine_inputs(resource),
        urn=resource.urn,
        protect=resource.protect,
        parent=resource.parent,
        dependencies=list(resource.dependencies),
        provider=provider,
        ignore_changes=list(resource.ignore_changes),
        delete_before_replace=resource.delete_before_replace or None,
    )


def provider_urn(reference: str) -> str:
    """The provider URN of a provider reference ``<urn>::<id>`` (a URN itself contains ``::``)."""
    urn, separator, _id = reference.rpartition("::")
    return urn if separator else reference


def _engine_inputs(resource: RecordedResource) -> dict[str, Any]:
    if resource.wire_inputs is not None:
        return resource.wire_inputs
    return _nones_to_unknown(resource.inputs)


def default_provider(config: Mapping[str, Any], package: str = "aws") -> ProviderDescription:
    """The default provider the engine creates from the stack's ``<package>:*`` config keys."""
    prefix = f"{package}:"
    return ProviderDescription(
        type=f"pulumi:providers:{package}", name="default",
        inputs={key[len(prefix):]: value for key, value in config.items() if key.startswith(prefix)})


def describe_run(resources: Iterable[RecordedResource], config: Mapping[str, Any]) -> list[ResourceDescription]:
    """Every recorded resource as the engine would send it, with explicit or default providers."""
    resources = list(resources)
    providers = providers_of(resources)
    default = default_provider(config)
    return [from_recorded(r, providers, default) for r in resources]


def providers_of(resources: Iterable[RecordedResource]) -> dict[str, ProviderDescription]:
    """Provider descriptions keyed by URN for the explicit providers among ``resources``."""
    return {
        r.urn: ProviderDescription(type=r.type, name=r.name, urn=r.urn, inputs=_engine_inputs(r))
        for r in resources if r.type.startswith("pulumi:providers:")
    }


def _nones_to_unknown(value: Any) -> Any:
    if value is None:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _nones_to_unknown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nones_to_unknown(v) for v in value]
    return value


def _options(resource: ResourceDescription) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=resource.ignore_changes,
        parent=resource.parent,
        deleteBeforeReplaceDefined=resource.delete_before_replace is not None,
        deleteBeforeReplace=bool(resource.delete_before_replace),
    )
    return opts


def _provider(resource: ResourceDescription) -> analyzer_pb2.AnalyzerProviderResource | None:
    p = resource.provider
    if p is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(type=p.type, name=p.name, urn=p.urn,
                                                 properties=to_struct(p.inputs))


class PolicyPackProcess:
    """A running policy pack process and a client for its analyzer service.

    ``config`` is the stack config (namespaced keys, e.g. ``groundwork:stage``) handed to the pack
    as ``PULUMI_CONFIG``; non-string values are JSON-encoded like the CLI does.
    """

    def __init__(self, pack_dir: str | os.PathLike[str], *, config: Mapping[str, Any] | None = None,
                 project: str = "groundwork", stack: str = "dev", dry_run: bool = True,
                 organization: str = "organization", python: str = sys.executable,
                 startup_timeout: float = 60.0, rpc_timeout: float = 120.0,
                 extra_env: Mapping[str, str] | None = None) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.config = dict(config or {})
        self.project = project
        self.stack = stack
        self.dry_run = dry_run
        self.organization = organization
        self.python = python
        self.startup_timeout = startup_timeout
        self.rpc_timeout = rpc_timeout
        self._info: PackInfo | None = None
        self.extra_env = dict(extra_env or {})
        self.engine = EngineStub()
        self._engine_server: grpc.Server | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the engine stub and the pack; wait for the port the pack prints."""
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._engine_server)
        engine_port = self._engine_server.add_insecure_port("127.0.0.1:0")
        self._engine_server.start()
        self.engine_address = f"127.0.0.1:{engine_port}"

        env = dict(os.environ)
        env.update(
            PULUMI_PROJECT=self.project,
            PULUMI_STACK=self.stack,
            PULUMI_DRY_RUN="true" if self.dry_run else "false",
            PULUMI_ORGANIZATION=self.organization,
            PULUMI_CONFIG=json.dumps(_config_strings(self.config)),
        )
        env.update(self.extra_env)
        self._process = subprocess.Popen(
            [self.python, "-u", "-m", "pulumi.policy", self.engine_address, str(self.pack_dir)],
            cwd=self.pack_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        port = self._read_port()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        grpc.channel_ready_future(self._channel).result(timeout=self.startup_timeout)
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def _read_port(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        result: dict[str, bytes] = {}

        def read() -> None:
            result["line"] = self._process.stdout.readline()  # type: ignore[union-attr]

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        line = result.get("line", b"").strip()
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"policy pack {self.pack_dir} did not start: first stdout line "
                               f"{line!r}\n{self.stderr}")
        return int(line)

    @property
    def stderr(self) -> str:
        """Everything the pack wrote to stderr so far (pulumi.log output, tracebacks)."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            if self._process.stdout:
                self._process.stdout.close()
            self._process = None
        if self._engine_server is not None:
            self._engine_server.stop(0)
            self._engine_server = None

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            raise RuntimeError("policy pack is not running; use it as a context manager")
        return self._stub

    # --- protocol calls ----------------------------------------------------------------------

    def handshake(self) -> bool:
        """Send Handshake; False if the pack's SDK does not implement it (the engine tolerates that)."""
        request = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=self.engine_address, root_directory=str(self.pack_dir),
            program_directory=str(self.pack_dir))
        try:
            self.stub.Handshake(request, timeout=self.rpc_timeout)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                return False
            raise
        return True

    def plugin_version(self) -> str:
        return self.stub.GetPluginInfo(empty_pb2.Empty(), timeout=self.rpc_timeout).version

    def info(self) -> PackInfo:
        """Name, version and policies of the pack (asked once, then cached)."""
        if self._info is not None:
            return self._info
        reply = self.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=self.rpc_timeout)
        policies = [
            PolicyDescription(
                name=p.name,
                description=p.description,
                enforcement_level=_LEVELS.get(p.enforcementLevel, str(p.enforcementLevel)),
                severity=_SEVERITIES.get(p.severity, ""),
                policy_type={analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
                             analyzer_pb2.POLICY_TYPE_STACK: "stack"}.get(p.policy_type, ""),
                config_schema=json_format.MessageToDict(p.configSchema.properties),
                required_config=list(p.configSchema.required),
            )
            for p in reply.policies
        ]
        self._info = PackInfo(reply.name, reply.version, reply.description, policies)
        return self._info

    def configure(self, policy_config: Mapping[str, Mapping[str, Any] | str] | None = None) -> None:
        """Per-policy config: ``{policy: {"enforcementLevel": "advisory", **properties}}`` or a level.

        Like the CLI, every policy of the pack is configured: those not named keep their default
        enforcement level.
        """
        policy_config = dict(policy_config or {})
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy in self.info().policies:
            value = policy_config.pop(policy.name, {})
            if isinstance(value, str):
                value = {"enforcementLevel": value}
            properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
            level = value.get("enforcementLevel", policy.enforcement_level)
            request.policyConfig[policy.name].CopyFrom(analyzer_pb2.PolicyConfig(
                enforcementLevel=_LEVEL_VALUES[level], properties=to_struct(properties)))
        if policy_config:
            raise ValueError(f"config for policies the pack does not have: {sorted(policy_config)}")
        self.stub.Configure(request, timeout=self.rpc_timeout)

    def configure_stack(self, *, tags: Mapping[str, str] | None = None,
                        config: Mapping[str, Any] | None = None,
                        secret_keys: Iterable[str] = ()) -> None:
        """Tell the pack which stack it analyses (its tags reach policies as ``stack_tags``)."""
        self.stub.ConfigureStack(timeout=self.rpc_timeout, request=analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self.stack, project=self.project, organization=self.organization,
            dry_run=self.dry_run, tags=dict(tags or {}),
            config=_config_strings(self.config if config is None else config),
            config_secret_keys=list(secret_keys),
        ))

    def complete_urn(self, resource: ResourceDescription) -> str:
        return resource.urn or make_urn(self.project, self.stack, resource.type, resource.name)

    def _analyze_request(self, resource: ResourceDescription) -> analyzer_pb2.AnalyzeRequest:
        return analyzer_pb2.AnalyzeRequest(
            type=resource.type, name=resource.name, urn=self.complete_urn(resource),
            properties=to_struct(resource.inputs), options=_options(resource),
            provider=_provider(resource))

    def analyze(self, resource: ResourceDescription) -> list[Diagnostic]:
        """Resource policies for one resource (what the engine calls per resource in a preview)."""
        return _diagnostics(self.stub.Analyze(self._analyze_request(resource), timeout=self.rpc_timeout))

    def analyze_future(self, resource: ResourceDescription) -> Any:
        """Send ``Analyze`` for one resource without waiting; pass the call to ``analyze_result``."""
        return self.stub.Analyze.future(self._analyze_request(resource), timeout=self.rpc_timeout)

    @staticmethod
    def analyze_result(call: Any) -> list[Diagnostic]:
        return _diagnostics(call.result())

    def analyze_each(self, resources: Iterable[ResourceDescription],
                     in_flight: int = ANALYZE_IN_FLIGHT) -> Iterator[tuple[ResourceDescription, list[Diagnostic]]]:
        """``analyze`` for every resource, in order, with a few requests in flight at once.

        The engine also has several ``Analyze`` calls outstanding while resources register; here
        it lets this process encode the next request while the pack evaluates the current one,
        instead of the two taking turns over a round trip per resource.
        """
        pending: deque[tuple[ResourceDescription, Any]] = deque()
        for resource in resources:
            pending.append((resource, self.stub.Analyze.future(self._analyze_request(resource),
                                                               timeout=self.rpc_timeout)))
            if len(pending) >= in_flight:
                done, call = pending.popleft()
                yield done, _diagnostics(call.result())
        while pending:
            done, call = pending.popleft()
            yield done, _diagnostics(call.result())

    def analyze_stack(self, resources: Iterable[ResourceDescription]) -> list[Diagnostic]:
        """Stack policies over all resources (called once at the end of a preview)."""
        request = analyzer_pb2.AnalyzeStackRequest()
        for resource in resources:
            item = request.resources.add()
            item.type, item.name, item.urn = resource.type, resource.name, self.complete_urn(resource)
            item.properties.CopyFrom(to_struct(resource.inputs))
            item.options.CopyFrom(_options(resource))
            item.parent = resource.parent
            item.dependencies.extend(resource.dependencies)
            for key, urns in resource.property_dependencies.items():
                item.propertyDependencies[key].urns.extend(urns)
            provider = _provider(resource)
            if provider is not None:
                item.provider.CopyFrom(provider)
        return _diagnostics(self.stub.AnalyzeStack(request, timeout=self.rpc_timeout))

    def analyze_all(self, resources: Iterable[ResourceDescription]) -> list[Diagnostic]:
        """Analyze every resource, then AnalyzeStack over all of them: one preview's worth."""
        resources = list(resources)
        found: list[Diagnostic] = []
        for _, diagnostics in self.analyze_each(resources):
            found.extend(diagnostics)
        found.extend(self.analyze_stack(resources))
        return found

    def remediate(self, resource: ResourceDescription) -> list[Remediation]:
        """Run REMEDIATE policies on one resource; each remediation carries the rewritten inputs."""
        reply = self.stub.Remediate(self._analyze_request(resource), timeout=self.rpc_timeout)
        return [
            Remediation(
                policy_name=r.policyName,
                properties=from_struct(r.properties) if r.HasField("properties") else None,
                diagnostic=r.diagnostic,
            )
            for r in reply.remediations
        ]


def analyze_recorded(resources: Iterable[RecordedResource], config: Mapping[str, Any], *,
                     pack_dir: str | os.PathLike[str], project: str = "groundwork", stack: str = "dev",
                     stack_tags: Mapping[str, str] | None = None, secret_keys: Iterable[str] = (),
                     policy_config: Mapping[str, Any] | None = None) -> list[Diagnostic]:
    """One preview's policy run over a recorded program: start the pack, configure, analyse, stop.

    What ``python -m org plan`` needs: ``config`` is the stack config (namespaced keys),
    ``stack_tags`` what the backend would send as stack tags.
    """
    described = describe_run(resources, config)
    with PolicyPackProcess(pack_dir, config=config, project=project, stack=stack) as pack:
        pack.configure(policy_config)
        pack.configure_stack(tags=stack_tags, secret_keys=secret_keys)
        return pack.analyze_all(described)


def _diagnostics(reply: analyzer_pb2.AnalyzeResponse) -> list[Diagnostic]:
    return [
        Diagnostic(
            policy_name=d.policyName,
            enforcement_level=_LEVELS.get(d.enforcementLevel, str(d.enforcementLevel)),
            message=d.message,
            urn=d.urn,
            description=d.description,
            severity=_SEVERITIES.get(d.severity, ""),
            policy_pack=d.policyPackName,
        )
        for d in reply.diagnostics
    ]


def _config_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """The CLI passes config values as strings; objects and lists JSON-encoded."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


__all__ = [
    "UNKNOWN", "analyze_recorded", "Diagnostic", "EngineStub", "PackInfo", "PolicyPackProcess", "ProviderDescription",
    "Remediation", "ResourceDescription", "Secret", "default_provider", "describe_run", "from_recorded", "make_urn", "providers_of",
]
