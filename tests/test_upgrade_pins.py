"""The versions docs/upgrading.md says must move together do move together."""

from __future__ import annotations

import re
from importlib.metadata import version

from features.lifecycle.teardown import TeardownSettings
from tests.conftest import ROOT


def pins(path: str) -> dict[str, str]:
    text = (ROOT / path).read_text()
    return {name.lower(): pinned for name, pinned in re.findall(r"^([A-Za-z0-9_.\[\]-]+)==(\S+)", text, flags=re.M)}


def test_the_program_and_the_pack_pin_the_same_pulumi_sdk():
    assert pins("requirements.txt")["pulumi"] == pins("policies/dependencies.txt")["pulumi"]


def test_the_installed_packages_are_the_pinned_ones():
    pinned = {**pins("requirements.txt"), **pins("policies/dependencies.txt")}
    for name in ("pulumi", "pulumi-aws", "pulumi-policy", "pydantic"):
        assert version(name) == pinned[name], f"{name}: installed {version(name)}, pinned {pinned[name]}"


def test_the_teardown_installs_the_cli_matching_the_sdk():
    default = TeardownSettings.model_fields["pulumi_version"].default
    assert default == pins("requirements.txt")["pulumi"]
