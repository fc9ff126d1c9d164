"""The Groundwork policy pack: assembles the policies of every area (see docs/policies.md)."""

import gc

from groundwork_policies import (
                                 awsrules,
                                 bootstrap_rules,
                                 datastores,
                                 ephemeral,
                                 events,
                                 exposure,
                                 fastpath,
                                 naming,
                                 organization,
                                 privileges,
                                 security,
                                 stage,
                                 tagging,
                                 waivers,
                                 workloads,
)
from pulumi_policy import EnforcementLevel, PolicyPack

fastpath.install()
# A pack run allocates many short-lived objects; collecting the youngest generation every 700
# allocations cost about a tenth of its CPU in the 1,000-account plan benchmark.
gc.set_threshold(100_000, *gc.get_threshold()[1:])

PolicyPack(
    name="groundwork",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        *tagging.policies(),
        *naming.policies(),
        *stage.policies(),
        *ephemeral.policies(),
        *security.policies(),
        *exposure.policies(),
        *datastores.policies(),
        *privileges.policies(),
        *workloads.policies(),
        *events.policies(),
        *organization.policies(),
        *bootstrap_rules.policies(),
        *awsrules.policies(),
        *waivers.policies(),  # last: reports what the policies above waived
    ],
    description="Groundwork conventions and security baseline for AWS stacks.",
)
