"""Config builders shared by the bus tests."""

from __future__ import annotations

import copy
from typing import Any

from features.settings import referenced_config_keys
from tests.conftest import stack_config

OAUTH_DESTINATION: dict[str, Any] = {
    "endpoint": "https://api.partner.example/v1/orders",
    "method": "POST",
    "rateLimitPerSecond": 10,
    "connection": {
        "auth": "OAUTH_CLIENT_CREDENTIALS",
        "oauth": {
            "authorizationEndpoint": "https://auth.partner.example/oauth2/token",
            "clientId": "acme-orders",
            "clientSecretConfig": "partnerClientSecret",
            "scope": "orders.write",
        },
    },
}

BUS: dict[str, Any] = {
    "archive": {"retentionDays": 30},
    "schemaDiscovery": True,
    "producers": ["shop-prod"],
    "apiDestinations": {"partner": OAUTH_DESTINATION},
    "rules": {
        "placed-to-buffer": {
            "pattern": {"source": ["com.acme.orders"], "detail-type": ["order.placed"]},
            "targets": [{"type": "sqsBuffer", "name": "importer",
                         "retry": {"maxAgeSeconds": 3600, "maxAttempts": 20}}],
        },
        "shipped-to-partner": {
            "pattern": {"source": ["com.acme.orders"], "detail-type": ["order.shipped"]},
            "targets": [{"type": "apiDestination", "name": "partner", "destination": "partner",
                         "retry": {"maxAgeSeconds": 7200, "maxAttempts": 50}}],
        },
    },
}


def bus_settings(**bus_overrides: Any) -> dict[str, Any]:
    bus = copy.deepcopy(BUS)
    bus.update(bus_overrides)
    return {"accountIds": {"shop-prod": "111122223333"}, "buses": {"orders": bus}}


def bus_config(settings: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"eventBuses": settings if settings is not None else bus_settings()}
    if "partnerClientSecret" in referenced_config_keys(values["eventBuses"]):  # an unused key is refused
        values["partnerClientSecret"] = "s3cr3t-value"
    values.update(extra)
    return stack_config(**values)
