"""Customers read only what someone wrote: Publish publishes the text on screen; closing never leaves a
status page saying "in progress"; a refused publisher is told who the messenger is."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from warroom.checklists import service as checklists
from warroom.checklists.models import ItemState
from warroom.core.errors import ChecklistIncomplete, PermissionDenied
from warroom.incidents import flows as incident_flows
from warroom.incidents import service as incidents
from warroom.incidents.models import Status
from warroom.statuspage import flows

from .conftest import open_incident, publish


def draft_id(page_html: str) -> int:
    return int(re.findall(r'id="edit-(\d+)"', page_html)[0])


def test_publish_publishes_the_edited_text_on_screen_not_the_template(browser, org, room, site, anonymous):
    carol = browser(org.carol)
    assert carol.post(f"/incidents/{room.ref}/public-updates", {"status": "investigating"}).status_code == 303
    page = carol.get(f"/incidents/{room.ref}/public-updates")
    update = draft_id(page.text)
    # The draft's fields and the Publish button are one form, so the button sends what is on screen.
    form = page.text.split(f'id="publish-{update}"', 1)[1].split("</form>", 1)[0]

    search = site.components["Search"].id
    published = carol.post(f"/incidents/{room.ref}/public-updates/{update}/publish", {
        "title": "Search is unavailable", "status": "identified", "body": "Searches fail; a fix is rolling out.",
        "page": "acme", f"state-{search}": "major_outage"})
    assert published.status_code == 303, published.text[:500]

    [shown] = anonymous.get("/status/acme.json").json()["incidents"]
    assert shown["title"] == "Search is unavailable" and shown["status"] == "identified"
    assert [u["body"] for u in shown["updates"]] == ["Searches fail; a fix is rolling out."]
    assert 'name="body"' in form and f'formaction="/incidents/{room.ref}/public-updates/{update}/publish"' in form


def test_a_refused_publish_keeps_the_edited_text_and_publishes_nothing(browser, org, room, site, anonymous):
    carol = browser(org.carol)
    carol.post(f"/incidents/{room.ref}/public-updates", {"status": "investigating"})
    update = draft_id(carol.get(f"/incidents/{room.ref}/public-updates").text)
    refused = carol.post(f"/incidents/{room.ref}/public-updates/{update}/publish", {
        "title": "Search is unavailable", "status": "investigating", "body": "My own words, not saved yet."})
    assert refused.status_code == 422
    assert "Choose at least one status page" in refused.text
    assert "My own words, not saved yet." in refused.text and "Search is unavailable" in refused.text
    assert anonymous.get("/status/acme.json").json()["incidents"] == []


def test_a_refused_publisher_is_told_who_the_messenger_is(runtime, org, room, site):
    with runtime.database.writing() as db:
        draft = flows.draft_update(db=db, actor=org.actor(org.carol), ref=room.ref, title="Search", body="Down.")
    with pytest.raises(PermissionDenied) as refused, runtime.database.writing() as db:
        flows.publish_update(db=db, actor=org.actor(org.sam), ref=room.ref, update_id=draft.id, pages=["acme"],
                             components={})
    message = str(refused.value)
    assert "@carol" in message and "messenger" in message
    assert "assign one" not in message


def test_the_lead_and_messenger_are_named_without_customer_impact(runtime, org, site):
    quiet = open_incident(runtime, org, customer_impact=False, title="Blog is slow")
    with runtime.database.writing() as db:
        draft = flows.draft_update(db=db, actor=org.actor(org.bob), ref=quiet.ref, title="Blog", body="Slow.")
    with pytest.raises(PermissionDenied) as refused, runtime.database.writing() as db:
        flows.publish_update(db=db, actor=org.actor(org.sam), ref=quiet.ref, update_id=draft.id, pages=["acme"],
                             components={})
    assert "(@bob)" in str(refused.value)


def settle_checklist(runtime, org, ref: str) -> None:
    with runtime.database.writing() as db:
        incident = incidents.get_incident(db=db, ref=ref)
        for item in checklists.missing_for_close(checklists.list_items(db=db, incident_id=incident.id)):
            if item.key != checklists.COMMS_CONFIRMED:
                incident_flows.set_checklist_item(db=db, actor=org.actor(org.bob), ref=ref, key=item.key,
                                                  state="skipped", note="not for this test")


def test_resolving_says_what_is_still_public_and_closing_waits_for_the_resolved_update(
        runtime, org, room, site, browser, anonymous):
    carol = org.actor(org.carol)
    publish(runtime, carol, room.ref, title="Search outage", body="Searches fail.")
    with runtime.database.writing() as db:
        resolved = incident_flows.resolve_incident(db=db, actor=org.actor(org.bob), ref=room.ref, text="fixed")
    still = "Customers still read “Search outage” (investigating) on Acme Cloud (/status/acme)"
    assert any(still in w for w in resolved.warnings), resolved.warnings
    settle_checklist(runtime, org, room.ref)
    with runtime.database.writing() as db:  # the messenger ticked comms by hand, yet the page says in progress
        incident_flows.set_checklist_item(db=db, actor=carol, ref=room.ref, key=checklists.COMMS_CONFIRMED,
                                          state="done")

    # The room's close step says what is still public and offers the resolved update.
    panel = browser(org.bob).get(f"/incidents/{room.ref}").text
    assert "Customers still read “Search outage” (investigating) on Acme Cloud (/status/acme)" in panel
    assert "Draft the resolved update" in panel

    with pytest.raises(ChecklistIncomplete) as refused, runtime.database.writing() as db:
        incident_flows.close_incident(db=db, actor=org.actor(org.bob), ref=room.ref)
    assert still in refused.value.message and refused.value.missing == [checklists.COMMS_CONFIRMED]
    during = anonymous.get("/status/acme.json").json()
    assert during["status"]["description"] == "Incident in progress"
    assert during["incidents"][0]["status"] == "investigating"

    publish(runtime, carol, room.ref, status="resolved", title="Search outage", body="Searches work again.")
    with runtime.database.writing() as db:
        assert flows.stale_story(db=db, incident=incidents.get_incident(db=db, ref=room.ref)) is None
        closed = incident_flows.close_incident(db=db, actor=org.actor(org.bob), ref=room.ref)
        assert closed.incident.status is Status.closed
        comms = checklists.get_item(db=db, incident_id=room.incident_id, key=checklists.COMMS_CONFIRMED)
        assert comms.state is ItemState.done
    after = anonymous.get("/status/acme.json").json()
    assert after["incidents"] == [] and after["status"]["description"] == "All systems operational"


def test_a_resolved_room_with_nothing_stale_keeps_the_rooms_query_budget(runtime, org, room, site, browser):
    carol = org.actor(org.carol)
    publish(runtime, carol, room.ref, title="Search outage", body="Searches fail.")
    publish(runtime, carol, room.ref, status="resolved", title="Search outage", body="Fixed.")
    with runtime.database.writing() as db:
        incident_flows.resolve_incident(db=db, actor=org.actor(org.bob), ref=room.ref)
    bob = browser(org.bob)
    bob.get(f"/incidents/{room.ref}")  # warm SQLAlchemy's caches
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(runtime.database.engine, "before_cursor_execute", record)
    try:
        page = bob.get(f"/incidents/{room.ref}")
    finally:
        sa.event.remove(runtime.database.engine, "before_cursor_execute", record)
    assert page.status_code == 200 and "Customers still read" not in page.text
    assert len(statements) <= 5, "\n\n".join(statements)  # the room's budget (tests/web/test_room_timeline.py)
