"""The AWS resource types that take resource tags, and the shape of their ``tags`` input.

Generated from the installed pulumi-aws (the pack cannot import it: CI installs only pulumi and
pulumi-policy for the pack, and the import takes seconds) with
``python -m groundwork_policies.taggable <site-packages>/pulumi_aws`` from the ``policies``
directory, and committed:

* ``taggable_types.txt``: every type whose ``tags`` input holds the resource's tags;
* ``tag_shapes.json``: the types among them whose ``tags`` is not a ``{key: value}`` map
  (``aws:autoscaling/group:Group`` takes ``[{key, value, propagateAtLaunch}]``), and the types
  whose ``tags`` input is not resource tags at all (a filter object), which are not taggable.

``provider_tag_exceptions.json`` (kept by hand, with its source) lists the types the provider's
``default_tags`` do not reach.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DATA = HERE / "taggable_types.txt"
SHAPES = HERE / "tag_shapes.json"
EXCEPTIONS = HERE / "provider_tag_exceptions.json"
MAP, LIST, OTHER = "map", "list", "other"
_TYPE_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(aws:[^']+)'")
_TAGS_INPUT = '__props__.__dict__["tags"] = tags'
_TAGS_ANNOTATION = re.compile(r"^\s+tags: pulumi\.Input\[(.+?)\] = None", re.MULTILINE)


@functools.cache
def taggable_types() -> frozenset[str]:
    """Type tokens (``aws:sqs/queue:Queue``) whose resources accept resource tags."""
    return frozenset(line.strip() for line in DATA.read_text().splitlines() if line.strip())


@functools.cache
def _shapes() -> dict[str, Any]:
    return json.loads(SHAPES.read_text())


def tag_shape(resource_type: str) -> str:
    """``map`` (the usual ``{key: value}``), ``list`` (``[{key, value, ...}]``) or ``other``."""
    shapes = _shapes()
    if resource_type in shapes["list"]:
        return LIST
    if resource_type in shapes["other"]:
        return OTHER
    return MAP


def list_item_extras(resource_type: str) -> dict[str, Any]:
    """Fields a list-shaped tag entry needs besides key and value (e.g. propagateAtLaunch)."""
    return dict(_shapes()["list"].get(resource_type, {}).get("itemDefaults", {}))


@functools.cache
def default_tags_not_applied() -> frozenset[str]:
    """Types the provider's ``default_tags`` do not reach (documented provider exceptions)."""
    return frozenset(json.loads(EXCEPTIONS.read_text())["types"])


def classify(annotation: str) -> str:
    """The shape of a ``tags`` input from its annotation in the generated SDK."""
    if "Mapping[str" in annotation:
        return MAP
    if "Sequence[" in annotation:
        return LIST
    return OTHER


def scan(pulumi_aws_dir: Path) -> dict[str, str]:
    """Every resource type token in a pulumi_aws package whose constructor sets ``tags``, with
    the shape of that input (``map``, ``list`` or ``other``)."""
    found: dict[str, str] = {}
    for source in pulumi_aws_dir.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if _TAGS_INPUT not in text:
            continue
        match = _TYPE_TOKEN.search(text)
        annotation = _TAGS_ANNOTATION.search(text)
        if match:
            found[match.group(1)] = classify(annotation.group(1)) if annotation else MAP
    return dict(sorted(found.items()))


def write(pulumi_aws_dir: Path, version: str) -> None:
    found = scan(pulumi_aws_dir)
    DATA.write_text("\n".join(t for t, shape in found.items() if shape != OTHER) + "\n")
    shapes = {
        "source": f"pulumi-aws {version} Python SDK: the annotation of each resource's `tags` input "
                  "(python -m groundwork_policies.taggable <site-packages>/pulumi_aws)",
        "list": {t: {"itemDefaults": {"propagateAtLaunch": True}} for t, s in found.items() if s == LIST},
        "other": sorted(t for t, s in found.items() if s == OTHER),
        "note": "list: tags is a list of {key, value, ...}; itemDefaults are the other required fields "
                "the tags-from-stack remediation sets (propagateAtLaunch: tag the group's instances too). "
                "other: `tags` is not the resource's tags (e.g. a filter), so the type is not taggable.",
    }
    SHAPES.write_text(json.dumps(shapes, indent=2) + "\n")


if __name__ == "__main__":
    from importlib.metadata import version as _version

    write(Path(sys.argv[1]), _version("pulumi_aws"))
