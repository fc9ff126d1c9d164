"""The pack's venv as the Pulumi CLI builds it: ``pulumi install`` in policies/ runs
``python -m pip install -r requirements.txt`` there (docs/policies.md cites the CLI's source). That
file installs the groundwork library, and the pack then imports its engines from it, never from
the repository's folders; without the library the pack still starts and the checks needing it say
"could not evaluate".

To stay offline and fast, each new venv sees the shared venv's packages through a ``.pth`` file
(whose own ``.pth`` files, such as the editable groundwork's, Python does not process) and pip runs
with ``--no-index --no-deps``. The install runs against a copy of the repository, so that nothing
is written into it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from org.plan.analyzer import Diagnostic, PolicyPackProcess
from tests.policies.conftest import PACK_DIR
from tests.policies.corpus.builders import DEV, pipe, res, tags

ROOT = PACK_DIR.parent
NOT_INSTALLED = ("could not evaluate: the groundwork library is not installed in the pack's venv "
                 "(policies/requirements.txt installs it)")
INVALID_RULE = res("aws:cloudwatch/eventRule:EventRule", "rule", {
    "name": "shop-dev-orders", "eventBusName": "shop-dev-bus", "eventPattern": '{"source":"com.shop"}', "tags": tags()})
BAD_TEMPLATE = pipe(targetParameters={"inputTemplate": '{"id": <$.body.id}'})
# What the pack's library access gives, run in the pack's venv from policies/ as the CLI runs the pack.
PROBE = r"""
import importlib.metadata, json
from groundwork_policies import library
patterns, templates, stages = library.patterns(), library.templates(), library.stages()
try:
    patterns.validate_pattern('{"source": "com.shop"}')
    pattern_error = None
except patterns.PatternError as error:
    pattern_error = str(error)
print(json.dumps({
    "files": [patterns.__file__, templates.__file__, stages.__file__],
    "pattern_error": pattern_error,
    "template_problems": templates.check_template('{"id": <$.body.id}').problems,
    "stages": list(stages.STAGES),
    "installed": json.loads(importlib.metadata.distribution("groundwork").read_text("direct_url.json")),
}))
"""


def new_venv(path: Path) -> Path:
    """The Python of a new venv seeing the shared venv's packages (not its editable groundwork)."""
    venv.create(path, with_pip=False)
    python = path / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "shared-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def clean_env(home: Path) -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home)}  # no PYTHONPATH


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the pack's requirements reach: pyproject.toml, components/, policies/."""
    repo = tmp_path_factory.mktemp("checkout") / "groundwork"
    ignore = shutil.ignore_patterns("__pycache__", "venv")
    for folder in ("components", "policies"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", repo)
    return repo


@pytest.fixture(scope="module")
def pack_python(tmp_path_factory: pytest.TempPathFactory, checkout: Path) -> Path:
    """The pack's venv after ``pip install -r requirements.txt`` from policies/, as the CLI runs it."""
    python = new_venv(tmp_path_factory.mktemp("pack") / "venv")
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "--quiet", "-r", "requirements.txt"],
                          cwd=checkout / "policies", env=clean_env(checkout), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return python


def analyze(python: Path, pack_dir: Path) -> list[Diagnostic]:
    """One preview of the pack run by ``python`` (PYTHONPATH emptied) over a bad rule and pipe."""
    with PolicyPackProcess(pack_dir, config=DEV.config, python=str(python),
                           extra_env={"PYTHONPATH": "", "HOME": os.environ.get("HOME", "/tmp")}) as pack:
        pack.configure()
        pack.configure_stack()
        return pack.analyze_all([INVALID_RULE, BAD_TEMPLATE])


def aws_rule(message: str) -> str:
    """The AWS rule an aws-rules message names (``... [rule aws-event-pattern]``), else ''."""
    return message.rsplit("[rule ", 1)[1].rstrip("]") if "[rule " in message else ""


def test_the_packs_requirements_install_the_library_the_pack_imports(pack_python: Path, checkout: Path):
    from groundwork.stages import STAGES

    done = subprocess.run([str(pack_python), "-c", PROBE], cwd=checkout / "policies", env=clean_env(checkout),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    probed = json.loads(done.stdout)
    # An editable install of the checkout's library, and the modules come from it (not from the repository).
    assert probed["installed"] == {"url": checkout.as_uri(), "dir_info": {"editable": True}}
    assert all(Path(file).is_relative_to(checkout / "components") for file in probed["files"]), probed["files"]
    assert "source" in probed["pattern_error"]
    assert probed["template_problems"]
    assert probed["stages"] == list(STAGES)


def test_the_pack_in_that_venv_evaluates_patterns_and_templates(pack_python: Path, checkout: Path):
    found = analyze(pack_python, checkout / "policies")
    rules = {aws_rule(d.message) for d in found if d.policy_name == "aws-rules"}
    assert {"aws-event-pattern", "aws-pipe-input-template"} <= rules, [d.message for d in found]
    assert not [d.message for d in found if "could not evaluate" in d.message]


def test_without_the_library_the_pack_starts_and_the_checks_needing_it_cannot_evaluate(
        tmp_path: Path, checkout: Path):
    found = analyze(new_venv(tmp_path / "venv"), checkout / "policies")
    unevaluated = sorted((d.policy_name, aws_rule(d.message)) for d in found if NOT_INSTALLED in d.message)
    # The pattern and template rules use the library's engines; the allowed tag values and the
    # stack's stage vocabulary are the library's (one required-tags finding per resource).
    assert unevaluated == [("aws-rules", "aws-event-pattern"), ("aws-rules", "aws-pipe-input-template"),
                           ("required-tags", ""), ("required-tags", ""), ("stage-usage", "")], \
        [(d.policy_name, d.message) for d in found]
    assert not [d.message for d in found if "could not evaluate" in d.message and NOT_INSTALLED not in d.message]
