"""``python -m org plan``: the real program and the policy pack together, without a cloud account.

Evaluates a stack's ``__main__.py`` (this repository's, or any Pulumi Python program's with
``--program DIR``) under Pulumi's mock runtime, sends every resource and then
the whole stack to the policy pack over its analyzer protocol (as ``pulumi preview
--policy-pack`` would), and reports the resource tree, counts and policy results.
Exit codes: 0 no mandatory violation, 1 a mandatory violation, 2 invalid configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pulumi
import yaml
from groundwork.errors import ConfigError

from org.plan import markdown
from org.plan.analyzer import (
    Diagnostic,
    PolicyPackProcess,
    ProviderDescription,
    ResourceDescription,
    default_provider,
    from_recorded,
    providers_of,
)
from org.plan.compare import change_lines, compare, json_value, load_plan_document
from org.plan.policy_config import checked_policy_config
from org.plan.progress import Progress
from org.plan.report import (
    operation,
    operation_counts,
    operations_line,
    policy_report,
    resource_tree,
    type_counts,
)
from org.plan.runtime import UNKNOWN, ProgramRun, RecordedResource, Secret, resource_types, run_program
from org.plan.sarif import SourceIndex, write_sarif
from org.plan.stackconfig import PROJECT_ROOT, StackConfig, load_stack_config

EXIT_OK, EXIT_VIOLATION, EXIT_INVALID = 0, 1, 2
DEFAULT_PACK = "policies"
DEFAULT_PROGRAM_STACK = "dev"
DEFAULT_REGION = "us-east-1"
SECRET_MARKER = "[secret]"


@dataclass
class Plan:
    """One offline plan: what the program declared and what the policy pack said about it."""

    config: StackConfig
    run: ProgramRun
    diagnostics: list[Diagnostic] = field(default_factory=list)
    policy_pack: str | None = None

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.mandatory]

    @property
    def exit_code(self) -> int:
        return EXIT_VIOLATION if self.mandatory else EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan", help="run a stack's program and the policy pack offline (no AWS account, no CLI)",
        description="Run the stack's real program (or, with --program, any Pulumi Python program) under "
                    "Pulumi's mock runtime, send every resource to the policy pack over its analyzer "
                    "protocol and print the resource tree, counts and policy findings. Exit 0: no "
                    "mandatory violation; 1: a mandatory violation; 2: invalid configuration or org data.")
    parser.add_argument("--stack", help="stack name (reads Pulumi.<stack>.yaml); required without --program, "
                                         f"default '{DEFAULT_PROGRAM_STACK}' with it")
    parser.add_argument("--program", metavar="DIR",
                        help="plan another Pulumi Python program: the folder with its Pulumi.yaml (its "
                             "Pulumi.<stack>.yaml is read when present)")
    parser.add_argument("--unknown-outputs", action="store_true",
                        help="answer as a first preview does: ids and outputs not given as inputs are unknown")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--verbose", action="store_true",
                        help="list every policy finding with its whole message (default: 10 per policy, "
                             "one line each)")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value (repeatable), e.g. groundwork:stage=dev")
    parser.add_argument("--policy-pack", default=DEFAULT_PACK, metavar="DIR",
                        help="policy pack folder (default: policies); 'none' to skip policies")
    parser.add_argument("--policy-config", metavar="FILE",
                        help="policy pack config JSON, as pulumi preview --policy-pack-config takes "
                             "(default: policies/config/<stack>.json when it exists)")
    parser.add_argument("--compare", metavar="BASE_JSON",
                        help="a plan --json document of the base branch: list what this change adds, "
                             "removes, replaces and changes (account removals first)")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default=None,
                        help="output format (default text; markdown for a job summary or pull-request comment)")
    parser.add_argument("--sarif", metavar="FILE",
                        help="also write the policy findings as SARIF 2.1.0 (for GitHub code scanning)")
    parser.set_defaults(handler=run)


def plan_stack(stack: str, overrides: list[str] | None = None, root: Path = PROJECT_ROOT,
               progress: Progress | None = None) -> ProgramRun:
    """Load the stack's config and run the real ``__main__.py`` under mocks (no policies)."""
    return _run_program(load_stack_config(stack, overrides, root), root, progress)


