"""How the offline plan (``python -m org plan --stack org``) scales with the size of the organization.

For each size (default 250, 500, 1,000 and 2,000 accounts) it generates an organization into a
temporary folder (the example OUs and SCPs, N account files spread across the OUs, an sso.yaml
whose OU-targeted assignments give every account access), then measures in a fresh subprocess:

* plan: ``org.plan.command.make_plan("org", ...)`` with ``groundwork:org/mail/sso/bootstrap``
  pointed at that folder: the real program under mocks, then the policy pack over the analyzer
  protocol (one ``Analyze`` per resource, one ``AnalyzeStack``), timed as a whole and per part;
* bare: the same resources (types, names, parents, inputs, dependencies) replayed as plain
  ``pulumi.CustomResource``/``ComponentResource`` registrations under the same mocks with
  ``org.plan.runtime.run_program``: no components, conventions, validation or policies. It is
  the floor the SDK itself costs, so ``program / bare`` is what the platform adds.

Peak RSS is ``ru_maxrss`` of the plan process and, separately, of the policy pack process.
Targets from the issue: 1,000 accounts <= 20 s on 2 cores; time(2,000)/time(1,000) <= 2.1;
plan / bare <= 1.5. Run from the repository root:

    python benchmarks/plan_scale.py [--sizes 250,500] [--no-policies]
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (250, 500, 1000, 2000)
# Where the generated accounts go: every leaf OU of org/organization.yaml gets its share.
OUS = ("Security", "Infrastructure", "Workloads/Prod", "Workloads/NonProd", "Sandbox")
TEAMS = ("orders", "payments", "search", "identity", "analytics", "catalog", "shipping", "billing")
STAGES = ("dev", "test", "staging", "prod")


# --------------------------------------------------------------------------- the organization

def write_org(folder: Path, size: int) -> None:
    """An organization of ``size`` accounts in ``folder`` (organization.yaml, scps/, accounts/, sso.yaml)."""
    shutil.copy(ROOT / "org" / "organization.yaml", folder / "organization.yaml")
    shutil.copytree(ROOT / "org" / "scps", folder / "scps")
    accounts = folder / "accounts"
    accounts.mkdir()
    for index in range(size):
        team = TEAMS[index % len(TEAMS)]
        name = f"{team}-{STAGES[index // len(TEAMS) % len(STAGES)]}-{index:04d}"
        data: dict[str, Any] = {
            "name": name,
            "ou": OUS[index % len(OUS)],
            "owner": f"{team}-team-{index % 40:02d}@acme-corp.example",
            "purpose": f"Benchmark account {index} of the {team} team",
            "tags": {"cost-center": str(2000 + index % 50), "domain": team},
        }
        (accounts / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    sso = yaml.safe_load((ROOT / "org" / "sso.yaml").read_text())
    # Every OU gets read-only access and the leaf OUs one more assignment each, so every account
    # has at least one assignment and most have two.
    sso["assignments"] = [
        {"group": "ReadOnly", "permissionSet": "ReadOnlyAccess",
         "targets": ["Security", "Infrastructure", "Workloads", "Sandbox"]},
        {"group": "Admin", "permissionSet": "AdministratorAccess", "targets": ["Security"]},
        {"group": "PowerUser", "permissionSet": "PowerUserAccess", "targets": ["Infrastructure"]},
        {"group": "Developer", "permissionSet": "Developer", "targets": ["Workloads/NonProd", "Sandbox"]},
    ]
    (folder / "sso.yaml").write_text(yaml.safe_dump(sso, sort_keys=False))


def overrides_for(folder: Path) -> list[str]:
    """``--config`` overrides that point every org-data feature of the org stack at ``folder``."""
    from org.plan.stackconfig import load_stack_config

    values = load_stack_config("org", [], ROOT).values
    org = dict(values["groundwork:org"], path=str(folder))
    mail = dict(values["groundwork:mail"], orgPath=str(folder))
    sso = dict(values["groundwork:sso"], orgPath=str(folder))
    bootstrap = dict(values["groundwork:bootstrap"], orgPath=str(folder))
    return [f"groundwork:{key}={json.dumps(value)}" for key, value in
            (("org", org), ("mail", mail), ("sso", sso), ("bootstrap", bootstrap))]


# --------------------------------------------------------------------------- the children

def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def child_plan(folder: Path, policies: bool) -> dict[str, Any]:
    """Run the plan; time the program and the policy part; save the resources for the bare run."""
    from org.plan import command

    program_seconds: list[float] = []
    run_program = command._run_program

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return run_program(*args, **kwargs)
        finally:
            program_seconds.append(time.perf_counter() - start)

    command._run_program = timed
    start = time.perf_counter()
    plan = command.make_plan("org", overrides=overrides_for(folder),
                             policy_pack=command.DEFAULT_PACK if policies else None)
    total = time.perf_counter() - start
    resources = plan.run.resources
    with (folder / "resources.pickle").open("wb") as out:
        pickle.dump([(r.type, r.name, r.custom, r.parent, r.urn, r.inputs, r.dependencies)
                     for r in resources], out)
    return {
        "resources": len(resources),
        "accounts": sum(1 for r in resources if r.type == "aws:organizations/account:Account"),
        "assignments": sum(1 for r in resources if r.type == "aws:ssoadmin/accountAssignment:AccountAssignment"),
        "plan": total, "program": program_seconds[0], "policies": total - program_seconds[0],
        "mandatory": len(plan.mandatory), "diagnostics": len(plan.diagnostics),
        "rss_mb": _peak_mb(resource.RUSAGE_SELF), "pack_rss_mb": _peak_mb(resource.RUSAGE_CHILDREN),
    }


def child_bare(folder: Path) -> dict[str, Any]:
    """Register the recorded resources as plain SDK resources under the same mocks."""
    import pulumi

    from org.plan.mocks import GroundworkMocks
    from org.plan.runtime import run_program
    from org.plan.stackconfig import load_stack_config

    with (folder / "resources.pickle").open("rb") as source:
        recorded = pickle.load(source)
    config = load_stack_config("org", overrides_for(folder), ROOT)

    def program() -> None:
        by_urn: dict[str, pulumi.Resource] = {}
        for type_, name, custom, parent, urn, inputs, dependencies in recorded:
            opts = pulumi.ResourceOptions(parent=by_urn.get(parent),
                                          depends_on=[by_urn[d] for d in dependencies if d in by_urn])
            if custom:
                by_urn[urn] = pulumi.CustomResource(type_, name, dict(inputs), opts)
            else:
                by_urn[urn] = pulumi.ComponentResource(type_, name, None, opts)

    start = time.perf_counter()
    run = run_program(program, config=config.values, project=config.project, stack=config.stack,
                      mocks=GroundworkMocks(region=str(config.values["aws:region"])))
    seconds = time.perf_counter() - start
    return {"resources": len(run.resources), "bare": seconds, "rss_mb": _peak_mb(resource.RUSAGE_SELF)}


def in_child(mode: str, folder: Path, policies: bool) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(folder)]
    if not policies:
        command.append("--no-policies")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the table

def measure(size: int, policies: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"plan-scale-{size}-") as tmp:
        folder = Path(tmp)
        write_org(folder, size)
        plan = in_child("plan", folder, policies)
        bare = in_child("bare", folder, policies)
    if plan["mandatory"]:
        print(f"warning: {size} accounts: {plan['mandatory']} mandatory policy violation(s)", file=sys.stderr)
    if bare["resources"] != plan["resources"]:
        raise SystemExit(f"bare run registered {bare['resources']} resources, the plan {plan['resources']}")
    return {"size": size, **plan, "bare": bare["bare"], "bare_rss_mb": bare["rss_mb"],
            "ratio": plan["program"] / bare["bare"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated account counts (default 250,500,1000,2000)")
    parser.add_argument("--no-policies", action="store_true", help="measure the program only")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    policies = not args.no_policies
    if args.child:
        mode, folder = args.child[0], Path(args.child[1])
        print(json.dumps(child_plan(folder, policies) if mode == "plan" else child_bare(folder)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"{'accounts':>8} {'resources':>9} {'plan s':>7} {'program s':>9} {'policies s':>10} "
          f"{'bare s':>7} {'prog/bare':>9} {'plan/bare':>9} {'RSS MB':>7} {'pack RSS MB':>11}")
    rows = []
    for size in sizes:
        row = measure(size, policies)
        rows.append(row)
        print(f"{size:>8} {row['resources']:>9} {row['plan']:>7.1f} {row['program']:>9.1f} "
              f"{row['policies']:>10.1f} {row['bare']:>7.1f} {row['ratio']:>9.2f} "
              f"{row['plan'] / row['bare']:>9.2f} {row['rss_mb']:>7.0f} {row['pack_rss_mb']:>11.0f}",
              flush=True)
    by_size = {row["size"]: row for row in rows}
    if 1000 in by_size and 2000 in by_size:
        print(f"time(2000)/time(1000): plan {by_size[2000]['plan'] / by_size[1000]['plan']:.2f}, "
              f"program {by_size[2000]['program'] / by_size[1000]['program']:.2f} (target <= 2.1)")
    if 1000 in by_size:
        print(f"1,000 accounts: plan {by_size[1000]['plan']:.1f} s (target <= 20 s on 2 cores)")
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
