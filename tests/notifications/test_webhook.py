"""Notification webhooks: signed per Standard Webhooks, verified here by an independent implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

from warroom.notifications.models import ContactKind, DeliveryStatus

from ..support.receiver import Received, http_receiver

W = ContactKind.webhook
SECRET = "whsec_" + base64.b64encode(b"a-receivers-shared-secret-32byte").decode()


def verifies(key: bytes, received: Received) -> bool:
    """What a Standard Webhooks receiver does: HMAC-SHA256 over "id.timestamp.body", any v1 signature."""
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    signatures = [s.split(",", 1)[1] for s in received.headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(s, expected) for s in signatures)


def test_the_page_webhook_is_signed_with_the_notification_secret_and_carries_the_alert(pager):
    pager.runtime.settings.notification_webhook_secret = SECRET
    with http_receiver() as receiver:
        bob = pager.person("bob", [(W, receiver.url, 0)])
        alert_id = pager.page(bob, message="Checkout fails")
        pager.run(pager.engine())
    [received] = receiver.received
    [notification] = pager.notifications(alert_id)
    assert verifies(base64.b64decode(SECRET.removeprefix("whsec_")), received)
    assert not verifies(b"some other secret", received)
    assert received.headers["webhook-id"] == notification.idempotency_key
    assert received.headers["webhook-timestamp"] == str(int(pager.clock.now().timestamp()))
    body = received.json()
    assert body["type"] == "alert.notification"
    assert body["idempotency_key"] == notification.idempotency_key
    assert body["user"] == {"handle": "bob", "name": "Bob"}
    assert body["subject"] == f"[P1] #{alert_id} Checkout fails"
    assert body["alert"] == {"id": alert_id, "message": "Checkout fails", "priority": "P1",
                             "url": f"http://warroom.test/alerts/{alert_id}",
                             "ack_url": f"http://warroom.test/alerts/{alert_id}/acknowledge"}
    assert notification.status is DeliveryStatus.sent


def test_without_a_notification_secret_the_secret_key_signs(pager):
    with http_receiver() as receiver:
        bob = pager.person("bob", [(W, receiver.url, 0)])
        pager.page(bob)
        pager.run(pager.engine())
    assert verifies(b"test-secret-key", receiver.received[0])


def test_a_retried_webhook_keeps_its_id_and_signs_a_fresh_timestamp(pager):
    pager.runtime.settings.notification_webhook_secret = SECRET
    with http_receiver() as receiver:
        receiver.script = [(503, "30")]
        bob = pager.person("bob", [(W, receiver.url, 0)])
        alert_id = pager.page(bob)
        engine = pager.engine()
        pager.run(engine)
        first_at = pager.clock.now()
        pager.clock.advance(timedelta(seconds=30))
        pager.run(engine)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) == int(first_at.timestamp()) + 30
    assert all(verifies(base64.b64decode(SECRET.removeprefix("whsec_")), r) for r in (first, second))
    [notification] = pager.notifications(alert_id)
    assert (notification.status, notification.attempts) == (DeliveryStatus.sent, 2)


def test_a_gone_webhook_fails_the_notification_without_retry(pager):
    with http_receiver() as receiver:
        receiver.script = [410]
        bob = pager.person("bob", [(W, receiver.url, 0)])
        alert_id = pager.page(bob)
        engine = pager.engine()
        pager.run(engine)
        pager.clock.advance(timedelta(hours=1))
        pager.run(engine)
    assert len(receiver.received) == 1
    [notification] = pager.notifications(alert_id)
    assert notification.status is DeliveryStatus.failed and notification.last_error.startswith("HTTP 410")
