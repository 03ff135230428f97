"""The command language over HTTP: the same parser and flows as a room's input box and the CLI."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from warroom.api.deps import Principal, get_runtime, reader
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES
from warroom.commands.runner import run_command
from warroom.incidents.schemas import CommandIn, CommandOut
from warroom.runtime import Runtime

router = APIRouter(tags=["commands"], route_class=JsonBodyRoute)


@router.post("/commands", summary="Run an /incident command (typos answer 400 with the usage line)",
             response_model=CommandOut, responses=WRITES)
def run_a_command(
    body: CommandIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader)
) -> CommandOut:
    # Readers may ask for help; every command that changes something checks for responder access in its flow.
    with runtime.database.writing() as db:
        result = run_command(db=db, actor=principal.actor, text=body.text, incident_ref=body.incident)
    return CommandOut(message=result.message, incident=result.incident_ref, warnings=list(result.warnings),
                      data=dict(result.data))
