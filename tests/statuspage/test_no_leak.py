"""The room stays internal: marker strings in every internal field appear nowhere a customer can read."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.incidents import flows as incident_flows
from warroom.statuspage import flows, service, subscribers
from warroom.statuspage.models import Subscriber, SubscriberKind

from ..support.receiver import http_receiver
from .conftest import open_incident

MARKERS = {field: f"LEAK{n:02d}-{field.upper()}-ZQX" for n, field in enumerate([
    "title", "description", "summary", "message", "plan", "tried", "result", "status_note", "skip_reason",
    "resolve_note", "reporter", "role_name", "service"])}


def test_internal_room_text_never_reaches_any_public_output(runtime, org, site, anonymous, inbox, clock):
    m = MARKERS
    bob, carol = org.actor(org.bob), org.actor(org.carol)
    room = open_incident(runtime, org, title=f"Checkout {m['title']}", description=f"Details {m['description']}",
                         external_reporter=f"{m['reporter']}@customer.example",
                         affected_services=[m["service"].lower()])
    with runtime.database.writing() as db:
        page = service.get_page(db=db, slug="acme")
        customer = subscribers.subscribe_email(db=db, page=page, email="customer@example.org", component_ids=[],
                                               clock=runtime.clock).subscriber
        assert customer is not None
        customer.confirmed_at = clock.now()
        subscribers.add_webhook(db=db, actor=carol, page=page, url="http://127.0.0.1:9/placeholder",
                                outbound=runtime.outbound)
    ref = room.ref
    with runtime.database.writing() as db:
        incident_flows.set_summary(db=db, actor=bob, ref=ref, summary=f"Summary {m['summary']}")
        incident_flows.post_message(db=db, actor=bob, ref=ref, text=f"Room talk {m['message']}")
        incident_flows.post_update(db=db, actor=bob, ref=ref, kind="plan", text=f"roll back {m['plan']}")
        incident_flows.post_update(db=db, actor=bob, ref=ref, kind="tried", text=f"restart {m['tried']}",
                                   result=f"no change {m['result']}")
        incident_flows.set_status(db=db, actor=bob, ref=ref, status="identified", text=f"Cause {m['status_note']}")
        incident_flows.set_checklist_item(db=db, actor=bob, ref=ref, key="retrospective_scheduled", state="skipped",
                                          note=f"Not needed {m['skip_reason']}")
        incident_flows.assign_role(db=db, actor=bob, ref=ref, role=m["role_name"].lower()[:30], who="@bob")
    search = site.components["Search"].id
    with runtime.database.writing() as db:
        # Drafted from the template for the incident's status: the template knows nothing of the room.
        first = flows.draft_update(db=db, actor=carol, ref=ref)
        flows.publish_update(db=db, actor=carol, ref=ref, update_id=first.id, pages=["acme"],
                             components={search: "major_outage"})
        incident_flows.resolve_incident(db=db, actor=bob, ref=ref, text=f"Fixed {m['resolve_note']}")
        last = flows.draft_update(db=db, actor=carol, ref=ref, body="Searches work again.")
        flows.publish_update(db=db, actor=carol, ref=ref, update_id=last.id, pages=["acme"],
                             components={search: "operational"})

    with http_receiver() as receiver:
        with runtime.database.writing() as db:  # the webhook subscriber now points at a live receiver
            hook = db.scalars(sa.select(Subscriber).where(Subscriber.kind == SubscriberKind.webhook)).one()
            hook.address = receiver.url
        engine = runtime.engine()
        for _ in range(3):
            engine.tick()
        deliveries = [r.body.decode() for r in receiver.received]
    assert len(deliveries) == 2 and len(inbox.received) == 2

    public = {path: anonymous.get(path).text for path in (
        "/status", "/status/acme", "/status/acme/history", "/status/acme.json", "/status/acme/rss.xml",
        "/status/acme/atom.xml")}
    mails = [str(mail.message) for mail in inbox.received]
    assert "Searches work again." in public["/status/acme/history"]
    assert "Problems with some of our services" in public["/status/acme/rss.xml"]  # the template's title
    for where, text in [*public.items(), *(("mail", t) for t in mails), *(("webhook", t) for t in deliveries)]:
        for field, marker in MARKERS.items():
            assert marker.lower() not in text.lower(), f"{field} leaked into {where}"
        assert ref not in text and "INC-" not in text, f"the internal reference leaked into {where}"
