"""Fixtures of the mail tests (defined in tests/mail/support.py, shared by every module here)."""

from tests.mail.support import clock, mailbox, wire  # noqa: F401 - pytest finds fixtures by name
