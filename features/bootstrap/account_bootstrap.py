"""The AccountBootstrap component: one service-managed StackSet per template, deployed to OUs per region.

Service-managed StackSets with automatic deployment give every account that joins a targeted OU
(nested OUs included) a stack instance, and remove it when the account leaves. A template of
account-global resources (IAM roles, policies, OIDC providers: one per account, whatever the
region) is deployed to the home region only; a second region's instance would fail with
EntityAlreadyExists. Regional templates go to every region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class OperationPreferences:
    """How fast StackSets rolls out: tolerated failures, concurrency across accounts and regions."""

    failure_tolerance_percentage: int = 0
    max_concurrent_percentage: int = 25
    region_concurrency_type: str = "PARALLEL"

    def as_args(self) -> dict[str, object]:
        return {
            "failure_tolerance_percentage": self.failure_tolerance_percentage,
            "max_concurrent_percentage": self.max_concurrent_percentage,
            "region_concurrency_type": self.region_concurrency_type,
        }


@dataclass(frozen=True)
class StackSetTemplate:
    """One bootstrap template and the parameter values every stack instance gets."""

    key: str
    stack_set_name: str
    description: str
    template_body: str
    parameters: Mapping[str, str]
    # True for templates of account-global resources: one stack instance per account, in the home region.
    account_global: bool = False


@dataclass
class AccountBootstrapArgs:
    """Inputs of :class:`AccountBootstrap`."""

    templates: Sequence[StackSetTemplate]
    organizational_unit_ids: Sequence[pulumi.Input[str]]
    regions: Sequence[str]
    preferences: OperationPreferences
    # Where account-global templates are deployed; the first of ``regions`` when not given.
    home_region: str | None = None
    # What must exist first, e.g. the organization (trusted access for StackSets, the OUs).
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class AccountBootstrap(pulumi.ComponentResource):
    """Service-managed StackSets with auto deployment, and their instances on the target OUs.

    Outputs: ``stack_set_names`` and ``stack_set_arns`` by template key.
    """

    def __init__(self, name: str, args: AccountBootstrapArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:bootstrap:AccountBootstrap", name, None, opts)
        if not args.templates or not args.organizational_unit_ids or not args.regions:
            raise ValueError(f"AccountBootstrap '{name}' needs templates, target OUs and regions")
        home_region = args.home_region or args.regions[0]
        if home_region not in args.regions:
            raise ValueError(f"AccountBootstrap '{name}': home region {home_region!r} is not one of the "
                             f"regions {', '.join(args.regions)}")
        preferences = args.preferences.as_args()
        self.stack_sets: dict[str, aws.cloudformation.StackSet] = {}
        self.instances: dict[str, list[aws.cloudformation.StackSetInstance]] = {}
        for template in args.templates:
            stack_set = aws.cloudformation.StackSet(
                f"{name}-{template.key}",
                name=template.stack_set_name,
                description=template.description,
                permission_model="SERVICE_MANAGED",
                auto_deployment={"enabled": True, "retain_stacks_on_account_removal": False},
                capabilities=["CAPABILITY_NAMED_IAM"],
                template_body=template.template_body,
                parameters=dict(template.parameters),
                operation_preferences=preferences,
                managed_execution={"active": True},
                # AWS sets the administration role of service-managed StackSets itself.
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on),
                                            ignore_changes=["administrationRoleArn"]),
            )
            self.stack_sets[template.key] = stack_set
            self.instances[template.key] = [
                aws.cloudformation.StackSetInstance(
                    f"{name}-{template.key}-{region}",
                    stack_set_name=stack_set.name,
                    stack_set_instance_region=region,
                    deployment_targets={"organizational_unit_ids": list(args.organizational_unit_ids)},
                    operation_preferences=preferences,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                for region in ([home_region] if template.account_global else args.regions)
            ]
        self.stack_set_names = {key: s.name for key, s in self.stack_sets.items()}
        self.stack_set_arns = {key: s.arn for key, s in self.stack_sets.items()}
        self.register_outputs({"stackSetNames": self.stack_set_names, "stackSetArns": self.stack_set_arns})
