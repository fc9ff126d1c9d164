"""The ``Organization`` component: organization, nested OUs, vended accounts, SCPs and account-id parameters.

Accounts are created in a bounded sequence (each group waits for the previous one) because
Organizations throttles concurrent CreateAccount requests and a burst fails part-way. In a
PRODUCTION stack accounts are protected: removing one takes two reviewed changes, first
``removable: true`` in its file (lifts protect), then deleting the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from groundwork.context import StackContext

from features.organization.adoption import imported
from org.model import AccountRequest, OrgData
from org.scp import minified

ACCESS_ROLE = "OrganizationAccountAccessRole"
# Settings AWS only reads when it creates an account. A later change must never replace (that
# is: remove or close, then re-create) an account; the root email is changed by its root user.
CREATE_ONLY = ["email", "roleName", "iamUserAccessToBilling"]


@dataclass
class OrganizationArgs:
    """Inputs of :class:`Organization`: the validated org data and how to apply it."""

    context: StackContext
    data: OrgData
    batch_size: int = 1
    close_on_deletion: bool = False
    share_account_ids: bool = False
    publish_account_ids: bool = True


def account_batches(accounts: list[AccountRequest], size: int) -> list[list[AccountRequest]]:
    """Accounts in creation groups of ``size``; each group starts when the previous one is done."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [accounts[i:i + size] for i in range(0, len(accounts), size)]


def parent_path(ou_path: str) -> str | None:
    """``Workloads/Prod`` -> ``Workloads``; a top-level OU's parent is the root (None)."""
    return ou_path.rsplit("/", 1)[0] if "/" in ou_path else None


def ou_import_ids(data: OrgData) -> dict[str, str]:
    """OU path -> the id of the existing OU, for the OUs ``python -m org adopt`` found."""
    found: dict[str, str] = {}

    def walk(nodes: list, prefix: str) -> None:
        for node in nodes:
            path = f"{prefix}/{node.name}" if prefix else node.name
            if node.import_id:
                found[path] = node.import_id
            walk(node.children, path)

    walk(data.spec.ous, "")
    return found


def account_id_parameter(ctx: StackContext, account: str) -> str:
    """SSM name that holds an account's id: ``/{stage}/{context}/<account>/account/id``."""
    return f"{ctx.ssm_prefix}{account}/account/id"


