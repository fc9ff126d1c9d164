"""Resource options for objects that exist already: an adopted organization is imported, not created.

``python -m org adopt`` writes each existing object's id into the data files (``importId``); the
components pass it as Pulumi's ``import`` option, so the first ``pulumi up`` adopts the object.
"""

from __future__ import annotations

import pulumi

# An import fails when the program's inputs differ from the live object (the engine diffs them,
# honouring ignore_changes). The platform adds tags an adopted object does not have yet, so while
# an object carries its adoption id its tags are left alone; removing the id (after the first
# `pulumi up`) lets the next update add them.
ADOPTED_IGNORE = ["tags"]


def imported(opts: pulumi.ResourceOptions, import_id: str | None,
             ignore: list[str] | None = None) -> pulumi.ResourceOptions:
    """``opts`` plus, for an adopted object, ``import_`` its id and leave platform-added inputs alone."""
    if import_id is None:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
        import_=import_id, ignore_changes=list(ADOPTED_IGNORE if ignore is None else ignore)))  # merge appends
