"""Stack lifecycle: the teardown of EPHEMERAL stacks when their lease ends."""

from features.lifecycle.teardown import EphemeralTeardown, TeardownArgs, TeardownSettings

__all__ = ["EphemeralTeardown", "TeardownArgs", "TeardownSettings"]
