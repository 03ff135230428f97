"""The Opsgenie API under ``/v2/``: alerts, request status, who is on call, heartbeats.

Authenticated with ``Authorization: GenieKey <key>``. Alertmanager's ``opsgenie_configs`` treats
``api_url`` as a base URL and appends ``v2/alerts``…, so ``api_url: <warroom>/`` works unchanged.
Answers and errors are in Opsgenie's shapes ({…, "took", "requestId"}); writes answer after commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from warroom.api.compat.common import RETRY_AFTER, is_store_outage, raw_body
from warroom.api.compat.formats.opsgenie import alert_changes as og_changes
from warroom.api.compat.formats.opsgenie import alert_reads as og_reads
from warroom.api.compat.formats.opsgenie import alerts as og_alerts
from warroom.api.compat.formats.opsgenie import heartbeats as og_heartbeats
from warroom.api.compat.formats.opsgenie import oncall
from warroom.api.compat.formats.opsgenie.wire import Call, OpsgenieError, read_json
from warroom.api.deps import get_runtime, runtime_of
from warroom.api.json_body import JsonBodyRoute
from warroom.core.bounds import is_count
from warroom.core.errors import WarroomError
from warroom.runtime import Runtime

router = APIRouter(tags=["compat: Opsgenie API v2"], route_class=JsonBodyRoute)
PROCESSING = "Request will be processed"
Work = Callable[[], dict[str, Any]]


def answer(call: Call, status: int, work: Work) -> JSONResponse:
    """Run ``work`` (which commits before it returns) and answer in Opsgenie's shape, errors included."""
    try:
        body = work()
    except (OpsgenieError, WarroomError, DBAPIError) as error:
        return refusal(call, error)
    return JSONResponse(call.answer(**body), status_code=status, headers=call.headers())


async def answer_after(call: Call, status: int, work: Awaitable[dict[str, Any]]) -> JSONResponse:
    """``answer`` for work that is awaited (group-committed writes)."""
    try:
        body = await work
    except (OpsgenieError, WarroomError, DBAPIError) as error:
        return refusal(call, error)
    return JSONResponse(call.answer(**body), status_code=status, headers=call.headers())


def refusal(call: Call, error: OpsgenieError | WarroomError | DBAPIError) -> JSONResponse:
    """An error in Opsgenie's shape; a store outage is a 503 with Retry-After; anything else is re-raised."""
    if isinstance(error, OpsgenieError):
        return JSONResponse(call.error(error), status_code=error.status, headers=call.headers())
    if isinstance(error, WarroomError):
        refused = OpsgenieError(error.status, error.message, {error.field: error.message} if error.field else None)
        return JSONResponse(call.error(refused), status_code=error.status, headers=call.headers())
    if not is_store_outage(error):
        raise error
    down = OpsgenieError(503, "The store is unavailable; nothing was written. Retry later.")
    return JSONResponse(call.error(down), status_code=503, headers={**call.headers(), "Retry-After": RETRY_AFTER})


GenieKey = Header(None, alias="Authorization", description="GenieKey <key>")
ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid JSON body"}, 401: {"description": "Unknown or missing key"},
    403: {"description": "The key may not do this (wrong kind or team)"}, 404: {"description": "Not found"},
    422: {"description": "Invalid fields: {message, errors: {field: message}, took, requestId}"},
    503: {"description": "Store unavailable; retry after Retry-After seconds"},
}


def _json_body(description: str) -> dict[str, Any]:
    return {"requestBody": {"required": False, "description": description,
                            "content": {"application/json": {"schema": {"type": "object"}}}}}


# Alerts -------------------------------------------------------------------------------------------


@router.post("/v2/alerts", status_code=202, summary="Create alert (Opsgenie)", responses=ANSWERS,
             openapi_extra=_json_body("message (required, ≤130), alias, description, responders, visibleTo, "
                                      "actions, tags, details, entity, source, priority P1-P5, user, note")
             | {"parameters": [{"name": "Authorization", "in": "header", "required": False,
                                "description": "GenieKey <key>", "schema": {"type": "string"}}]})
async def opsgenie_create_alert(request: Request) -> JSONResponse:
    authorization = request.headers.get("authorization")
    runtime = runtime_of(request)
    call = Call()
    body = await request.body()

    async def work() -> dict[str, Any]:
        alert = og_alerts.parse_create(read_json(body))
        await runtime.committer.run(lambda db: og_alerts.create(db=db, call=call, header=authorization,
                                                                 request=alert, clock=runtime.clock),
                                    partition=alert.spec.alias)
        return {"result": PROCESSING}

    return await answer_after(call, 202, work())


