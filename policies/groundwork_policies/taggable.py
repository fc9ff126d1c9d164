"""The AWS resource types that take a ``tags`` map, as generated from the installed pulumi-aws.

The pack cannot import pulumi-aws (CI installs only pulumi and pulumi-policy for it, and the
import takes seconds), so the list is generated into ``taggable_types.txt`` with
``python -m groundwork_policies.taggable <site-packages>/pulumi_aws`` from the ``policies``
directory and committed.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

DATA = Path(__file__).with_name("taggable_types.txt")
_TYPE_TOKEN = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'(aws:[^']+)'")
_TAGS_INPUT = '__props__.__dict__["tags"] = tags'


@functools.cache
def taggable_types() -> frozenset[str]:
    """Type tokens (``aws:sqs/queue:Queue``) whose resources accept ``tags``."""
    return frozenset(line.strip() for line in DATA.read_text().splitlines() if line.strip())


def scan(pulumi_aws_dir: Path) -> list[str]:
    """Every resource type token in a pulumi_aws package whose constructor sets ``tags``."""
    found = set()
    for source in pulumi_aws_dir.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if _TAGS_INPUT not in text:
            continue
        match = _TYPE_TOKEN.search(text)
        if match:
            found.add(match.group(1))
    return sorted(found)


if __name__ == "__main__":
    DATA.write_text("\n".join(scan(Path(sys.argv[1]))) + "\n")
