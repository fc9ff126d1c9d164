"""``python -m org plan``: the real program and the policy pack together, without a cloud account.

Evaluates a stack's ``__main__.py`` under Pulumi's mock runtime, sends every resource and then
the whole stack to the policy pack over its analyzer protocol (as ``pulumi preview
--policy-pack`` would), and reports the resource tree, counts and policy results.
Exit codes: 0 no mandatory violation, 1 a mandatory violation, 2 invalid configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from components.errors import ConfigError
from org.plan.analyzer import (
    Diagnostic,
    PolicyPackProcess,
    ProviderDescription,
    ResourceDescription,
    default_provider,
    from_recorded,
    providers_of,
)
from org.plan.progress import Progress
from org.plan.report import policy_report, resource_tree, type_counts
from org.plan.runtime import ProgramRun, RecordedResource, resource_types, run_program
from org.plan.stackconfig import PROJECT_ROOT, StackConfig, load_stack_config

EXIT_OK, EXIT_VIOLATION, EXIT_INVALID = 0, 1, 2
DEFAULT_PACK = "policies"


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
        "plan", help="run a stack's program and the policy pack offline (no AWS account, no CLI)")
    parser.add_argument("--stack", required=True, help="stack name (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value (repeatable), e.g. groundwork:stage=dev")
    parser.add_argument("--policy-pack", default=DEFAULT_PACK, metavar="DIR",
                        help="policy pack folder (default: policies); 'none' to skip policies")
    parser.add_argument("--policy-config", metavar="FILE",
                        help="policy pack config JSON, as `pulumi preview --policy-pack-config` takes "
                             "(default: policies/config/<stack>.json when it exists)")
    parser.set_defaults(handler=run)


def plan_stack(stack: str, overrides: list[str] | None = None, root: Path = PROJECT_ROOT,
               progress: Progress | None = None) -> ProgramRun:
    """Load the stack's config and run the real ``__main__.py`` under mocks (no policies)."""
    return _run_program(load_stack_config(stack, overrides, root), root, progress)


def _run_program(config: StackConfig, root: Path, progress: Progress | None,
                 on_record: Callable[[RecordedResource], None] | None = None) -> ProgramRun:
    from org.plan.mocks import GroundworkMocks

    region = config.values.get("aws:region", "us-east-1")
    return run_program(root / "__main__.py", config=config.values, project=config.project,
                       stack=config.stack, mocks=GroundworkMocks(region=str(region)),
                       secret_keys=config.secret_keys,
                       on_register=progress.on_registered if progress else None,
                       on_record=on_record)


def policy_config_for(stack: str, explicit: str | None, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The pack config: ``--policy-config`` or ``policies/config/<stack>.json`` if present."""
    path = Path(explicit) if explicit else root / DEFAULT_PACK / "config" / f"{stack}.json"
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
              progress: Progress | None = None) -> Plan:
    """Run the program, then (unless ``policy_pack`` is None) the pack over what it declared."""
    config = load_stack_config(stack, list(overrides), root)
    pack_config = policy_config_for(stack, policy_config, root) if policy_pack else {}
    if not policy_pack:
        return Plan(config=config, run=_run_program(config, root, progress))
    pack_dir = Path(policy_pack)
    pack_dir = pack_dir if pack_dir.is_absolute() else root / pack_dir
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise ConfigError(f"--policy-pack {policy_pack}: no PulumiPolicy.yaml in {pack_dir}")
    with PolicyPackProcess(pack_dir, config=config.values, project=config.project,
                           stack=config.stack) as pack:
        try:
            pack.configure(pack_config)
        except ValueError as error:
            raise ConfigError(f"policy config: {error}") from None
        pack.configure_stack(tags=config.stack_tags, secret_keys=config.secret_keys)
        # As the engine does, each resource is sent to the pack as it registers, so the pack
        # (another process) analyses while the program is still running.
        streaming = _StreamingAnalysis(pack, config.values)
        program_run = _run_program(config, root, progress, on_record=streaming.submit)
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


def plan_document(plan: Plan) -> dict[str, Any]:
    """The ``--json`` document: resources, counts, outputs, warnings and policy diagnostics."""
    run_ = plan.run
    return {
        "stack": run_.stack,
        "project": run_.project,
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "custom": r.custom,
             "inputs": r.inputs, "protect": r.protect, "retainOnDelete": r.retain_on_delete,
             "dependencies": r.dependencies, "provider": r.provider}
            for r in run_.resources
        ],
        "counts": resource_types(run_.resources),
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
    try:
        plan = make_plan(args.stack, overrides=args.config,
                         policy_pack=None if args.policy_pack == "none" else args.policy_pack,
                         policy_config=args.policy_config, progress=progress)
    except ConfigError as error:
        progress.finish()
        print(f"error: {error}", file=sys.stderr)
        if args.json:  # a CI artifact is never empty: the refusal as a document
            print(json.dumps(error_document(str(error), args.stack), indent=2))
        return EXIT_INVALID
    progress.finish()
    if args.json:
        print(json.dumps(plan_document(plan), indent=2, sort_keys=True, default=str))
        return plan.exit_code
    print("\n".join(resource_tree(plan.run)))
    print(f"\nResources: {len(plan.run.resources)} to create")
    print("\n".join(type_counts(plan.run)))
    for warning in plan.run.warnings():
        print(f"warning: {warning}")
    if plan.policy_pack is not None:
        print()
        print("\n".join(policy_report(plan.diagnostics, plan.run)))
    return plan.exit_code
