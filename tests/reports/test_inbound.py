"""Mail to the inbound address becomes a report: over real SMTP (smtplib → the listener) and through the API."""

from __future__ import annotations

import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from warroom.reports import inbound
from warroom.reports.models import ReportSource, ReportStatus

from ..notifications.servers import free_port
from .conftest import all_reports, snapshot

ADDRESS = "incidents@warroom.test"
INBOUND_TOKEN = "inbound-secret-token"


def mail(subject="Checkout is broken", body="Paying fails with error 502 since 10:00.", *, sender="Jane Customer "
         "<jane@customer.example>", html=None, message_id="<abc.123@customer.example>", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ADDRESS
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if html is not None and body is None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    return message


@pytest.fixture
def listener(runtime) -> Iterator[tuple[str, int]]:
    runtime.settings.inbound_address = ADDRESS
    runtime.settings.inbound_smtp_port = free_port()
    runtime.settings.inbound_max_bytes = 50_000
    with inbound.inbound_listener(runtime.database, runtime.clock, runtime.settings) as controller:
        assert controller is not None
        yield runtime.settings.inbound_smtp_host, runtime.settings.inbound_smtp_port


def send(where: tuple[str, int], message: EmailMessage, to: str = ADDRESS) -> None:
    with smtplib.SMTP(*where, timeout=10) as smtp:
        smtp.send_message(message, to_addrs=[to])


def test_mail_over_smtp_becomes_a_new_report(runtime, listener):
    send(listener, mail())
    [report] = all_reports(runtime)
    assert (report.source, report.status) == (ReportSource.email, ReportStatus.new)
    assert (report.reporter_name, report.reporter_email) == ("Jane Customer", "jane@customer.example")
    assert report.summary == "Checkout is broken"
    assert report.description == "Paying fails with error 502 since 10:00."
    assert report.message_id == "<abc.123@customer.example>"
    send(listener, mail())  # the sending server retries the same message: still one report
    assert len(all_reports(runtime)) == 1


def test_html_only_mail_is_reduced_to_text(runtime, listener):
    html = ("<html><head><style>p{color:red}</style><script>steal()</script></head><body>"
            "<p>Login page shows <b>error&nbsp;500</b> &amp; a blank screen.</p><ul><li>Chrome</li>"
            "<li>Firefox</li></ul></body></html>")
    send(listener, mail(body=None, html=html))
    [report] = all_reports(runtime)
    assert report.description == "Login page shows error 500 & a blank screen.\n\nChrome\n\nFirefox"
    assert "steal" not in report.description and "color" not in report.description


def test_plain_text_is_preferred_over_html(runtime, listener):
    send(listener, mail(body="the plain words", html="<p>the html words</p>"))
    assert all_reports(runtime)[0].description == "the plain words"


def test_mail_for_another_address_is_refused_at_rcpt(runtime, listener):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(listener, mail(), to="someone-else@warroom.test")
    code, reply = refused.value.recipients["someone-else@warroom.test"]
    assert code == 550 and b"reports go to incidents@warroom.test" in reply
    assert all_reports(runtime) == []


def test_oversized_mail_is_refused(runtime, listener):
    before = snapshot(runtime)
    with pytest.raises(smtplib.SMTPException) as refused:
        send(listener, mail(body="x" * 60_000))
    assert "552" in str(refused.value) or "exceeded" in str(refused.value).lower()
    assert snapshot(runtime) == before


@pytest.mark.parametrize(("message", "reply"), [
    (mail(Auto_Submitted="auto-replied"), b"Automatic mail"),
    (mail(Precedence="bulk"), b"Automatic mail"),
    (mail(sender=f"Incidents <{ADDRESS}>"), b"mail loop"),
    (mail(sender="not an address"), b"not an email address"),
    (mail(subject="", body=""), b"neither a subject nor any text"),
])
def test_mail_that_cannot_be_a_report_is_refused_with_the_reason(runtime, listener, message, reply):
    before = snapshot(runtime)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(listener, message)
    assert refused.value.smtp_code == 550 and reply in refused.value.smtp_error
    assert snapshot(runtime) == before


def test_long_mail_is_kept_shortened_and_the_reporter_is_answered_in_their_thread(runtime, listener, inbox,
                                                                                   browser, people):
    send(listener, mail(body="line\n" * 3000))
    [report] = all_reports(runtime)
    assert len(report.description) == 10_000 and report.description.endswith("longer than 10000 characters]")
    browser(people.bob).post("/reports/R-1/acknowledge")
    runtime.engine().tick()
    [answer] = inbox.received
    assert answer.message["Subject"] == "Re: Checkout is broken"
    assert answer.message["In-Reply-To"] == "<abc.123@customer.example>"
    assert answer.message["Reply-To"] == ADDRESS


# The API door for mail servers ---------------------------------------------------------------------------


def post_mail(client, raw: bytes, token: str | None = INBOUND_TOKEN, content_type: str = "message/rfc822"):
    headers = {"content-type": content_type}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return client.post("/api/v1/reports/inbound", content=raw, headers=headers)


def test_an_mta_pipes_raw_mail_to_the_api(runtime, client):
    runtime.settings.inbound_mail_token = INBOUND_TOKEN
    created = post_mail(client, mail().as_bytes())
    assert created.status_code == 201, created.text
    assert created.json() == {"report": "R-1", "created": True}
    again = post_mail(client, mail().as_bytes())
    assert again.status_code == 200 and again.json() == {"report": "R-1", "created": False}
    assert len(all_reports(runtime)) == 1


def test_the_api_door_refuses_clearly_and_writes_nothing(runtime, client):
    before = snapshot(runtime)
    off = post_mail(client, mail().as_bytes())
    assert off.status_code == 404 and "WARROOM_INBOUND_MAIL_TOKEN" in off.json()["detail"]
    runtime.settings.inbound_mail_token = INBOUND_TOKEN
    assert post_mail(client, mail().as_bytes(), token="wrong").status_code == 401
    assert post_mail(client, mail().as_bytes(), token=None).status_code == 401
    wrong_type = post_mail(client, mail().as_bytes(), content_type="text/plain")
    assert wrong_type.status_code == 415 and "message/rfc822" in wrong_type.json()["detail"]
    empty = post_mail(client, b"")
    assert empty.status_code == 422 and empty.json()["field"] == "message"
    auto = post_mail(client, mail(Auto_Submitted="auto-generated").as_bytes())
    assert auto.status_code == 422 and "Automatic mail" in auto.json()["detail"]
    runtime.settings.inbound_max_bytes = 1000
    big = post_mail(client, mail(body="x" * 2000).as_bytes())
    assert big.status_code == 422 and "at most 1000" in big.json()["detail"]
    assert snapshot(runtime) == before


def test_what_mail_says_is_shown_escaped(runtime, client, browser, people):
    runtime.settings.inbound_mail_token = INBOUND_TOKEN
    raw = mail(subject="<script>alert(1)</script>", body="<img src=x onerror=alert(2)>",
               sender="\"<b>Mallory</b>\" <m@evil.example>").as_bytes()
    assert post_mail(client, raw).status_code == 201
    bob = browser(people.bob)
    for path in ("/reports", "/reports/R-1"):
        html = bob.get(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>Mallory" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# `warroom serve` starts the listener -----------------------------------------------------------------------


def test_warroom_serve_starts_the_inbound_listener_when_its_port_is_set(tmp_path):
    port, smtp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DATA_DIR=str(tmp_path / "data"), WARROOM_INBOUND_SMTP_PORT=str(smtp_port),
               WARROOM_INBOUND_ADDRESS=ADDRESS, WARROOM_SEED_DEMO="false", WARROOM_RUN_ENGINE="false",
               WARROOM_SECRET_KEY="k")
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "warroom.cli", "serve", "--port", str(port)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_up(process, f"http://127.0.0.1:{port}/api/v1/health")
        send(("127.0.0.1", smtp_port), mail())
    finally:
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=30)
    output = log_path.read_text()
    assert returncode == 0, output
    assert f"inbound mail: listening on 127.0.0.1:{smtp_port} for {ADDRESS}" in output
    with sqlite3.connect(tmp_path / "data" / "warroom.db") as db:
        assert db.execute("SELECT reporter_email, summary FROM reports").fetchall() == [
            ("jane@customer.example", "Checkout is broken")]


def _wait_until_up(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60  # a bound on waiting for start-up, not a timing assertion
    while time.monotonic() < deadline:
        assert process.poll() is None, "warroom serve exited while starting"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("warroom serve did not answer")
