"""SMS and voice calls through Twilio's REST API (2010-04-01), spoken over plain HTTP with httpx.

- ``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`` form ``To, From, Body`` -> 201 ``{"sid": "SM…"}``
- ``POST {base}/2010-04-01/Accounts/{AccountSid}/Calls.json`` form ``To, From, Twiml`` -> 201 ``{"sid": "CA…"}``
- HTTP basic auth ``AccountSid:AuthToken``; errors answer ``{"code", "message", "more_info", "status"}``.
- ``StatusCallback``: a URL Twilio posts the send's status to (MessageStatus / CallStatus), read by
  ``api/inbound/twilio.py``.

Each request carries ``I-Twilio-Idempotency-Token`` with the notification's idempotency id, so a retry of
the same notification is recognisable as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import httpx

from warroom.core.delivery import DeliveryError
from warroom.integrations import http
from warroom.integrations.twiml import gather
from warroom.ports import Keypress

API_VERSION = "2010-04-01"
MAX_SMS_BODY = 1600  # Twilio's limit for one Message's Body
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
CALL_EVENTS = ("initiated", "ringing", "answered", "completed")


@dataclass(frozen=True)
class TwilioClient:
    account_sid: str
    auth_token: str
    from_number: str
    base_url: str = "https://api.twilio.com"
    timeout: float = 15.0

    def send_sms(self, *, to: str, body: str, idempotency_id: str, status_callback: str = "") -> str:
        """Queue a text message; returns its sid (``SM…``). Twilio posts its delivery status to
        ``status_callback`` when given."""
        if len(body) > MAX_SMS_BODY:
            body = body[: MAX_SMS_BODY - 1] + "…"
        form: dict[str, str | list[str]] = {"To": to, "From": self.from_number, "Body": body}
        if status_callback:
            form["StatusCallback"] = status_callback
        return self._create("Messages", form, idempotency_id)

    def call(self, *, to: str, say: str, idempotency_id: str, twiml: str = "", status_callback: str = "") -> str:
        """Ring the number and read ``say`` aloud (or run ``twiml``); returns the call's sid (``CA…``).

        With ``status_callback``, Twilio posts the call's progress there: initiated, ringing, answered, completed.
        """
        form: dict[str, str | list[str]] = {"To": to, "From": self.from_number, "Twiml": twiml or twiml_say(say)}
        if status_callback:
            form["StatusCallback"] = status_callback
            form["StatusCallbackEvent"] = list(CALL_EVENTS)
        return self._create("Calls", form, idempotency_id)

    def _create(self, resource: str, form: dict[str, str | list[str]], idempotency_id: str) -> str:
        url = f"{self.base_url.rstrip('/')}/{API_VERSION}/Accounts/{self.account_sid}/{resource}.json"
        try:
            response = http.client().post(url, data=form, auth=(self.account_sid, self.auth_token),
                                  headers={IDEMPOTENCY_HEADER: idempotency_id, "user-agent": "Warroom"},
                                  timeout=self.timeout)
        except httpx.HTTPError as error:
            raise DeliveryError(f"Twilio unreachable: {type(error).__name__}: {error}") from error
        if response.status_code in (200, 201):
            return str(_json(response).get("sid", ""))
        raise twilio_error(response)


def twiml_say(text: str) -> str:
    return f"<Response><Say>{escape(text)}</Say></Response>"



@dataclass(frozen=True)
class TwilioCalls:
    """Calls through Twilio as ``warroom.ports.PhoneCalls``: a keypress prompt becomes a <Gather>."""

    client: TwilioClient

    def call(self, *, to: str, say: str, idempotency_id: str, keypress: Keypress | None = None,
             status_callback: str = "") -> str:
        twiml = gather(keypress.prompt, keypress.action_url) if keypress is not None else ""
        return self.client.call(to=to, say=say, idempotency_id=idempotency_id, twiml=twiml,
                                status_callback=status_callback)


def twilio_error(response: httpx.Response) -> DeliveryError:
    """429, 408 and 5xx are worth retrying (after Retry-After when given); other 4xx are not."""
    status = response.status_code
    body = _json(response)
    detail = str(body.get("message") or response.text[:300] or response.reason_phrase)
    code = body.get("code")
    more = body.get("more_info")
    text = f"Twilio {status}" + (f" error {code}" if code else "") + f": {detail}" + (f" ({more})" if more else "")
    retryable = status in (408, 429) or status >= 500
    return DeliveryError(text, permanent=not retryable, retry_after=_retry_after(response))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None  # an HTTP-date: fall back to the engine's backoff
