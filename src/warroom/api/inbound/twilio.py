"""Twilio's webhooks: a text replying to a page, a key pressed on a page's call, and delivery status.

Point the Twilio number's "A message comes in" webhook at ``{WARROOM_BASE_URL}/integrations/twilio/sms``;
the call's keypress and status URLs travel with each page. Every request must carry a valid
``X-Twilio-Signature`` for the public URL (``WARROOM_BASE_URL`` and the path): otherwise 403, and nothing is
read or changed. Answers are TwiML.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from warroom.api.deps import get_runtime
from warroom.api.inbound import twilio_webhooks as webhook
from warroom.api.routers.common import problems
from warroom.integrations import twiml
from warroom.notifications import phone
from warroom.notifications.senders import KEYPRESS_CHOICES
from warroom.runtime import Runtime

router = APIRouter(tags=["twilio"])
SIGNED = problems(400, 403, 404, 413, 503)
TWIML: dict[int | str, dict[str, Any]] = {200: {"content": {twiml.TWIML_TYPE: {}}, "description": "TwiML"}}


def public_url(base_url: str, request: Request) -> str:
    """The URL Twilio called, as the public sees it: what its signature covers."""
    query = request.url.query
    return base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def signed_form(request: Request, runtime: Runtime) -> list[tuple[str, str]]:
    """The request's form fields, once its signature is proven to be Twilio's (403 otherwise)."""
    token = runtime.settings.twilio_auth_token
    if not token:
        raise HTTPException(403, "Twilio is not configured here: set WARROOM_TWILIO_AUTH_TOKEN (and the other "
                                 "WARROOM_TWILIO_* settings) to take replies and status callbacks.")
    form = webhook.read_form(await request.body())
    url = public_url(runtime.settings.base_url, request)
    if not webhook.signed_by_twilio(token, url, form, request.headers.get(webhook.SIGNATURE_HEADER)):
        raise HTTPException(403, f"X-Twilio-Signature is missing or does not match {url}; nothing was changed. "
                                 "Check WARROOM_TWILIO_AUTH_TOKEN and that WARROOM_BASE_URL is the address "
                                 "Twilio calls.")
    return form


def _twiml(document: str) -> Response:
    return Response(document, media_type=twiml.TWIML_TYPE)


@router.post(phone.SMS_PATH, responses={**SIGNED, **TWIML},
             summary="A text message to Warroom's Twilio number: a reply to a page ('4821 ack', 'esc', 'close')")
async def twilio_sms(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    form = await signed_form(request, runtime)
    return _twiml(twiml.message(await run_in_threadpool(_answer_text, runtime, form)))


def _answer_text(runtime: Runtime, form: list[tuple[str, str]]) -> str:
    with runtime.database.writing() as db:
        return phone.answer_text(db, sender=webhook.first(form, "From"), body=webhook.first(form, "Body"),
                                 sid=webhook.first(form, "MessageSid"), clock=runtime.clock)


@router.post(phone.KEYPRESS_PATH, responses={**SIGNED, **TWIML},
             summary="The key pressed on a page's call (Gather's Digits): 1 acknowledge, 2 escalate, 3 close")
async def twilio_keypress(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    form = await signed_form(request, runtime)
    page = request.query_params.get(phone.PAGE_PARAM, "")
    answer = await run_in_threadpool(_answer_keypress, runtime, page, form)
    if answer.again:
        return _twiml(twiml.gather(KEYPRESS_CHOICES, public_url(runtime.settings.base_url, request),
                                   before=answer.text))
    return _twiml(twiml.say(answer.text))


def _answer_keypress(runtime: Runtime, page: str, form: list[tuple[str, str]]) -> phone.Keypress:
    with runtime.database.writing() as db:
        return phone.answer_keypress(db, page_key=page, digits=webhook.first(form, "Digits"),
                                     sid=webhook.first(form, "CallSid"), clock=runtime.clock)


@router.post(phone.STATUS_PATH, status_code=204, responses=SIGNED,
             summary="Twilio's status callback for a page's text or call (MessageStatus / CallStatus)")
async def twilio_status(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    form = await signed_form(request, runtime)
    status = (webhook.first(form, "MessageStatus") or webhook.first(form, "CallStatus")).strip().lower()
    if not phone.valid_status(status):
        raise HTTPException(400, "A status callback carries MessageStatus (a text) or CallStatus (a call), like "
                                 f"'delivered' (got '{status[:40]}').")
    page = request.query_params.get(phone.PAGE_PARAM, "")
    if not await run_in_threadpool(_record_status, runtime, page, status, form):
        raise HTTPException(404, f"No notification '{page[:100]}' to record a status on.")
    return Response(status_code=204)


def _record_status(runtime: Runtime, page: str, status: str, form: list[tuple[str, str]]) -> bool:
    sid = webhook.first(form, "MessageSid") or webhook.first(form, "CallSid")
    with runtime.database.writing() as db:
        return phone.record_status(db, page_key=page, status=status, sid=sid,
                                   error_code=webhook.first(form, "ErrorCode")[:10], clock=runtime.clock)
