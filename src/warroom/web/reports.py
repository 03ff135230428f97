"""External reports: the public "report a problem" form (no sign-in) and the triage inbox (signed in).

The form is guarded by a rate limit per client address, a hidden field people leave empty and a signed form
token with a minimum fill time and an expiry, used once; the counts and used tokens live in the database, shared
by every web process. Refused posts write nothing and show the form
again with what to fix. The reporter's page after sending holds nothing internal.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.api.deps import Principal, get_runtime
from warroom.core.actor import Actor
from warroom.core.errors import ValidationFailed, WarroomError
from warroom.incidents.models import Severity
from warroom.reports import flows as report_flows
from warroom.reports import guard
from warroom.reports import service as reports
from warroom.reports.models import ReportStatus
from warroom.runtime import Runtime
from warroom.web.auth import can_act, client_address, reading_as, web_principal
from warroom.web.forms import FormError, act_in_pool, post_form, read_form
from warroom.web.templating import Flash, page, redirect

router = APIRouter(include_in_schema=False)

MAX_FORM_BYTES = 128 * 1024  # a description of 10,000 characters, URL-encoded, fits with room to spare
FORM_FIELDS = ("name", "email", "description", "affected_service")
MAX_FIELDS = 20
INBOX_VIEWS = {"open": reports.OPEN, "all": (), **{s.value: (s,) for s in ReportStatus}}
_guard_lock = threading.Lock()


def form_guard(request: Request) -> guard.FormGuard:
    """The form's rate limiter and used tokens, kept in the database (one guard per app)."""
    with _guard_lock:
        found: guard.FormGuard | None = getattr(request.app.state, "report_form_guard", None)
        if found is None:
            found = guard.FormGuard.shared_by(request.app.state.runtime.throttles)
            request.app.state.report_form_guard = found
        return found


def client_of(request: Request, runtime: Runtime) -> str:
    return client_address(request, runtime) or "unknown"


# The public form ----------------------------------------------------------------------------------------


def _form_page(runtime: Runtime, request: Request, values: dict[str, str], *, error: FormError | None = None,
               field: str = "", status: int = 200, headers: dict[str, str] | None = None) -> Response:
    token = guard.issue_form_token(runtime.secret_key, runtime.clock.now())
    response = page(runtime, request, "report_form.html", {
        "values": values, "form_token": token, "honeypot": guard.HONEYPOT, "form_error": error,
        "error_field": field, "inbound_address": runtime.settings.inbound_address,
    }, status)
    response.headers.update(headers or {})
    return response


