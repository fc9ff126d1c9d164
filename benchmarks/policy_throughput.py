"""Throughput of the Groundwork policy pack over the analyzer protocol vs a one-policy no-op pack.

Both packs run as the CLI runs them (``python -m pulumi.policy``) and receive the same 5,000
varied resources the way the engine sends a preview: ``Analyze`` per resource, then
``AnalyzeStack`` per stack of 100 resources. Prints resources/s for each pack and the ratio
(target: the Groundwork pack >= 50% of the no-op pack). Run from the repository root:

    python benchmarks/policy_throughput.py [--resources 5000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from org.plan.analyzer import (  # noqa: E402
    UNKNOWN,
    PolicyPackProcess,
    ProviderDescription,
    ResourceDescription,
    make_urn,
)

CONFIG = {"aws:region": "eu-west-1", "groundwork:context": "shop", "groundwork:stage": "dev",
          "groundwork:owner": "team-shop@example.com", "groundwork:usage": "POC"}
TAGS = {"context": "shop", "stage": "dev", "owner": "team-shop@example.com", "usage": "POC"}
ACCOUNT = "123456789012"
PROVIDER = ProviderDescription(urn=make_urn("groundwork", "dev", "pulumi:providers:aws", "default"),
                               inputs={"region": "eu-west-1", "defaultTags": json.dumps({"tags": {"cost": "42"}})})
STACK_SIZE = 100


def _resource(i: int) -> list[ResourceDescription]:
    """A small group of related resources; which kind depends on ``i``."""
    n = f"r{i}"
    name = f"shop-dev-{n}"
    tags = dict(TAGS, component=n)
    kind = i % 10
    if kind == 0:
        bucket = ResourceDescription("aws:s3/bucket:Bucket", n, {"bucket": name, "forceDestroy": True, "tags": tags})
        bucket.urn = make_urn("groundwork", "dev", bucket.type, n)
        deps = [bucket.urn]
        return [
            bucket,
            ResourceDescription("aws:s3/bucketServerSideEncryptionConfiguration:"
                                "BucketServerSideEncryptionConfiguration", f"{n}-sse",
                                {"bucket": UNKNOWN, "rules": [{"applyServerSideEncryptionByDefault":
                                                               {"sseAlgorithm": "aws:kms"}}]},
                                dependencies=deps),
            ResourceDescription("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{n}-pab",
                                {"bucket": UNKNOWN, "blockPublicAcls": True, "blockPublicPolicy": True,
                                 "ignorePublicAcls": True, "restrictPublicBuckets": True}, dependencies=deps),
            ResourceDescription("aws:s3/bucketPolicy:BucketPolicy", f"{n}-policy",
                                {"bucket": UNKNOWN, "policy": UNKNOWN}, dependencies=deps),
        ]
    if kind == 1:
        return [ResourceDescription("aws:sqs/queue:Queue", n, {"name": name, "sqsManagedSseEnabled": True,
                                                               "visibilityTimeoutSeconds": 30, "tags": tags})]
    if kind == 2:
        return [ResourceDescription("aws:sns/topic:Topic", n, {"name": name, "kmsMasterKeyId": "alias/aws/sns",
                                                               "tags": tags})]
    if kind == 3:
        return [ResourceDescription("aws:lambda/function:Function", n, {
            "name": name, "runtime": "python3.12", "handler": "index.handler", "role": UNKNOWN,
            "timeout": 30, "memorySize": 256, "environment": {"variables": {"TABLE": name}}, "tags": tags})]
    if kind == 4:
        return [ResourceDescription("aws:iam/rolePolicy:RolePolicy", n, {"role": UNKNOWN, "policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"],
                                                    "Resource": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{name}"}]})})]
    if kind == 5:
        return [ResourceDescription("aws:kms/key:Key", n, {"description": n, "enableKeyRotation": True,
                                                           "tags": tags})]
    if kind == 6:
        return [ResourceDescription("aws:cloudwatch/logGroup:LogGroup", n, {"name": f"/aws/lambda/{name}",
                                                                             "retentionInDays": 14, "tags": tags})]
    if kind == 7:
        return [ResourceDescription("aws:ssm/parameter:Parameter", n, {"name": f"/dev/shop/{n}", "type": "String",
                                                                        "value": UNKNOWN, "tags": tags})]
    if kind == 8:
        return [ResourceDescription("aws:pipes/pipe:Pipe", n, {
            "name": name, "roleArn": UNKNOWN, "source": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{name}-in",
            "target": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/{name}",
            "sourceParameters": {"sqsQueueParameters": {"batchSize": 10},
                                 "filterCriteria": {"filters": [{"pattern": '{"source":["shop"]}'}]}},
            "logConfiguration": {"level": "ERROR", "cloudwatchLogsLogDestination": {"logGroupArn": UNKNOWN}},
            "tags": tags})]
    return [ResourceDescription("aws:dynamodb/table:Table", n, {
        "name": name, "billingMode": "PAY_PER_REQUEST", "hashKey": "pk",
        "attributes": [{"name": "pk", "type": "S"}], "deletionProtectionEnabled": False, "tags": tags})]


def corpus(count: int) -> list[list[ResourceDescription]]:
    """``count`` resources in stacks of about STACK_SIZE (a bucket and its settings stay together)."""
    stacks: list[list[ResourceDescription]] = [[]]
    total, i = 0, 0
    while total < count:
        group = _resource(i)[:count - total]
        for resource in group:
            resource.provider = PROVIDER
            resource.urn = resource.urn or make_urn("groundwork", "dev", resource.type, resource.name)
        if len(stacks[-1]) + len(group) > STACK_SIZE:
            stacks.append([])
        stacks[-1].extend(group)
        total += len(group)
        i += 1
    return stacks


def run_stack(pack: PolicyPackProcess, stack: list[ResourceDescription]) -> tuple[float, int]:
    """Seconds to analyse one stack the way a preview does, and the diagnostics seen."""
    begin = time.perf_counter()
    diagnostics = sum(len(pack.analyze(resource)) for resource in stack)
    diagnostics += len(pack.analyze_stack(stack))
    return time.perf_counter() - begin, diagnostics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=5000)
    args = parser.parse_args()
    stacks = corpus(args.resources)
    count = sum(len(stack) for stack in stacks)
    packs = {"groundwork": ROOT / "policies", "no-op": ROOT / "benchmarks" / "noop_pack"}
    seconds = dict.fromkeys(packs, 0.0)
    diagnostics = dict.fromkeys(packs, 0)
    with PolicyPackProcess(packs["groundwork"], config=CONFIG) as groundwork, \
            PolicyPackProcess(packs["no-op"], config=CONFIG) as noop:
        running = {"groundwork": groundwork, "no-op": noop}
        for pack in running.values():
            pack.configure()
            pack.configure_stack()
            run_stack(pack, stacks[0])  # warm up
        # Alternate stack by stack so both packs see the same machine load (the host is shared).
        for stack in stacks:
            for label, pack in running.items():
                elapsed, found = run_stack(pack, stack)
                seconds[label] += elapsed
                diagnostics[label] += found
    rates = {label: count / seconds[label] for label in packs}
    for label in packs:
        print(f"{label:10s} {rates[label]:8.0f} resources/s  ({diagnostics[label]} diagnostics)")
    print(f"resources: {count}  ratio groundwork/no-op: {rates['groundwork'] / rates['no-op']:.0%} "
          "(target >= 50%)")


if __name__ == "__main__":
    main()
