"""Runs a Pulumi program under the SDK's mock runtime and prints every registered resource as JSON.

Copied next to an installed groundwork wheel and run by that venv's Python (tests/packaging), so it
imports nothing of this repository: only the Pulumi SDK and what the program imports.
Usage: ``python record.py <program file> <stack config JSON>``.
"""

import importlib.util
import json
import runpy
import sys
from pathlib import Path

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks
from pulumi.runtime.proto import resource_pb2

SECRET = "4dabf18193072939515e22adb298388d"  # the SDK's special-signature key of a secret value
ACCOUNT, REGION = "123456789012", "eu-west-1"


def plain(value):
    """Wire values with secrets unwrapped."""
    if isinstance(value, dict):
        if SECRET in value and "value" in value:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# ARN shapes (resource part after the account) of the types the consumer program declares; AWS's
# ARN formats, so the pack's API constraints see real-looking ARNs.
ARN_RESOURCE = {
    "aws:cloudwatch/logGroup:LogGroup": "log-group:{name}",
    "aws:cloudwatch/eventBus:EventBus": "event-bus/{name}",
    "aws:cloudwatch/eventRule:EventRule": "rule/{name}",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "alarm:{name}",
    "aws:pipes/pipe:Pipe": "pipe/{name}",
}
SERVICE = {"aws:cloudwatch/logGroup:LogGroup": "logs", "aws:cloudwatch/eventBus:EventBus": "events",
           "aws:cloudwatch/eventRule:EventRule": "events", "aws:cloudwatch/metricAlarm:MetricAlarm": "cloudwatch"}


class Mocks(pulumi.runtime.Mocks):
    """Known ids, ARNs and names for every resource; the account, partition and region for invokes."""

    def new_resource(self, args):
        name = args.inputs.get("name", args.name)
        service = SERVICE.get(args.typ, args.typ.split(":")[1].split("/")[0])
        if args.typ == "aws:iam/role:Role":
            arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        else:
            arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:" + ARN_RESOURCE.get(args.typ, "{name}").format(name=name)
        return f"{args.name}-id", {**args.inputs, "arn": arn, "name": name,
                                   "url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"}

    def call(self, args):
        return {"accountId": ACCOUNT, "partition": "aws", "region": REGION, "name": REGION, "id": REGION}


class Recorder(mocks.MockMonitor):
    """A mock monitor that keeps each registration as the engine would have received it.

    It answers without the SDK's own decoding, which turns resource references back into resources
    on another event loop and can wait forever; inputs and outputs here are plain JSON values.
    """

    def __init__(self, mocks_):
        super().__init__(mocks_)
        self.recorded = []

    def RegisterResource(self, request):  # noqa: N802 - protocol name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = plain(json_format.MessageToDict(request.object))
        id_, outputs = self.mocks.new_resource(mocks.MockResourceArgs(
            typ=request.type, name=request.name, inputs=inputs, provider=request.provider,
            resource_id=request.importId, custom=request.custom))
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, id_, outputs)
        state = struct_pb2.Struct()
        state.update(outputs)
        self.recorded.append({
            "urn": urn, "type": request.type, "name": request.name, "custom": request.custom,
            "parent": request.parent, "protect": request.protect, "provider": request.provider,
            "dependencies": list(request.dependencies), "inputs": inputs,
        })
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ if request.custom else "", object=state)


def main(program: str, config: dict) -> None:
    monitor = Recorder(Mocks())
    pulumi.runtime.set_all_config(config, [])
    mocks.set_mocks(monitor.mocks, project="consumer", stack="dev", preview=False, monitor=monitor)

    @pulumi.runtime.test  # the SDK's unit-test entry point: runs the program and waits for every registration
    def run() -> None:
        runpy.run_path(program, run_name="__main__")

    run()
    import groundwork  # where the program's library came from, and what else it could import

    app = [name for name in ("features", "org", "policies", "components") if importlib.util.find_spec(name)]
    print(json.dumps({"library": groundwork.__file__, "app_importable": app, "resources": monitor.recorded}))


if __name__ == "__main__":
    main(str(Path(sys.argv[1]).resolve()), json.loads(sys.argv[2]))
