"""CodeBuild buildspecs: parse as YAML and check the structure CodeBuild accepts.

The structure is the one of AWS's "Build specification reference for CodeBuild"
(docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html, "Buildspec syntax"):
``version`` (0.2; 0.1 is the legacy version that runs every command in its own shell),
``phases`` with only ``install``, ``pre_build``, ``build`` and ``post_build``, each with
``commands``/``finally`` lists of strings, and the optional top-level sections listed below.
A buildspec CodeBuild cannot parse stops every build at DOWNLOAD_SOURCE with YAML_FILE_ERROR.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

VERSIONS = ("0.1", "0.2")
TOP_LEVEL = ("version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache")
PHASES = ("install", "pre_build", "build", "post_build")
PHASE_KEYS = ("run-as", "on-failure", "runtime-versions", "commands", "finally")
ENV_KEYS = ("shell", "variables", "parameter-store", "exported-variables", "secrets-manager",
            "git-credential-helper")
SHELLS = ("bash", "/bin/sh", "sh", "powershell.exe", "cmd.exe", "pwsh.exe")
ON_FAILURE = re.compile(r"^(ABORT|CONTINUE|RETRY(-\d+)?(-.+)?)$")
ENV_MAPS = ("variables", "parameter-store", "secrets-manager")


def load(text: str) -> tuple[Any, str | None]:
    """The parsed document, or None and the YAML error (with its line and column)."""
    try:
        return yaml.safe_load(text), None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        return None, f"not valid YAML ({where}{problem})"


def problems(text: str) -> list[str]:
    """Every way ``text`` is not a buildspec CodeBuild would run; empty if it is one."""
    spec, error = load(text)
    if error:
        return [error]
    if not isinstance(spec, Mapping):
        return [f"must be a YAML mapping with version and phases, not {type(spec).__name__}"]
    found = [f"unknown top-level key {key!r} (allowed: {', '.join(TOP_LEVEL)})"
             for key in spec if key not in TOP_LEVEL]
    version = spec.get("version")
    if version is None:
        found.append("version is required (0.2)")
    elif str(version) not in VERSIONS:
        found.append(f"version = {version!r}: allowed {', '.join(VERSIONS)}")
    found += _env_problems(spec.get("env"))
    found += _phase_problems(spec.get("phases"))
    return found


def _env_problems(env: Any) -> list[str]:
    if env is None:
        return []
    if not isinstance(env, Mapping):
        return ["env must be a mapping"]
    found = [f"env: unknown key {key!r} (allowed: {', '.join(ENV_KEYS)})" for key in env if key not in ENV_KEYS]
    if "shell" in env and env["shell"] not in SHELLS:
        found.append(f"env.shell = {env['shell']!r}: allowed {', '.join(SHELLS)}")
    for section in ENV_MAPS:
        values = env.get(section)
        if values is None:
            continue
        if not isinstance(values, Mapping):
            found.append(f"env.{section} must be a mapping of name: value")
            continue
        found += [f"env.{section}.{name} must be a single value, not {type(value).__name__}"
                  for name, value in values.items() if isinstance(value, Mapping | list)]
    exported = env.get("exported-variables")
    if exported is not None and not _strings(exported):
        found.append("env.exported-variables must be a list of variable names")
    return found


def _phase_problems(phases: Any) -> list[str]:
    if phases is None:
        return ["phases is required (install, pre_build, build, post_build)"]
    if not isinstance(phases, Mapping) or not phases:
        return ["phases must be a mapping of one or more of install, pre_build, build, post_build"]
    found = []
    for name, phase in phases.items():
        where = f"phases.{name}"
        if name not in PHASES:
            found.append(f"{where}: unknown phase (allowed: {', '.join(PHASES)})")
            continue
        if not isinstance(phase, Mapping):
            found.append(f"{where} must be a mapping with commands")
            continue
        found += [f"{where}: unknown key {key!r} (allowed: {', '.join(PHASE_KEYS)})"
                  for key in phase if key not in PHASE_KEYS]
        if "runtime-versions" in phase and name != "install":
            found.append(f"{where}.runtime-versions is only allowed in the install phase")
        for key in ("commands", "finally"):
            if key in phase and not (_strings(phase[key]) and phase[key]):
                found.append(f"{where}.{key} must be a non-empty list of command strings; "
                             f"got {_describe(phase[key])} (quote a command that contains ': ')")
        if "commands" not in phase and "runtime-versions" not in phase:
            found.append(f"{where} has no commands")
        failure = phase.get("on-failure")
        if failure is not None and not ON_FAILURE.match(str(failure)):
            found.append(f"{where}.on-failure = {failure!r}: allowed ABORT, CONTINUE or RETRY[-count]")
    return found


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        kinds = sorted({type(item).__name__ for item in value if not isinstance(item, str)})
        return f"a list with {', '.join(kinds)} items" if kinds else "an empty list"
    return type(value).__name__