class Organization(pulumi.ComponentResource):
    """The organization of the management account, as declared by the data under ``org/``."""

    account_ids: dict[str, pulumi.Output[str]]
    ou_ids: dict[str, pulumi.Output[str]]
    root_id: pulumi.Output[str]

    def __init__(self, name: str, args: OrganizationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The root emails account files declare (adopted accounts): the policy pack accepts them.
        declared = sorted({r.email for r in args.data.accounts if r.email != args.data.spec.email_for(r.name)})
        super().__init__("groundwork:org:Organization", name, {"declaredEmails": declared}, opts)
        ctx, data, spec = args.context, args.data, args.data.spec
        keep = ctx.is_production

        self.organization = aws.organizations.Organization(
            name,
            feature_set=spec.feature_set,
            aws_service_access_principals=list(spec.service_principals),
            enabled_policy_types=list(spec.enabled_policy_types),
            opts=imported(pulumi.ResourceOptions(parent=self, protect=keep), spec.import_id, []),
        )
        self.root_id = self.organization.roots.apply(_first_root_id)
        self.ou_import_ids = ou_import_ids(data)
        self.ous = self._declare_ous(name, data)
        self.ou_ids = {path: ou.id for path, ou in self.ous.items()}
        self.accounts = self._declare_accounts(name, args, keep)
        self.account_ids = {account_name: account.id for account_name, account in self.accounts.items()}
        self.policies, self.attachments = self._declare_scps(name, ctx, data)
        self.parameters = {
            account_name: aws.ssm.Parameter(
                f"{name}-{account_name}-account-id",
                name=account_id_parameter(ctx, account_name),
                type="String",
                value=account.id,
                # RAM shares only advanced-tier parameters.
                tier="Advanced" if args.share_account_ids else "Standard",
                description=f"Account id of {account_name} ({data.account(account_name).ou})",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for account_name, account in self.accounts.items()
            if args.publish_account_ids
        }
        self.share = self._declare_share(name, ctx) if args.share_account_ids and self.parameters else None
        self.register_outputs({
            "rootId": self.root_id,
            "organizationArn": self.organization.arn,
            "accountIds": self.account_ids,
            "ouIds": self.ou_ids,
        })

    def _declare_ous(self, name: str, data: OrgData) -> dict[str, aws.organizations.OrganizationalUnit]:
        ous: dict[str, aws.organizations.OrganizationalUnit] = {}
        for path in data.ou_paths:  # parents come first
            parent = parent_path(path)
            ous[path] = aws.organizations.OrganizationalUnit(
                f"{name}-ou-{path}",
                name=path.rsplit("/", 1)[-1],
                parent_id=self.root_id if parent is None else ous[parent].id,
                opts=imported(pulumi.ResourceOptions(parent=self), self.ou_import_ids.get(path)),
            )
        return ous

    def _declare_accounts(self, name: str, args: OrganizationArgs,
                          keep: bool) -> dict[str, aws.organizations.Account]:
        accounts: dict[str, aws.organizations.Account] = {}
        previous: list[aws.organizations.Account] = []
        for batch in account_batches(args.data.accounts, args.batch_size):
            current = []
            for request in batch:
                account = aws.organizations.Account(
                    f"{name}-account-{request.name}",
                    name=request.aws_name or request.name,
                    email=request.email,
                    parent_id=self.ous[request.ou].id,
                    close_on_deletion=args.close_on_deletion,
                    role_name=ACCESS_ROLE,
                    iam_user_access_to_billing="ALLOW",
                    tags={**request.tags, "account-owner": request.owner, "organizational-unit": request.ou},
                    opts=imported(pulumi.ResourceOptions(parent=self, protect=keep and not request.removable,
                                                         depends_on=list(previous),
                                                         ignore_changes=list(CREATE_ONLY)), request.import_id),
                )
                accounts[request.name] = account
                current.append(account)
            previous = current
        return accounts

    def _declare_scps(self, name: str, ctx: StackContext, data: OrgData) -> tuple[
            dict[str, aws.organizations.Policy], list[aws.organizations.PolicyAttachment]]:
        policies: dict[str, aws.organizations.Policy] = {}
        attachments: list[aws.organizations.PolicyAttachment] = []
        for scp in data.scps:
            adopted = scp.spec.import_id is not None
            policy = aws.organizations.Policy(
                f"{name}-scp-{scp.spec.name}",
                name=scp.spec.aws_name or ctx.name(scp.spec.name)[:128],
                # An adopted SCP keeps its description, even an empty one (an import must not differ).
                description=scp.spec.description if adopted else
                scp.spec.description or f"SCP {scp.spec.name} from {scp.spec.file}",
                type="SERVICE_CONTROL_POLICY",
                content=minified(scp.document),
                # The SCP policy type is enabled by the organization resource.
                opts=imported(pulumi.ResourceOptions(parent=self, depends_on=[self.organization]),
                              scp.spec.import_id),
            )
            policies[scp.spec.name] = policy
            for target in scp.spec.targets:
                attachments.append(aws.organizations.PolicyAttachment(
                    f"{name}-scp-{scp.spec.name}-{target}",
                    policy_id=policy.id,
                    target_id=self.ous[target].id,
                    opts=imported(pulumi.ResourceOptions(parent=self),
                                  _attachment_id(scp.spec.import_id, self.ou_import_ids.get(target)), []),
                ))
        return policies, attachments

    def _declare_share(self, name: str, ctx: StackContext) -> aws.ram.ResourceShare:
        share = aws.ram.ResourceShare(
            f"{name}-account-ids",
            name=ctx.name("account-ids"),
            allow_external_principals=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for account_name, parameter in self.parameters.items():
            aws.ram.ResourceAssociation(
                f"{name}-account-ids-{account_name}",
                resource_arn=parameter.arn,
                resource_share_arn=share.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        aws.ram.PrincipalAssociation(
            f"{name}-account-ids-organization",
            principal=self.organization.arn,
            resource_share_arn=share.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return share


def _attachment_id(policy_id: str | None, target_id: str | None) -> str | None:
    """Import id of an existing SCP attachment (``<target id>:<policy id>``); None for a new one."""
    return f"{target_id}:{policy_id}" if policy_id and target_id else None


def _first_root_id(roots: list) -> str:
    root = roots[0]
    return root["id"] if isinstance(root, dict) else root.id
