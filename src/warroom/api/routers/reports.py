"""The triage inbox of reports from outside, and the inbound-mail door for mail servers."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, lead_of, problems
from warroom.core.errors import NotAuthenticated, NotFound, WarroomError
from warroom.incidents.schemas import OutcomeOut
from warroom.reports import flows as report_flows
from warroom.reports import inbound
from warroom.reports import service as reports
from warroom.reports.schemas import (
    DeclaredOut,
    DeclareFromReportIn,
    DismissIn,
    InboundOut,
    ReportCounts,
    ReportOut,
    ReportPage,
)
from warroom.runtime import Runtime

router = APIRouter(tags=["reports"], route_class=JsonBodyRoute)
RFC822 = "message/rfc822"


class UnsupportedMedia(WarroomError):
    status = 415
    title = "Unsupported media type"


@router.get("/reports", summary="The triage inbox: reports from outside, newest first", response_model=ReportPage,
            responses=problems(401, 403, 422))
def list_reports(
    status: Annotated[str | None, Query(description="new, acknowledged, declared, dismissed, or open (the first "
                                                    "two). All when absent.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> ReportPage:
    wanted = reports.OPEN if status == "open" else (reports.parse_status(status),) if status else ()
    with runtime.database.reading() as db:
        rows, total = reports.list_reports(db=db, statuses=wanted, limit=limit, offset=offset)
        counts = reports.counts(db=db)
        items = [ReportOut.of(r, runtime.settings.base_url) for r in rows]
    return ReportPage(items=items, total=total, limit=limit, offset=offset, counts=ReportCounts.of(counts))


@router.get("/reports/counts", summary="How many reports in each state (dismissed: false positives, counted)",
            response_model=ReportCounts, responses=problems(401, 403))
def report_counts(runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader)) -> ReportCounts:
    with runtime.database.reading() as db:
        return ReportCounts.of(reports.counts(db=db))


def _mail_server(request: Request, runtime: Runtime) -> None:
    expected = runtime.settings.inbound_mail_token
    if not expected:
        raise NotFound("The inbound mail endpoint is off: set WARROOM_INBOUND_MAIL_TOKEN and send it as "
                       "'Authorization: Bearer <token>'.")
    scheme, _, supplied = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(supplied.strip().encode(), expected.encode()):
        raise NotAuthenticated("Send the inbound mail token (WARROOM_INBOUND_MAIL_TOKEN) as "
                               "'Authorization: Bearer <token>'.")


@router.post("/reports/inbound", summary="Receive a raw mail (message/rfc822) from a mail server as a report",
             status_code=201, response_model=InboundOut, responses=problems(401, 404, 413, 422, 503),
             openapi_extra={"requestBody": {"required": True, "content": {RFC822: {"schema": {
                 "type": "string", "format": "binary"}}}}})
async def receive_mail(request: Request, runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    """For an MTA's pipe (e.g. Postfix: ``curl --data-binary @- -H 'Content-Type: message/rfc822' …``).

    Answers 201 once the report is stored, 200 for a Message-ID already received (a retry), 422 for mail that
    cannot be a report (no sender, automatic replies), 503 when the store is down (try again).
    """
    _mail_server(request, runtime)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != RFC822:
        raise UnsupportedMedia(f"Send the whole mail with 'Content-Type: {RFC822}' (got '{content_type or 'none'}').")
    raw = await request.body()
    report, created = await run_in_threadpool(inbound.receive_mail, runtime.database, runtime.clock, raw,
                                              runtime.settings)
    body = InboundOut(report=report.ref, created=created)
    return JSONResponse(body.model_dump(), status_code=201 if created else 200)


@router.get("/reports/{ref}", summary="One report", response_model=ReportOut,
            responses=problems(401, 403, 404, 422))
def show_report(ref: str, runtime: Runtime = Depends(get_runtime),
                _principal: Principal = Depends(reader)) -> ReportOut:
    with runtime.database.reading() as db:
        return ReportOut.of(reports.get_report(db=db, ref=ref), runtime.settings.base_url)


@router.post("/reports/{ref}/acknowledge", summary="Acknowledge: the reporter is told it is being handled",
             response_model=ReportOut, responses=WRITES)
def acknowledge_report(ref: str, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(writer)) -> ReportOut:
    with runtime.database.writing() as db:
        report = reports.acknowledge_report(db=db, actor=principal.actor, ref=ref)
        return ReportOut.of(report, runtime.settings.base_url)


@router.post("/reports/{ref}/declare", summary="Declare an incident from a report (acknowledging it if new)",
             status_code=201, response_model=DeclaredOut, responses=WRITES)
def declare_from_report(ref: str, body: DeclareFromReportIn, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(writer)) -> DeclaredOut:
    with runtime.database.writing() as db:
        declared = report_flows.declare_from_report(
            db=db, actor=principal.actor, ref=ref, severity=body.severity, title=body.title,
            customer_impact=body.customer_impact, security=body.security, suspected=body.suspected)
        outcome = OutcomeOut.of(declared.outcome, lead=lead_of(db, declared.outcome.incident.id),
                                base_url=runtime.settings.base_url)
        return DeclaredOut(report=ReportOut.of(declared.report, runtime.settings.base_url), incident=outcome)


@router.post("/reports/{ref}/dismiss", summary="Dismiss a report as not an incident, with the reason (counted)",
             response_model=ReportOut, responses=WRITES)
def dismiss_report(ref: str, body: DismissIn, runtime: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(writer)) -> ReportOut:
    with runtime.database.writing() as db:
        report = reports.dismiss_report(db=db, actor=principal.actor, ref=ref, reason=body.reason)
        return ReportOut.of(report, runtime.settings.base_url)
