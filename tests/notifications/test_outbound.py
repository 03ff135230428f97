"""Webhook contact methods reach only public addresses, or networks the operator allows (WARROOM_OUTBOUND_ALLOW).

Checked when saved, and again on the address actually connected to when sent, so odd ways of writing
127.0.0.1 and a name that resolves somewhere else later (DNS rebinding) do not get around it; and what a
failed connection said stays with admins, so delivery records cannot be used as a port scanner.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from warroom.accounts.models import AccessRole, TokenScope
from warroom.config import Settings
from warroom.core.delivery import DeliveryError
from warroom.core.outbound import STRICT, AddressRefused, OutboundPolicy
from warroom.engine.models import Job
from warroom.integrations.webhooks import NOT_DELIVERED, WebhookSender
from warroom.notifications import service
from warroom.notifications.models import ContactKind, DeliveryStatus
from warroom.notifications.planning import NOTIFY_JOB

from ..api.conftest import Caller
from ..dns import PUBLIC, FakeDNS
from ..support.receiver import http_receiver
from .conftest import stored
from .servers import free_port

W = ContactKind.webhook
LOOPBACK = "127.0.0.0/8,::1/128"


def notify_jobs(runtime) -> list[Job]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(Job).where(Job.kind == NOTIFY_JOB).order_by(Job.id)))


def send(url: str, policy: OutboundPolicy, clock, message_id: str = "m-1") -> None:
    WebhookSender(url, "a-secret", policy=policy).send(message_id=message_id, payload={"n": 1}, at=clock.now())


def test_by_default_a_loopback_webhook_is_refused_when_saved_and_when_sent(pager, runtime):
    assert Settings.model_fields["outbound_allow"].default == ""
    with http_receiver() as receiver:
        bob = pager.person("bob", [(W, receiver.url, 0)])  # saved while the operator allowed loopback
        runtime.settings.outbound_allow = ""  # back to the default
        before = stored(runtime)
        refusal = r"127\.0\.0\.1 is a loopback address.*WARROOM_OUTBOUND_ALLOW"
        with pytest.raises(AddressRefused, match=refusal) as no, runtime.database.writing() as db:
            service.add_contact_method(db=db, actor=pager.system, user=bob, kind=W, address=receiver.url + "/2",
                                       outbound=runtime.outbound)
        assert no.value.field == "address" and no.value.status == 422
        assert stored(runtime) == before
        alert_id = pager.page(bob)
        pager.run(pager.engine())
    assert receiver.received == []
    [notification] = pager.notifications(alert_id)
    assert notification.status is DeliveryStatus.failed
    assert notification.last_error.startswith("refused: 127.0.0.1 is a loopback address")
    [job] = notify_jobs(runtime)
    assert job.state.value == "dead" and job.attempts == 1  # refused is final: no retries against it


@pytest.mark.parametrize(("host", "kind"), [
    ("127.0.0.1", "loopback"), ("localhost", "loopback"), ("0x7f000001", "loopback"), ("2130706433", "loopback"),
    ("127.1", "loopback"), ("017700000001", "loopback"), ("[::1]", "loopback"), ("[::ffff:127.0.0.1]", "loopback"),
    ("[::ffff:7f00:1]", "loopback"), ("[64:ff9b::7f00:1]", "loopback"), ("0.0.0.0", "unspecified"),  # noqa: S104
    ("[::]", "unspecified"), ("10.1.2.3", "private"), ("172.16.5.4", "private"), ("192.168.0.10", "private"),
    ("169.254.169.254", "link-local"), ("[fe80::1]", "link-local"), ("[fd12:3456::1]", "unique-local"),
    ("224.0.0.1", "multicast"), ("[ff02::1]", "multicast"), ("100.64.0.1", "reserved"),
])
def test_every_way_of_writing_an_internal_address_is_refused_when_saved(host, kind):
    with pytest.raises(AddressRefused) as refused:
        STRICT.check_url(f"http://{host}:5432/", field="address")
    assert refused.value.address_class == kind
    assert f"{kind} address" in refused.value.message and "WARROOM_OUTBOUND_ALLOW" in refused.value.message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0x7f000001", "2130706433", "127.1", "[::ffff:127.0.0.1]"])
def test_every_way_of_writing_loopback_is_refused_when_sent_and_reached_only_when_allowed(host, clock):
    with http_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", host)
        with pytest.raises(DeliveryError) as refused:
            send(url, STRICT, clock, "m-refused")
        assert refused.value.permanent and refused.value.public.startswith("refused: ")
        assert receiver.received == []
        send(url, OutboundPolicy.parse(LOOPBACK), clock, "m-allowed")
    assert [r.headers["webhook-id"] for r in receiver.received] == ["m-allowed"]


def test_an_allowed_network_lets_only_that_network_in(clock):
    policy = OutboundPolicy.parse("127.0.0.2/32")
    with http_receiver() as receiver, pytest.raises(DeliveryError, match=r"127\.0\.0\.1 is a loopback address"):
        send(receiver.url, policy, clock)
    assert receiver.received == []
    assert policy.check_url("http://127.0.0.2:9/x") == "http://127.0.0.2:9/x"
    with pytest.raises(ValueError, match="WARROOM_OUTBOUND_ALLOW: 'localhost' is not a network"):
        Settings(outbound_allow="127.0.0.1/32,localhost")


def test_a_name_that_rebinds_to_loopback_after_it_was_saved_is_refused_when_sent(pager, runtime):
    runtime.settings.outbound_allow = ""
    dns = runtime.resolver = FakeDNS()
    dns.answer("localhost", str(PUBLIC))  # when saved, the name is public
    with http_receiver() as receiver:
        bob = pager.person("bob", [(W, receiver.url.replace("127.0.0.1", "localhost"), 0)])
        dns.answer("localhost", "127.0.0.1")  # then it answers with Warroom's own machine
        alert_id = pager.page(bob)
        pager.run(pager.engine())
    assert receiver.received == []
    [notification] = pager.notifications(alert_id)
    assert notification.status is DeliveryStatus.failed
    assert notification.last_error.startswith("refused: localhost resolves to a loopback address")
    assert "127.0.0.1" not in notification.last_error  # which address: for admins
    [job] = notify_jobs(runtime)
    assert "refused 127.0.0.1" in job.last_error


def test_the_connection_goes_to_the_checked_address_with_the_hosts_own_name(clock):
    """A name only the policy's resolver knows is delivered: no second lookup stands between check and connect."""
    dns = FakeDNS()
    dns.answer("hooks.rebind.test", "127.0.0.1")
    with http_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "hooks.rebind.test")
        send(url, OutboundPolicy.parse("127.0.0.1/32", dns), clock)
        dns.answer("hooks.rebind.test", "127.0.0.2")  # a new connection asks again, and is refused
        with pytest.raises(DeliveryError, match=r"refused 127\.0\.0\.2"):
            send(url, OutboundPolicy.parse("127.0.0.1/32", dns), clock, "m-2")
    [received] = receiver.received
    assert received.headers["host"] == f"hooks.rebind.test:{urlsplit(url).port}"
    assert received.headers["webhook-id"] == "m-1"
    assert dns.lookups == ["hooks.rebind.test", "hooks.rebind.test"]


