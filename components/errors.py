"""The one error type a user mistake turns into: a clean message, never a traceback."""

from __future__ import annotations

import pulumi


class ConfigError(pulumi.RunError):
    """Invalid stack config or input data; the message names the key, the value and what is allowed.

    Subclassing ``pulumi.RunError`` makes the Pulumi CLI print only the message.
    """


def describe_value(value: object) -> str:
    """Render a bad value for an error message without dumping huge structures."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class NotCheckedError(ConfigError):
    """A feature could not be checked because input it depends on was already reported invalid.

    Raised only in the checking phase of the program (features/program.py), after the problem
    itself was reported by the feature that owns that input, so its text is one short line.
    """
