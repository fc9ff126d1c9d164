"""The library's engines the policy pack imports load without pulumi_aws: ``groundwork.events`` (every
module), ``groundwork.stages`` and ``groundwork.errors``.

The pack's analyzer would otherwise load the whole provider SDK (seconds, hundreds of MB) for a
pattern check. ``pulumi`` itself stays allowed: the pack depends on it (pulumi-policy does), and
``ConfigError`` subclasses ``pulumi.RunError`` so that the CLI prints only its message.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import importlib, json, pkgutil, sys

class BlockPulumiAws:
    def find_spec(self, name, path=None, target=None):
        if name == "pulumi_aws" or name.startswith("pulumi_aws."):
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, BlockPulumiAws())
import groundwork.events
names = ["groundwork.stages", "groundwork.errors"]
names += [f"groundwork.events.{m.name}" for m in pkgutil.iter_modules(groundwork.events.__path__)]
loaded = {}
for name in names + ["groundwork.pipes"]:  # groundwork.pipes: the block works
    try:
        importlib.import_module(name)
        loaded[name] = "ok"
    except ImportError as error:
        loaded[name] = str(error)
print(json.dumps(loaded))
"""


def test_the_engines_the_pack_imports_load_without_pulumi_aws():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout)
    assert loaded.pop("groundwork.pipes") == "pulumi_aws is blocked in this test"
    assert {"groundwork.events.patterns", "groundwork.events.templates", "groundwork.events.samples",
            "groundwork.stages", "groundwork.errors"} <= loaded.keys()
    assert set(loaded.values()) == {"ok"}, loaded
