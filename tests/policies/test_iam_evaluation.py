"""The pack's IAM evaluator against evaluation examples AWS documents, with AWS's own managed
policy documents (as moto ships them) where an example names one."""

from __future__ import annotations

import json
from functools import cache

import pytest
from groundwork_policies.iam_evaluation import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Request,
    decide,
    policy_allows,
)


@cache
def _aws_managed_policies() -> dict:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def managed(name: str) -> dict:
    """An AWS managed policy document as AWS publishes it (moto's copy; never one typed here)."""
    return _aws_managed_policies()[name]["Document"]


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# --- IAM User Guide, "Permissions boundaries for IAM entities" (access_policies_boundaries) -------
# Shirley: boundary allows S3, CloudWatch and EC2; her identity policy allows iam:CreateUser only.
SHIRLEY_BOUNDARY = doc({"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"})
SHIRLEY_POLICY = doc({"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"})

# The "Delegating responsibility to others" example: María bounds Zhang, who creates users.
X_COMPANY_BOUNDARIES = doc(
    {"Sid": "ServiceBoundaries", "Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*", "dynamodb:*"],
     "Resource": "*"},
    {"Sid": "AllowIAMConsoleForCredentials", "Effect": "Allow",
     "Action": ["iam:ListUsers", "iam:GetAccountPasswordPolicy"], "Resource": "*"},
    {"Sid": "AllowManageOwnPasswordAndAccessKeys", "Effect": "Allow",
     "Action": ["iam:*AccessKey*", "iam:ChangePassword", "iam:GetUser", "iam:*ServiceSpecificCredential*",
                "iam:*SigningCertificate*"],
     "Resource": ["arn:aws:iam::*:user/${aws:username}"]},
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]},
    {"Sid": "DenyEC2Production", "Effect": "Deny", "Action": "ec2:*",
     "Resource": "arn:aws:ec2:*:*:instance/i-1234567890abcdef0"},
)
X_COMPANY_ARN = "arn:aws:iam::111122223333:policy/XCompanyBoundaries"
DELEGATED_USER_BOUNDARY = doc(
    {"Sid": "CreateOrChangeOnlyWithBoundary", "Effect": "Allow",
     "Action": ["iam:CreateUser", "iam:DeleteUserPolicy", "iam:AttachUserPolicy", "iam:DetachUserPolicy",
                "iam:PutUserPermissionsBoundary"],
     "Resource": "*", "Condition": {"StringEquals": {"iam:PermissionsBoundary": X_COMPANY_ARN}}},
    {"Sid": "CloudWatchAndOtherIAMTasks", "Effect": "Allow",
     "Action": ["cloudwatch:*", "iam:GetUser", "iam:ListUsers", "iam:DeleteUser", "iam:UpdateUser",
                "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:GetAccountPasswordPolicy",
                "iam:GetLoginProfile", "iam:*Group*", "iam:CreatePolicy", "iam:DeletePolicy",
                "iam:DeletePolicyVersion", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetUserPolicy",
                "iam:GetRolePolicy", "iam:ListPolicies", "iam:ListPolicyVersions", "iam:ListEntitiesForPolicy",
                "iam:ListUserPolicies", "iam:ListAttachedUserPolicies", "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies", "iam:PutUserPolicy", "iam:SetDefaultPolicyVersion",
                "iam:SimulatePrincipalPolicy", "iam:SimulateCustomPolicy"],
     "Resource": "*"},
    {"Sid": "NoBoundaryPolicyEdit", "Effect": "Deny",
     "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"],
     "Resource": ["arn:aws:iam::123456789012:policy/XCompanyBoundaries",
                  "arn:aws:iam::123456789012:policy/DelegatedUserBoundary"]},
    {"Sid": "NoBoundaryUserDelete", "Effect": "Deny", "Action": "iam:DeleteUserPermissionsBoundary", "Resource": "*"},
)
DELEGATED_USER_PERMISSIONS = doc(
    {"Sid": "IAM", "Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Sid": "CloudWatchLimited", "Effect": "Allow",
     "Action": ["cloudwatch:GetDashboard", "cloudwatch:GetMetricData", "cloudwatch:ListDashboards",
                "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics"], "Resource": "*"},
    {"Sid": "S3BucketContents", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::ZhangBucket"},
)
NIKHIL = "arn:aws:iam::111122223333:user/Nikhil"


@pytest.mark.parametrize(("request_", "expected"), [
    # "Shirley tries to create a user, the operation fails ... the boundary does not allow iam:CreateUser"
    (Request("iam:CreateUser", "arn:aws:iam::111122223333:user/new"), IMPLICIT_DENY),
    (Request("s3:GetObject", "arn:aws:s3:::data/x"), IMPLICIT_DENY),  # the boundary grants nothing alone
])
def test_shirley_boundary_caps_her_identity_policy(request_, expected):
    assert decide(request_, [SHIRLEY_POLICY], SHIRLEY_BOUNDARY) == expected


@pytest.mark.parametrize(("request_", "expected"), [
    # Zhang creates Nikhil without the boundary: "The operation fails and access is denied".
    (Request("iam:CreateUser", NIKHIL), IMPLICIT_DENY),
    # ... with XCompanyBoundaries as the boundary: "The user is created".
    (Request("iam:CreateUser", NIKHIL, {"iam:PermissionsBoundary": X_COMPANY_ARN}), ALLOWED),
    (Request("iam:CreateUser", NIKHIL, {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}),
     IMPLICIT_DENY),
    # "NoBoundaryUserDelete denies Zhang access to delete the permissions boundary"
    (Request("iam:DeleteUserPermissionsBoundary", NIKHIL, {"iam:PermissionsBoundary": X_COMPANY_ARN}),
     EXPLICIT_DENY),
    # "NoBoundaryPolicyEdit denies Zhang access to update the XCompanyBoundaries policy"
    (Request("iam:DeletePolicy", "arn:aws:iam::123456789012:policy/XCompanyBoundaries"), EXPLICIT_DENY),
    (Request("iam:DeletePolicy", "arn:aws:iam::123456789012:policy/TeamPolicy"), ALLOWED),
    # CloudWatch: limited by his permissions policy (five actions) ...
    (Request("cloudwatch:GetDashboard", "*"), ALLOWED),
    (Request("cloudwatch:PutDashboard", "*"), IMPLICIT_DENY),
    # ... S3: "his permissions boundary does not allow any Amazon S3 action"
    (Request("s3:ListBucket", "arn:aws:s3:::ZhangBucket"), IMPLICIT_DENY),
])
def test_zhang_delegated_user_creation(request_, expected):
    assert decide(request_, [DELEGATED_USER_PERMISSIONS], DELEGATED_USER_BOUNDARY) == expected


@pytest.mark.parametrize(("request_", "expected"), [
    # "he can change his own password in IAM but can't create another user or edit his policies"
    (Request("iam:ChangePassword", NIKHIL, {"aws:username": "Nikhil"}), ALLOWED),
    (Request("iam:ChangePassword", "arn:aws:iam::111122223333:user/Zhang", {"aws:username": "Nikhil"}), IMPLICIT_DENY),
    (Request("iam:CreateUser", "arn:aws:iam::111122223333:user/other", {"aws:username": "Nikhil"}), IMPLICIT_DENY),
    (Request("iam:PutUserPolicy", NIKHIL, {"aws:username": "Nikhil"}), IMPLICIT_DENY),
    # "Nikhil has read-only access to all the buckets ... even if ... the logs bucket, he cannot view it"
    (Request("s3:GetObject", "arn:aws:s3:::nikhil-reports/q1.csv"), ALLOWED),
    (Request("s3:PutObject", "arn:aws:s3:::nikhil-reports/q1.csv"), IMPLICIT_DENY),
    (Request("s3:GetObject", "arn:aws:s3:::logs/2026/01.log"), EXPLICIT_DENY),
    (Request("ec2:StopInstances", "arn:aws:ec2:us-east-1:111122223333:instance/i-1234567890abcdef0"), EXPLICIT_DENY),
])
def test_nikhil_with_aws_managed_policies_under_the_company_boundary(request_, expected):
    identity = [managed("IAMFullAccess"), managed("AmazonS3ReadOnlyAccess")]
    assert decide(request_, identity, X_COMPANY_BOUNDARIES) == expected


# --- IAM User Guide, "Multivalued context key examples": Deny with ForAllValues:StringNotLike -----
DENY_RESTRICTED_TAGS = doc(
    {"Sid": "DenyRestrictedTags", "Effect": "Deny", "Action": ["iam:Tag*", "iam:UnTag*"], "Resource": ["*"],
     "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}},
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},  # "combine ... with other policies that allow"
)


@pytest.mark.parametrize(("tag_keys", "expected"), [
    (["key1:legal"], ALLOWED),  # no match
    (["key1:hr", "key1:personnel"], ALLOWED),  # no match
    (["key2:audit"], EXPLICIT_DENY),  # match
    (None, EXPLICIT_DENY),  # "no aws:TagKeys in the request context": match
])
def test_for_all_values_with_a_negated_operator(tag_keys, expected):
    context = {"aws:TagKeys": tag_keys} if tag_keys is not None else {}
    assert decide(Request("iam:TagRole", "arn:aws:iam::111122223333:role/r", context), [DENY_RESTRICTED_TAGS]) == expected


# --- IAM User Guide, "Condition operators": an absent key makes a condition false, a negated
# operator true; ...IfExists and Null test whether the key exists.
@pytest.mark.parametrize(("condition", "context", "matches"), [
    ({"StringEquals": {"aws:PrincipalTag/team": "a"}}, {}, False),
    ({"StringNotEquals": {"aws:PrincipalTag/team": "a"}}, {}, True),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}, {}, True),
    ({"StringEqualsIfExists": {"aws:PrincipalTag/team": "a"}}, {}, True),
    ({"StringEqualsIfExists": {"aws:PrincipalTag/team": "a"}}, {"aws:PrincipalTag/team": "b"}, False),
    ({"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    ({"Null": {"aws:TokenIssueTime": "false"}}, {}, False),
    # "multiple values for a context key ... logical OR"; negated: "logical NOR"
    ({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}, {"aws:RequestedRegion": "eu-central-1"},
     True),
    ({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}},
     {"aws:RequestedRegion": "eu-central-1"}, False),
    # "multiple context keys ... a single condition operator ... logical AND"
    ({"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": "a"}},
     {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": "b"}, False),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/groundwork-teardown-*"}},
     {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/groundwork-teardown-feature-x"}, True),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/groundwork-teardown-*"}},
     {"aws:PrincipalArn": "arn:aws:iam::210987654321:role/groundwork-teardown-feature-x"}, False),
    # "The ForAllValues set operator also returns true if there are no context keys in the request"
    ({"ForAllValues:StringLike": {"aws:TagKeys": "key1*"}}, {}, True),
    ({"ForAnyValue:StringLike": {"aws:TagKeys": "key1*"}}, {}, False),
    ({"ForAnyValue:StringLike": {"aws:TagKeys": "key1*"}}, {"aws:TagKeys": ["key2", "key1-a"]}, True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, False),
])
def test_condition_operators(condition, context, matches):
    policy = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": condition})
    assert policy_allows(policy, Request("s3:ListBucket", "arn:aws:s3:::b", context)) is matches