def _run_program(config: StackConfig, root: Path, progress: Progress | None,
                 on_record: Callable[[RecordedResource], None] | None = None, *,
                 known_outputs: bool = True) -> ProgramRun:
    from org.plan.mocks import GroundworkMocks

    region = config.values.get("aws:region", DEFAULT_REGION)
    return run_program(program_entry(root), config=config.values, project=config.project,
                       stack=config.stack,
                       mocks=GroundworkMocks(region=str(region), known_outputs=known_outputs),
                       secret_keys=config.secret_keys,
                       on_register=progress.on_registered if progress else None,
                       on_record=on_record)


def _project_file(root: Path) -> dict[str, Any]:
    path = root / "Pulumi.yaml"
    if not path.is_file():
        raise ConfigError(f"--program {root}: no Pulumi.yaml there (the folder of a Pulumi project is expected)")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a mapping (name, runtime, ...)")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ConfigError(f"{path}: runtime {runtime_name!r} is not supported; only Python programs can be "
                          "planned (runtime: python)")
    return data


def program_entry(root: Path) -> Path:
    """The file Pulumi runs for the project in ``root``: ``main`` of its Pulumi.yaml or __main__.py."""
    main = _project_file(root).get("main") if (root / "Pulumi.yaml").is_file() else None
    entry = root / str(main) if main else root
    if entry.is_dir():
        entry = entry / "__main__.py"
    if not entry.is_file():
        raise ConfigError(f"{root / 'Pulumi.yaml'}: the program's entry point {entry} does not exist")
    return entry


def load_program_config(root: Path, stack: str, overrides: Sequence[str] = ()) -> StackConfig:
    """A program's config as the CLI gives it: project defaults from Pulumi.yaml ``config``, then
    ``Pulumi.<stack>.yaml`` when present, then ``--config`` overrides."""
    project = _project_file(root)
    name = str(project.get("name") or root.name)
    defaults: dict[str, Any] = {}
    declared = project.get("config") or {}
    if not isinstance(declared, dict):
        raise ConfigError(f"{root / 'Pulumi.yaml'}: 'config' must be a mapping of keys to values or "
                          "{type, default}")
    for key, spec in declared.items():
        value = spec.get("default", spec.get("value")) if isinstance(spec, dict) else spec
        if value is not None:
            defaults[key if ":" in key else f"{name}:{key}"] = value
    if (root / f"Pulumi.{stack}.yaml").is_file():
        config = load_stack_config(stack, list(overrides), root)
        config.values = {**defaults, **config.values}
    else:
        config = load_stack_config_values(root, stack, name, defaults, list(overrides))
    config.values.setdefault("aws:region", DEFAULT_REGION)
    return config


def load_stack_config_values(root: Path, stack: str, project: str, values: dict[str, Any],
                             overrides: list[str]) -> StackConfig:
    """A stack without its own file: the given values and the ``--config`` overrides."""
    values = dict(values)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--config {item!r}: expected key=value, e.g. aws:region=eu-west-1")
        values[key if ":" in key else f"{project}:{key}"] = value
    return StackConfig(stack=stack, path=root / f"Pulumi.{stack}.yaml", values=values, secret_keys=[],
                       project=project)


def policy_config_path(stack: str, explicit: str | None, root: Path = PROJECT_ROOT) -> Path:
    """``--policy-config``, else ``policies/config/<stack>.json`` (used if present)."""
    return Path(explicit) if explicit else root / DEFAULT_PACK / "config" / f"{stack}.json"


def _shown(path: Path) -> str:
    """A path as the user wrote it or relative to the project, for messages."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def policy_config_for(stack: str, explicit: str | None, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The pack config: ``--policy-config`` or ``policies/config/<stack>.json`` if present."""
    path = policy_config_path(stack, explicit, root)
    if not explicit and not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--policy-config {explicit}: no such file") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not valid JSON ({error})") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 JSON text (byte 0x{error.object[error.start]:02x} at offset "
                          f"{error.start})") from None
    except OSError as error:
        raise ConfigError(f"--policy-config {path}: cannot be read ({error.strerror or error})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must be a JSON object of policy name -> settings")
    return data


