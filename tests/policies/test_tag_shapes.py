"""required-tags on types whose tags are not a map, on types the provider's default tags do not
reach, and with an organisation's own required tags (issue 19)."""

from __future__ import annotations

from org.plan.analyzer import ProviderDescription
from tests.policies.corpus.builders import DEV, PROVIDER, queue, res, tags

ASG = "aws:autoscaling/group:Group"
DEFAULT_TAGS_PROVIDER = ProviderDescription(urn=PROVIDER.urn, inputs={"region": "eu-west-1",
                                                                      "defaultTags": {"tags": tags(DEV)}})


def _analyze(packs, resource, policy_config=None):
    pack = packs.get(DEV)
    pack.configure(policy_config)
    pack.configure_stack()
    return pack.analyze(resource)


def test_default_tags_are_not_credited_to_autoscaling_groups(packs):
    group = res(ASG, "workers", {"maxSize": 2, "minSize": 1}, provider=DEFAULT_TAGS_PROVIDER)
    [finding] = _analyze(packs, group)
    assert finding.policy_name == "required-tags"
    assert "missing tag 'owner'" in finding.message
    assert "default_tags do not reach this type" in finding.message
    # The same provider's default tags do tag a queue.
    with_provider = queue(tags=None)
    with_provider.provider = DEFAULT_TAGS_PROVIDER
    assert _analyze(packs, with_provider) == []


def test_autoscaling_group_list_tags_count(packs):
    entries = [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in tags(DEV).items()]
    group = res(ASG, "workers", {"maxSize": 2, "minSize": 1, "tags": entries}, provider=DEFAULT_TAGS_PROVIDER)
    assert _analyze(packs, group) == []


def test_a_tags_filter_is_not_resource_tags(packs):
    collection = res("aws:devopsguru/resourceCollection:ResourceCollection", "apps",
                     {"type": "AWS_TAGS", "tags": {"appBoundaryKey": "DevOps-Guru-app", "tagValues": ["*"]}})
    assert _analyze(packs, collection) == []


def test_finding_names_the_missing_tag_not_the_default_list(packs):
    config = {"required-tags": {"requiredTags": {"cost-center": []}}}
    [finding] = _analyze(packs, queue(), config)
    assert "missing tag 'cost-center'" in finding.message
    for default in ("context", "stage", "owner", "usage"):
        assert default not in finding.message
