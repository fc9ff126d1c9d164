"""AWS service limits the event platforms check at design time, each with the page it comes from.

One place for the numbers, so a refusal message and the docs quote the same value. Checked
against the AWS documentation pages named next to each constant (titles as published).
"""

from __future__ import annotations

# "Best practices when defining rules in Amazon EventBridge": up to five targets per rule.
MAX_TARGETS_PER_RULE = 5

# "Amazon EventBridge quotas": rules per event bus, 300 by default (100 in af-south-1 and
# eu-south-1), adjustable through Service Quotas. Used as the default of a configurable guard.
DEFAULT_MAX_RULES_PER_BUS = 300
REGIONAL_RULES_PER_BUS = {"af-south-1": 100, "eu-south-1": 100}

# "Amazon EventBridge quotas": event pattern size, 2048 characters.
MAX_EVENT_PATTERN_LENGTH = 2048

# "Amazon EventBridge quotas": event bus policy size, 10,240 characters (adjustable).
MAX_BUS_POLICY_LENGTH = 10240

# "CreateApiDestination - Amazon EventBridge": HttpMethod valid values (every method except
# CONNECT and TRACE, as "API destinations as targets in Amazon EventBridge" states).
API_DESTINATION_METHODS = ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")
REFUSED_HTTP_METHODS = ("CONNECT", "TRACE")
# "Create an API destination in Amazon EventBridge": the endpoint URL must use HTTPS.
# InvocationRateLimitPerSecond: a value greater than 0; 300 is the default and the default
# per-destination invocation quota ("Amazon EventBridge quotas").
MIN_INVOCATION_RATE = 1
MAX_INVOCATION_RATE = 300
# "CreateApiDestination - Amazon EventBridge": InvocationEndpoint length 1..2048.
MAX_ENDPOINT_LENGTH = 2048

# "PutTargets" retry policy bounds (pulumi-aws EventTarget retry_policy, AWS RetryPolicy type):
# MaximumEventAgeInSeconds 60..86400, MaximumRetryAttempts 0..185. The defaults are 24 h / 185.
MIN_EVENT_AGE_SECONDS = 60
MAX_EVENT_AGE_SECONDS = 86400
MAX_RETRY_ATTEMPTS = 185

# "Creating an Amazon EventBridge archive" / EventArchive: retention in days, 0 = indefinitely.
MAX_ARCHIVE_RETENTION_DAYS = 3650  # our own guard; AWS accepts any non-negative value

# "Filter policy constraints in Amazon SNS":
MAX_FILTER_POLICY_KEYS = 5  # a filter policy can have at most five keys (for nested, parent keys)
MAX_FILTER_POLICY_COMBINATIONS = 150  # product of the number of values in each array
MAX_FILTER_POLICY_BYTES = 256 * 1024  # the maximum size of a filter policy is 256 KB
MAX_FILTER_POLICIES_PER_TOPIC = 200  # default, adjustable

# "Amazon SQS message quotas": message retention 60 s .. 14 days.
MIN_MESSAGE_RETENTION_SECONDS = 60
MAX_MESSAGE_RETENTION_SECONDS = 1209600
# "Amazon SQS dead-letter queues": maxReceiveCount 1..1000.
MAX_RECEIVE_COUNT = 1000

SOURCES = {
    "MAX_TARGETS_PER_RULE": "Best practices when defining rules in Amazon EventBridge",
    "DEFAULT_MAX_RULES_PER_BUS": "Amazon EventBridge quotas",
    "MAX_EVENT_PATTERN_LENGTH": "Amazon EventBridge quotas",
    "MAX_BUS_POLICY_LENGTH": "Amazon EventBridge quotas",
    "API_DESTINATION_METHODS": "CreateApiDestination - Amazon EventBridge",
    "MAX_INVOCATION_RATE": "Amazon EventBridge quotas",
    "MAX_FILTER_POLICY_KEYS": "Filter policy constraints in Amazon SNS",
    "MAX_FILTER_POLICY_COMBINATIONS": "Filter policy constraints in Amazon SNS",
    "MAX_FILTER_POLICY_BYTES": "Filter policy constraints in Amazon SNS",
}
