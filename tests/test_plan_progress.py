"""The plan's progress line: counts on a terminal, nothing elsewhere."""

from __future__ import annotations

import io

from org.plan.progress import Progress


def test_progress_counts_registered_and_analysed_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, enabled=True)
    for _ in range(3):
        progress.on_registered()
    for _ in range(3):
        progress.on_analysed(3)
    progress.finish()
    text = stream.getvalue()
    assert "registered 1 resources" in text
    assert "registered 3 resources, analysed 3/3" in text  # the last step is always shown
    assert text.endswith("\r\x1b[K")  # the line is cleared before the report


def test_progress_is_quiet_when_not_a_terminal():
    stream = io.StringIO()  # isatty() is False
    progress = Progress(stream)
    progress.on_registered()
    progress.on_analysed(1)
    progress.finish()
    assert stream.getvalue() == ""