def test_a_failed_connection_is_not_echoed_to_responders_but_admins_see_it(pager, runtime, factory, client, clock):
    closed = free_port()  # nothing listens there: the connection is refused
    bob = pager.person("bob", [(W, f"http://127.0.0.1:{closed}/hook", 0)])
    alert_id = pager.page(bob)
    engine = pager.engine()
    pager.run(engine)
    [notification] = pager.notifications(alert_id)
    assert (notification.status, notification.last_error) == (DeliveryStatus.queued, NOT_DELIVERED)
    for _ in range(10):  # until the engine gives up
        clock.advance(timedelta(hours=2))
        pager.run(engine, ticks=1)
    [notification] = pager.notifications(alert_id)
    assert (notification.status, notification.last_error) == (DeliveryStatus.failed, NOT_DELIVERED)

    vic = Caller(client, factory.token(factory.user("vic")))
    shown = vic.ok("get", f"/alerts/{alert_id}")
    assert [d["last_error"] for d in shown["deliveries"]] == [NOT_DELIVERED]
    said = json.dumps(shown)  # the delivery records and the alert's timeline
    assert "Errno" not in said and "Connection refused" not in said and "ConnectError" not in said
    assert f"Could not notify @bob by webhook: {NOT_DELIVERED}" in said

    alice = Caller(client, factory.token(factory.user("alice", AccessRole.admin), TokenScope.admin))
    [dead] = alice.ok("get", "/jobs/dead")["items"]
    assert "ConnectError" in dead["last_error"] and "Connection refused" in dead["last_error"]


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An HTTPS receiver on 127.0.0.1 whose certificate names only hooks.rebind.test (trusted through SSL_CERT_FILE)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=hooks.rebind.test", "-addext", "subjectAltName=DNS:hooks.rebind.test",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    seen: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            seen["host"] = self.headers["host"]
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen.__setitem__("sni", name or "")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def test_https_to_the_checked_address_still_names_and_verifies_the_host(tls_receiver, clock):
    port, seen = tls_receiver
    dns = FakeDNS()
    dns.answer("hooks.rebind.test", "127.0.0.1")
    send(f"https://hooks.rebind.test:{port}/hook", OutboundPolicy.parse("127.0.0.1/32", dns), clock)
    assert seen == {"sni": "hooks.rebind.test", "host": f"hooks.rebind.test:{port}"}
    dns.answer("other.rebind.test", "127.0.0.1")  # same address, a name the certificate does not carry
    with pytest.raises(DeliveryError) as refused:
        send(f"https://other.rebind.test:{port}/hook", OutboundPolicy.parse("127.0.0.1/32", dns), clock)
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value) and refused.value.public == NOT_DELIVERED
