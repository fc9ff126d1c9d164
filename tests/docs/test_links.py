"""Links between the pages resolve, and the README's first screen leads a newcomer to the new pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.examples import ROOT, blocks, markdown_pages

PAGES = [*markdown_pages(), ROOT / "CHANGELOG.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    inside = {line for b in blocks(page) for line in range(b.line, b.line + b.text.count("\n") + 2)}
    lines = page.read_text().splitlines()
    return {slug(line.lstrip("#")) for number, line in enumerate(lines, 1)
            if line.startswith("#") and number not in inside}


def prose(page: Path) -> str:
    """The page without its fenced blocks (code may contain ](...) that is not a link)."""
    return re.sub(r"^ *```.*?^ *```", "", page.read_text(), flags=re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_relative_links_resolve(page: Path):
    broken = []
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_readme_first_screen_leads_to_architecture_prerequisites_and_quick_start():
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:30])
    for page in ("docs/architecture.md", "docs/prerequisites.md", "docs/quickstart-workload.md"):
        assert f"]({page})" in first_screen, page
    assert any(b.lang == "mermaid" for b in blocks(ROOT / "docs" / "architecture.md"))
