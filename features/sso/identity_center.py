"""The IAM Identity Center component: what ``org/sso.yaml`` declares, as identity store and SSO resources."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from features.organization.adoption import imported
from org.sso import PermissionSet, SsoData

PRINCIPAL_TYPE = "GROUP"
TARGET_TYPE = "AWS_ACCOUNT"


@dataclass
class IdentityCenterArgs:
    """Inputs of :class:`IdentityCenter`: the organization instance and the validated SSO data."""

    instance_arn: str
    identity_store_id: str
    sso: SsoData
    account_ids: Mapping[str, pulumi.Input[str]]
    # What must exist first, e.g. the organization (trusted access for IAM Identity Center).
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    # Account name -> id of the accounts that existed before (adopted): their assignments are imported.
    account_import_ids: Mapping[str, str] = field(default_factory=dict)


class IdentityCenter(pulumi.ComponentResource):
    """Identity store groups, permission sets with their policies, and one assignment per grant.

    Outputs: ``group_ids`` (group name -> identity store group id) and ``permission_set_arns``
    (permission set name -> ARN).
    """

    def __init__(self, name: str, args: IdentityCenterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("groundwork:sso:IdentityCenter", name, None, opts)
        missing = [a for a in args.sso.accounts if a not in args.account_ids]
        if missing:
            raise ValueError(f"IdentityCenter '{name}': no account id for {', '.join(missing)}")
        self._after = list(args.depends_on)
        self.groups = {
            group.name: aws.identitystore.Group(
                f"{name}-group-{_slug(group.name)}",
                identity_store_id=args.identity_store_id,
                display_name=group.name,
                description=group.description or None,
                opts=imported(pulumi.ResourceOptions(parent=self, depends_on=self._after),
                              f"{args.identity_store_id}/{group.import_id}" if group.import_id else None, []),
            )
            for group in args.sso.groups
        }
        group_ids = {group.name: group.import_id for group in args.sso.groups}
        permission_set_arns = {ps.name: ps.import_id for ps in args.sso.permission_sets}
        self.permission_sets: dict[str, aws.ssoadmin.PermissionSet] = {}
        attachments: dict[str, list[pulumi.Resource]] = {}
        for permission_set in args.sso.permission_sets:
            resource, attached = self._permission_set(name, args.instance_arn, permission_set)
            self.permission_sets[permission_set.name] = resource
            attachments[permission_set.name] = attached

        self.assignments: list[aws.ssoadmin.AccountAssignment] = []
        for grant in args.sso.assignments:
            self.assignments.append(aws.ssoadmin.AccountAssignment(
                f"{name}-assign-{_slug(grant.group)}-{_slug(grant.permission_set)}-{grant.account}",
                instance_arn=args.instance_arn,
                permission_set_arn=self.permission_sets[grant.permission_set].arn,
                principal_id=self.groups[grant.group].group_id,
                principal_type=PRINCIPAL_TYPE,
                target_id=args.account_ids[grant.account],
                target_type=TARGET_TYPE,
                # Policies first, so the role IAM Identity Center provisions is complete.
                opts=imported(pulumi.ResourceOptions(parent=self,
                                                     depends_on=[*self._after, *attachments[grant.permission_set]]),
                              _assignment_id(group_ids[grant.group], args.account_import_ids.get(grant.account),
                                             permission_set_arns[grant.permission_set], args.instance_arn), []),
            ))

        self.group_ids = {group: resource.group_id for group, resource in self.groups.items()}
        self.permission_set_arns = {ps: resource.arn for ps, resource in self.permission_sets.items()}
        self.register_outputs({
            "groupIds": self.group_ids,
            "permissionSetArns": self.permission_set_arns,
            "assignmentCount": len(self.assignments),
        })

    def _permission_set(self, name: str, instance_arn: str, spec: PermissionSet
                        ) -> tuple[aws.ssoadmin.PermissionSet, list[pulumi.Resource]]:
        """One permission set and every policy attached to it."""
        prefix = f"{name}-ps-{_slug(spec.name)}"
        child = pulumi.ResourceOptions(parent=self, depends_on=self._after)
        # An adopted permission set imports it and every policy attached to it (ids: "<...>,<ps>,<instance>").
        suffix = f"{spec.import_id},{instance_arn}" if spec.import_id else None

        def adopted(prefix_id: str | None = None) -> pulumi.ResourceOptions:
            return imported(child, None if suffix is None else
                            (f"{prefix_id},{suffix}" if prefix_id else suffix), [])

        permission_set = aws.ssoadmin.PermissionSet(
            prefix,
            instance_arn=instance_arn,
            name=spec.name,
            description=spec.description or None,
            session_duration=spec.session_duration,
            relay_state=spec.relay_state,
            opts=imported(child, suffix),
        )
        attached: list[pulumi.Resource] = []
        for arn in spec.managed_policies:
            attached.append(aws.ssoadmin.ManagedPolicyAttachment(
                f"{prefix}-managed-{_slug(arn.rsplit('/', 1)[-1])}",
                instance_arn=instance_arn,
                permission_set_arn=permission_set.arn,
                managed_policy_arn=arn,
                opts=adopted(arn),
            ))
        for reference in spec.customer_managed_policies:
            attached.append(aws.ssoadmin.CustomerManagedPolicyAttachment(
                f"{prefix}-customer-{_slug(reference.name)}",
                instance_arn=instance_arn,
                permission_set_arn=permission_set.arn,
                customer_managed_policy_reference={"name": reference.name, "path": reference.path},
                opts=adopted(f"{reference.name},{reference.path}"),
            ))
        if spec.inline_policy_json:
            attached.append(aws.ssoadmin.PermissionSetInlinePolicy(
                f"{prefix}-inline",
                instance_arn=instance_arn,
                permission_set_arn=permission_set.arn,
                inline_policy=spec.inline_policy_json,
                opts=adopted(),
            ))
        boundary = spec.permissions_boundary
        if boundary is not None:
            if boundary.managed_policy_arn:
                target: dict = {"managed_policy_arn": boundary.managed_policy_arn}
            else:
                reference = boundary.customer_managed_policy
                assert reference is not None  # the model requires exactly one of the two
                target = {"customer_managed_policy_reference": {"name": reference.name, "path": reference.path}}
            attached.append(aws.ssoadmin.PermissionsBoundaryAttachment(
                f"{prefix}-boundary",
                instance_arn=instance_arn,
                permission_set_arn=permission_set.arn,
                permissions_boundary=target,
                opts=adopted(),
            ))
        return permission_set, attached


def _assignment_id(group_id: str | None, account_id: str | None, permission_set_arn: str | None,
                   instance_arn: str) -> str | None:
    """Import id of an assignment between adopted objects; None when any of them is new."""
    if not (group_id and account_id and permission_set_arn):
        return None
    return f"{group_id},{PRINCIPAL_TYPE},{account_id},{TARGET_TYPE},{permission_set_arn},{instance_arn}"


def _slug(value: str) -> str:
    """A group, permission set or policy name as part of a logical name (spaces become '-')."""
    return re.sub(r"\s+", "-", value.strip())
