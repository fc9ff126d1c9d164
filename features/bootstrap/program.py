"""``groundwork:bootstrap``: GitHub OIDC deploy role and Pulumi state backend in every account of the target OUs.

Opting out: an account request with ``bootstrap: false`` must sit in an OU that is not a
target (nested OUs count). Automatic deployment puts a stack instance in every account that
joins a targeted OU, whatever account filter the first deployment used, so placement is the
only opt-out that holds for accounts vended later; a conflict is refused with its fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pulumi
from groundwork.context import NAMESPACE
from groundwork.errors import ConfigError, describe_value
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from features.bootstrap.account_bootstrap import (
    AccountBootstrap,
    AccountBootstrapArgs,
    OperationPreferences,
    StackSetTemplate,
)
from features.bootstrap.templates import (
    GITHUB_OIDC,
    STATE_BACKEND,
    github_oidc_parameters,
    github_subjects,
    state_backend_parameters,
)
from features.lifecycle.teardown import BUILD_ROLE_PREFIX
from features.organization.source import OrgSource
from features.settings import parse_settings
from features.stack import Feature, Stack
from org.inputs import require_trusted_access, resolve_ids
from org.model import OrgData

KEY = f"{NAMESPACE}:bootstrap"
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
BRANCH_PATTERN = re.compile(r"^[A-Za-z0-9._/*-]{1,255}$")
ENVIRONMENT_PATTERN = re.compile(r"^[A-Za-z0-9._ *-]{1,255}$")
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
BUCKET_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$")
POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]{1,512}$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
# The managed policy the OIDC template creates as the boundary of every role a stack deploys.
WORKLOAD_BOUNDARY = "groundwork-workload-boundary"
# The teardown build roles of EPHEMERAL stacks (features/lifecycle/teardown.py) the deploy role trusts.
TEARDOWN_ROLE_PATTERN = f"{BUILD_ROLE_PREFIX}*"
STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
OU_ID = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class GitHubSettings(_Settings):
    """``groundwork:bootstrap.github`` — who may deploy into bootstrapped accounts from GitHub Actions."""

    owner: str
    repositories: list[str] = Field(min_length=1)
    branches: list[str] = Field(default_factory=list)
    environments: list[str] = Field(default_factory=list)
    role_name: str | None = Field(default=None, alias="roleName")
    policy_arns: list[str] = Field(alias="policyArns", min_length=1)
    workload_boundary_name: str = Field(default=WORKLOAD_BOUNDARY, alias="workloadBoundaryName",
                                        pattern=r"^[\w+=,.@-]{1,128}$")
    # Removed: an outside boundary (e.g. PowerUserAccess) kept the deploy role from creating roles.
    retired_boundary_arn: object = Field(default=None, alias="permissionsBoundaryArn", exclude=True)
    max_session_hours: int = Field(default=1, ge=1, le=12, alias="maxSessionHours")
    create_oidc_provider: bool = Field(default=True, alias="createOidcProvider")
    allow_ephemeral_teardown: bool = Field(default=True, alias="allowEphemeralTeardown")

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if not value.strip() or "*" in value:
            raise ValueError("must name one GitHub user or organization; a wildcard or empty owner "
                             "would let any GitHub repository assume the deploy role")
        if not GITHUB_OWNER.match(value):
            raise ValueError("must be a GitHub user or organization name (letters, digits, '-')")
        return value

    @field_validator("repositories")
    @classmethod
    def _repositories(cls, value: list[str]) -> list[str]:
        for repository in value:
            if not GITHUB_REPOSITORY.match(repository):
                raise ValueError(f"{repository!r} is not a repository name (no owner, no wildcard)")
        return value

    @field_validator("branches")
    @classmethod
    def _branches(cls, value: list[str]) -> list[str]:
        for branch in value:
            if not branch.strip("*/"):  # '*', '**', '*/*': every branch of the repository
                raise ValueError(f"{branch!r} would let every branch (any pushed code) assume the deploy role; "
                                 "name the branches that deploy, e.g. main or release/*")
            if not BRANCH_PATTERN.match(branch):
                raise ValueError(f"{branch!r} is not a branch name or pattern (e.g. main, release/*)")
        return value

    @field_validator("environments")
    @classmethod
    def _environments(cls, value: list[str]) -> list[str]:
        for environment in value:
            if not ENVIRONMENT_PATTERN.match(environment):
                raise ValueError(f"{environment!r} is not a GitHub environment name")
        return value

    @field_validator("role_name")
    @classmethod
    def _role(cls, value: str | None) -> str | None:
        if value is not None and not ROLE_NAME.match(value):
            raise ValueError("must be an IAM role name of 1-64 characters")
        return value

    @field_validator("policy_arns")
    @classmethod
    def _policies(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not POLICY_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an IAM managed policy ARN")
        return value

    @field_validator("retired_boundary_arn")
    @classmethod
    def _no_external_boundary(cls, value: object) -> None:
        raise ValueError(
            "is no longer a setting: the bootstrap template creates the deploy role's boundary, which "
            "lets it manage exactly the roles that carry workloadBoundaryName (an AWS boundary such as "
            "PowerUserAccess denies iam:CreateRole, so no stack with a role could deploy); remove it")

    @model_validator(mode="after")
    def _some_ref(self) -> GitHubSettings:
        if not self.branches and not self.environments:
            raise ValueError("give branches and/or environments: the workflows allowed to deploy")
        return self


class BootstrapSettings(_Settings):
    """``groundwork:bootstrap`` — which OUs and regions get the bootstrap stacks, and how fast."""

    targets: list[str] = Field(min_length=1)
    regions: list[str] = Field(min_length=1)
    # Account-global resources (deploy role, boundaries, OIDC provider) live in this one region.
    home_region: str | None = Field(default=None, alias="homeRegion")
    github: GitHubSettings
    state_bucket_prefix: str | None = Field(default=None, alias="stateBucketPrefix")
    state_version_retention_days: int = Field(default=90, ge=1, le=3650, alias="stateVersionRetentionDays")
    failure_tolerance_percentage: int = Field(default=0, ge=0, le=100, alias="failureTolerancePercentage")
    max_concurrent_percentage: int = Field(default=25, ge=1, le=100, alias="maxConcurrentPercentage")
    region_concurrency_type: Literal["SEQUENTIAL", "PARALLEL"] = Field(default="PARALLEL",
                                                                       alias="regionConcurrencyType")
    org_path: str = Field(default="org", alias="orgPath", min_length=1)
    ou_ids: dict[str, str] = Field(default_factory=dict, alias="ouIds")

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        for region in value:
            if not REGION.match(region):
                raise ValueError(f"{region!r} is not an AWS region name (e.g. eu-west-1)")
        if len(set(value)) != len(value):
            raise ValueError("lists a region twice")
        return value

    @model_validator(mode="after")
    def _home_region(self) -> BootstrapSettings:
        if self.home_region is not None and self.home_region not in self.regions:
            raise ValueError(
                f"homeRegion = {self.home_region!r} must be one of regions ({', '.join(self.regions)}): the "
                "account-global bootstrap (deploy role, OIDC provider) is deployed to that one region of "
                "every account, the state backend to every region")
        return self

    @property
    def home(self) -> str:
        """The region of the account-global stack instances: ``homeRegion``, else the first region."""
        return self.home_region or self.regions[0]

    @field_validator("state_bucket_prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and not BUCKET_PREFIX.match(value):
            raise ValueError("must be 3-30 lower-case letters, digits and '-' (the bucket is "
                             "<prefix>-<account id>-<region>, at most 63 characters)")
        return value

    @field_validator("ou_ids")
    @classmethod
    def _ou_ids(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(path for path, ou_id in value.items() if not OU_ID.match(str(ou_id)))
        if bad:
            raise ValueError(f"OU ids look like ou-ab12-cdef3456 (check {', '.join(bad)})")
        return value

    @property
    def preferences(self) -> OperationPreferences:
        return OperationPreferences(self.failure_tolerance_percentage, self.max_concurrent_percentage,
                                    self.region_concurrency_type)


@dataclass(frozen=True)
class BootstrapPlan:
    """The checked settings and the two StackSet templates with their parameters."""

    settings: BootstrapSettings
    templates: list[StackSetTemplate]
    uncovered: list[str]


def check(stack: Stack, settings: object, org: OrgSource) -> BootstrapPlan:
    """Validate config against the org data and build the templates; declare nothing."""
    config = parse_settings(BootstrapSettings, settings if settings is not None else {}, KEY)
    ctx = stack.context
    data = org.data_at(config.org_path)
    require_trusted_access(data, STACKSETS_PRINCIPAL, KEY)
    problems = target_problems(config.targets, data)
    bucket_prefix = config.state_bucket_prefix or ctx.name("pulumi-state")
    if not BUCKET_PREFIX.match(bucket_prefix):
        problems.append(f"{KEY}.stateBucketPrefix: the default {bucket_prefix!r} is longer than 30 "
                        "characters; set a shorter prefix")
    if problems:
        raise ConfigError("Invalid stack config:\n" + "\n".join(problems))
    if not org.check_failed:  # else the org's own problem is reported and its names unknown
        resolve_ids("OU", config.targets, org.ou_ids, config.ou_ids, f"{KEY}.ouIds")

    github = config.github
    templates = [
        StackSetTemplate(
            key="github-oidc",
            stack_set_name=ctx.name("bootstrap-github-oidc"),
            description=(f"GitHub Actions OIDC deploy role for {github.owner} "
                         f"({', '.join(github.repositories)}) in every bootstrapped account")[:1024],
            template_body=GITHUB_OIDC.read_text(),
            account_global=True,
            parameters=github_oidc_parameters(
                subjects=github_subjects(github.owner, github.repositories, github.branches, github.environments),
                role_name=github.role_name or ctx.name("github-deploy"),
                policy_arns=github.policy_arns,
                workload_boundary_name=github.workload_boundary_name,
                max_session_hours=github.max_session_hours,
                create_oidc_provider=github.create_oidc_provider,
                teardown_role_pattern=TEARDOWN_ROLE_PATTERN if github.allow_ephemeral_teardown else None,
            ),
        ),
        StackSetTemplate(
            key="pulumi-state",
            stack_set_name=ctx.name("bootstrap-pulumi-state"),
            description="Pulumi state bucket and secrets provider KMS key in every bootstrapped account",
            template_body=STATE_BACKEND.read_text(),
            parameters=state_backend_parameters(bucket_prefix=bucket_prefix,
                                                retention_days=config.state_version_retention_days),
        ),
    ]
    return BootstrapPlan(config, templates, uncovered_accounts(config.targets, data))


def declare(stack: Stack, plan: BootstrapPlan, org: OrgSource) -> AccountBootstrap:
    """Declare the bootstrap StackSets for the target OUs."""
    config = plan.settings
    if plan.uncovered:
        pulumi.log.warn(
            f"{KEY}: these account requests ask for bootstrap (the default) but no target OU covers "
            f"them, so they get no bootstrap stacks: {', '.join(plan.uncovered)}. Add their OU to "
            f"{KEY}.targets, or set bootstrap: false in their request to say it is intended."
        )
    ou_ids = resolve_ids("OU", config.targets, org.ou_ids, config.ou_ids, f"{KEY}.ouIds")
    return AccountBootstrap(
        "bootstrap",
        AccountBootstrapArgs(templates=plan.templates,
                             organizational_unit_ids=[ou_ids[path] for path in config.targets],
                             regions=config.regions, home_region=config.home,
                             preferences=config.preferences,
                             # Trusted access for StackSets comes with the organization.
                             depends_on=[org.organization] if org.organization is not None else []),
    )


FEATURE: Feature[OrgSource, BootstrapPlan, AccountBootstrap] = Feature("bootstrap", check, declare)


def target_problems(targets: list[str], org: OrgData) -> list[str]:
    """Unknown, repeated or nested targets, and opted-out accounts that a target would still reach."""
    problems = []
    known = list(org.ou_paths)
    for index, target in enumerate(targets):
        where = f"{KEY}.targets[{index}] = {describe_value(target)}"
        if target not in known:
            problems.append(f"{where}: unknown OU (known: {', '.join(sorted(known)) or 'none'})")
        elif targets.index(target) != index:
            problems.append(f"{where}: listed twice")
        else:
            parent = next((t for t in targets if t != target and target.startswith(t + "/")), None)
            if parent:
                problems.append(f"{where}: already covered by target {parent!r} (nested OUs are included)")
    for account in org.accounts:
        if account.bootstrap:
            continue
        covering = next((t for t in targets if account.ou == t or account.ou.startswith(t + "/")), None)
        if covering:
            problems.append(
                f"{account.source.as_posix()}: bootstrap: false, but its OU {account.ou!r} is under "
                f"bootstrap target {covering!r}, and automatic deployment reaches every account there; "
                "move the account to an OU that is not a target, or target sibling OUs instead"
            )
    return problems


def uncovered_accounts(targets: list[str], org: OrgData) -> list[str]:
    """Accounts with ``bootstrap: true`` that no target reaches, as ``name (OU)``."""
    return [f"{a.name} ({a.ou})" for a in org.accounts
            if a.bootstrap and not any(a.ou == t or a.ou.startswith(t + "/") for t in targets)]
