"""resource-policy-public-principal on bucket policies AWS publishes as examples.

Source: awsdocs/amazon-s3-developer-guide, doc_source/example-bucket-policies.md at commit
1009d96d5e03c23d111cecdc8dc539c1915722d9 ("Bucket Policy Examples"); the documents below are
those examples as printed there (bucket name examplebucket, account ids as in the guide).
"""

from __future__ import annotations

import json

import pytest

from tests.policies.corpus.builders import DEV, res

EXAMPLES = {
    # "Granting Read-Only Permission to an Anonymous User": public by design.
    "anonymous-read": ({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
        "Resource": ["arn:aws:s3:::examplebucket/*"]}]}, ["'PublicRead'"]),
    # "Adding a Bucket Policy to Require MFA", second policy: the Allow to everyone has no condition.
    "mfa-plus-public-read": ({"Version": "2012-10-17", "Id": "123", "Statement": [
        {"Sid": "", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": "arn:aws:s3:::examplebucket/taxdocuments/*",
         "Condition": {"Null": {"aws:MultiFactorAuthAge": True}}},
        {"Sid": "", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
         "Resource": "arn:aws:s3:::examplebucket/*"}]}, ["#1"]),
    # "Granting Permissions to Multiple Accounts with Added Conditions": named accounts.
    "multiple-accounts": ({"Version": "2012-10-17", "Statement": [{
        "Sid": "AddCannedAcl", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]},
        "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": ["arn:aws:s3:::examplebucket/*"],
        "Condition": {"StringEquals": {"s3:x-amz-acl": ["public-read"]}}}]}, []),
    # "Allowing IPv4 and IPv6 Addresses": everyone, but only from these networks.
    "ip-mix": ({"Id": "PolicyId2", "Version": "2012-10-17", "Statement": [{
        "Sid": "AllowIPmix", "Effect": "Allow", "Principal": "*", "Action": "s3:*",
        "Resource": "arn:aws:s3:::examplebucket/*",
        "Condition": {"IpAddress": {"aws:SourceIp": ["54.240.143.0/24", "2001:DB8:1234:5678::/64"]},
                      "NotIpAddress": {"aws:SourceIp": ["54.240.143.128/30", "2001:DB8:1234:5678:ABCD::/80"]}}}]},
               []),
    # "Restricting Access to a Specific HTTP Referer", with the explicit deny.
    "referer": ({"Version": "2012-10-17", "Id": "http referer policy example", "Statement": [
        {"Sid": "Allow get requests referred by www.example.com and example.com.", "Effect": "Allow",
         "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::examplebucket/*",
         "Condition": {"StringLike": {"aws:Referer": ["http://www.example.com/*", "http://example.com/*"]}}},
        {"Sid": "Explicit deny to ensure requests are allowed only from specific referer.", "Effect": "Deny",
         "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::examplebucket/*",
         "Condition": {"StringNotLike": {"aws:Referer": ["http://www.example.com/*", "http://example.com/*"]}}}]},
                []),
    # "Granting Permission to an Amazon CloudFront Origin Identity".
    "cloudfront-oai": ({"Version": "2012-10-17", "Id": "PolicyForCloudFrontPrivateContent", "Statement": [{
        "Sid": " Grant a CloudFront Origin Identity access to support private content", "Effect": "Allow",
        "Principal": {"CanonicalUser": "CloudFront Origin Identity Canonical User ID"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::examplebucket/*"}]}, []),
}


@pytest.mark.parametrize("example", EXAMPLES)
def test_aws_example_bucket_policies(packs, example):
    document, public = EXAMPLES[example]
    pack = packs.get(DEV)
    pack.configure()
    pack.configure_stack()
    policy = res("aws:s3/bucketPolicy:BucketPolicy", "policy", {"bucket": "examplebucket",
                                                                "policy": json.dumps(document)})
    found = [d for d in pack.analyze(policy) if d.policy_name == "resource-policy-public-principal"]
    if not public:
        assert found == []
    else:
        [finding] = found
        assert f"statement(s) {', '.join(public)} allow Principal '*'" in finding.message
