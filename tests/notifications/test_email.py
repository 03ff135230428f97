"""SMTP delivery against a real local SMTP server: what is sent, and which failures are retried."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from warroom.core.delivery import DeliveryError
from warroom.integrations.email import SmtpConfig, SmtpMailer, message_id_for
from warroom.ports import Mail

from .servers import free_port

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def mail(**changes):
    values = {"to": "bob@example.com", "subject": "[P1] #7 Checkout fails", "body": "Acknowledge: http://x/ack",
              "idempotency_id": "ntf-7-g0-r0-s0-u2-0", "at": AT}
    values.update(changes)
    return Mail(**values)


def mailer(host, port, **changes):
    return SmtpMailer(SmtpConfig(host=host, port=port, mail_from="warroom@ops.example.com", **changes))


def test_a_mail_arrives_with_a_message_id_made_from_the_idempotency_id(inbox):
    sender = mailer(inbox.host, inbox.port)
    sender.send(mail(headers={"X-Warroom-Alert": "7"}))
    sender.send(mail())  # a retry of the same notification
    first, second = inbox.received
    assert first.mail_from == "warroom@ops.example.com" and first.rcpt_tos == ["bob@example.com"]
    assert first.message["Message-ID"] == second.message["Message-ID"] == "<ntf-7-g0-r0-s0-u2-0@ops.example.com>"
    assert first.message["Date"] == "Mon, 05 Jan 2026 09:00:00 +0000"
    assert first.message["X-Warroom-Alert"] == "7"
    assert first.message.get_content().strip() == "Acknowledge: http://x/ack"


def test_message_ids_use_the_sender_domain():
    assert message_id_for("ntf-1", "Warroom <pager@Example.org>") == "<ntf-1@Example.org>"
    assert message_id_for("ntf-1", "warroom") == "<ntf-1@warroom.local>"


@pytest.mark.parametrize(("where", "reply", "permanent"), [
    ("rcpt", "550 5.1.1 No such user here", True),
    ("rcpt", "452 4.2.2 Mailbox full, try later", False),
    ("data", "554 5.7.1 Message rejected as spam", True),
    ("data", "451 4.3.0 Temporary local problem", False),
])
def test_smtp_replies_decide_whether_to_retry(inbox, where, reply, permanent):
    getattr(inbox, f"{where}_replies").append(reply)
    with pytest.raises(DeliveryError) as caught:
        mailer(inbox.host, inbox.port).send(mail())
    assert caught.value.permanent is permanent
    assert reply.split(" ", 1)[1] in str(caught.value)
    assert inbox.received == []


def test_a_refused_connection_is_retried():
    with pytest.raises(DeliveryError) as caught:
        mailer("127.0.0.1", free_port()).send(mail())
    assert not caught.value.permanent and "unreachable" in str(caught.value)


def test_a_server_that_never_answers_times_out_and_is_retried():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection in the kernel, never greets
        with pytest.raises(DeliveryError) as caught:
            mailer("127.0.0.1", silent.getsockname()[1], timeout=0.3).send(mail())
    assert not caught.value.permanent


def test_starttls_demanded_of_a_server_without_it_is_a_configuration_error(inbox):
    with pytest.raises(DeliveryError) as caught:
        mailer(inbox.host, inbox.port, starttls=True).send(mail())
    assert caught.value.permanent and "does not offer STARTTLS" in str(caught.value)
    assert inbox.received == []


def test_a_username_for_a_server_without_auth_is_a_configuration_error(inbox):
    with pytest.raises(DeliveryError) as caught:
        mailer(inbox.host, inbox.port, username="warroom", password="secret").send(mail())
    assert caught.value.permanent and "AUTH" in str(caught.value)
    assert inbox.received == []
