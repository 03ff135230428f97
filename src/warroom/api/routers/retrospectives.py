"""An incident's retrospective: schedule, read, reschedule, cancel, and its invite as .ics."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, problems
from warroom.incidents import service as incidents
from warroom.retrospectives import invites
from warroom.retrospectives import service as retrospectives
from warroom.retrospectives.schemas import RetrospectiveIn, RetrospectiveOut, RetrospectivePatch
from warroom.runtime import Runtime

router = APIRouter(tags=["retrospectives"], route_class=JsonBodyRoute)


def _out(runtime: Runtime, ref: str, principal: Principal) -> RetrospectiveOut:
    with runtime.database.reading() as db:
        return RetrospectiveOut.of(retrospectives.get(db=db, actor=principal.actor, ref=ref))


@router.post("/incidents/{ref}/retrospective", summary="Schedule the retrospective and send the invites",
             status_code=201, response_model=RetrospectiveOut, responses=WRITES)
def schedule_retrospective(ref: str, body: RetrospectiveIn, runtime: Runtime = Depends(get_runtime),
                           principal: Principal = Depends(writer)) -> RetrospectiveOut:
    with runtime.database.writing() as db:
        retro = retrospectives.schedule(db=db, actor=principal.actor, ref=ref, starts_at=body.starts_at,
                                        minutes=body.minutes, location=body.location, agenda=body.agenda,
                                        attendees=body.attendees, include_participants=body.include_participants)
        incident = incidents.get_incident(db=db, ref=retro.incident_id)
        return RetrospectiveOut.of(retrospectives.view_of(db, incident, retro))


@router.get("/incidents/{ref}/retrospective", summary="The incident's retrospective and who is invited",
            response_model=RetrospectiveOut, responses=problems(401, 403, 404, 422))
def get_retrospective(ref: str, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(reader)) -> RetrospectiveOut:
    return _out(runtime, ref, principal)


@router.patch("/incidents/{ref}/retrospective", summary="Reschedule: the invite is re-sent with a higher SEQUENCE",
              response_model=RetrospectiveOut, responses=WRITES)
def reschedule_retrospective(ref: str, body: RetrospectivePatch, runtime: Runtime = Depends(get_runtime),
                             principal: Principal = Depends(writer)) -> RetrospectiveOut:
    with runtime.database.writing() as db:
        retro = retrospectives.reschedule(db=db, actor=principal.actor, ref=ref, starts_at=body.starts_at,
                                          minutes=body.minutes, location=body.location, agenda=body.agenda,
                                          attendees=body.attendees, include_participants=body.include_participants)
        incident = incidents.get_incident(db=db, ref=retro.incident_id)
        return RetrospectiveOut.of(retrospectives.view_of(db, incident, retro))


@router.delete("/incidents/{ref}/retrospective", summary="Cancel: attendees get METHOD:CANCEL",
               response_model=RetrospectiveOut, responses=WRITES)
def cancel_retrospective(ref: str, runtime: Runtime = Depends(get_runtime),
                         principal: Principal = Depends(writer)) -> RetrospectiveOut:
    with runtime.database.writing() as db:
        retro = retrospectives.cancel(db=db, actor=principal.actor, ref=ref)
        incident = incidents.get_incident(db=db, ref=retro.incident_id)
        return RetrospectiveOut.of(retrospectives.view_of(db, incident, retro))


@router.get("/incidents/{ref}/retrospective.ics", summary="The invite as an iCalendar file",
            response_class=Response, responses={200: {"content": {"text/calendar": {}}},
                                                **problems(401, 403, 404, 422)})
def retrospective_ics(ref: str, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(reader)) -> Response:
    with runtime.database.reading() as db:
        view = retrospectives.get(db=db, actor=principal.actor, ref=ref)
        text = invites.ics_for(view, now=runtime.clock.now(), base_url=runtime.settings.base_url,
                               mail_from=runtime.settings.mail_from)
        name = f"retrospective-{view.incident.ref}.ics"
    return Response(text, media_type="text/calendar; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
