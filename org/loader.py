"""Load and validate the organization data under ``org/``: every problem of every file, at once.

Each problem is one line ``<file>: <field>: <what is wrong and what is allowed>`` so that a
vending pull request gets one complete review comment instead of a fix-one-rerun loop.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from groundwork.context import did_you_mean
from groundwork.errors import describe_value
from pydantic import BaseModel, ValidationError

from org.model import (
    MAX_EMAIL_LENGTH,
    MAX_OU_DEPTH,
    AccountFile,
    AccountRequest,
    OrganizationSpec,
    OrgData,
    OuNode,
    ScpDocument,
    ScpSpec,
    is_email,
    is_ou_path,
    ou_paths_of,
)
from org.scp import check_policy
from org.yamlfile import YamlFileError, load_yaml

ORGANIZATION_FILE = "organization.yaml"
ACCOUNTS_DIR = "accounts"
# AWS attaches FullAWSAccess to every OU and allows five SCPs per target: four are left for ours.
MAX_CUSTOM_SCPS_PER_TARGET = 4
# organization.yaml lists that must be written out even when empty.
EXPLICIT_LISTS = ("servicePrincipals", "enabledPolicyTypes", "scps")


class OrgValidationError(Exception):
    """The org data is invalid; ``problems`` holds one ``file: field: message`` line each."""

    def __init__(self, problems: list[str], *, more_may_follow: bool = False) -> None:
        self.problems = list(problems)
        # True when checks that need the failed input (OU, SCP, email rules) could not run yet.
        self.more_may_follow = more_may_follow
        super().__init__("\n".join(self.problems))


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def show_path(path: Path) -> str:
    """A file name for messages: relative to the project (or else the working directory) when it
    is below it, so a message reads the same wherever the command runs.

    It resolves the path (a few syscalls), so callers compute it only for a message.
    """
    resolved = path.resolve()
    for base in (PROJECT_ROOT, Path.cwd().resolve()):
        try:
            return str(resolved.relative_to(base))
        except ValueError:
            continue
    return str(path)


def read_yaml(path: Path, problems: list[str]) -> dict | None:
    """Parse one YAML mapping; on failure add a problem and return None."""
    try:
        data = load_yaml(path)
    except YamlFileError as error:
        problems.append(f"{show_path(path)}: (file): {error}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{show_path(path)}: (file): must be a YAML mapping of keys to values, "
                        f"got {type(data).__name__ if data is not None else 'an empty file'}")
        return None
    return data


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(field.alias or name for name, field in model.model_fields.items())


def _model_at(root_model: type[BaseModel], loc: tuple) -> type[BaseModel]:
    """The model that owns the last key of ``loc`` (for listing allowed keys)."""
    model = root_model
    for part in loc[:-1]:
        if part == "ous" or part == "children":
            model = OuNode
        elif part == "scps":
            model = ScpSpec
    return model


def validation_problems(error: ValidationError, where: str, model: type[BaseModel]) -> list[str]:
    """Turn pydantic errors into ``file: field: message`` lines with the keys users write."""
    lines = []
    for problem in error.errors():
        loc = problem["loc"]
        field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
        field = field or "(file)"
        kind = problem["type"]
        message = problem["msg"].removeprefix("Value error, ")
        if kind == "missing":
            text = "is required"
            if loc and loc[-1] in EXPLICIT_LISTS and len(loc) == 1:
                text += " (write [] to declare none: a left-out list would silently remove them all)"
        elif kind == "extra_forbidden":
            allowed = _allowed_keys(_model_at(model, loc))
            text = f"is not a known key{did_you_mean(str(loc[-1]), allowed.split(', '))}; allowed keys: {allowed}"
        elif kind.endswith("_type") or kind == "literal_error":
            text = f"{message}, got {describe_value(problem.get('input'))}"
            if kind == "string_type" and isinstance(problem.get("input"), (bool, int, float)):
                text += " (quote the value in YAML)"
        else:
            text = f"{message} (got {describe_value(problem.get('input'))})"
        lines.append(f"{where}: {field}: {text}")
    return lines


def _load_spec(root: Path, problems: list[str]) -> OrganizationSpec | None:
    path = root / ORGANIZATION_FILE
    if not path.is_file():
        problems.append(f"{show_path(path)}: (file): is missing; every org folder needs one "
                        "(mailDomain, ous, scps, ...)")
        return None
    data = read_yaml(path, problems)
    if data is None:
        return None
    try:
        return OrganizationSpec.model_validate(data)
    except ValidationError as error:
        problems.extend(validation_problems(error, show_path(path), OrganizationSpec))
        return None


def _check_ou_depth(spec: OrganizationSpec, where: str, problems: list[str]) -> list[str]:
    paths = []
    for path, depth in ou_paths_of(spec.ous):
        if depth > MAX_OU_DEPTH:
            problems.append(f"{where}: ous: OU {path!r} is nested {depth} levels deep; "
                            f"AWS allows at most {MAX_OU_DEPTH} levels below the root")
        paths.append(path)
    return paths


def _load_scps(root: Path, spec: OrganizationSpec, ou_paths: list[str],
               problems: list[str]) -> list[ScpDocument]:
    where = show_path(root / ORGANIZATION_FILE)
    known = set(ou_paths)
    per_target: dict[str, list[str]] = defaultdict(list)
    documents = []
    if spec.scps and "SERVICE_CONTROL_POLICY" not in spec.enabled_policy_types:
        problems.append(f"{where}: enabledPolicyTypes: must include SERVICE_CONTROL_POLICY because "
                        f"scps are declared (got {list(spec.enabled_policy_types)})")
    for index, scp in enumerate(spec.scps):
        for target in scp.targets:
            if target not in known:
                problems.append(f"{where}: scps[{index}].targets: OU {target!r} is not in the OU tree; "
                                f"known OUs: {', '.join(ou_paths)}")
            per_target[target].append(scp.name)
        path = root / scp.file
        if not path.is_file():
            problems.append(f"{where}: scps[{index}].file: {scp.file!r} does not exist under {show_path(root)}")
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            problems.append(f"{show_path(path)}: (file): not valid JSON: {error}")
            continue
        policy_problems = check_policy(document)
        problems.extend(f"{show_path(path)}: {field}: {message}" for field, message in policy_problems)
        if not policy_problems:
            documents.append(ScpDocument(spec=scp, document=document, source=path))
    for target, names in per_target.items():
        if len(names) > MAX_CUSTOM_SCPS_PER_TARGET:
            problems.append(f"{where}: scps: OU {target!r} would get {len(names)} SCPs ({', '.join(names)}); "
                            f"AWS allows 5 per target including FullAWSAccess, so at most "
                            f"{MAX_CUSTOM_SCPS_PER_TARGET}")
    return documents


def _load_accounts(root: Path, spec: OrganizationSpec | None, ou_paths: list[str],
                   problems: list[str]) -> list[AccountRequest]:
    folder = root / ACCOUNTS_DIR
    if folder.exists() and not folder.is_dir():
        problems.append(f"{show_path(folder)}: (file): must be a folder of account requests (<account name>.yaml)")
        return []
    if not folder.is_dir():
        return []
    accounts: list[AccountRequest] = []
    names: dict[str, list[Path]] = defaultdict(list)
    emails: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix != ".yaml" or not path.is_file():
            problems.append(f"{show_path(path)}: (file): account requests are files named <account name>.yaml; "
                            "this one would be ignored")
            continue
        data = read_yaml(path, problems)
        if data is None:
            continue
        try:
            request = AccountFile.model_validate(data)
        except ValidationError as error:
            problems.extend(validation_problems(error, show_path(path), AccountFile))
            ou = data.get("ou")
            if spec is not None and isinstance(ou, str) and is_ou_path(ou) and ou not in ou_paths:
                problems.append(_unknown_ou(show_path(path), ou, ou_paths))
            continue
        if path.stem != request.name:
            problems.append(f"{show_path(path)}: name: {request.name!r} must match the file name "
                            f"(rename the file to {request.name}.yaml)")
        first_of_name = not names[request.name.casefold()]
        names[request.name.casefold()].append(path)
        if spec is None or not first_of_name:
            continue  # OU and email rules need a valid organization.yaml
        if request.ou not in ou_paths:
            problems.append(_unknown_ou(show_path(path), request.ou, ou_paths))
        if request.owner.rsplit("@", 1)[1].lower() == spec.mail_domain:
            problems.append(f"{show_path(path)}: owner: {request.owner!r} is on the mail domain {spec.mail_domain}, "
                            "whose mail is forwarded to owners; give a real mailbox outside it")
        email = (request.email or spec.email_for(request.name)).lower()
        if len(email) > MAX_EMAIL_LENGTH or not is_email(email):
            problems.append(f"{show_path(path)}: name: derived email {email!r} must be a valid address of at most "
                            f"{MAX_EMAIL_LENGTH} characters; choose a shorter name")
        emails[email].append(path)
        accounts.append(AccountRequest(
            name=request.name, ou=request.ou, owner=request.owner, email=email,
            purpose=request.purpose, tags=dict(request.tags), bootstrap=request.bootstrap, source=path,
            removable=request.removable, import_id=request.import_id, aws_name=request.aws_name,
        ))
    _report_shared(names, "name", "account name", problems)
    _report_shared(emails, "email", "email", problems)
    return accounts


def _report_shared(owners: dict[str, list[Path]], field: str, what: str, problems: list[str]) -> None:
    """Every file of a clash is named, so the pull request that caused it is pointed at too."""
    for value, paths in owners.items():
        for path in paths if len(paths) > 1 else []:
            others = ", ".join(show_path(other) for other in paths if other != path)
            problems.append(f"{show_path(path)}: {field}: {what} {value!r} is also used by {others} "
                            "(compared case-insensitively; must be unique in the organization)")


def _unknown_ou(where: str, ou: str, ou_paths: list[str]) -> str:
    return f"{where}: ou: {ou!r} is not an OU of the organization; known OUs: {', '.join(ou_paths)}"


def load_org(root: Path = Path("org")) -> OrgData:
    """Load ``organization.yaml``, the SCP documents and every ``accounts/*.yaml`` below ``root``.

    Raises :class:`OrgValidationError` with every problem found (never just the first).
    """
    root = Path(root)
    problems: list[str] = []
    if not root.is_dir():
        raise OrgValidationError([f"{show_path(root)}: (folder): no such org folder"])
    spec = _load_spec(root, problems)
    ou_paths: list[str] = []
    scps: list[ScpDocument] = []
    if spec is not None:
        ou_paths = _check_ou_depth(spec, show_path(root / ORGANIZATION_FILE), problems)
        scps = _load_scps(root, spec, ou_paths, problems)
    accounts = _load_accounts(root, spec, ou_paths, problems)
    if problems or spec is None:
        raise OrgValidationError(problems, more_may_follow=spec is None)
    return OrgData(spec=spec, accounts=accounts, ou_paths=ou_paths, scps=scps, root=root)
