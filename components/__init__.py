"""groundwork: event-platform components for Pulumi on AWS, with their pattern engines, the stack
context and the tagging conventions. Installed from this repository's ``components/`` folder
(``pip install -e .`` or the wheel); it imports nothing of the app around it.
"""

if __name__ != "groundwork":  # pragma: no cover - a wrong import path, refused at once
    raise ImportError(f"the groundwork library was imported as {__name__!r}: install it (pip install -e .) "
                      "and import it as groundwork, so its classes and errors exist once")
