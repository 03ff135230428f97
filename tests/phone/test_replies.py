"""Answering a page by SMS reply: Twilio's messaging webhook, signed, answered with TwiML."""

from __future__ import annotations

import pytest

from warroom.accounts.models import AccessRole
from warroom.api.inbound import twilio_webhooks
from warroom.oncall.alerts.models import AlertStatus

from .. import support
from .conftest import PUBLIC, reply_of, sms_form, twilio_signature

BOB = "+14155550123"
SMS = "/integrations/twilio/sms"


def test_the_signature_is_the_one_in_twilios_documentation():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert twilio_webhooks.signature("12345", url, list(params.items())) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_the_page_says_how_to_answer_and_where_to_report_its_delivery(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    sms = phone.sent("Messages", BOB)
    code = phone.code(sms.form["Body"])
    [notification] = phone.notifications(alert_id)
    assert notification.reply_code == code and notification.provider_reference.startswith("SM")
    assert sms.form["StatusCallback"] == f"{PUBLIC}/integrations/twilio/status?page={notification.idempotency_key}"


@pytest.mark.parametrize(("word", "status", "event"), [
    ("ack", AlertStatus.acknowledged, "acknowledged"),
    ("CLOSE", AlertStatus.closed, "closed"),
])
def test_a_reply_acknowledges_or_closes_as_the_person(phone, word, status, event):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    code = phone.code(phone.sent("Messages", BOB).form["Body"])
    answer = reply_of(phone.post(SMS, sms_form(BOB, f"{code} {word}")))
    done = "Acknowledged" if status is AlertStatus.acknowledged else "Closed"
    assert answer.startswith(f"{done} alert #{alert_id} (Checkout fails)")
    alert = phone.alert(alert_id)
    assert alert.status is status
    assert (alert.acknowledged_by_id if event == "acknowledged" else alert.closed_by_id) == bob.id
    [line] = phone.events(alert_id, event)
    assert line.body == f"{done} by @bob: answered the page by SMS" and line.actor_handle == "bob"
    [reply] = phone.events(alert_id, "phone_reply")
    action = "acknowledge" if status is AlertStatus.acknowledged else "close"
    assert reply.body == f"@bob answered the page by SMS ({code} {word}): {action}"
    assert reply.data["sid"] == "SM" + "1" * 32 and reply.actor_handle == "bob"


def test_esc_runs_the_next_escalation_step_now(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    code = phone.code(phone.sent("Messages", BOB).form["Body"])
    answer = reply_of(phone.post(SMS, sms_form(BOB, f"esc {code}")))
    assert answer == f"Escalated alert #{alert_id} (Checkout fails): its next step is being paged now."
    assert [e.body for e in phone.events(alert_id, "escalate_now")] == ["@bob escalated now"]
    assert phone.alert(alert_id).status is AlertStatus.open


def test_a_code_that_is_no_page_to_this_number_changes_nothing(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    code = phone.code(phone.sent("Messages", BOB).form["Body"])
    other = "1000" if code != "1000" else "1001"
    answer = reply_of(phone.post(SMS, sms_form(BOB, f"{other} ack")))
    assert answer.startswith(f"No page with code {other} was sent to this number, so nothing was changed.")
    assert "Checkout" not in answer
    assert phone.alert(alert_id).status is AlertStatus.open


@pytest.mark.parametrize("body", ["ok", "4821", "ack", "4821 snooze", "48211 ack", ""])
def test_a_reply_that_is_not_code_and_word_says_how_to_answer(phone, body):
    phone.person("bob", BOB)
    answer = reply_of(phone.post(SMS, sms_form(BOB, body)))
    assert "Reply with the page's code and ack, esc or close, like '4821 ack'." in answer


def test_a_number_that_is_nobodys_contact_method_changes_nothing(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    code = phone.code(phone.sent("Messages", BOB).form["Body"])
    before = support.stored(phone.runtime)
    answer = reply_of(phone.post(SMS, sms_form("+447700900123", f"{code} ack")))
    assert answer.startswith("This number is not a contact method of anyone in Warroom, so nothing was changed.")
    assert "Checkout" not in answer and str(alert_id) not in answer
    assert support.stored(phone.runtime) == before


def test_a_viewer_may_not_act_by_reply(phone):
    vic = phone.person("vic", BOB, access=AccessRole.viewer)
    alert_id = phone.page(vic)
    code = phone.code(phone.sent("Messages", BOB).form["Body"])
    answer = reply_of(phone.post(SMS, sms_form(BOB, f"{code} ack")))
    assert answer == "@vic has viewer access; this needs responder. Ask an admin to raise your access. " \
                     "Nothing was changed."
    assert phone.alert(alert_id).status is AlertStatus.open and phone.events(alert_id, "phone_reply") == []


def test_a_deactivated_person_may_not_act_by_reply(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    code = phone.code(phone.sent("Messages", BOB).form["Body"])
    with phone.runtime.database.writing() as db:
        db.get(type(bob), bob.id).is_active = False
    assert reply_of(phone.post(SMS, sms_form(BOB, f"{code} ack"))) == \
        "@bob is deactivated in Warroom; nothing was changed."
    assert phone.alert(alert_id).status is AlertStatus.open


def test_a_replayed_reply_and_an_alert_acted_on_already_are_answered_without_acting_again(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    code = phone.code(phone.sent("Messages", BOB).form["Body"])
    first = sms_form(BOB, f"{code} esc", sid="SM" + "a" * 32)
    reply_of(phone.post(SMS, first))
    again = reply_of(phone.post(SMS, first))  # the same signed request, sent again
    assert again == f"That answer was already taken for alert #{alert_id} (Checkout fails); nothing more was done."
    assert len(phone.events(alert_id, "escalate_now")) == 1
    reply_of(phone.post(SMS, sms_form(BOB, f"{code} ack", sid="SM" + "b" * 32)))
    second = reply_of(phone.post(SMS, sms_form(BOB, f"{code} ack", sid="SM" + "c" * 32)))
    assert second == f"Alert #{alert_id} (Checkout fails) was already acknowledged by @bob."
    assert len(phone.events(alert_id, "acknowledged")) == 1
    refused = reply_of(phone.post(SMS, sms_form(BOB, f"{code} esc", sid="SM" + "d" * 32)))
    assert refused == f"Alert #{alert_id} is acknowledged; only open alerts escalate. Nothing was changed."


def test_a_wrong_or_missing_signature_is_403_and_changes_nothing(phone):
    bob = phone.person("bob", BOB)
    alert_id = phone.page(bob)
    code = phone.code(phone.sent("Messages", BOB).form["Body"])
    form = sms_form(BOB, f"{code} ack")
    before = support.stored(phone.runtime)
    for response in (
        phone.post(SMS, form, signature=""),  # none
        phone.post(SMS, form, token="not-the-auth-token"),
        phone.post(SMS, form, url=f"http://testserver{SMS}"),  # the URL Warroom was reached at, not the public one
        phone.post(SMS, form | {"Body": f"{code} close"}, signature=twilio_signature(
            phone.twilio.auth_token, PUBLIC + SMS, form)),  # a signed request, altered
    ):
        assert response.status_code == 403, response.text
        assert response.json()["detail"].startswith(f"X-Twilio-Signature is missing or does not match {PUBLIC}{SMS}")
    assert support.stored(phone.runtime) == before
    assert phone.alert(alert_id).status is AlertStatus.open


def test_without_twilio_configured_every_webhook_is_refused(phone):
    phone.runtime.settings.twilio_auth_token = ""
    response = phone.post(SMS, sms_form(BOB, "4821 ack"), token="anything")
    assert response.status_code == 403 and "set WARROOM_TWILIO_AUTH_TOKEN" in response.json()["detail"]


def test_a_person_paged_again_gets_a_code_their_earlier_page_does_not_have(phone, monkeypatch):
    import secrets

    draws = iter([3821, 3821, 1000])  # the second page's first draw repeats the first page's code
    real = secrets.randbelow
    monkeypatch.setattr(secrets, "randbelow", lambda n: next(draws) if n == 9000 else real(n))
    bob = phone.person("bob", BOB)
    first = phone.page(bob, message="Checkout fails")
    second = phone.page(bob, message="Search is slow")
    codes = [n.reply_code for alert_id in (first, second) for n in phone.notifications(alert_id)]
    assert codes == ["4821", "2000"]
    assert reply_of(phone.post(SMS, sms_form(BOB, "4821 ack", sid="SM" + "e" * 32))).startswith(
        f"Acknowledged alert #{first} (Checkout fails)")
    assert phone.alert(second).status is AlertStatus.open
