"""The library as a workload team gets it: the wheel built from this repository, installed into a
fresh virtualenv outside it, running a program of their own (tests/packaging/consumer) under the
SDK's mock runtime. Every taggable resource carries the context tags without any transformation of
the program, and the policy pack finds nothing mandatory.

To stay offline and fast, the new venv sees the shared venv's packages through a ``.pth`` file and
gets the wheel with ``--no-deps``; the repository is not on its path (checked).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from org.plan.analyzer import PolicyPackProcess, describe_run
from org.plan.runtime import RecordedResource
from tests.conftest import stack_config
from tests.policies.conftest import PACK_DIR

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CONFIG = stack_config(usage="POC")
CONTEXT_TAGS = {"context": "shop", "stage": "dev", "owner": "team-shop@example.com", "usage": "POC"}
# What the consumer program declares, at the least: a pipe, a bus with a rule and a fan-out.
EXPECTED_TYPES = {"aws:pipes/pipe:Pipe", "aws:cloudwatch/eventBus:EventBus", "aws:cloudwatch/eventRule:EventRule",
                  "aws:sns/topic:Topic", "aws:sqs/queue:Queue", "aws:iam/role:Role"}


def taggable_types() -> frozenset[str]:
    sys.path.insert(0, str(PACK_DIR))
    try:
        from groundwork_policies.taggable import taggable_types as types
    finally:
        sys.path.remove(str(PACK_DIR))
    return types()


def check_consumer(resources: list[RecordedResource]) -> None:
    """Every taggable resource carries the context tags; the pack finds nothing mandatory."""
    assert EXPECTED_TYPES <= {r.type for r in resources}
    taggable = [r for r in resources if r.custom and r.type in taggable_types()]
    untagged = [f"{r.type} {r.name}: {r.inputs.get('tags')}" for r in taggable
                if not CONTEXT_TAGS.items() <= (r.inputs.get("tags") or {}).items()]
    assert len(taggable) >= 15 and not untagged, untagged
    with PolicyPackProcess(PACK_DIR, config=CONFIG) as pack:
        pack.configure()
        pack.configure_stack()
        described = describe_run(resources, CONFIG)
        findings = list(pack.analyze_all(described))
        for resource in described:
            findings += pack.analyze(resource)
    mandatory = [f"{d.policy_name}: {d.urn.rsplit('::', 1)[-1]}: {d.message}" for d in findings if d.mandatory]
    assert not mandatory, mandatory


@pytest.fixture(scope="module")
def consumer_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python of a new venv outside the repository with the freshly built wheel installed."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: the build writes build/ and *.egg-info next to its sources
    shutil.copytree(ROOT / "components", source / "components", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(work / "dist")],
                   check=True, capture_output=True, text=True)
    wheels = list((work / "dist").glob("groundwork-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "shared-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", str(wheels[0])],
                   check=True, capture_output=True, text=True)
    return python


def test_the_installed_wheel_tags_every_resource_and_passes_the_pack(consumer_venv: Path, tmp_path: Path):
    program = tmp_path / "orders" / "__main__.py"
    program.parent.mkdir()
    shutil.copy(HERE / "consumer" / "__main__.py", program)
    shutil.copy(HERE / "record.py", tmp_path / "record.py")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no PYTHONPATH: nothing of the repository
    done = subprocess.run([str(consumer_venv), "record.py", str(program), json.dumps(CONFIG)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    recorded = json.loads(done.stdout)
    assert Path(recorded["library"]).is_relative_to(consumer_venv.parents[1]), recorded["library"]
    assert recorded["app_importable"] == []  # the library needs nothing of the app
    check_consumer([RecordedResource(**r) for r in recorded["resources"]])


def test_the_same_program_against_the_library_in_the_repository(run):
    """The editable install the app uses behaves as the wheel: a program without the app's
    transformation gets the context tags from the components themselves."""
    check_consumer(run(HERE / "consumer" / "__main__.py", config=CONFIG).resources)
