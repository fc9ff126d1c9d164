"""tags-from-stack (REMEDIATE): fills missing required tags from the stack tags or stack config."""

from __future__ import annotations

from org.plan.analyzer import UNKNOWN, ProviderDescription, Secret
from tests.policies.corpus.builders import DEV, EMPTY, PROVIDER, queue, res, tags


def _remediate(packs, env, resource, stack_tags=None):
    pack = packs.get(env)
    pack.configure()
    pack.configure_stack(tags=stack_tags or {})
    return pack.remediate(resource)


def test_missing_tags_come_from_stack_config(packs):
    [fix] = _remediate(packs, DEV, queue(tags={"component": "orders"}))
    assert fix.policy_name == "tags-from-stack"
    assert fix.properties["tags"] == {"component": "orders", **tags(DEV)}
    assert fix.properties["name"] == "shop-dev-orders"  # other inputs untouched


def test_missing_tags_come_from_stack_tags(packs):
    stack_tags = {"context": "billing", "stage": "test", "usage": "PRODUCTION", "owner": "billing-team"}
    [fix] = _remediate(packs, EMPTY, queue(tags=None), stack_tags)
    assert fix.properties["tags"] == stack_tags


def test_existing_tags_are_kept_and_nothing_to_do_means_no_remediation(packs):
    assert _remediate(packs, DEV, queue()) == []
    [fix] = _remediate(packs, DEV, queue(tags=tags(owner=None, stage="test")))
    assert fix.properties["tags"]["stage"] == "test"
    assert fix.properties["tags"]["owner"] == tags()["owner"]


def test_values_not_allowed_are_not_added(packs):
    assert _remediate(packs, EMPTY, queue(tags=None), {"stage": "qa"}) == []


def test_unknown_tags_and_untaggable_resources_are_left_alone(packs):
    assert _remediate(packs, DEV, queue(tags=UNKNOWN)) == []
    assert _remediate(packs, DEV, res("aws:iam/rolePolicy:RolePolicy", "p", {"policy": "{}"})) == []


def test_remediation_keeps_unknown_inputs_unknown(packs):
    [fix] = _remediate(packs, DEV, queue(tags=None, **{"name": UNKNOWN}))
    assert fix.properties["name"] is UNKNOWN
    assert fix.properties["tags"] == tags(DEV)


def test_remediated_resource_passes_required_tags(packs):
    [fix] = _remediate(packs, DEV, queue(tags=None))
    fixed = queue(**fix.properties)
    pack = packs.get(DEV)
    assert [d.policy_name for d in pack.analyze(fixed)] == []


def test_remediation_keeps_secrets_secret(packs):
    from google.protobuf import json_format

    from org.plan.analyzer import SECRET_SIG, SECRET_SIG_KEY, Secret

    pack = packs.get(DEV)
    pack.configure()
    pack.configure_stack()
    request = pack._analyze_request(queue(tags=None, kmsMasterKeyId=Secret("alias/shop")))
    [remediation] = pack.stub.Remediate(request).remediations
    raw = json_format.MessageToDict(remediation.properties)
    assert raw["kmsMasterKeyId"] == {SECRET_SIG_KEY: SECRET_SIG, "value": "alias/shop"}


# --- issue 19: the pack never fails a Remediate call, and writes tags in the type's shape ---

ASG = "aws:autoscaling/group:Group"


def _asg(tag_list, **options):
    return res(ASG, "workers", {"maxSize": 2, "minSize": 1, "tags": tag_list}, **options)


def test_unknown_tag_values_go_back_unknown_and_are_not_overwritten(packs):
    # A tag built from a resource still being created: the engine sends its value as unknown.
    [fix] = _remediate(packs, DEV, queue(tags={"component": UNKNOWN, "owner": UNKNOWN}))
    assert fix.diagnostic == ""
    assert fix.properties["tags"]["component"] is UNKNOWN
    assert fix.properties["tags"]["owner"] is UNKNOWN  # may be right once known: left alone
    assert {k: v for k, v in fix.properties["tags"].items() if k not in ("component", "owner")} == \
        tags(DEV, owner=None)


def test_secret_tags_and_inputs_stay_secret(packs):
    resource = queue(tags={"component": Secret("orders")}, kmsMasterKeyId=Secret("alias/orders"))
    [fix] = _remediate(packs, DEV, resource)
    assert fix.properties["kmsMasterKeyId"] == Secret("alias/orders")
    assert fix.properties["tags"]["component"] == Secret("orders")
    assert fix.properties["tags"]["owner"] == tags()["owner"]


def test_autoscaling_group_tags_are_added_as_list_entries(packs):
    [fix] = _remediate(packs, DEV, _asg([{"key": "context", "value": "shop", "propagateAtLaunch": False}]))
    entries = fix.properties["tags"]
    assert isinstance(entries, list)
    assert entries[0] == {"key": "context", "value": "shop", "propagateAtLaunch": False}
    assert {e["key"]: e["value"] for e in entries} == tags(DEV)
    assert all(set(e) == {"key", "value", "propagateAtLaunch"} for e in entries)


def test_autoscaling_group_with_an_unknown_entry_is_left_alone(packs):
    assert _remediate(packs, DEV, _asg([UNKNOWN])) == []
    assert _remediate(packs, DEV, _asg(UNKNOWN)) == []


def test_provider_default_tags_do_not_count_for_autoscaling_groups(packs):
    provider = ProviderDescription(urn=PROVIDER.urn, inputs={"region": "eu-west-1",
                                                             "defaultTags": {"tags": tags(DEV)}})
    [fix] = _remediate(packs, DEV, _asg(None, provider=provider))
    assert {e["key"]: e["value"] for e in fix.properties["tags"]} == tags(DEV)
    # ... while a queue on the same provider needs nothing.
    same_provider = queue(tags=None)
    same_provider.provider = provider
    assert _remediate(packs, DEV, same_provider) == []


def test_an_input_the_remediation_does_not_expect_never_fails_the_request(packs):
    pack = packs.get(DEV)
    pack.configure({"tags-from-stack": {"requiredTags": ["owner"]}})  # a list, not key -> values
    pack.configure_stack()
    assert pack.remediate(queue(tags=None)) == []  # no RPC error: the resource goes unchanged
    pack.configure()