SEARCH = ("query: status, tag/tags, priority, acknowledged, alias, owner, teams, createdAt (<, <=, >, >=), "
          "AND, OR, NOT, parentheses; anything else is a 422 naming it")


def _search(query: str, search_identifier: str | None, sort: str = "createdAt",
            order: str = "desc") -> og_reads.Search:
    return og_reads.Search(query=query, search_identifier=search_identifier, sort=sort, order=order)


@router.get("/v2/alerts", summary="List alerts (Opsgenie)", description=SEARCH, responses=ANSWERS)
def opsgenie_list_alerts(authorization: str | None = GenieKey, query: str = "", limit: str = "20",
                         offset: str = "0", sort: str = "createdAt", order: str = "desc",
                         search_identifier: str | None = Query(None, alias="searchIdentifier"),
                         runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        if not (is_count(limit) and is_count(offset)):
            raise OpsgenieError(422, "limit and offset are whole numbers.")
        with runtime.database.reading() as db:
            found = og_reads.list_alerts(db=db, header=authorization, limit=int(limit), offset=int(offset),
                                         asked=_search(query, search_identifier, sort, order),
                                         now=runtime.clock.now())
        return {"data": found}

    return answer(call, 200, work)


@router.get("/v2/alerts/count", summary="Count alerts (Opsgenie)", description=SEARCH, responses=ANSWERS)
def opsgenie_count_alerts(authorization: str | None = GenieKey, query: str = "",
                          search_identifier: str | None = Query(None, alias="searchIdentifier"),
                          runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        with runtime.database.reading() as db:
            return {"data": og_reads.count_alerts(db=db, header=authorization,
                                                  asked=_search(query, search_identifier))}

    return answer(call, 200, work)


UNSUPPORTED = (  # the SDK's alert calls Warroom does not have: Opsgenie's error shape, saying so (not a bare 404)
    ("/v2/alerts/saved-searches", ("GET", "POST"), "Warroom has no saved searches: send the search as query."),
    ("/v2/alerts/saved-searches/{identifier}", ("GET", "PATCH", "DELETE"),
     "Warroom has no saved searches: send the search as query."),
    ("/v2/alerts/{identifier}/attachments", ("GET", "POST"),
     "Warroom does not keep alert attachments: link to the file in a note instead."),
    ("/v2/alerts/{identifier}/attachments/{attachment_id}", ("GET", "DELETE"),
     "Warroom does not keep alert attachments: link to the file in a note instead."),
    ("/v2/alerts/{identifier}/actions/{action_name}", ("POST",),
     "Warroom alerts have no custom actions: acknowledge, close, snooze, escalate or add a note instead."),
)


def _unsupported(message: str) -> Callable[..., JSONResponse]:
    def handler() -> JSONResponse:
        call = Call()
        return JSONResponse(call.error(OpsgenieError(404, message)), status_code=404, headers=call.headers())

    return handler


for _number, (_path, _methods, _message) in enumerate(UNSUPPORTED):
    router.add_api_route(_path, _unsupported(_message), methods=list(_methods), summary="Not in Warroom (Opsgenie)",
                         responses=ANSWERS, name=f"opsgenie_unsupported_{_number}",
                         description=_message, include_in_schema=False)


@router.get("/v2/alerts/requests/{request_id}", summary="Get request status (Opsgenie)", responses=ANSWERS)
def opsgenie_request_status(request_id: str, authorization: str | None = GenieKey,
                            runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        with runtime.database.reading() as db:
            return {"data": og_alerts.request_status(db=db, header=authorization, request_id=request_id)}

    return answer(call, 200, work)


@router.get("/v2/alerts/{identifier}", summary="Get alert (Opsgenie)", responses=ANSWERS)
def opsgenie_get_alert(identifier: str, identifier_type: str | None = Query(None, alias="identifierType"),
                       authorization: str | None = GenieKey, runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        kind = og_alerts.identifier_type(identifier_type)
        with runtime.database.reading() as db:
            return {"data": og_alerts.get_alert(db=db, header=authorization, identifier=identifier, kind=kind,
                                                now=runtime.clock.now())}

    return answer(call, 200, work)


def _alert_action(action: str, *, empty_ok: bool) -> Callable[..., Awaitable[JSONResponse]]:
    async def handler(identifier: str, identifier_type: str | None = Query(None, alias="identifierType"),
                      body: bytes = Depends(raw_body), authorization: str | None = GenieKey,
                      runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
        return await _act(runtime, action, empty_ok=empty_ok, identifier=identifier,
                          identifier_type=identifier_type, body=body, authorization=authorization)

    return handler


async def _act(runtime: Runtime, action: str, *, empty_ok: bool, identifier: str, identifier_type: str | None,
               body: bytes, authorization: str | None) -> JSONResponse:
    call = Call()

    async def work() -> dict[str, Any]:
        kind = og_alerts.identifier_type(identifier_type)
        parsed = og_alerts.parse_action(action, read_json(body, empty_ok=empty_ok))
        # Group-committed like creates: a burst of closes shares transactions instead of queueing one each.
        await runtime.committer.run(lambda db: og_alerts.act(db=db, call=call, header=authorization,
                                                              identifier=identifier, kind=kind, action=parsed,
                                                              clock=runtime.clock),
                                    partition=identifier)
        return {"result": PROCESSING}

    return await answer_after(call, 202, work())


CLOSE_PATH = "/v2/alerts/{identifier}/close"


async def opsgenie_close_alert(request: Request) -> JSONResponse:
    """The close route's handler as the ingest fast path calls it: its parameters read as the router reads them
    (the path parameter, the last ``identifierType``, the first ``Authorization``, the body as sent)."""
    return await _act(runtime_of(request), "close", empty_ok=True, identifier=request.path_params["identifier"],
                      identifier_type=request.query_params.get("identifierType"), body=await request.body(),
                      authorization=request.headers.get("authorization"))


for _path, _method, _action, _summary, _empty_ok, _fields in (
        ("acknowledge", "POST", "acknowledge", "Acknowledge alert", True, "user, source, note"),
        ("close", "POST", "close", "Close alert", True, "user, source, note"),
        ("notes", "POST", "note", "Add note to alert", False, "note (required), user, source"),
        ("message", "PUT", "message", "Update alert message", False, "message (required, ≤130)"),
        ("description", "PUT", "description", "Update alert description", False, "description (required)")):
    router.add_api_route(f"/v2/alerts/{{identifier}}/{_path}", _alert_action(_action, empty_ok=_empty_ok),
                         methods=[_method], status_code=202, summary=f"{_summary} (Opsgenie)", responses=ANSWERS,
                         name=f"opsgenie_{_path}_alert", openapi_extra=_json_body(_fields))


def _log_reader(read: Callable[..., dict[str, Any]]) -> Callable[..., JSONResponse]:
    def handler(request: Request, identifier: str, identifier_type: str | None = Query(None, alias="identifierType"),
                offset: str = "", direction: str = "next", limit: str = "100", order: str = "desc",
                authorization: str | None = GenieKey, runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
        call = Call()

        def work() -> dict[str, Any]:
            kind = og_alerts.identifier_type(identifier_type)
            if not is_count(limit):
                raise OpsgenieError(422, "limit is a whole number.")
            paging = og_reads.Paging(offset=offset.strip(), direction=direction.strip().lower(), limit=int(limit),
                                     order=order.strip().lower())
            with runtime.database.reading() as db:
                return read(db=db, header=authorization, identifier=identifier, kind=kind, paging=paging,
                            base=str(request.base_url))

        return answer(call, 200, work)

    return handler


for _path, _read, _summary in (("notes", og_reads.notes, "List alert notes"),
                               ("logs", og_reads.logs, "List alert logs")):
    router.add_api_route(f"/v2/alerts/{{identifier}}/{_path}", _log_reader(_read), methods=["GET"],
                         summary=f"{_summary} (Opsgenie)", responses=ANSWERS, name=f"opsgenie_list_alert_{_path}",
                         description="offset (an entry's offset), direction next|prev, limit 1-100, order asc|desc")


@router.get("/v2/alerts/{identifier}/recipients", summary="List alert recipients (Opsgenie)", responses=ANSWERS)
def opsgenie_alert_recipients(identifier: str, identifier_type: str | None = Query(None, alias="identifierType"),
                              authorization: str | None = GenieKey,
                              runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        kind = og_alerts.identifier_type(identifier_type)
        with runtime.database.reading() as db:
            return {"data": og_reads.recipients(db=db, header=authorization, identifier=identifier, kind=kind)}

    return answer(call, 200, work)


def _alert_change(change: str, *, empty_ok: bool, from_query: tuple[str, ...] = ()) -> Callable[..., JSONResponse]:
    """A change whose fields come in the JSON body, or (the DELETE calls) in the query string."""

    def handler(request: Request, identifier: str, identifier_type: str | None = Query(None, alias="identifierType"),
                body: bytes = Depends(raw_body), authorization: str | None = GenieKey,
                runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
        call = Call()

        def work() -> dict[str, Any]:
            kind = og_alerts.identifier_type(identifier_type)
            data = ({k: v for k, v in request.query_params.items() if k in from_query} if from_query
                    else read_json(body, empty_ok=empty_ok))
            parsed = og_changes.parse(change, data)
            with runtime.database.writing() as db:
                og_changes.apply(db=db, call=call, header=authorization, identifier=identifier, kind=kind,
                                 change=parsed, clock=runtime.clock)
            return {"result": PROCESSING}

        return answer(call, 202, work)

    return handler


_ACTOR = ("user", "note", "source")
for _path, _method, _change, _summary, _empty_ok, _fields in (
        ("snooze", "POST", "snooze", "Snooze alert", False, "endTime (required, ISO 8601), user, source, note"),
        ("unacknowledge", "POST", "unacknowledge", "Unacknowledge alert", True, "user, source, note"),
        ("tags", "POST", "add_tags", "Add tags to alert", False, "tags (required), user, source, note"),
        ("details", "POST", "add_details", "Add details to alert", False, "details (required), user, source, note"),
        ("priority", "PUT", "priority", "Update alert priority", False, "priority (required, P1-P5)"),
        ("escalate", "POST", "escalate", "Escalate alert to next", False,
         "escalation {id|name} (required: an escalation policy the alert runs), user, source, note"),
        ("assign", "POST", "assign", "Assign alert", False, "owner {id|username} (required), user, source, note"),
        ("responders", "POST", "responder", "Add responder to alert", False,
         "responder {type, id|name|username} (required), user, source, note"),
        ("teams", "POST", "team", "Add team to alert", False, "team {id|name} (required), user, source, note")):
    router.add_api_route(f"/v2/alerts/{{identifier}}/{_path}", _alert_change(_change, empty_ok=_empty_ok),
                         methods=[_method], status_code=202, summary=f"{_summary} (Opsgenie)", responses=ANSWERS,
                         name=f"opsgenie_{_change}_alert", openapi_extra=_json_body(_fields))

for _path, _change, _summary, _params in (
        ("/tags", "remove_tags", "Remove tags from alert", ("tags", *_ACTOR)),
        ("/details", "remove_details", "Remove details from alert", ("keys", *_ACTOR)),
        ("", "delete", "Delete alert", ("user", "source"))):
    router.add_api_route(f"/v2/alerts/{{identifier}}{_path}", _alert_change(_change, empty_ok=True,
                                                                             from_query=_params),
                         methods=["DELETE"], status_code=202, summary=f"{_summary} (Opsgenie)", responses=ANSWERS,
                         name=f"opsgenie_{_change}_alert", description=f"Query parameters: {', '.join(_params)}")


# Who is on call -----------------------------------------------------------------------------------


@router.get("/v2/schedules/{identifier}/on-calls", summary="Who is on call (Opsgenie)", responses=ANSWERS)
def opsgenie_on_calls(identifier: str, schedule_identifier_type: str = Query("id", alias="scheduleIdentifierType"),
                      flat: str = "false", date: str | None = None, authorization: str | None = GenieKey,
                      runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        at = oncall.parse_date(date, runtime.clock.now())
        with runtime.database.reading() as db:
            data = oncall.on_calls(db=db, header=authorization, identifier=identifier,
                                   kind=schedule_identifier_type.strip().lower(),
                                   flat=flat.strip().lower() == "true", at=at)
        return {"data": data}

    return answer(call, 200, work)


# Heartbeats ---------------------------------------------------------------------------------------


async def opsgenie_ping_heartbeat(name: str, authorization: str | None = GenieKey,
                                  runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    """Ping a heartbeat (Opsgenie): a sign of life; after an expiry it closes the expiry alert."""
    return await _ping(runtime, name, authorization)


PING_PATH = "/v2/heartbeats/{name}/ping"


async def opsgenie_ping(request: Request) -> JSONResponse:
    """The ping route's handler as the ingest fast path calls it (a POST ping: monitors ping in bursts)."""
    return await _ping(runtime_of(request), request.path_params["name"], request.headers.get("authorization"))


async def _ping(runtime: Runtime, name: str, authorization: str | None) -> JSONResponse:
    call = Call()

    async def work() -> dict[str, Any]:
        # Group-committed: many monitors pinging at once share transactions.
        await runtime.committer.run(lambda db: og_heartbeats.ping(db=db, header=authorization, name=name,
                                                                   clock=runtime.clock), partition=name)
        return {"result": og_heartbeats.PONG}

    return await answer_after(call, 202, work())


for _verb in ("GET", "POST", "PUT", "PATCH"):  # Opsgenie accepts a ping with any of these
    router.add_api_route(PING_PATH, opsgenie_ping_heartbeat, methods=[_verb], status_code=202,
                         summary="Ping heartbeat (Opsgenie)", responses=ANSWERS,
                         name=f"opsgenie_ping_heartbeat_{_verb.lower()}")


@router.get("/v2/heartbeats", summary="List heartbeats (Opsgenie)", responses=ANSWERS)
def opsgenie_list_heartbeats(authorization: str | None = GenieKey,
                             runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        with runtime.database.reading() as db:
            return {"data": {"heartbeats": og_heartbeats.list_all(db=db, header=authorization)}}

    return answer(call, 200, work)


@router.post("/v2/heartbeats", status_code=201, summary="Add heartbeat (Opsgenie)", responses=ANSWERS,
             openapi_extra=_json_body("name, interval, intervalUnit (minutes|hours|days), enabled (required); "
                                      "description, ownerTeam {id|name}, alertMessage, alertPriority"))
def opsgenie_add_heartbeat(body: bytes = Depends(raw_body), authorization: str | None = GenieKey,
                           runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        data = read_json(body)
        with runtime.database.writing() as db:
            made = og_heartbeats.brief(og_heartbeats.create(db=db, header=authorization, data=data,
                                                            clock=runtime.clock))
        return {"data": made}

    return answer(call, 201, work)


@router.get("/v2/heartbeats/{name}", summary="Get heartbeat (Opsgenie)", responses=ANSWERS)
def opsgenie_get_heartbeat(name: str, authorization: str | None = GenieKey,
                           runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        with runtime.database.reading() as db:
            return {"data": og_heartbeats.get_one(db=db, header=authorization, name=name)}

    return answer(call, 200, work)


@router.patch("/v2/heartbeats/{name}", summary="Update heartbeat (Opsgenie)", responses=ANSWERS,
              openapi_extra=_json_body("Any of description, interval + intervalUnit, enabled, ownerTeam, "
                                       "alertMessage, alertPriority"))
def opsgenie_update_heartbeat(name: str, body: bytes = Depends(raw_body), authorization: str | None = GenieKey,
                              runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        data = read_json(body)
        with runtime.database.writing() as db:
            changed = og_heartbeats.brief(og_heartbeats.update(db=db, header=authorization, name=name, data=data,
                                                               clock=runtime.clock))
        return {"data": changed}

    return answer(call, 200, work)


@router.delete("/v2/heartbeats/{name}", summary="Delete heartbeat (Opsgenie)", responses=ANSWERS)
def opsgenie_delete_heartbeat(name: str, authorization: str | None = GenieKey,
                              runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    call = Call()

    def work() -> dict[str, Any]:
        with runtime.database.writing() as db:
            og_heartbeats.delete(db=db, header=authorization, name=name, clock=runtime.clock)
        return {"result": "Deleted"}

    return answer(call, 200, work)


def _switch(enabled: bool) -> Callable[..., JSONResponse]:
    def handler(name: str, authorization: str | None = GenieKey,
                runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
        call = Call()

        def work() -> dict[str, Any]:
            with runtime.database.writing() as db:
                switched = og_heartbeats.brief(og_heartbeats.switch(db=db, header=authorization, name=name,
                                                                    enabled=enabled, clock=runtime.clock))
            return {"data": switched}

        return answer(call, 200, work)

    return handler


for _word, _on in (("enable", True), ("disable", False)):
    router.add_api_route(f"/v2/heartbeats/{{name}}/{_word}", _switch(_on), methods=["POST"],
                         summary=f"{_word.title()} heartbeat (Opsgenie)", responses=ANSWERS,
                         name=f"opsgenie_{_word}_heartbeat")
