"""The fenced examples of README.md and docs/*.md, as data: file, line, language, marker, text.

A block is run by tests/docs/test_examples.py unless the HTML comment right above it (blank lines
allowed in between) says otherwise:

- ``<!-- example: fragment -->``: an illustrative excerpt that cannot run on its own; it must
  still parse (YAML, JSON) or compile (Python);
- ``<!-- example: file <path> -->``: one file of a project the page builds (the workload quick
  start); the page's files are written out together and the project is planned as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAGMENT, FILE = "fragment", "file"
_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w+-]*)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<kind>[\w-]+)(?:\s+(?P<arg>\S+))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown page."""

    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    marker: str = ""
    marker_arg: str = ""  # the path of a ``file`` block

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"

    @property
    def fragment(self) -> bool:
        return self.marker == FRAGMENT

    @property
    def project_file(self) -> bool:
        return self.marker == FILE


def markdown_pages(root: Path = ROOT) -> list[Path]:
    """README.md, CONTRIBUTING.md and every page under docs/ (the pages a newcomer reads)."""
    return [root / "README.md", root / "CONTRIBUTING.md", *sorted((root / "docs").glob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of one page, de-indented (blocks inside list items are indented)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent = len(opening["indent"])
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = "\n".join(line[indent:] if line[:indent].strip() == "" else line
                         for line in lines[index + 1:end])
        marker, arg = _marker_above(lines, index)
        found.append(Block(path, index + 1, opening["lang"].lower(), body + "\n", marker, arg))
        index = end + 1
    return found


def _marker_above(lines: list[str], index: int) -> tuple[str, str]:
    above = index - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    match = _MARKER.match(lines[above]) if above >= 0 else None
    return (match["kind"], match["arg"] or "") if match else ("", "")


def all_blocks(*langs: str, root: Path = ROOT) -> list[Block]:
    return [b for page in markdown_pages(root) for b in blocks(page) if not langs or b.lang in langs]
