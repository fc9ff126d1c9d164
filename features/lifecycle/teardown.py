"""Teardown of EPHEMERAL stacks: a one-time schedule that runs `pulumi destroy` at lease end.

EventBridge Scheduler fires once at ``expires-at`` (and deletes itself), starting a CodeBuild
build that logs in to the stack's backend and destroys the stack with a deploy role it assumes.
Every deploy moves the schedule, so each ``pulumi up`` extends the lease.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
from groundwork.context import NAMESPACE, StackContext
from groundwork.errors import ConfigError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from features.settings import parse_settings

BUILDSPEC = (Path(__file__).parent / "buildspec.yml").read_text()
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$")
BACKEND_URL = re.compile(r"^(s3://[a-z0-9.-]{3,63}(/.*)?(\?.*)?|https://\S+|file://\S+)$")
CODEBUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
# Every teardown build role is named with this prefix, so the bootstrap's deploy role can trust
# exactly these roles of its own account (TeardownRoleNamePattern ``groundwork-teardown-*``).
BUILD_ROLE_PREFIX = "groundwork-teardown-"
DEFAULT_PROJECT = "groundwork"
ROLE_NAME_MAX = 64
HASH_LENGTH = 8
READABLE = re.compile(r"^[a-z0-9._-]+$")


class TeardownSettings(BaseModel):
    """``groundwork:teardown`` — what the teardown build needs to reach and decrypt the stack."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    backend_url: str = Field(alias="backendUrl", description="pulumi login URL of the stack's backend")
    deploy_role_arn: str = Field(alias="deployRoleArn", description="role the build assumes to destroy")
    access_token_secret_arn: str | None = Field(default=None, alias="accessTokenSecretArn")
    passphrase_secret_arn: str | None = Field(default=None, alias="passphraseSecretArn")
    pulumi_version: str = Field(default="3.272.0", alias="pulumiVersion", pattern=r"^\d+\.\d+\.\d+$")

    @field_validator("backend_url")
    @classmethod
    def _backend(cls, value: str) -> str:
        if not BACKEND_URL.match(value):
            raise ValueError("must be an s3://bucket[/prefix], https:// (Pulumi Cloud) or file:// URL")
        return value

    @field_validator("deploy_role_arn")
    @classmethod
    def _role(cls, value: str) -> str:
        if not ROLE_ARN.match(value):
            raise ValueError("must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        return value

    @field_validator("access_token_secret_arn", "passphrase_secret_arn")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and not SECRET_ARN.match(value):
            raise ValueError("must be a Secrets Manager secret ARN")
        return value

    @classmethod
    def from_config(cls, raw: object) -> TeardownSettings:
        if not isinstance(raw, dict):
            raise ConfigError(
                f"Invalid stack config:\n{NAMESPACE}:teardown is required for usage EPHEMERAL: an "
                "object with backendUrl and deployRoleArn (see README, 'Ephemeral stacks')"
            )
        return parse_settings(cls, raw, f"{NAMESPACE}:teardown")


@dataclass
class TeardownArgs:
    """Inputs of :class:`EphemeralTeardown`."""

    context: StackContext
    settings: TeardownSettings
    project: str
    stack: str


class EphemeralTeardown(pulumi.ComponentResource):
    """Destroys this stack when its lease ends: Scheduler at(...) -> CodeBuild `pulumi destroy`."""

    def __init__(self, name: str, args: TeardownArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:lifecycle:EphemeralTeardown", name, None, opts)
        ctx, settings = args.context, args.settings
        if not ctx.is_ephemeral or ctx.expires_at is None:
            raise ConfigError(f"EphemeralTeardown '{name}' is only for stacks with usage EPHEMERAL")
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self)).account_id
        project_name = ctx.name("teardown", args.stack)[:150]
        role_name = build_role_name(args.project, args.stack)
        account_id.apply(lambda account: _warn_if_other_account(self, account, settings.deploy_role_arn, role_name))
        if ctx.role_boundary is None:
            pulumi.log.warn(
                f"{NAMESPACE}:roleBoundary is not set, so this stack's roles carry no permissions boundary: the "
                "bootstrap's deploy role creates and deletes only roles with its workload boundary, so with it "
                "as the teardown's deploy role the deploy and the teardown fail with AccessDenied. Set "
                f"{NAMESPACE}:roleBoundary: groundwork-workload-boundary (or ignore this for another deploy role)",
                resource=self,
            )

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/codebuild/{project_name}", retention_in_days=14, opts=child
        )
        self.build_role = aws.iam.Role(
            f"{name}-build-role",
            name=role_name,
            description=f"Runs pulumi destroy for stack {args.stack}",
            assume_role_policy=_service_trust("codebuild.amazonaws.com", account_id),
            opts=child,
        )
        secrets = [s for s in (settings.access_token_secret_arn, settings.passphrase_secret_arn) if s]
        self.build_policy = aws.iam.RolePolicy(
            f"{name}-build-policy",
            role=self.build_role.id,
            policy=pulumi.Output.all(self.log_group.arn).apply(
                lambda a: json.dumps(_build_policy(a[0], settings.deploy_role_arn, secrets))
            ),
            opts=child,
        )
        env = [
            {"name": "PULUMI_VERSION", "value": settings.pulumi_version},
            {"name": "PULUMI_BACKEND_URL", "value": settings.backend_url},
            {"name": "PULUMI_PROJECT", "value": args.project},
            {"name": "PULUMI_STACK", "value": args.stack},
            {"name": "PULUMI_STACK_NAME", "value": args.stack.rsplit("/", 1)[-1][:40]},
            {"name": "DEPLOY_ROLE_ARN", "value": settings.deploy_role_arn},
            {"name": "PULUMI_SKIP_UPDATE_CHECK", "value": "true"},
        ]
        if settings.access_token_secret_arn:
            env.append({"name": "PULUMI_ACCESS_TOKEN", "type": "SECRETS_MANAGER",
                        "value": settings.access_token_secret_arn})
        if settings.passphrase_secret_arn:
            env.append({"name": "PULUMI_CONFIG_PASSPHRASE", "type": "SECRETS_MANAGER",
                        "value": settings.passphrase_secret_arn})
        self.project = aws.codebuild.Project(
            f"{name}-project",
            name=project_name,
            description=f"Destroys Pulumi stack {args.project}/{args.stack} when its lease ends",
            service_role=self.build_role.arn,
            build_timeout=60,
            source={"type": "NO_SOURCE", "buildspec": BUILDSPEC},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "compute_type": "BUILD_GENERAL1_SMALL",
                "image": CODEBUILD_IMAGE,
                "type": "LINUX_CONTAINER",
                "environment_variables": env,
            },
            logs_config={"cloudwatch_logs": {"group_name": self.log_group.name, "status": "ENABLED"}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.build_policy]),
        )
        self.scheduler_role = aws.iam.Role(
            f"{name}-scheduler-role",
            description=f"Lets EventBridge Scheduler start the teardown of {args.stack}",
            assume_role_policy=_service_trust("scheduler.amazonaws.com", account_id),
            opts=child,
        )
        self.scheduler_policy = aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=self.scheduler_role.id,
            policy=self.project.arn.apply(
                lambda arn: json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "codebuild:StartBuild", "Resource": arn}],
                })
            ),
            opts=child,
        )
        self.expires_at = ctx.expires_at_iso
        self.schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name=ctx.name("teardown", args.stack.rsplit("/", 1)[-1])[:64],
            description=f"Destroy stack {args.stack} at the end of its {ctx.ttl_hours}h lease",
            schedule_expression=f"at({ctx.expires_at.strftime('%Y-%m-%dT%H:%M:%S')})",
            schedule_expression_timezone="UTC",
            flexible_time_window={"mode": "OFF"},
            action_after_completion="DELETE",
            target={
                "arn": self.project.arn,
                "role_arn": self.scheduler_role.arn,
                "retry_policy": {"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 3},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.scheduler_policy]),
        )
        self.register_outputs({"expiresAt": self.expires_at, "scheduleName": self.schedule.name,
                               "projectName": self.project.name, "buildRoleArn": self.build_role.arn})


def build_role_name(project: str, stack: str) -> str:
    """``groundwork-teardown-<stack>``: a fixed, per-stack IAM role name a trust policy can match.

    IAM role names are unique per account regardless of case and allow at most 64 characters of
    ``[\\w+=,.@-]``. A lower-case stack name of this project that fits is used as is; any other
    (too long, upper case, another project) is cut and gets ``-<hash of project/stack>``, so two
    stacks deployed to one account do not share a role.
    """
    stack_name = stack.rsplit("/", 1)[-1]
    if (project == DEFAULT_PROJECT and READABLE.match(stack_name)
            and len(BUILD_ROLE_PREFIX) + len(stack_name) <= ROLE_NAME_MAX):
        return BUILD_ROLE_PREFIX + stack_name
    digest = hashlib.sha256(f"{project}/{stack_name}".encode()).hexdigest()[:HASH_LENGTH]
    readable = stack_name if project == DEFAULT_PROJECT else f"{project}-{stack_name}"
    room = ROLE_NAME_MAX - len(BUILD_ROLE_PREFIX) - len(digest) - 1
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", readable.lower())[:room].strip("-._") or "stack"
    return f"{BUILD_ROLE_PREFIX}{cleaned}-{digest}"


def _warn_if_other_account(owner: pulumi.Resource, account: str, deploy_role_arn: str, role_name: str) -> None:
    """The bootstrap deploy role trusts teardown roles of its own account only: say so early."""
    partition, deploy_account = deploy_role_arn.split(":")[1], deploy_role_arn.split(":")[4]
    if account and deploy_account != account:
        pulumi.log.warn(
            f"{NAMESPACE}:teardown.deployRoleArn is in account {deploy_account}, this stack in {account}: the "
            "bootstrap's deploy role trusts only teardown roles of its own account, so the teardown will "
            f"fail unless that role's trust policy allows arn:{partition}:iam::{account}:role/{role_name}",
            resource=owner,
        )


def _service_trust(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust policy for an AWS service principal, limited to this account (confused deputy)."""
    return pulumi.Output.from_input(account_id).apply(
        lambda account: json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }],
        })
    )


def _build_policy(log_group_arn: str, deploy_role_arn: str, secret_arns: list[str]) -> dict:
    statements = [
        {"Sid": "WriteBuildLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:*"},
        {"Sid": "AssumeDeployRole", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": deploy_role_arn},
    ]
    if secret_arns:
        statements.append({"Sid": "ReadBackendSecrets", "Effect": "Allow",
                           "Action": "secretsmanager:GetSecretValue", "Resource": secret_arns})
    return {"Version": "2012-10-17", "Statement": statements}
