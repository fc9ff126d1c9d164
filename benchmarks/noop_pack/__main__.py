"""A one-policy pack that accepts every resource: the protocol/SDK overhead baseline."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def _accept(args, report_violation) -> None:
    """Look at nothing, report nothing."""


PolicyPack(
    name="groundwork-noop",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[ResourceValidationPolicy(name="noop", description="Accepts every resource.",
                                       validate=_accept)],
)