def make_plan(stack: str, *, overrides: Sequence[str] = (), policy_pack: str | None = DEFAULT_PACK,
              policy_config: str | None = None, root: Path = PROJECT_ROOT,
              progress: Progress | None = None, program: Path | None = None,
              known_outputs: bool = True) -> Plan:
    """Run the program, then (unless ``policy_pack`` is None) the pack over what it declared.

    ``program`` is another Pulumi Python project's folder; without it, this repository's stack.
    """
    config_file = policy_config_path(stack, policy_config, root)
    if program is not None:
        config = load_program_config(program, stack, overrides)
        pack_config = policy_config_for(stack, policy_config, root) if policy_pack and policy_config else {}
        root = program
    else:
        config = load_stack_config(stack, list(overrides), root)
        pack_config = policy_config_for(stack, policy_config, root) if policy_pack else {}
    if not policy_pack:
        return Plan(config=config, run=_run_program(config, root, progress, known_outputs=known_outputs))
    pack_dir = Path(policy_pack)
    if not pack_dir.is_absolute():
        pack_dir = pack_dir.resolve() if (pack_dir / "PulumiPolicy.yaml").is_file() else PROJECT_ROOT / pack_dir
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise ConfigError(f"--policy-pack {policy_pack}: no PulumiPolicy.yaml in {pack_dir}")
    with PolicyPackProcess(pack_dir, config=config.values, project=config.project,
                           stack=config.stack) as pack:
        try:  # as the CLI does before the pack sees it (stricter on names it would ignore)
            pack.configure(checked_policy_config(pack.info(), pack_config, _shown(config_file)))
        except ValueError as error:
            raise ConfigError(f"Invalid policy pack config:\n{error}") from None
        pack.configure_stack(tags=config.stack_tags, secret_keys=config.secret_keys)
        # As the engine does, each resource is sent to the pack as it registers, so the pack
        # (another process) analyses while the program is still running.
        streaming = _StreamingAnalysis(pack, config.values)
        program_run = _run_program(config, root, progress, on_record=streaming.submit,
                                   known_outputs=known_outputs)
        plan = Plan(config=config, run=program_run)
        described = []
        for recorded in program_run.resources:
            resource, diagnostics = streaming.result(recorded)
            described.append(resource)
            # The engine attributes resource-policy findings to the resource it asked about.
            plan.diagnostics.extend(replace(d, urn=d.urn or resource.urn) for d in diagnostics)
            if progress:
                progress.on_analysed(len(program_run.resources))
        plan.diagnostics.extend(pack.analyze_stack(described))
    plan.policy_pack = str(pack_dir)
    return plan


class _StreamingAnalysis:
    """``Analyze`` requests sent while the program runs; results collected in recorded order."""

    def __init__(self, pack: PolicyPackProcess, config: dict[str, Any]) -> None:
        self.pack = pack
        self.default = default_provider(config)
        self.providers: dict[str, ProviderDescription] = {}
        self.pending: dict[str, tuple[ResourceDescription, Any]] = {}
        self.lock = threading.Lock()

    def submit(self, recorded: RecordedResource) -> None:
        """Describe one just-registered resource as the engine would and send it to the pack."""
        with self.lock:
            if recorded.type.startswith("pulumi:providers:"):
                self.providers.update(providers_of([recorded]))
            resource = from_recorded(recorded, self.providers, self.default)
            self.pending[recorded.urn] = (resource, self.pack.analyze_future(resource))

    def result(self, recorded: RecordedResource) -> tuple[ResourceDescription, list[Diagnostic]]:
        resource, call = self.pending.pop(recorded.urn)
        return resource, self.pack.analyze_result(call)


