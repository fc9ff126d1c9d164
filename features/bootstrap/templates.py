"""The bootstrap CloudFormation templates shipped in ``templates/`` and their parameter values."""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
GITHUB_OIDC = TEMPLATES / "github-oidc-deploy-role.yaml"
STATE_BACKEND = TEMPLATES / "pulumi-state-backend.yaml"


def github_subjects(owner: str, repositories: list[str], branches: list[str],
                    environments: list[str]) -> list[str]:
    """The OIDC ``sub`` claims to trust: every repository x (branch refs + deployment environments)."""
    subjects = []
    for repository in repositories:
        subjects += [f"repo:{owner}/{repository}:ref:refs/heads/{branch}" for branch in branches]
        subjects += [f"repo:{owner}/{repository}:environment:{env}" for env in environments]
    return subjects


def github_oidc_parameters(*, subjects: list[str], role_name: str, policy_arns: list[str],
                           workload_boundary_name: str, max_session_hours: int,
                           create_oidc_provider: bool, teardown_role_pattern: str | None) -> dict[str, str]:
    """Values for every parameter of the GitHub OIDC template (lists comma-joined).

    ``teardown_role_pattern`` names the roles of the same account that may also assume the deploy
    role (the ephemeral-stack teardown builds); ``None`` leaves GitHub Actions the only principal.
    """
    return {
        "CreateOidcProvider": "true" if create_oidc_provider else "false",
        "AllowedSubjects": ",".join(subjects),
        "DeployRoleName": role_name,
        "DeployRolePolicyArns": ",".join(policy_arns),
        "WorkloadBoundaryName": workload_boundary_name,
        "MaxSessionDurationSeconds": str(max_session_hours * 3600),
        "TeardownRoleNamePattern": teardown_role_pattern or "",
    }


def state_backend_parameters(*, bucket_prefix: str, retention_days: int) -> dict[str, str]:
    """Values for every parameter of the Pulumi state backend template."""
    return {"BucketNamePrefix": bucket_prefix, "NoncurrentVersionRetentionDays": str(retention_days)}
