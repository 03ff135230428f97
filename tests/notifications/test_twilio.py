"""SMS and voice through Twilio's documented REST API, against a fake Twilio on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from warroom.core.delivery import DeliveryError
from warroom.engine.models import Job, JobState
from warroom.integrations.twilio import TwilioClient
from warroom.notifications.models import ContactKind, DeliveryStatus

from .servers import twilio_error

S, V = ContactKind.sms, ContactKind.voice


def client(twilio, token=None):
    return TwilioClient(twilio.account_sid, token or twilio.auth_token, "+15005550006", twilio.base_url)


def test_an_sms_is_a_form_post_to_messages_json_with_basic_auth_and_an_idempotency_token(twilio):
    sid = client(twilio).send_sms(to="+14155550123", body="[P1] #3 Checkout fails", idempotency_id="ntf-3-0")
    [request] = twilio.requests
    assert sid.startswith("SM") and len(sid) == 34
    assert (request.resource, request.account_sid) == ("Messages", twilio.account_sid)
    assert request.auth == (twilio.account_sid, twilio.auth_token)
    assert request.form == {"To": "+14155550123", "From": "+15005550006", "Body": "[P1] #3 Checkout fails"}
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["i-twilio-idempotency-token"] == "ntf-3-0"


def test_a_voice_call_reads_the_alert_aloud_in_escaped_twiml(twilio):
    sid = client(twilio).call(to="+14155550123", say="Disk <full> & slow", idempotency_id="ntf-4-0")
    [request] = twilio.requests
    assert sid.startswith("CA") and request.resource == "Calls"
    assert request.form["Twiml"] == "<Response><Say>Disk &lt;full&gt; &amp; slow</Say></Response>"
    assert request.form["To"] == "+14155550123" and request.form["From"] == "+15005550006"


def test_long_sms_bodies_are_cut_to_twilios_limit(twilio):
    client(twilio).send_sms(to="+14155550123", body="x" * 5000, idempotency_id="ntf-5-0")
    assert len(twilio.requests[0].form["Body"]) == 1600


@pytest.mark.parametrize(("status", "code", "message", "permanent"), [
    (400, 21211, "The 'To' number +1415 is not a valid phone number.", True),
    (401, 20003, "Authenticate", True),
    (429, 20429, "Too Many Requests", False),
    (500, 20500, "Internal Server Error", False),
    (503, 20503, "Service Unavailable", False),
])
def test_twilio_errors_carry_twilios_message_and_decide_whether_to_retry(twilio, status, code, message, permanent):
    twilio.script.append((status, twilio_error(code, message, status), {}))
    with pytest.raises(DeliveryError) as caught:
        client(twilio).send_sms(to="+14155550123", body="hi", idempotency_id="ntf-6-0")
    assert caught.value.permanent is permanent
    assert str(caught.value) == (f"Twilio {status} error {code}: {message} "
                                 f"(https://www.twilio.com/docs/errors/{code})")


def test_a_wrong_auth_token_is_refused_by_the_fake_as_by_twilio(twilio):
    with pytest.raises(DeliveryError, match="Twilio 401 error 20003: Authenticate") as caught:
        client(twilio, token="wrong").send_sms(to="+14155550123", body="hi", idempotency_id="ntf-7-0")
    assert caught.value.permanent and twilio.requests == []


def test_429_with_retry_after_is_retried_after_that_long_then_sent(pager, twilio):
    pager.use_twilio(twilio)
    twilio.script.append((429, twilio_error(20429, "Too Many Requests", 429), {"Retry-After": "7"}))
    bob = pager.person("bob", [(S, "+14155550123", 0)])
    engine = pager.engine()
    alert_id = pager.page(bob)
    pager.run(engine)
    [sms] = pager.notifications(alert_id)
    assert (sms.status, sms.attempts) == (DeliveryStatus.queued, 1) and "20429" in sms.last_error
    with pager.runtime.database.reading() as db:
        job = db.scalar(sa.select(Job).where(Job.kind == "notify"))
    assert job.state is JobState.pending and job.due_at == pager.clock.now() + timedelta(seconds=7)
    pager.clock.advance(timedelta(seconds=7))
    pager.run(engine)
    [sms] = pager.notifications(alert_id)
    assert (sms.status, sms.attempts, sms.last_error) == (DeliveryStatus.sent, 2, "")
    tokens = [r.headers["i-twilio-idempotency-token"] for r in twilio.requests]
    assert tokens == [sms.idempotency_key, sms.idempotency_key]


def test_a_400_from_twilio_fails_the_notification_at_once_with_twilios_reason(pager, twilio):
    pager.use_twilio(twilio)
    twilio.script.append((400, twilio_error(21211, "The 'To' number +14155550123 is not a valid phone number.",
                                            400), {}))
    bob = pager.person("bob", [(V, "+14155550123", 0)])
    engine = pager.engine()
    alert_id = pager.page(bob)
    pager.run(engine)
    pager.clock.advance(timedelta(hours=1))
    pager.run(engine)
    assert len(twilio.requests) == 1  # not retried
    [call] = pager.notifications(alert_id)
    assert call.status is DeliveryStatus.failed
    assert call.last_error.startswith("Twilio 400 error 21211: The 'To' number +14155550123 is not a valid")
    [event] = pager.events(alert_id, "notify_failed")
    assert event.body.startswith("Could not notify @bob by voice call: Twilio 400 error 21211")


def test_a_voice_call_page_says_the_priority_and_message(pager, twilio):
    pager.use_twilio(twilio)
    bob = pager.person("bob", [(V, "+14155550123", 0)])
    alert_id = pager.page(bob, message="Payments API down")
    pager.run(pager.engine())
    [request] = twilio.created("Calls")
    [call] = pager.notifications(alert_id)
    assert request.form["Twiml"] == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" timeout="10" method="POST" '
        f'action="http://warroom.test/integrations/twilio/voice?page={call.idempotency_key}">'
        "<Say>Warroom alert, priority P1. Payments API down. Press 1 to acknowledge, 2 to escalate, 3 to close."
        "</Say></Gather><Say>No key was pressed: acknowledge it in Warroom. Goodbye.</Say></Response>")
    assert pager.events(alert_id, "notified")[0].body == "Notified @bob by voice call"
