"""Live surfaces: the room's event stream, the announcements stream, and the outbound announcement webhook."""

from __future__ import annotations

from datetime import timedelta

from markupsafe import escape

from warroom.incidents import flows
from warroom.live.broker import ANNOUNCEMENTS, incident_channel

from ..support.receiver import http_receiver
from ..web.test_live import events, unsubscribed, until
from .conftest import SECRET

ESCAPED_SECRET = str(escape(SECRET))


def test_the_private_rooms_stream_is_not_found_for_a_non_participant(browser, cast, incidents):
    for who in ("rita", "vic"):
        person = browser(cast[who])
        hidden, missing = person.get("/incidents/INC-2/events"), person.get("/incidents/INC-99/events")
        assert hidden.status_code == missing.status_code == 404
        assert ESCAPED_SECRET not in hidden.text
    with browser(cast.sam).client.stream("GET", "/incidents/INC-2/events?after=0") as response:
        assert response.status_code == 200
        seen = until(events(response), lambda e: e.get("event") == "panel")
    assert any(ESCAPED_SECRET in e.get("data", "") for e in seen if e.get("event") == "entry")


def test_an_open_room_stream_ends_when_the_incident_is_made_private(browser, cast, incidents, runtime, factory):
    bob = browser(cast.bob)  # bob follows rita's public INC-1, in which he takes no part
    with bob.client.stream("GET", "/incidents/INC-1/events") as response:
        stream = events(response)
        assert "retry" in next(stream)
        with runtime.database.writing() as db:
            flows.post_message(db=db, actor=factory.actor(cast.rita), ref="INC-1", text="still public")
        until(stream, lambda e: e.get("event") == "panel")
        with runtime.database.writing() as db:
            flows.update_details(db=db, actor=factory.actor(cast.rita), ref="INC-1", security=True)
            flows.post_message(db=db, actor=factory.actor(cast.rita), ref="INC-1", text="now private")
        after = list(stream)  # the server closes the stream instead of sending what came after
    assert [e for e in after if e.get("event") in ("entry", "replace", "panel")] == []
    assert unsubscribed(incident_channel(1))
    assert bob.get("/incidents/INC-1/events").status_code == 404


def test_the_announcements_stream_redacts_a_private_incident_for_outsiders(browser, cast, factory):
    rita, sam = browser(cast.rita), browser(cast.sam)
    with rita.client.stream("GET", "/announcements/events") as outsider, \
            sam.client.stream("GET", "/announcements/events") as insider:
        outside, inside = events(outsider), events(insider)
        next(outside), next(inside)
        factory.incident(cast.bob, title=SECRET, security=True)
        told_outside = until(outside, lambda e: e.get("event") == "announcement")[-1]["data"]
        told_inside = until(inside, lambda e: e.get("event") == "announcement")[-1]["data"]
    assert "A private security incident was declared (INC-1)" in told_outside
    assert ESCAPED_SECRET not in told_outside and 'href="/incidents/INC-1"' not in told_outside
    assert f"New incident INC-1 [critical] {ESCAPED_SECRET}" in told_inside
    assert unsubscribed(ANNOUNCEMENTS)


def test_outbound_announcements_carry_only_the_redacted_line(runtime, factory, cast, clock):
    with http_receiver() as receiver:
        runtime.settings.announce_webhook_url = receiver.url
        engine = runtime.engine()
        factory.incident(cast.rita, title="Checkout fails", severity="major")  # public
        # Queued while INC-2 was public, sent after it was flagged: the redacted line goes out.
        factory.incident(cast.bob, title=SECRET, severity="major")
        with runtime.database.writing() as db:
            flows.update_details(db=db, actor=factory.actor(cast.bob), ref="INC-2", security=True)
            flows.set_status(db=db, actor=factory.actor(cast.bob), ref="INC-2", status="identified")
        for _ in range(3):
            engine.tick()
            clock.advance(timedelta(minutes=1))
    sent = {r.json()["text"] for r in receiver.received}
    assert sent == {"New incident INC-1 [major] Checkout fails — investigating",
                    "A private security incident was declared (INC-2)",
                    "A private security incident was updated (INC-2)"}
    assert all(SECRET not in r.body.decode() for r in receiver.received)