def test_actions_match_without_case_resources_with_case_and_not_resource_excludes():
    policy = doc({"Effect": "Allow", "Action": "S3:getobject", "NotResource": "arn:aws:s3:::secret/*"})
    assert policy_allows(policy, Request("s3:GetObject", "arn:aws:s3:::public/x"))
    assert not policy_allows(policy, Request("s3:GetObject", "arn:aws:s3:::secret/x"))
    bucket = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::Data/*"})
    assert not policy_allows(bucket, Request("s3:GetObject", "arn:aws:s3:::data/x"))


def test_aws_managed_power_user_boundary_denies_what_a_deploy_role_needs():
    """Issue 12, defect 2 as shipped: AdministratorAccess under the PowerUserAccess boundary."""
    identity, boundary = [managed("AdministratorAccess")], managed("PowerUserAccess")
    role = "arn:aws:iam::123456789012:role/orders-dev-pipe"
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:PassRole", "iam:DeleteRole", "iam:DeleteRolePolicy"):
        assert decide(Request(action, role), identity, boundary) == IMPLICIT_DENY, action
    assert decide(Request("iam:CreateServiceLinkedRole", role), identity, boundary) == ALLOWED
    assert decide(Request("sqs:CreateQueue", "*"), identity, boundary) == ALLOWED
