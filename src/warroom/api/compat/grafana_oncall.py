"""``POST /integrations/v1/<kind>/<token>/``: the URL form Grafana OnCall gave its integrations.

An integration imported from Grafana OnCall keeps its URL token as the Warroom key's value, so Alertmanager
(``webhook_configs``) and Grafana alerting (webhook contact point) change only the host in the URL. The body
is Alertmanager's webhook (Grafana alerting's is the same, as version "1"); it goes to the same ingest as
``/api/v1/integrations/alertmanager``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from warroom.api import problems
from warroom.api.compat.alertmanager import AlertmanagerOut, AlertOutcomeOut, _invalid
from warroom.api.compat.formats.alertmanager import webhook
from warroom.api.deps import runtime_of
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers import operation_id
from warroom.api.routers.common import problems as documented
from warroom.core import json_input

router = APIRouter(tags=["compat: Grafana OnCall integration URLs"], route_class=JsonBodyRoute)

KINDS = ("alertmanager", "grafana_alerting", "grafana")
GRAFANA_VERSION = "1"  # Grafana alerting's webhook: Alertmanager's body with a few fields more


@router.post("/integrations/v1/{kind}/{token}/", response_model=AlertmanagerOut,
             summary="Receive alerts at a Grafana OnCall integration URL (Alertmanager-shaped webhooks)",
             responses=documented(400, 401, 403, 404, 413, 422, 503))
@router.post("/integrations/v1/{kind}/{token}", response_model=AlertmanagerOut, include_in_schema=False)
async def receive_grafana_oncall_integration(kind: str, token: str, request: Request) -> JSONResponse:
    if kind not in KINDS:
        return problems.problem(404, "Not found", f"Warroom takes Grafana OnCall integration URLs of the kinds "
                                                  f"{', '.join(KINDS)}; '{kind}' is not one of them.")
    runtime = runtime_of(request)
    try:
        data = json_input.loads(await request.body())
    except json_input.InvalidJson as error:
        return problems.problem(400, "Invalid JSON", f"The request body is not valid JSON: {error.msg}.")
    if isinstance(data, dict) and kind != "alertmanager" and data.get("version") == GRAFANA_VERSION:
        data = {**data, "version": webhook.VERSION}
    try:
        payload = webhook.WebhookIn.model_validate(data)
    except ValidationError as error:
        return _invalid(error)
    webhook.check_version(payload)
    outcomes = await runtime.committer.run(
        lambda db: webhook.receive(db=db, secret=token, payload=payload, clock=runtime.clock),
        partition=payload.groupKey)
    answer = AlertmanagerOut(status="success", alerts=[AlertOutcomeOut(**o.as_json()) for o in outcomes])
    return JSONResponse(answer.model_dump())


def register_grafana_oncall_urls(app: FastAPI) -> None:
    app.include_router(router, generate_unique_id_function=operation_id)
