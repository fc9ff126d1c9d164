"""The one way Groundwork reads a YAML file: strict, bounded, and with errors that name the line.

PyYAML's safe loader silently keeps the last of two equal keys, reads ``yes``/``no``/``on``/``off``
as booleans (YAML 1.1; the Pulumi CLI's YAML 1.2 parser reads them as strings) and expands
aliases without limit. Every file the project reads (stack files, ``org/organization.yaml``,
account requests, ``org/sso.yaml``) goes through :func:`load_yaml`, which refuses all three:

- a key given twice in one mapping;
- a YAML 1.1 boolean word (write ``true``/``false``, or quote the word for a string);
- in data files, aliases (``*name``) and merge keys (``<<``): write the values out. Stack files
  may use them (the Pulumi CLI does), but their expansion is bounded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

MERGE_TAG = "tag:yaml.org,2002:merge"
BOOL_WORDS = ("true", "false")
# Values (scalars, list items, mapping entries) a file may expand to through aliases.
MAX_EXPANDED_VALUES = 100_000


class YamlFileError(ValueError):
    """A file is unreadable or not acceptable YAML; the message says why (and the line, if known)."""


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
    """Safe loader refusing duplicate keys and YAML 1.1 booleans; aliases allowed or refused."""

    allow_aliases = False

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if not self.allow_aliases and node in self.constructed_objects:
            raise ConstructorError(None, None, "the value anchored here is reused through an alias (*name); "
                                   "aliases are not allowed in data files: write the value out",
                                   node.start_mark)
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG and not self.allow_aliases:
                raise ConstructorError(None, None, "merge keys (<<) are not allowed in data files; "
                                       "write the keys out", key_node.start_mark)
            if isinstance(key_node, yaml.ScalarNode):
                identity = (key_node.tag, key_node.value)
                if identity in seen:
                    raise ConstructorError(None, None, f"key {key_node.value!r} is given twice",
                                           key_node.start_mark)
                seen.add(identity)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> bool:
        if node.value.lower() not in BOOL_WORDS:
            raise ConstructorError(
                None, None,
                f"{node.value!r} is a boolean in YAML 1.1 but a string in YAML 1.2 (the Pulumi CLI); "
                f"write true or false, or quote it ('{node.value}') for a string", node.start_mark)
        return super().construct_yaml_bool(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_yaml_map)
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _StrictLoader.construct_yaml_bool)


class _StackFileLoader(_StrictLoader):
    """Stack files: aliases and merge keys as the Pulumi CLI reads them (bounded afterwards)."""

    allow_aliases = True


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise YamlFileError(f"cannot be read: {error.strerror or error}") from None
    if b"\x00" in raw:
        raise YamlFileError("is a binary file, not YAML text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise YamlFileError(f"is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}); "
                            "save it as UTF-8") from None


def _expanded_size(data: Any, limit: int) -> int:
    """How many values ``data`` holds when every alias is written out, counting up to ``limit``."""
    count = 0
    stack = [data]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def parse_yaml(text: str, *, stack_file: bool = False) -> Any:
    """Parse YAML text with the strict rules (see the module); YamlFileError on any problem."""
    loader = _StackFileLoader if stack_file else _StrictLoader
    try:
        data = yaml.load(text, Loader=loader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise YamlFileError(f"not valid YAML{line}: {reason}") from None
    except RecursionError:
        raise YamlFileError("not valid YAML: nested too deeply") from None
    if _expanded_size(data, MAX_EXPANDED_VALUES) > MAX_EXPANDED_VALUES:
        raise YamlFileError(f"expands to more than {MAX_EXPANDED_VALUES} values through aliases; "
                            "write the values out (a YAML alias bomb?)")
    return data


def load_yaml(path: Path, *, stack_file: bool = False) -> Any:
    """Read and parse one YAML file (UTF-8 text) with the strict rules; YamlFileError on any problem."""
    return parse_yaml(_text(path), stack_file=stack_file)
