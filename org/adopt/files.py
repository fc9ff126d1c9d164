"""Write the adopted data files all at once or not at all.

Everything is written and validated in a temporary folder next to the org folder first; only
then are the four data entries (``organization.yaml``, ``sso.yaml``, ``accounts/``, ``scps/``)
renamed into place, and the previous ones restored if a rename fails.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

ENTRIES = ("organization.yaml", "sso.yaml", "accounts", "scps")


def existing_entries(root: Path) -> list[Path]:
    """The data files and folders adopt would replace that already exist (non-empty folders only)."""
    found = []
    for entry in ENTRIES:
        path = root / entry
        if path.is_file() or (path.is_dir() and any(p for p in path.iterdir() if not p.name.startswith("."))):
            found.append(path)
    return found


def stage(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (path relative to the org folder -> text) into a new folder beside ``root``."""
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-adopt-", dir=root.parent))
    for relative, text in files.items():
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return staging


def swap_in(staging: Path, root: Path) -> None:
    """Replace the data entries of ``root`` by those of ``staging``; restore the old ones on failure."""
    root.mkdir(parents=True, exist_ok=True)
    backup = Path(tempfile.mkdtemp(prefix=f".{root.name}-before-adopt-", dir=root.parent))
    moved: list[str] = []
    placed: list[str] = []
    try:
        for entry in ENTRIES:
            if (root / entry).exists():
                (root / entry).rename(backup / entry)
                moved.append(entry)
        for entry in ENTRIES:
            if (staging / entry).exists():
                (staging / entry).rename(root / entry)
                placed.append(entry)
    except OSError:
        for entry in placed:
            shutil.rmtree(root / entry) if (root / entry).is_dir() else (root / entry).unlink()
        for entry in moved:
            (backup / entry).rename(root / entry)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(backup, ignore_errors=True)
