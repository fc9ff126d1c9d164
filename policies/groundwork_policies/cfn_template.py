"""CloudFormation templates as a stack instance sees them: parsed, intrinsics resolved for one account.

Enough of CloudFormation's intrinsic functions (Ref, Fn::Sub, Fn::GetAtt, Fn::If with the
condition functions, Fn::Join, Fn::Select, Fn::Split) to read the policy documents, names and
ARNs of a template's IAM resources for given parameter values, account and region, so the
rules can evaluate the policies a deployed stack would really have. Stdlib and PyYAML only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

NO_VALUE = object()


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt ...) as their long forms."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _short_tag)


def load(text: str) -> Any:
    """A template body as data: JSON or YAML, short tags expanded; yaml.YAMLError if neither."""
    try:
        return json.loads(text)  # JSON first: not every JSON text is YAML (tabs, "\\/")
    except ValueError:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass


def parse(text: str) -> dict[str, Any]:
    """The template as a dict (JSON or YAML, short tags expanded); ValueError if it is not one."""
    try:
        template = load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"template is not valid YAML/JSON: {error}") from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise ValueError("template has no Resources mapping")
    return template


@dataclass
class Stack:
    """One stack instance of a template: parameter values, account, region and partition."""

    template: dict[str, Any]
    parameters: Mapping[str, str] = field(default_factory=dict)
    account: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"
    name: str = "StackSet-bootstrap"

    def parameter(self, name: str) -> Any:
        spec = self.template.get("Parameters", {}).get(name, {})
        value = self.parameters.get(name, spec.get("Default"))
        if value is None:
            raise ValueError(f"parameter {name} has no value and no default")
        if str(spec.get("Type", "")).startswith(("CommaDelimitedList", "List<")):
            return [item.strip() for item in str(value).split(",")] if value != "" else []
        return str(value)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resources(self, type_: str | None = None) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, of ``type_`` (all if None), without those whose Condition is false."""
        return {logical: resource for logical, resource in self.template["Resources"].items()
                if (type_ is None or resource.get("Type") == type_)
                and ("Condition" not in resource or self.condition(resource["Condition"]))}

    def properties(self, logical: str) -> dict[str, Any]:
        return self.resolve(self.template["Resources"][logical].get("Properties", {}))

    def resolve(self, node: Any) -> Any:
        """``node`` with every intrinsic function replaced by its value for this stack."""
        if isinstance(node, list):
            return [value for value in (self.resolve(item) for item in node) if value is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                return self.ref(value)
            if key == "Condition" and isinstance(value, str):
                return self.condition(value)
            if key.startswith("Fn::"):
                return self._function(key[4:], value)
        return {key: value for key, value in ((k, self.resolve(v)) for k, v in node.items()) if value is not NO_VALUE}

    def ref(self, name: str) -> Any:
        pseudo = {"AWS::AccountId": self.account, "AWS::Partition": self.partition, "AWS::Region": self.region,
                  "AWS::StackName": self.name, "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": NO_VALUE}
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        resource = self.template["Resources"].get(name)
        if resource is None:
            raise ValueError(f"Ref to unknown name {name}")
        return self._physical(name, resource)

    def get_att(self, logical: str, attribute: str) -> str:
        resource = self.template["Resources"][logical]
        if resource.get("Type") == "AWS::IAM::Role" and attribute == "Arn":
            path = self.resolve(resource.get("Properties", {}).get("Path", "/"))
            return f"arn:{self.partition}:iam::{self.account}:role{path}{self._physical(logical, resource)}"
        return f"{logical}.{attribute}"

    def _physical(self, logical: str, resource: dict[str, Any]) -> str:
        """What Ref returns for the IAM types (names or ARNs, per the CloudFormation resource reference)."""
        properties = resource.get("Properties", {})
        type_ = resource.get("Type")
        if type_ == "AWS::IAM::Role":
            return str(self.resolve(properties.get("RoleName", f"{self.name}-{logical}")))
        if type_ == "AWS::IAM::ManagedPolicy":
            name = self.resolve(properties.get("ManagedPolicyName", f"{self.name}-{logical}"))
            path = self.resolve(properties.get("Path", "/"))
            return f"arn:{self.partition}:iam::{self.account}:policy{path}{name}"
        if type_ == "AWS::IAM::OIDCProvider":
            url = str(self.resolve(properties.get("Url", ""))).removeprefix("https://")
            return f"arn:{self.partition}:iam::{self.account}:oidc-provider/{url}"
        return f"{logical}-physical-id"

    def _function(self, name: str, value: Any) -> Any:
        if name == "Sub":
            text, variables = (value[0], self.resolve(value[1])) if isinstance(value, list) else (value, {})
            return self._sub(text, variables)
        if name == "GetAtt":
            logical, attribute = value if isinstance(value, list) else str(value).split(".", 1)
            return self.get_att(logical, attribute)
        if name == "If":
            condition, when_true, when_false = value
            return self.resolve(when_true if self.condition(condition) else when_false)
        if name == "Equals":
            left, right = (self.resolve(v) for v in value)
            return left == right
        if name == "Not":
            return not self.resolve(value[0])
        if name == "And":
            return all(self.resolve(v) for v in value)
        if name == "Or":
            return any(self.resolve(v) for v in value)
        if name == "Join":
            separator, items = value
            return str(separator).join(str(item) for item in self.resolve(items))
        if name == "Select":
            index, items = self.resolve(value)
            return items[int(index)]
        if name == "Split":
            separator, text = self.resolve(value)
            return str(text).split(separator)
        raise ValueError(f"intrinsic function Fn::{name} is not supported here")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        out, rest = [], text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            out.append(before)
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif "." in name and name.split(".", 1)[0] in self.template["Resources"]:
                out.append(self.get_att(*name.split(".", 1)))
            else:
                value = self.ref(name)
                out.append(",".join(value) if isinstance(value, list) else str(value))
        out.append(rest)
        return "".join(out)
