"""Status page webhook subscribers reach only public addresses, or networks the operator allows.

An editor's URL is checked when it is added (a clear 422 that writes nothing) and again on the address
actually connected to when news is sent, so a name that later resolves to Warroom's own network is refused.
"""

from __future__ import annotations

from warroom.config import Settings
from warroom.engine.models import JobState

from ..api.conftest import assert_problem
from ..dns import PUBLIC, FakeDNS
from ..support.receiver import http_receiver
from .conftest import jobs, publish, stored


def run_engine(runtime, ticks: int = 2) -> None:
    engine = runtime.engine()
    for _ in range(ticks):
        engine.tick()


def test_by_default_a_loopback_webhook_is_refused_when_added_and_when_news_is_sent(runtime, org, callers, room,
                                                                                    site):
    assert Settings.model_fields["outbound_allow"].default == ""
    with http_receiver() as receiver:
        callers["sam"].ok("post", "/status-pages/acme/subscribers", {"url": receiver.url}, status=201)  # allowed then
        runtime.settings.outbound_allow = ""  # back to the default
        before = stored(runtime)
        for url in (receiver.url + "/2", receiver.url.replace("127.0.0.1", "0x7f000001"),
                    receiver.url.replace("127.0.0.1", "[::ffff:127.0.0.1]"), "http://169.254.169.254/latest/meta-data/"):
            refused = callers["sam"].post("/status-pages/acme/subscribers", {"url": url})
            assert_problem(refused, 422, contains="WARROOM_OUTBOUND_ALLOW")
            assert refused.json()["field"] == "url"
        assert stored(runtime) == before
        publish(runtime, org.actor(org.carol), room.ref, title="Search is slow", body="Slow searches.")
        run_engine(runtime)
    assert receiver.received == []
    [job] = jobs(runtime)
    assert job.state is JobState.dead and job.attempts == 1
    assert job.last_error.startswith("refused 127.0.0.1: 127.0.0.1 is a loopback address")


def test_the_refusal_names_the_kind_of_address(runtime, callers, site):
    runtime.settings.outbound_allow = ""
    refused = callers["sam"].post("/status-pages/acme/subscribers", {"url": "http://10.1.2.3:5432/"})
    assert_problem(refused, 422, contains="10.1.2.3 is a private address")


def test_a_subscriber_name_that_rebinds_to_loopback_is_refused_when_news_is_sent(runtime, org, callers, room, site):
    runtime.settings.outbound_allow = ""
    dns = runtime.resolver = FakeDNS()
    dns.answer("localhost", str(PUBLIC))  # public when the editor adds it
    with http_receiver() as receiver:
        callers["sam"].ok("post", "/status-pages/acme/subscribers",
                          {"url": receiver.url.replace("127.0.0.1", "localhost")}, status=201)
        dns.answer("localhost", "127.0.0.1")  # then Warroom's own machine
        publish(runtime, org.actor(org.carol), room.ref, title="Search is slow", body="Slow searches.")
        run_engine(runtime)
    assert receiver.received == []
    [job] = jobs(runtime)
    assert job.state is JobState.dead
    assert job.last_error.startswith("refused 127.0.0.1: localhost resolves to a loopback address")
