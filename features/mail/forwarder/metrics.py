"""CloudWatch metrics of the forwarder: what was not delivered as a plain forward, and why.

Counted, never only logged: dropped mail by reason (virus, spam, spf, dkim, dmarc, loop,
sender-not-allowed), size notices, SES refusals, and sends whose outcome is unknown. One
``PutMetricData`` call per invocation, and none when everything was simply forwarded, so the
common path costs nothing. A metrics failure is logged and never fails a delivery.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

LOG = logging.getLogger("groundwork.mail.forwarder")
DEFAULT_NAMESPACE = "Groundwork/Mail"
DROPPED = "Dropped"  # dimension Reason
NOTICES = "NoticeSent"  # dimension Reason: too-large or refused
OUTCOME_UNKNOWN = "OutcomeUnknown"


class Metrics:
    """Counts collected during one invocation and sent once at its end."""

    def __init__(self, namespace: str, client: Callable[[], Any]) -> None:
        self.namespace, self._client = namespace, client
        self.counts: Counter[tuple[str, str | None]] = Counter()

    def count(self, name: str, reason: str | None = None) -> None:
        self.counts[(name, reason)] += 1

    def flush(self) -> None:
        if not self.counts:
            return
        data = [{"MetricName": name, "Value": float(value), "Unit": "Count",
                 **({"Dimensions": [{"Name": "Reason", "Value": reason}]} if reason else {})}
                for (name, reason), value in sorted(self.counts.items(), key=str)]
        try:
            self._client().put_metric_data(Namespace=self.namespace, MetricData=data)
        except Exception:  # the log line still records every count
            LOG.exception("could not publish metrics %s", dict(self.counts))
        self.counts.clear()