@router.get("/report")
def report_form(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _form_page(runtime, request, {})


async def _bounded_form(request: Request) -> dict[str, str] | None:
    """The urlencoded form, or None when the body is over MAX_FORM_BYTES (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise ValidationFailed("The form has more fields than this page sends; send the report from this page.",
                               field="form_token") from None
    return {name: values[0] for name, values in fields.items()}


def _refused(runtime: Runtime, request: Request, values: dict[str, str], message: str, status: int,
             field: str = "", headers: dict[str, str] | None = None) -> Response:
    shown = {k: values.get(k, "") for k in FORM_FIELDS}
    return _form_page(runtime, request, shown, error=FormError("report", message, shown, status), field=field,
                      status=status, headers=headers)


@router.post("/report")
async def send_report(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    client = client_of(request, runtime)
    limited: guard.RateLimited | None = None
    try:
        form_guard(request).limiter.hit(client, runtime.clock.now())
    except guard.RateLimited as refusal:
        limited = refusal
    urlencoded = "application/x-www-form-urlencoded" in request.headers.get("content-type", "")
    try:
        values = await _bounded_form(request) if urlencoded else {}
    except ValidationFailed as error:
        return _refused(runtime, request, {}, error.message, 429 if limited else error.status)
    if limited is not None:
        minutes = max(1, round(limited.retry_after / 60))
        return _refused(runtime, request, values or {}, f"You have sent several reports in a short time. Please "
                        f"wait about {minutes} minute{'s' if minutes != 1 else ''} and send it again.", 429,
                        headers={"Retry-After": str(limited.retry_after)})
    if not urlencoded:
        return _refused(runtime, request, {}, "Send the report with the form on this page.", 415)
    if values is None:
        return _refused(runtime, request, {}, f"The report is too long (over {MAX_FORM_BYTES // 1024} KB); "
                        "shorten the description and send it again.", 413, field="description")
    return await run_in_threadpool(_keep_report, request, runtime, values, client)


def _keep_report(request: Request, runtime: Runtime, values: dict[str, str], client: str) -> Response:
    used = form_guard(request).used
    nonce = ""
    try:
        guard.check_honeypot(values.get(guard.HONEYPOT, ""))
        nonce = guard.read_form_token(runtime.secret_key, values.get("form_token", ""), runtime.clock.now())
        used.use(nonce, runtime.clock.now())
        submission = reports.form_submission(
            name=values.get("name", ""), email=values.get("email", ""),
            description=values.get("description", ""), affected_service=values.get("affected_service", ""))
        with runtime.database.writing() as db:
            reports.receive_report(db=db, actor=Actor.system(runtime.clock), submission=submission, client=client)
    except WarroomError as error:
        if nonce:
            used.forget(nonce)
        return _refused(runtime, request, values, error.message, error.status, error.field or "")
    except Exception:
        if nonce:
            used.forget(nonce)
        raise
    return page(runtime, request, "report_received.html",
                {"reporter_name": submission.name, "reporter_email": submission.email})


# The triage inbox ----------------------------------------------------------------------------------------


@router.get("/reports")
def inbox(request: Request, status: str = "open", runtime: Runtime = Depends(get_runtime)) -> Response:
    view = status if status in INBOX_VIEWS else "open"
    with reading_as(request) as (db, principal):
        rows, total = reports.list_reports(db=db, statuses=INBOX_VIEWS[view], limit=200)
        tally = reports.counts(db=db)
    return page(runtime, request, "report_inbox.html", {
        "principal": principal, "reports": rows, "total": total, "counts": tally, "view": view,
        "views": list(INBOX_VIEWS), "nav": "reports", "inbound_address": runtime.settings.inbound_address,
    })


def _detail(runtime: Runtime, request: Request, ref: str, *, error: FormError | None = None,
            status: int = 200) -> Response:
    with reading_as(request) as (db, principal):
        view = reports.report_view(db=db, ref=ref)
    return page(runtime, request, "report_detail.html", {
        "principal": principal, "view": view, "report": view.report, "can_act": can_act(principal),
        "form_error": error, "severities": list(Severity), "nav": "reports",
        "mail_configured": bool(runtime.settings.smtp_host),
    }, status)


@router.get("/reports/{ref}")
def report_detail(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _detail(runtime, request, ref)


def _canonical(ref: str) -> str:
    return f"R-{reports.parse_report_ref(ref)}"


async def _triage(request: Request, runtime: Runtime, principal: Principal, ref: str, form: str,
                  change: Any) -> Response:
    values = await read_form(request)
    where = f"/reports/{_canonical(ref)}"
    return await post_form(
        request, runtime, principal, form, values, lambda db: change(db, values), then=where,
        on_error=lambda error: _detail(runtime, request, ref, error=error, status=error.status))


@router.post("/reports/{ref}/acknowledge")
async def acknowledge(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, values: dict[str, str]) -> str:
        report = reports.acknowledge_report(db=db, actor=principal.actor, ref=ref)
        return f"Acknowledged {report.ref}: {report.reporter_email} is being told it is being handled."

    return await _triage(request, runtime, principal, ref, "acknowledge", change)


@router.post("/reports/{ref}/dismiss")
async def dismiss(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, values: dict[str, str]) -> str:
        report = reports.dismiss_report(db=db, actor=principal.actor, ref=ref, reason=values.get("reason", ""))
        return f"Dismissed {report.ref} (kept and counted as a false positive)."

    return await _triage(request, runtime, principal, ref, "dismiss", change)


def _checked(values: dict[str, str], name: str) -> bool:
    return values.get(name, "") not in ("", "0", "false", "off")


@router.post("/reports/{ref}/declare")
async def declare(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> tuple[str, Flash]:
        declared = report_flows.declare_from_report(
            db=db, actor=principal.actor, ref=ref, severity=values.get("severity", ""),
            title=values.get("title", ""), customer_impact=_checked(values, "customer_impact"),
            security=_checked(values, "security"), suspected=_checked(values, "suspected"))
        outcome = declared.outcome
        return outcome.incident.ref, Flash(f"{outcome.message} — from report {declared.report.ref}", outcome.warnings)

    return await act_in_pool(
        request, runtime, principal, values, change,
        done=lambda made: redirect(runtime, f"/incidents/{made[0]}", made[1]),
        refused=lambda error: _detail(runtime, request, ref, error=FormError("declare", error.message, values,
                                                                             error.status), status=error.status))
