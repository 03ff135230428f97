"""Slack's requests: slash commands, interactivity (modals, buttons) and the Events API, each signed by Slack.

Every request is verified before anything is read from it (401 when the signature is wrong or five minutes
old); a request or event id seen before is answered without acting again. Answers come well within Slack's
three seconds: the work Slack itself must see afterwards (rooms, pinned and announced messages) is queued for
the engine.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from warroom.api.deps import get_runtime
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import problems
from warroom.chat_inbound.slack import answers, inbound
from warroom.runtime import Runtime

router = APIRouter(prefix="/integrations/slack", tags=["slack"], route_class=JsonBodyRoute)


class SlackAnswer(BaseModel):
    """What Slack gets back: a reply to the command, form errors, the URL challenge, or an empty 200."""

    response_type: str | None = Field(None, description="ephemeral (only the caller sees it) or in_channel.")
    text: str | None = None
    response_action: str | None = Field(None, description="errors: the modal stays open with these.")
    errors: dict[str, str] | None = None
    challenge: str | None = None


SIGNED = problems(400, 401, 413, 422, 503)


async def _verified(request: Request, runtime: Runtime) -> tuple[bytes, str]:
    raw = await request.body()
    signature = inbound.verify(secret=runtime.settings.slack_signing_secret, body=raw,
                               timestamp=request.headers.get("x-slack-request-timestamp"),
                               signature=request.headers.get("x-slack-signature"), now=runtime.clock.now())
    return raw, signature


def _respond(runtime: Runtime, answer: answers.Answer) -> Response:
    after = BackgroundTasks()
    if answer.notes:
        after.add_task(answers.send_notes, runtime, answer.notes)
    if answer.body is None:
        return Response(status_code=200, background=after)
    return JSONResponse(answer.body, background=after)


@router.post("/commands", summary="Slack slash commands: /incident and /genie (form-encoded, signed by Slack)",
             response_model=SlackAnswer, responses=SIGNED)
async def slack_command(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    raw, signature = await _verified(request, runtime)
    command = inbound.read_command(raw)
    return _respond(runtime, await run_in_threadpool(answers.command, runtime, command, signature))


@router.post("/interactivity", summary="Slack interactivity: the declare modal's submission and buttons",
             response_model=SlackAnswer, responses=SIGNED)
async def slack_interactivity(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    raw, signature = await _verified(request, runtime)
    interaction = inbound.read_interaction(raw)
    return _respond(runtime, await run_in_threadpool(answers.interaction, runtime, interaction, signature))


@router.post("/events", summary="Slack's Events API: messages and reactions in incident channels",
             response_model=SlackAnswer, responses=SIGNED)
async def slack_events(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    raw, _ = await _verified(request, runtime)
    event = inbound.read_event(raw)
    return _respond(runtime, await run_in_threadpool(answers.event, runtime, event))
