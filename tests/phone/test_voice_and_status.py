"""Answering a page's call with a key (TwiML <Gather>), and Twilio's delivery-status callbacks."""

from __future__ import annotations

import re
from html import unescape

import pytest

from warroom.notifications.models import ContactKind
from warroom.oncall.alerts.models import AlertStatus

from ..web.test_live import events, until
from .conftest import PUBLIC, gather_form, reply_of

BOB = "+14155550123"
STATUS = "/integrations/twilio/status"


def gather_action(twiml: str) -> str:
    found = re.search(r'<Gather numDigits="1"[^>]* action="([^"]+)">', twiml)
    assert found is not None, twiml
    return unescape(found.group(1))


def paged_by_call(phone, message: str = "Checkout fails") -> tuple[int, str]:
    bob = phone.person("bob", BOB, ContactKind.voice)
    alert_id = phone.page(bob, message=message)
    call = phone.sent("Calls", BOB)
    return alert_id, gather_action(call.form["Twiml"])


def test_the_call_offers_three_keys_and_asks_for_its_progress(phone):
    alert_id, action = paged_by_call(phone)
    call = phone.sent("Calls", BOB)
    [notification] = phone.notifications(alert_id)
    assert "<Say>Warroom alert, priority P1. Checkout fails. Press 1 to acknowledge, 2 to escalate, 3 to close." \
           "</Say></Gather>" in call.form["Twiml"]
    assert action == f"{PUBLIC}/integrations/twilio/voice?page={notification.idempotency_key}"
    assert call.form["StatusCallback"] == f"{PUBLIC}{STATUS}?page={notification.idempotency_key}"
    assert notification.reply_code is not None and notification.provider_reference.startswith("CA")


@pytest.mark.parametrize(("digits", "status", "said"), [
    ("1", AlertStatus.acknowledged, "Acknowledged alert #{id} (Checkout fails): escalation stopped. Goodbye."),
    ("3", AlertStatus.closed, "Closed alert #{id} (Checkout fails). Goodbye."),
])
def test_a_key_acknowledges_or_closes_the_calls_alert(phone, digits, status, said):
    alert_id, action = paged_by_call(phone)
    path = action.removeprefix(PUBLIC)
    answer = phone.post(path, gather_form(BOB, digits))
    assert reply_of(answer) == said.format(id=alert_id) and "<Gather" not in answer.text
    assert phone.alert(alert_id).status is status
    [reply] = phone.events(alert_id, "phone_reply")
    assert reply.body.startswith(f"@bob answered the page by voice call (pressed {digits})")


def test_key_2_escalates_now(phone):
    alert_id, action = paged_by_call(phone)
    answer = reply_of(phone.post(action.removeprefix(PUBLIC), gather_form(BOB, "2")))
    assert answer == f"Escalated alert #{alert_id} (Checkout fails): its next step is being paged now. Goodbye."
    assert [e.body for e in phone.events(alert_id, "escalate_now")] == ["@bob escalated now"]


@pytest.mark.parametrize("digits", ["9", "#", ""])
def test_another_key_is_no_choice_and_the_call_asks_again(phone, digits):
    alert_id, action = paged_by_call(phone)
    answer = phone.post(action.removeprefix(PUBLIC), gather_form(BOB, digits))
    assert reply_of(answer) == f"{digits or 'Nothing'} is not a choice."
    assert gather_action(answer.text) == action  # the same page, asked again
    assert phone.alert(alert_id).status is AlertStatus.open and phone.events(alert_id, "phone_reply") == []


def test_a_keypress_signed_for_another_page_is_refused(phone):
    alert_id, action = paged_by_call(phone)
    form = gather_form(BOB, "3")
    response = phone.post(action.removeprefix(PUBLIC), form, url=action.replace("page=ntf-", "page=ntf-x"))
    assert response.status_code == 403
    assert phone.alert(alert_id).status is AlertStatus.open


def test_a_keypress_for_a_page_warroom_does_not_know_changes_nothing(phone):
    answer = reply_of(phone.post("/integrations/twilio/voice?page=ntf-nothing-0", gather_form(BOB, "1")))
    assert answer == "Warroom does not know this call's page; nothing was changed. Goodbye."


# Delivery status ---------------------------------------------------------------------------------------


