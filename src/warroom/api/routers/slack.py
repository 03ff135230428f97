"""Slack's requests: slash commands, interactivity (modals, buttons) and the Events API, each signed by Slack.

Every request is verified before anything is read from it (401 when the signature is wrong or five minutes
old); a request or event id seen before is answered without acting again. Answers come well within Slack's
three seconds: the work Slack itself must see afterwards (rooms, pinned and announced messages) is queued for
the engine.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from warroom.api.deps import get_runtime
from warroom.api.routers.common import problems
from warroom.integrations.chat import service as chat
from warroom.integrations.chat.dispatch import Dispatcher
from warroom.integrations.chat.platform import CommandReceived, Reply
from warroom.integrations.slack import inbound, views
from warroom.integrations.slack.client import SlackPlatform
from warroom.runtime import Runtime

router = APIRouter(prefix="/integrations/slack", tags=["slack"])


class SlackAnswer(BaseModel):
    """What Slack gets back: a reply to the command, form errors, the URL challenge, or an empty 200."""

    response_type: str | None = Field(None, description="ephemeral (only the caller sees it) or in_channel.")
    text: str | None = None
    response_action: str | None = Field(None, description="errors: the modal stays open with these.")
    errors: dict[str, str] | None = None
    challenge: str | None = None


PLATFORM = "slack"
NOT_SET_UP = Reply("Warroom's Slack app is not set up on the server yet: set WARROOM_SLACK_BOT_TOKEN.")
# Calls to Slack made while answering (opening the form, looking someone up once) give up after this long, so
# the answer still reaches Slack within its 3 seconds when Slack itself is slow.
ANSWER_TIMEOUT_SECONDS = 2
_answering: dict[tuple[str, str], SlackPlatform] = {}
SIGNED = problems(400, 401, 413, 422, 503)


async def _verified(request: Request, runtime: Runtime) -> tuple[bytes, str]:
    raw = await request.body()
    signature = inbound.verify(secret=runtime.settings.slack_signing_secret, body=raw,
                               timestamp=request.headers.get("x-slack-request-timestamp"),
                               signature=request.headers.get("x-slack-signature"), now=runtime.clock.now())
    return raw, signature


def _first_time(runtime: Runtime, key: str) -> bool:
    with runtime.database.writing() as db:
        return chat.first_sight(db=db, platform=PLATFORM, event_id=key, now=runtime.clock.now())


def _dispatcher(runtime: Runtime) -> Dispatcher | None:
    token, url = runtime.settings.slack_bot_token, runtime.settings.slack_api_url
    if not token:
        return None
    platform = _answering.get((token, url))
    if platform is None:
        platform = _answering[(token, url)] = SlackPlatform(token, url, timeout=ANSWER_TIMEOUT_SECONDS)
    return Dispatcher(runtime.database, platform, runtime.clock)


def _say(reply: Reply | None) -> Response:
    if reply is None:
        return Response(status_code=200)
    return JSONResponse({"response_type": "ephemeral" if reply.private else "in_channel", "text": reply.text})


@router.post("/commands", summary="Slack slash commands: /incident and /genie (form-encoded, signed by Slack)",
             response_model=SlackAnswer, responses=SIGNED)
async def slack_command(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    raw, signature = await _verified(request, runtime)
    command = inbound.read_command(raw)
    return _say(await run_in_threadpool(_run_command, runtime, command, signature))


def _run_command(runtime: Runtime, command: CommandReceived, signature: str) -> Reply | None:
    if not _first_time(runtime, signature):
        return Reply("This request was already handled.")
    dispatcher = _dispatcher(runtime)
    return dispatcher.command(command) if dispatcher is not None else NOT_SET_UP


@router.post("/interactivity", summary="Slack interactivity: the declare modal's submission and buttons",
             response_model=SlackAnswer, responses=SIGNED)
async def slack_interactivity(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    raw, signature = await _verified(request, runtime)
    interaction = inbound.read_interaction(raw)
    return await run_in_threadpool(_interact, runtime, interaction, signature)


def _interact(runtime: Runtime, interaction: inbound.Interaction, signature: str) -> Response:
    if interaction.kind == "ignored" or not _first_time(runtime, signature):
        return Response(status_code=200)
    dispatcher = _dispatcher(runtime)
    if dispatcher is None:
        return JSONResponse({"response_action": "errors", "errors": {"description": NOT_SET_UP.text}})
    if interaction.declare is not None:
        reply = dispatcher.declare(interaction.declare)
        if reply.errors:
            return JSONResponse({"response_action": "errors", "errors": reply.errors})
        return JSONResponse({"response_action": "update", "view": views.declared_modal(reply.text)})
    for pressed in interaction.buttons:
        dispatcher.button(pressed)
    return Response(status_code=200)


@router.post("/events", summary="Slack's Events API: messages and reactions in incident channels",
             response_model=SlackAnswer, responses=SIGNED)
async def slack_events(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    raw, _ = await _verified(request, runtime)
    event = inbound.read_event(raw)
    if event.kind == "challenge":
        return JSONResponse({"challenge": event.challenge})
    if event.kind in ("message", "edit", "delete", "reaction"):
        await run_in_threadpool(_on_event, runtime, event)
    return Response(status_code=200)


def _on_event(runtime: Runtime, event: inbound.Event) -> None:
    dispatcher = _dispatcher(runtime)
    if dispatcher is None:
        return
    if event.message is not None:
        dispatcher.message(event.message, event.event_id)
    elif event.edit is not None:
        dispatcher.edited(event.edit, event.event_id)
    elif event.delete is not None:
        dispatcher.deleted(event.delete, event.event_id)
    elif event.reaction is not None:
        dispatcher.reaction(event.reaction, event.event_id)