def program_error(error: BaseException) -> str:
    """``Type: message`` of what the program raised, with the program line it came from."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "site-packages" not in f.filename and "/org/plan/" not in f.filename and "<frozen" not in f.filename]
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def redacted(value: Any) -> Any:
    """Inputs for display: secrets replaced by a marker (never echoed), unknowns as None."""
    if isinstance(value, Secret):
        return SECRET_MARKER
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def plan_document(plan: Plan) -> dict[str, Any]:
    """The ``--json`` document: resources, counts, outputs, warnings and policy diagnostics."""
    run_ = plan.run
    return {
        "stack": run_.stack,
        "project": run_.project,
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "custom": r.custom,
             "inputs": redacted(r.engine_inputs), "protect": r.protect, "retainOnDelete": r.retain_on_delete,
             "dependencies": r.dependencies, "provider": r.provider,
             "ignoreChanges": r.ignore_changes, "importId": r.import_id, "operation": operation(r)}
            for r in run_.resources
        ],
        "counts": resource_types(run_.resources),
        "operations": operation_counts(run_),  # AWS resources to import / to create
        "outputs": run_.stack_outputs,
        "warnings": run_.warnings(),
        "policyPack": plan.policy_pack,
        "diagnostics": [asdict(d) for d in plan.diagnostics],
        "summary": {
            "resources": len(run_.resources),
            "mandatory": len(plan.mandatory),
            "advisory": sum(1 for d in plan.diagnostics if d.enforcement_level == "advisory"),
            "exitCode": plan.exit_code,
        },
    }


def error_document(message: str, stack: str) -> dict[str, Any]:
    """The ``--json`` document of a refused plan: the messages, one per line, and exit code 2."""
    return {"stack": stack, "error": "invalid configuration",
            "messages": [line for line in message.splitlines() if line.strip()],
            "summary": {"exitCode": EXIT_INVALID}}


def run(args: argparse.Namespace) -> int:
    progress = Progress()
    if not args.stack and not args.program:
        print("error: --stack is required (or --program DIR to plan another program)", file=sys.stderr)
        return EXIT_INVALID
    output = getattr(args, "format", None) or ("json" if args.json else "text")
    try:
        base = load_plan_document(args.compare) if getattr(args, "compare", None) else None
        plan = make_plan(args.stack or DEFAULT_PROGRAM_STACK, overrides=args.config,
                         policy_pack=None if args.policy_pack == "none" else args.policy_pack,
                         policy_config=args.policy_config, progress=progress,
                         program=Path(args.program).resolve() if args.program else None,
                         known_outputs=not args.unknown_outputs)
    except pulumi.RunError as error:  # as the Pulumi CLI's language host: the message, no traceback
        progress.finish()
        print(f"error: {error}", file=sys.stderr)
        if args.json:  # a CI artifact is never empty: the refusal as a document
            print(json.dumps(error_document(str(error), args.stack), indent=2))
        return EXIT_INVALID
    except Exception as error:
        if not args.program:
            raise
        # Another team's program failing is their error to fix, not a crash of the plan.
        progress.finish()
        print(f"error: the program in {args.program} failed: {program_error(error)}", file=sys.stderr)
        return EXIT_INVALID
    progress.finish()
    document = plan_document(plan) if output != "text" or base is not None or getattr(args, "sarif", None) else None
    summary = compare(base, document) if base is not None and document is not None else None
    if getattr(args, "sarif", None) and document is not None:
        write_sarif(document, source_index(plan), args.sarif)
    if output == "json":
        if summary is not None:
            document = {**document, "changes": summary.as_json()}
        print(json.dumps(document, indent=2, sort_keys=True, default=json_value))
        return plan.exit_code
    if output == "markdown":
        print(markdown.render(document, summary), end="")
        return plan.exit_code
    print("\n".join(resource_tree(plan.run)))
    print(f"\n{operations_line(plan.run)}")
    print("\n".join(type_counts(plan.run)))
    for warning in plan.run.warnings():
        print(f"warning: {warning}")
    if plan.policy_pack is not None:
        print()
        print("\n".join(policy_report(plan.diagnostics, plan.run, verbose=args.verbose)))
    if summary is not None:
        print()
        print("\n".join(change_lines(summary)))
    return plan.exit_code


def source_index(plan: Plan, root: Path = PROJECT_ROOT) -> SourceIndex:
    """Where the stack's org data lives, for pointing findings at the file that declared a resource."""
    org = plan.config.values.get("groundwork:org")
    org_root = None
    if isinstance(org, dict):
        path = Path(str(org.get("path", "org")))
        org_root = path if path.is_absolute() else root / path
    return SourceIndex(repository=root, stack_file=plan.config.path, org_root=org_root)