def message_status(sid: str, status: str, error_code: str = "") -> dict[str, str]:
    """Twilio's status callback for an outbound message."""
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+15005550006", "To": BOB,
            "MessageStatus": status, "SmsStatus": status, "ApiVersion": "2010-04-01"}
    return form | ({"ErrorCode": error_code} if error_code else {})


def test_message_status_callbacks_are_recorded_on_the_delivery_record_in_order(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    sms = phone.sent("Messages", BOB)
    path = sms.form["StatusCallback"].removeprefix(PUBLIC)
    [notification] = phone.notifications(alert_id)
    for status in ("sent", "delivered", "sent"):  # the late "sent" does not undo "delivered"
        response = phone.post(path, message_status(notification.provider_reference, status))
        assert response.status_code == 204, response.text
    [record] = phone.notifications(alert_id)
    assert (record.provider_status, record.last_error) == ("delivered", "")
    user = phone.factory.token(bob)
    shown = phone.client.get(f"/api/v1/alerts/{alert_id}", headers={"Authorization": f"Bearer {user}"}).json()
    assert [(d["kind"], d["status"], d["provider_status"]) for d in shown["deliveries"]] == [
        ("sms", "sent", "delivered")]
    assert phone.events(alert_id, "delivery_status") == []


def test_an_undelivered_text_says_so_on_the_record_and_the_timeline(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    path = phone.sent("Messages", BOB).form["StatusCallback"].removeprefix(PUBLIC)
    [notification] = phone.notifications(alert_id)
    response = phone.post(path, message_status(notification.provider_reference, "undelivered", "30003"))
    assert response.status_code == 204
    [record] = phone.notifications(alert_id)
    reason = "Twilio reports the SMS undelivered (error 30003: https://www.twilio.com/docs/errors/30003)"
    assert (record.provider_status, record.last_error) == ("undelivered", reason)
    [event] = phone.events(alert_id, "delivery_status")
    assert event.body == f"{reason}, to @bob"


def test_call_status_callbacks_are_recorded(phone):
    alert_id, _ = paged_by_call(phone)
    [notification] = phone.notifications(alert_id)
    path = phone.sent("Calls", BOB).form["StatusCallback"].removeprefix(PUBLIC)
    for status in ("initiated", "ringing", "busy"):
        form = {"CallSid": notification.provider_reference, "AccountSid": "AC" + "0" * 32, "To": BOB,
                "From": "+15005550006", "CallStatus": status, "Direction": "outbound-api",
                "ApiVersion": "2010-04-01", "Timestamp": "Mon, 07 Dec 2026 04:00:00 +0000"}
        assert phone.post(path, form).status_code == 204
    [record] = phone.notifications(alert_id)
    assert record.provider_status == "busy" and record.last_error == "Twilio reports the voice call busy"


def test_a_status_callback_without_a_status_or_for_no_notification_is_a_clear_4xx(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    path = phone.sent("Messages", BOB).form["StatusCallback"].removeprefix(PUBLIC)
    missing = phone.post(path, {"MessageSid": "SM1", "AccountSid": "AC1"})
    assert missing.status_code == 400 and "MessageStatus (a text) or CallStatus (a call)" in missing.text
    unknown = phone.post(f"{STATUS}?page=ntf-nothing-0", message_status("SM1", "delivered"))
    assert unknown.status_code == 404 and "No notification 'ntf-nothing-0'" in unknown.text
    forged = phone.post(path, message_status("SM1", "failed"), token="not-the-auth-token")
    assert forged.status_code == 403
    assert phone.notifications(alert_id)[0].provider_status == ""


def test_an_open_alert_page_shows_the_new_delivery_status_at_once(phone, browser):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    path = phone.sent("Messages", BOB).form["StatusCallback"].removeprefix(PUBLIC)
    [notification] = phone.notifications(alert_id)
    plain = phone.runtime.settings.base_url = "http://warroom.test"  # session cookies are Secure under https
    page = browser(bob)
    assert "Twilio:" not in page.get(f"/alerts/{alert_id}").text
    last = phone.events(alert_id)[-1].id
    with page.client.stream("GET", f"/alerts/{alert_id}/events?after={last}") as response:
        stream = events(response)
        next(stream)
        delivered = message_status(notification.provider_reference, "delivered")
        assert phone.post(path, delivered, url=plain + path).status_code == 204
        seen = until(stream, lambda e: e.get("event") == "deliveries" and "Twilio: delivered" in e["data"])
    assert 'class="muted nowrap provider-status">Twilio: delivered</span>' in seen[-1]["data"]
