"""Sample events next to a pattern in stack config: inline objects or JSON/JSON5 files.

Pipes filters and bus rules take the same shape, so users write samples one way everywhere:

    samples:
      mustMatch: [events/samples/order-placed.json, {source: shop.orders, detail: {total: 120}}]
      mustNotMatch: [events/samples/order-refunded.json5]

File paths are relative to ``root`` when the caller gives one, else to the working directory: Pulumi runs
a program from its project directory (where ``Pulumi.yaml`` is), so that is where stack config paths start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError
from .patterns import check_samples, parse_pattern_number


class SampleEvents(BaseModel):
    """Events a pattern must match and must not match; each an inline object or a file path."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    must_match: list[dict[str, Any] | str] = Field(default_factory=list, alias="mustMatch")
    must_not_match: list[dict[str, Any] | str] = Field(default_factory=list, alias="mustNotMatch")


def load_json_document(path: Path) -> Any:
    """A JSON file, or JSON5 (comments, trailing commas) when it is not plain JSON; ValueError if neither.

    Numbers a double cannot hold keep their text, so a pattern holding 1E-325 is refused, not read as 0.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); "
                         "an event or pattern file is JSON or JSON5") from None
    try:
        return json.loads(text, parse_float=parse_pattern_number)
    except ValueError:
        pass
    try:
        import json5
    except ImportError:  # pragma: no cover - json5 is a runtime dependency of the library
        raise ValueError(f"{path}: not valid JSON (install json5 to read JSON5)") from None
    try:
        return json5.loads(text, parse_float=parse_pattern_number)
    except ValueError as error:
        raise ValueError(f"{path}: neither JSON nor JSON5: {error}") from None


def _resolve(samples: list[dict[str, Any] | str], key: str, root: Path | None) -> list[dict[str, Any]]:
    events = []
    for index, sample in enumerate(samples):
        if isinstance(sample, dict):
            events.append(sample)
            continue
        try:
            document = load_json_document((Path.cwd() if root is None else root) / sample)
        except ValueError as error:
            raise ConfigError(f"{key}[{index}]: sample event file {error}") from None
        if not isinstance(document, dict):
            raise ConfigError(f"{key}[{index}]: sample event file {sample} must hold one JSON object")
        events.append(document)
    return events


def load_sample_events(samples: SampleEvents, *, where: str,
                       root: Path | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(mustMatch, mustNotMatch) as objects, files read relative to ``root`` (default: the working directory); ConfigError naming the key."""
    return (_resolve(samples.must_match, f"{where}.samples.mustMatch", root),
            _resolve(samples.must_not_match, f"{where}.samples.mustNotMatch", root))


def check_sample_events(pattern: dict | str, samples: SampleEvents | None, *, where: str,
                        root: Path | None = None) -> None:
    """Load the samples (files relative to ``root``) and refuse the pattern if one disagrees with it.

    ``where`` is the config key of the pattern; messages name ``<where>.samples.mustMatch[i]`` for files.
    """
    if samples is None:
        return
    must_match, must_not_match = load_sample_events(samples, where=where, root=root)
    check_samples(pattern, must_match=must_match, must_not_match=must_not_match, where=where)
