"""The notify handler end to end: the runtime's engine, a fast-forward clock and real receivers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from warroom.core.clock import as_utc
from warroom.engine import queue
from warroom.engine.models import Job, JobState
from warroom.integrations.chat import FakeChat
from warroom.notifications import service
from warroom.notifications.delivery import (
    NotRead,
    PagesReadAhead,
    SentPage,
    make_notify_handler,
    record_sent,
    record_sent_pages,
)
from warroom.notifications.models import ContactKind, DeliveryStatus, Notification
from warroom.notifications.planning import NOTIFY_JOB
from warroom.notifications.senders import OutgoingNotification, Receipt, Sender, SenderRegistry
from warroom.oncall.alerts import service as alerts

from .. import support
from ..support.receiver import http_receiver

E, S, W, C = ContactKind.email, ContactKind.sms, ContactKind.webhook, ContactKind.chat


def notify_jobs(runtime):
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(Job).where(Job.kind == NOTIFY_JOB).order_by(Job.id)))


def test_email_now_then_sms_after_five_minutes_is_cancelled_by_acknowledging(pager, inbox, twilio):
    pager.use_smtp(inbox)
    pager.use_twilio(twilio)
    bob = pager.person("bob", [(E, "bob@example.com", 0), (S, "+14155550123", 5)])
    engine = pager.engine()
    alert_id = pager.page(bob)
    pager.run(engine)
    assert [m.rcpt_tos for m in inbox.received] == [["bob@example.com"]]
    email, sms = pager.notifications(alert_id)
    assert (email.kind, email.status, email.attempts) == (E, DeliveryStatus.sent, 1)
    assert email.sent_at == pager.clock.now()
    assert (sms.kind, sms.status, sms.due_at) == (S, DeliveryStatus.queued, sms.created_at + timedelta(minutes=5))
    pager.clock.advance(timedelta(minutes=4))
    pager.acknowledge(alert_id, bob)
    pager.clock.advance(timedelta(minutes=2))
    pager.run(engine)
    assert twilio.requests == []  # never sent
    assert pager.notifications(alert_id)[1].status is DeliveryStatus.cancelled
    assert [e.body for e in pager.events(alert_id, "notified")] == ["Notified @bob by email"]
    assert {job.state for job in notify_jobs(pager.runtime)} == {JobState.done}
    assert len(inbox.received) == 1


def test_without_acknowledgement_the_sms_goes_out_at_five_minutes(pager, inbox, twilio):
    pager.use_smtp(inbox)
    pager.use_twilio(twilio)
    bob = pager.person("bob", [(E, "bob@example.com", 0), (S, "+1 (415) 555-0123", 5)])
    engine = pager.engine()
    alert_id = pager.page(bob, message="Checkout fails")
    pager.run(engine)
    pager.clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
    pager.run(engine)
    assert twilio.requests == []  # not a second early
    pager.clock.advance(timedelta(seconds=1))
    pager.run(engine)
    [request] = twilio.requests
    sms = pager.notifications(alert_id)[1]
    assert request.resource == "Messages"
    assert request.form["To"] == "+14155550123" and request.form["From"] == "+15005550006"
    assert request.form["Body"].startswith(f"[P1] #{alert_id} Checkout fails")
    assert f"http://warroom.test/alerts/{alert_id}/acknowledge" in request.form["Body"]
    assert request.headers["i-twilio-idempotency-token"] == sms.idempotency_key
    assert (sms.status, sms.sent_at) == (DeliveryStatus.sent, pager.clock.now())
    assert [e.body for e in pager.events(alert_id, "notified")] == ["Notified @bob by email", "Notified @bob by SMS"]
    assert pager.events(alert_id, "notified")[1].data["reference"].startswith("SM")
    assert len(inbox.received) == 1


def test_the_page_mail_names_the_alert_and_links_to_it_and_to_acknowledge(pager, inbox):
    pager.use_smtp(inbox)
    bob = pager.person("bob", [(E, "Bob.Jones@Example.COM", 0)])
    alert_id = pager.page(bob, message="Search latency above 2 s", description="p99 is 2.4 s on search-api")
    pager.run(pager.engine())
    [mail] = inbox.received
    [notification] = pager.notifications(alert_id)
    message = mail.message
    assert mail.rcpt_tos == ["Bob.Jones@example.com"]
    assert message["To"] == "Bob.Jones@example.com"
    assert message["From"] == "Warroom <warroom@warroom.test>"
    assert message["Subject"] == f"[P1] #{alert_id} Search latency above 2 s"
    assert message["Message-ID"] == f"<{notification.idempotency_key}@warroom.test>"
    assert message["Auto-Submitted"] == "auto-generated"
    lines = message.get_content().splitlines()
    assert f"Open the alert: http://warroom.test/alerts/{alert_id}" in lines
    assert f"Acknowledge:    http://warroom.test/alerts/{alert_id}/acknowledge" in lines
    assert "p99 is 2.4 s on search-api" in lines and "Paged: @bob (Bob)" in lines


def test_someone_without_rules_is_mailed_at_their_own_address(pager, inbox):
    pager.use_smtp(inbox)
    carol = pager.person("carol")
    alert_id = pager.page(carol)
    pager.run(pager.engine())
    assert [m.rcpt_tos for m in inbox.received] == [["carol@example.com"]]
    assert [n.status for n in pager.notifications(alert_id)] == [DeliveryStatus.sent]


def test_without_smtp_the_mail_goes_to_the_log_and_the_alert_says_so(pager, caplog):
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    alert_id = pager.page(bob, message="Disk full on db-1")
    with caplog.at_level(logging.INFO, logger="warroom.notifications"):
        pager.run(pager.engine())
    assert [n.status for n in pager.notifications(alert_id)] == [DeliveryStatus.sent]
    [event] = pager.events(alert_id, "notified")
    assert event.body.startswith("Notified @bob by email (mail is not configured (set WARROOM_SMTP_HOST)")
    assert any("Disk full on db-1" in record.getMessage() for record in caplog.records)


def test_sms_without_twilio_fails_at_once_with_what_to_set(pager):
    bob = pager.person("bob", [(S, "+14155550123", 0)])
    alert_id = pager.page(bob)
    pager.run(pager.engine())
    [sms] = pager.notifications(alert_id)
    assert sms.status is DeliveryStatus.failed
    assert sms.last_error == "SMS is not configured (set WARROOM_TWILIO_*)"
    [job] = notify_jobs(pager.runtime)
    assert (job.state, job.attempts) == (JobState.dead, 1)
    [event] = pager.events(alert_id, "notify_failed")
    assert event.body == "Could not notify @bob by SMS: SMS is not configured (set WARROOM_TWILIO_*)"


def test_an_admin_retrying_the_dead_job_sends_the_failed_notification(pager, twilio):
    bob = pager.person("bob", [(S, "+14155550123", 0)])
    alert_id = pager.page(bob)
    pager.run(pager.engine())
    assert pager.notifications(alert_id)[0].status is DeliveryStatus.failed
    pager.use_twilio(twilio)  # the admin configures Twilio, then retries the dead-letter
    with pager.runtime.database.writing() as db:
        queue.retry_dead(db=db, job_id=notify_jobs(pager.runtime)[0].id, now=pager.clock.now())
    pager.run(pager.engine())
    [sms] = pager.notifications(alert_id)
    assert (sms.status, sms.attempts, sms.last_error) == (DeliveryStatus.sent, 2, "")
    assert len(twilio.requests) == 1
    assert [e.kind for e in pager.events(alert_id) if e.kind.startswith("notif")] == ["notify_failed", "notified"]


def test_chat_dm_goes_through_the_adapter(pager):
    chat = FakeChat()
    bob = pager.person("bob", [(C, "@bob", 0)])
    alert_id = pager.page(bob, message="Queue backlog growing")
    pager.run(pager.engine(pager.senders(chat=chat)))
    [dm] = chat.messages_to("@bob")
    assert dm.startswith(f"[P1] #{alert_id} Queue backlog growing")
    assert f"/alerts/{alert_id}/acknowledge" in dm
    assert [e.body for e in pager.events(alert_id, "notified")] == ["Notified @bob by chat DM"]


def test_the_default_chat_adapter_logs_and_says_so(pager, caplog):
    bob = pager.person("bob", [(C, "U012AB3CD", 0)])
    alert_id = pager.page(bob)
    with caplog.at_level(logging.INFO, logger="warroom.chat"):
        pager.run(pager.engine())
    assert "no chat system is connected" in pager.events(alert_id, "notified")[0].body
    assert any("U012AB3CD" in record.getMessage() for record in caplog.records)


def test_a_temporary_smtp_refusal_is_retried_and_recorded(pager, inbox):
    pager.use_smtp(inbox)
    inbox.data_replies = ["451 4.3.0 Mail server temporarily rejected message"]
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    alert_id = pager.page(bob)
    engine = pager.engine()
    pager.run(engine)
    [notification] = pager.notifications(alert_id)
    assert (notification.status, notification.attempts) == (DeliveryStatus.queued, 1)
    assert "451" in notification.last_error
    [job] = notify_jobs(pager.runtime)
    assert job.state is JobState.pending and job.due_at > pager.clock.now()
    pager.clock.advance(queue.MAX_BACKOFF)
    pager.run(engine)
    [notification] = pager.notifications(alert_id)
    assert (notification.status, notification.attempts, notification.last_error) == (DeliveryStatus.sent, 2, "")
    assert len(inbox.received) == 1


def test_a_permanent_smtp_refusal_fails_without_retry(pager, inbox):
    pager.use_smtp(inbox)
    inbox.rcpt_replies = ["550 5.1.1 No such user"]
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    alert_id = pager.page(bob)
    pager.run(pager.engine())
    [notification] = pager.notifications(alert_id)
    assert notification.status is DeliveryStatus.failed and "550 5.1.1 No such user" in notification.last_error
    assert notify_jobs(pager.runtime)[0].attempts == 1
    assert "No such user" in pager.events(alert_id, "notify_failed")[0].body


def test_a_delayed_rule_is_not_sent_while_the_alert_is_snoozed(pager, inbox, twilio):
    pager.use_smtp(inbox)
    pager.use_twilio(twilio)
    bob = pager.person("bob", [(E, "bob@example.com", 0), (S, "+14155550123", 5)])
    engine = pager.engine()
    alert_id = pager.page(bob)
    pager.run(engine)
    with pager.runtime.database.writing() as db:
        alerts.snooze(db=db, actor=pager.factory.actor(bob), alert_id=alert_id,
                      until=pager.clock.now() + timedelta(minutes=30))
    pager.clock.advance(timedelta(minutes=5))
    pager.run(engine)
    assert twilio.requests == []
    sms = pager.notifications(alert_id)[1]
    assert sms.status is DeliveryStatus.cancelled and "snoozed" in sms.last_error


def test_a_removed_contact_method_fails_its_queued_notification_with_a_reason(pager, twilio):
    pager.use_twilio(twilio)
    bob = pager.person("bob", [(S, "+14155550123", 5)])
    engine = pager.engine()
    alert_id = pager.page(bob)
    pager.run(engine)
    with pager.runtime.database.writing() as db:
        [method] = service.list_contact_methods(db=db, user=bob)
        service.remove_contact_method(db=db, actor=pager.factory.actor(bob), method_id=method.id)
    pager.clock.advance(timedelta(minutes=5))
    pager.run(engine)
    [sms] = pager.notifications(alert_id)
    assert sms.status is DeliveryStatus.failed and sms.last_error == "@bob's SMS contact method was removed"
    assert twilio.requests == []


def test_running_the_handler_again_after_a_send_does_nothing(pager, inbox):
    pager.use_smtp(inbox)
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    alert_id = pager.page(bob)
    pager.run(pager.engine())
    [notification] = pager.notifications(alert_id)
    handler = make_notify_handler(pager.runtime.database, pager.senders(), pager.clock, "http://warroom.test")
    with pager.runtime.database.reading() as db:
        handler(db, Job(id=0, kind=NOTIFY_JOB, payload={"notification_id": notification.id}, attempts=1))
    assert len(inbox.received) == 1
    assert len(pager.events(alert_id, "notified")) == 1


class ProcessDied(BaseException):
    """The engine process is killed: nothing after this point runs, not even exception handlers."""


@dataclass(frozen=True)
class DiesAfterSending:
    real: Sender

    def send(self, notification: OutgoingNotification) -> Receipt:
        self.real.send(notification)
        raise ProcessDied


@pytest.mark.parametrize("kind", [E, W])
def test_a_crash_between_send_and_record_sends_again_with_the_same_idempotency_id(pager, inbox, kind):
    pager.use_smtp(inbox)
    with http_receiver() as receiver:
        bob = pager.person("bob", [(kind, "bob@example.com" if kind is E else receiver.url, 0)])
        real = pager.senders()
        doomed = pager.engine(SenderRegistry({**real.senders, kind: DiesAfterSending(real.sender_for(kind))}))
        alert_id = pager.page(bob)  # the first escalation step queues the notification as the alert opens
        with pytest.raises(ProcessDied):
            doomed.tick()  # claims it, sends it, dies before recording it
        [notification] = pager.notifications(alert_id)
        assert notification.status is DeliveryStatus.queued
        restarted = pager.engine()
        restarted.tick()  # the dead engine's lease still holds
        pager.clock.advance(queue.LEASE + timedelta(seconds=1))
        pager.run(restarted)
        ids = inbox.message_ids() if kind is E else [r.headers["webhook-id"] for r in receiver.received]
        expected = (f"<{notification.idempotency_key}@warroom.test>" if kind is E
                    else notification.idempotency_key)
    assert ids == [expected, expected]  # two raw sends, one after dedup
    [notification] = pager.notifications(alert_id)
    assert (notification.status, notification.attempts) == (DeliveryStatus.sent, 2)
    assert len(pager.events(alert_id, "notified")) == 1
    assert [job.state for job in notify_jobs(pager.runtime)] == [JobState.done]


def test_delivery_records_show_each_notification_of_an_alert(pager, twilio):
    pager.use_twilio(twilio)
    bob = pager.person("bob", [(E, "bob@example.com", 0), (S, "+14155550123", 10)])
    alert_id = pager.page(bob)
    pager.run(pager.engine())
    with pager.runtime.database.reading() as db:
        records = service.delivery_records(db=db, alert_id=alert_id)
        assert db.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2
    assert [(r.user_handle, r.kind, r.status) for r in records] == [
        ("bob", E, DeliveryStatus.sent), ("bob", S, DeliveryStatus.queued)]


# Pages read ahead, in the engine's claim ---------------------------------------------------------------------


def test_the_pages_of_one_claim_are_read_by_one_statement_and_no_send_reads_its_own(pager, inbox):
    pager.use_smtp(inbox)
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    alert_ids = [pager.page(bob, message=f"Alert {n}") for n in range(5)]
    engine = pager.engine()
    with support.statements(pager.runtime) as sent:
        pager.run(engine)
    reads = [statement for statement in sent if statement.startswith("SELECT notifications.id, notifications.kind")]
    assert len(inbox.received) == 5
    assert all(pager.notifications(alert_id)[0].status is DeliveryStatus.sent for alert_id in alert_ids)
    assert len(reads) == 1


def test_a_page_read_ahead_is_taken_once_and_only_while_fresh(pager):
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    pager.page(bob)
    with pager.runtime.database.reading() as db:
        job = db.scalars(sa.select(Job).where(Job.kind == NOTIFY_JOB)).one()
        read_ahead = PagesReadAhead(pager.clock)
        read_ahead.read(db, [job])
        payload = dict(job.payload)
    page = read_ahead.take(payload)
    assert page is not None and not isinstance(page, NotRead) and page.user.handle == "bob"
    assert isinstance(read_ahead.take(payload), NotRead)  # taken: a second send would read its own
    with pager.runtime.database.reading() as db:
        read_ahead.read(db, [job])
    pager.clock.advance(read_ahead.fresh + timedelta(milliseconds=1))
    assert isinstance(read_ahead.take(payload), NotRead)  # read too long ago: the send reads it afresh


def test_an_acknowledgement_after_a_stale_read_ahead_still_stops_a_delayed_page(pager, inbox):
    pager.use_smtp(inbox)
    bob = pager.person("bob", [(E, "bob@example.com", 0), (E, "bob.later@example.com", 5)])
    alert_id = pager.page(bob)
    engine = pager.engine()
    pager.run(engine)
    pager.clock.advance(timedelta(minutes=5))
    read_ahead = PagesReadAhead(pager.clock)
    with pager.runtime.database.reading() as db:  # the delayed page read ahead while the alert was open
        read_ahead.read(db, list(db.scalars(sa.select(Job).where(Job.kind == NOTIFY_JOB,
                                                                 Job.state == JobState.pending))))
    pager.acknowledge(alert_id, bob)
    pager.clock.advance(timedelta(seconds=2))
    engine.handlers[NOTIFY_JOB] = make_notify_handler(pager.runtime.database, pager.senders(), pager.clock,
                                                      "http://warroom.test", read_ahead)
    engine.preparers.pop(NOTIFY_JOB)
    pager.run(engine)
    assert [m.rcpt_tos for m in inbox.received] == [["bob@example.com"]]
    assert [n.status for n in pager.notifications(alert_id)] == [DeliveryStatus.sent, DeliveryStatus.cancelled]


def test_reading_ahead_that_fails_costs_the_sends_nothing(pager, inbox, caplog):
    pager.use_smtp(inbox)
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    alert_ids = [pager.page(bob, message=f"Alert {n}") for n in range(2)]
    engine = pager.engine()

    def broken(db, jobs) -> None:  # type: ignore[no-untyped-def]
        db.execute(sa.text("SELECT no_such_column FROM notifications"))

    engine.preparers[NOTIFY_JOB] = broken
    with caplog.at_level(logging.ERROR, logger="warroom.engine"):
        pager.run(engine)
    assert [m.rcpt_tos for m in inbox.received] == [["bob@example.com"]] * 2
    assert all(pager.notifications(alert_id)[0].status is DeliveryStatus.sent for alert_id in alert_ids)
    assert "reading ahead for 2 notify jobs failed" in caplog.text


# Sent pages recorded together, in the engine's record of a batch ------------------------------------------------


def test_the_pages_of_one_batch_are_marked_sent_by_one_read_and_one_write(pager, inbox):
    pager.use_smtp(inbox)
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    alert_ids = [pager.page(bob, message=f"Alert {n}") for n in range(5)]
    with support.statements(pager.runtime) as sent:
        pager.run(pager.engine())
    marks = [statement for statement in sent if statement.startswith("UPDATE notifications SET status")]
    locks = [statement for statement in sent if statement.startswith("SELECT notifications.id, notifications.alert_id")]
    assert len(inbox.received) == 5
    assert all(pager.notifications(alert_id)[0].status is DeliveryStatus.sent for alert_id in alert_ids)
    assert all(len(pager.events(alert_id, "notified")) == 1 for alert_id in alert_ids)
    assert (len(marks), len(locks)) == (1, 1)  # one executemany: one statement as sent


def test_pages_recorded_together_keep_what_each_send_said(pager):
    bob = pager.person("bob", [(E, "bob@example.com", 0)])
    alert_ids = [pager.page(bob, message=f"Alert {n}") for n in range(2)]
    ids = [pager.notifications(alert_id)[0].id for alert_id in alert_ids]
    pages = [SentPage(ids[0], 1, Receipt(reference="SM-first"), "bob", pager.clock),
             SentPage(ids[1], 3, Receipt(reference="SM-second", note="went to the log"), "bob", pager.clock)]
    with pager.runtime.database.writing() as db:
        record_sent_pages(db, pages)
    first, second = (pager.notifications(alert_id)[0] for alert_id in alert_ids)
    assert first.sent_at is not None and as_utc(first.sent_at) == pager.clock.now()
    assert (first.status, first.attempts, first.provider_reference) == (DeliveryStatus.sent, 1, "SM-first")
    assert (second.attempts, second.provider_reference) == (3, "SM-second")
    assert [e.body for e in pager.events(alert_ids[1], "notified")] == ["Notified @bob by email (went to the log)"]


def test_a_page_another_engine_recorded_is_not_recorded_again_with_the_batch(pager):
    bob = pager.person("bob", [(E, "bob@example.com", 0), (E, "bob.home@example.com", 0)])
    alert_id = pager.page(bob)
    first, second = (n.id for n in pager.notifications(alert_id))
    with pager.runtime.database.writing() as db:  # the other engine, first
        record_sent(db, first, attempts=1, receipt=Receipt(reference="theirs"), clock=pager.clock, handle="bob")
    with pager.runtime.database.writing() as db:
        record_sent_pages(db, [SentPage(first, 2, Receipt(reference="ours"), "bob", pager.clock),
                               SentPage(second, 1, Receipt(), "bob", pager.clock)])
    notifications = pager.notifications(alert_id)
    assert [(n.status, n.provider_reference) for n in notifications] == [
        (DeliveryStatus.sent, "theirs"), (DeliveryStatus.sent, "")]
    assert len(pager.events(alert_id, "notified")) == 2  # one each: the first was not said twice
