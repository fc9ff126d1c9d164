"""Forwarding markers in S3: one per message and destination, so each owner gets a message once.

States of ``forwarded/<SES message id>/<owner address>``:

``claimed``  an invocation owns it and has not called SES yet; once its ``deadline`` (the end of
             that invocation) has passed it is taken over, since nothing can have been sent. (The
             forwarder now builds the message first and claims straight as ``sending``; markers
             of earlier versions may still say ``claimed``.)
``sending``  written just before the SES call. Past its deadline the outcome is unknown (the
             invocation died during the call, or could not record the result): it becomes
             ``unknown`` and is never re-sent automatically (that could be a duplicate).
``sent``     SES accepted it (``notice`` for a size notice): later events are duplicates.
``unknown``  reported (metric and alarm); delete the marker and redrive to force a resend.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from botocore.exceptions import ClientError

LOG = logging.getLogger("groundwork.mail.forwarder")
CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
DONE_STATES = frozenset({"sent", "notice"})
SKEW_SECONDS = 30  # clock difference tolerated between invocations
_sleep = time.sleep
now = time.time  # wall clock shared by every invocation (tests move it)


class MessageInFlightError(RuntimeError):
    """Another invocation is forwarding this message right now; Lambda retries us later."""


class Marker:
    """The marker of one (message, destination) pair and the ETag of our last write to it."""

    def __init__(self, s3: Any, bucket: str, key: str, deadline: float) -> None:
        self.s3, self.bucket, self.key, self.deadline = s3, bucket, key, deadline
        self.etag: str | None = None
        self.state: str | None = None  # what our last write recorded

    def claim(self, state: str = "claimed") -> str | None:
        """Own the marker, writing ``state`` (``sending`` when SES is called next); return None if
        we may send, else the recorded final state.

        Raises :class:`MessageInFlightError` while another live invocation owns it.
        """
        try:
            self._put(state, IfNoneMatch="*")
            return None
        except ClientError as error:
            if _code(error) not in CONFLICT_CODES:
                raise
        try:
            existing = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as error:
            if _code(error) in ("NoSuchKey", "404"):
                raise MessageInFlightError(f"{self.key} is being released; retry") from error
            raise
        state = json.loads(existing["Body"].read() or b"{}")
        status = state.get("state")
        if status in DONE_STATES or status == "unknown":
            return status
        if now() < float(state.get("deadline", 0)) + SKEW_SECONDS:
            raise MessageInFlightError(f"{self.key} is {status} by another invocation")
        try:
            if status == "sending":  # SES may have sent it: never guess, report
                self._put("unknown", IfMatch=existing["ETag"], previous=state)
                return "unknown"
            self._put(state, IfMatch=existing["ETag"])  # nothing was sent: take it over
        except ClientError as error:
            if _code(error) in CONFLICT_CODES:
                raise MessageInFlightError(f"{self.key} was taken over by another invocation") from error
            raise
        LOG.warning("took over the abandoned claim %s", self.key)
        return None

    def sending(self) -> None:
        """Record that SES is about to be called (only if the claim is still ours; a marker
        claimed as ``sending`` already says so)."""
        if self.state != "sending":
            self._put("sending", IfMatch=self.etag)

    def finish(self, state: str, **details: Any) -> bool:
        """Record the final state; retried a few times, False (logged) if S3 keeps failing."""
        for attempt in range(4):
            try:
                self._put(state, **details)
                return True
            except ClientError:
                LOG.exception("could not record %s as %s (attempt %d)", self.key, state, attempt + 1)
                _sleep(0.2 * 2 ** attempt)
        return False

    def release(self) -> None:
        """Delete the marker after a definite failure, so Lambda's retry can send."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        except ClientError:  # the retry finds a stale claim after the deadline and takes it over
            LOG.exception("could not release %s", self.key)

    def _put(self, state: str, **options: Any) -> None:
        conditions = {k: v for k, v in options.items() if k in ("IfMatch", "IfNoneMatch")}
        details = {k: v for k, v in options.items() if k not in conditions}
        body = json.dumps({"state": state, "since": now(), "deadline": self.deadline, **details},
                          default=str).encode()
        response = self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=body,
                                      ContentType="application/json", **conditions)
        self.etag, self.state = response.get("ETag"), state


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
