"""The engine analyses resources concurrently; generated data stays in step with pulumi-aws."""

from __future__ import annotations

import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.policies.conftest import PACK_DIR
from tests.policies.corpus import compliant, violations
from tests.policies.corpus.builders import DEV, queue, tags


def test_concurrent_analyze_calls_keep_results_apart(packs):
    """Waived findings and per-request caches are per thread: parallel calls must not mix."""
    pack = packs.get(DEV)
    pack.configure()
    pack.configure_stack()
    waived = queue(label="waived", sqsManagedSseEnabled=False, tags=tags(**{
        "groundwork:waiver:queue-topic-encryption": "migration expires=2099-12-31"}))
    resources = [waived] + [r for c in violations.CASES + compliant.CASES if c.env is DEV and not c.policy_config
                            and not c.stack_tags for r in c.resources]
    expected = [pack.analyze(r) for r in resources]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(pack.analyze, resources)) == expected


def test_taggable_types_match_installed_pulumi_aws():
    sys.path.insert(0, str(PACK_DIR))
    try:
        from groundwork_policies.taggable import scan, tag_shape, taggable_types
    finally:
        sys.path.remove(str(PACK_DIR))
    spec = importlib.util.find_spec("pulumi_aws")
    assert spec is not None and spec.submodule_search_locations
    shapes = scan(Path(next(iter(spec.submodule_search_locations))))
    found = {t for t, shape in shapes.items() if shape != "other"}
    regenerate = "regenerate: cd policies && python -m groundwork_policies.taggable <pulumi_aws>"
    assert found == taggable_types(), regenerate
    assert {t: tag_shape(t) for t in shapes} == shapes, regenerate
    assert {"aws:sqs/queue:Queue", "aws:s3/bucket:Bucket", "aws:organizations/account:Account"} <= found
    assert "aws:scheduler/schedule:Schedule" not in found
    # Tags that are not a map: a list of {key, value, propagateAtLaunch}, and a filter object.
    assert shapes["aws:autoscaling/group:Group"] == "list"
    assert shapes["aws:devopsguru/resourceCollection:ResourceCollection"] == "other"
