"""``POST /api/v1/integrations/alertmanager``: Alertmanager's webhook_configs receiver (payload version 4).

Authenticated with the key as a bearer credential (``http_config.authorization.credentials``) or as the
basic-auth password (``http_config.basic_auth``). Errors are problem+json like the rest of /api/v1; a
store outage is the API's 503 with Retry-After. The answer comes after commit.
"""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from warroom.api import problems
from warroom.api.compat.formats.alertmanager import webhook
from warroom.api.deps import runtime_of
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import problems as documented
from warroom.core import json_input

router = APIRouter(tags=["compat: Alertmanager webhook"], route_class=JsonBodyRoute)


class AlertOutcomeOut(BaseModel):
    alias: str
    action: str
    alert_id: int | None
    count: int | None


class AlertmanagerOut(BaseModel):
    status: str
    alerts: list[AlertOutcomeOut]


def credential(request: Request) -> str | None:
    """The key from ``Authorization: Bearer <key>``, or the password of ``Basic`` auth."""
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def _invalid(error: ValidationError) -> JSONResponse:
    errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in error.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problems.problem(422, "Invalid input", f"Not an Alertmanager webhook (version 4) body: {detail}",
                            errors=errors)


@router.post("/integrations/alertmanager", response_model=AlertmanagerOut,
             summary="Receive Alertmanager webhook notifications (payload version 4)",
             responses=documented(400, 401, 403, 413, 422, 503),
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "description": "Alertmanager's webhook body: version \"4\", groupKey, status, "
                                                  "receiver, groupLabels, commonLabels, commonAnnotations, "
                                                  "externalURL, alerts [{status, labels, annotations, startsAt, "
                                                  "endsAt, generatorURL, fingerprint}]"}}}}})
async def receive_alertmanager_webhook(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    body = await request.body()
    try:
        data = json_input.loads(body)
    except json_input.InvalidJson as error:
        return problems.problem(400, "Invalid JSON", f"The request body is not valid JSON: {error.msg}.")
    try:
        payload = webhook.WebhookIn.model_validate(data)
    except ValidationError as error:
        return _invalid(error)
    webhook.check_version(payload)
    secret = credential(request)
    outcomes = await runtime.committer.run(
        lambda db: webhook.receive(db=db, secret=secret, payload=payload, clock=runtime.clock),
        partition=payload.groupKey)
    answer = AlertmanagerOut(status="success", alerts=[AlertOutcomeOut(**o.as_json()) for o in outcomes])
    return JSONResponse(answer.model_dump())
