"""An incident's retrospective page: schedule it, move it, cancel it; the invite as .ics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.api.deps import Principal, get_runtime
from warroom.incidents import service as incidents
from warroom.retrospectives import service as retrospectives
from warroom.retrospectives.models import RetrospectiveStatus
from warroom.runtime import Runtime
from warroom.web.auth import can_act, reading_as, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)


def _names(text: str) -> list[str]:
    return [word for word in text.replace(",", " ").split() if word]


def _page(runtime: Runtime, request: Request, ref: str, values: dict[str, str] | None = None,
          error: FormError | None = None) -> Response:
    with reading_as(request) as (db, principal):
        incident = incidents.get_incident(db=db, ref=ref)
        view = retrospectives.find(db=db, actor=principal.actor, ref=ref)
        scheduled = view is not None and view.retrospective.status is RetrospectiveStatus.scheduled
        if values is None and view is not None and scheduled:
            r = view.retrospective
            values = {"starts_at": f"{r.starts_at:%Y-%m-%dT%H:%M}", "minutes": str(r.duration_minutes),
                      "location": r.location, "agenda": r.agenda, "attendees": ""}
        agenda = retrospectives.default_agenda(db, incident)
        context = {"principal": principal, "incident": incident, "view": view, "scheduled": scheduled,
                   "values": values or {"minutes": "60", "agenda": agenda}, "form_error": error,
                   "can_act": can_act(principal)}
    return page(runtime, request, "retrospective.html", context, error.status if error else 200)


@router.get("/incidents/{ref}/retrospective")
def retrospective_page(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _page(runtime, request, ref)


@router.post("/incidents/{ref}/retrospective")
async def change_retrospective(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                               principal: Principal = Depends(web_principal)) -> Response:
    """``action``: schedule, move or cancel."""
    values = await read_form(request)
    action = values.get("action", "schedule")

    def change(db: Session) -> str:
        if action == "cancel":
            retrospectives.cancel(db=db, actor=principal.actor, ref=ref)
            return "Retrospective cancelled; attendees are told"
        minutes = values.get("minutes", "60").strip() or "60"
        if action == "move":
            retrospectives.reschedule(db=db, actor=principal.actor, ref=ref, starts_at=values.get("starts_at", ""),
                                      minutes=minutes, location=values.get("location", ""),
                                      agenda=values.get("agenda", ""))
            return "Retrospective changed; updated invites are on their way"
        retrospectives.schedule(db=db, actor=principal.actor, ref=ref, starts_at=values.get("starts_at", ""),
                                minutes=minutes, location=values.get("location", ""),
                                agenda=values.get("agenda", ""), attendees=_names(values.get("attendees", "")))
        return "Retrospective scheduled; invites are on their way"

    return await post_form(request, runtime, principal, "retrospective", values, change,
                                   then=f"/incidents/{ref}/retrospective",
                                   on_error=lambda error: _page(runtime, request, ref, values, error))
