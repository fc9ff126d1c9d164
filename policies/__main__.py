"""The Groundwork policy pack: assembles the policies of every area (see docs/policies.md)."""

from groundwork_policies import (
                                 ephemeral,
                                 events,
                                 fastpath,
                                 naming,
                                 organization,
                                 security,
                                 stage,
                                 tagging,
                                 waivers,
)
from pulumi_policy import EnforcementLevel, PolicyPack

fastpath.install()

PolicyPack(
    name="groundwork",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        *tagging.policies(),
        *naming.policies(),
        *stage.policies(),
        *ephemeral.policies(),
        *security.policies(),
        *events.policies(),
        *organization.policies(),
        *waivers.policies(),  # last: reports what the policies above waived
    ],
    description="Groundwork conventions and security baseline for AWS stacks.",
)
