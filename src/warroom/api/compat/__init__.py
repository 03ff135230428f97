"""Drop-in compatibility surfaces: PagerDuty Events API v2, the Opsgenie API, Alertmanager's webhook.

Monitoring tools that send to PagerDuty, Opsgenie or an Alertmanager webhook send to Warroom by changing
only the URL (and the key). ``include_compat_routes`` adds them, with the admin routes for integration keys;
``install_fast_path`` puts the ingest fast path in front of one app.
"""

from __future__ import annotations

from fastapi import FastAPI

from warroom.api.compat import alertmanager, keys, opsgenie, pagerduty
from warroom.api.compat.fast_path import IngestFastPath
from warroom.api.routers import API_PREFIX, operation_id


def include_compat_routes(app: FastAPI) -> None:
    for module in (pagerduty, opsgenie):
        app.include_router(module.router, generate_unique_id_function=operation_id)
    for module in (alertmanager, keys):
        app.include_router(module.router, prefix=API_PREFIX, generate_unique_id_function=operation_id)


def install_fast_path(app: FastAPI) -> None:
    app.add_middleware(IngestFastPath, owner=app, routes={
        "/v2/enqueue": pagerduty.pagerduty_enqueue,
        "/v2/enqueue/": pagerduty.pagerduty_enqueue,
        "/v2/alerts": opsgenie.opsgenie_create_alert,
        f"{API_PREFIX}/integrations/alertmanager": alertmanager.receive_alertmanager_webhook,
    }, templates={opsgenie.CLOSE_PATH: opsgenie.opsgenie_close_alert, opsgenie.PING_PATH: opsgenie.opsgenie_ping})
