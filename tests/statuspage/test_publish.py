"""The messenger's flow: draft from a template, edit, publish to pages with components; who may; what it ticks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from warroom.checklists import service as checklists
from warroom.checklists.models import ChecklistItem, ItemState
from warroom.statuspage import flows
from warroom.statuspage.models import Component, ComponentState
from warroom.timeline.models import EntryKind, TimelineEntry

from ..api.conftest import assert_problem
from .conftest import jobs, open_incident, publish, stored


def comms_item(runtime, incident_id: int) -> ChecklistItem:
    with runtime.database.reading() as db:
        return checklists.get_item(db=db, incident_id=incident_id, key=checklists.COMMS_CONFIRMED)


def component_state(runtime, component_id: int) -> ComponentState:
    with runtime.database.reading() as db:
        return db.get(Component, component_id).state


def test_the_messenger_drafts_edits_and_publishes_through_the_api(callers, room, site, runtime):
    carol = callers["carol"]
    search = site.components["Search"].id
    draft = carol.ok("post", f"/incidents/{room.ref}/public-updates", {}, status=201)
    assert draft["state"] == "draft" and draft["status"] == "investigating"
    assert draft["title"] == "Problems with some of our services"  # the template's, not the internal title
    edited = carol.ok("patch", f"/incidents/{room.ref}/public-updates/{draft['id']}",
                      {"title": "Search is unavailable", "body": "Searches fail for everyone. We are on it."})
    assert edited["title"] == "Search is unavailable" and edited["state"] == "draft"
    published = carol.ok("post", f"/incidents/{room.ref}/public-updates/{draft['id']}/publish",
                         {"pages": ["acme"], "components": [{"id": search, "state": "major_outage"}]})
    assert published["update"]["state"] == "published"
    assert published["update"]["pages"] == [{"page": "acme", "public_incident_id": 1, "components": [
        {"component_id": search, "name": "Search", "state": "major_outage"}]}]
    assert component_state(runtime, search) is ComponentState.major_outage
    listed = carol.ok("get", f"/incidents/{room.ref}/public-updates")
    assert [u["state"] for u in listed] == ["published"]
    again = carol.post(f"/incidents/{room.ref}/public-updates/{draft['id']}/publish", {"pages": ["acme"]})
    assert_problem(again, 409, contains="only drafts change")


def test_publishing_writes_the_room_entry_and_a_resolved_update_ticks_comms_confirmed(runtime, org, room, site):
    carol = org.actor(org.carol)
    search = site.components["Search"].id
    publish(runtime, carol, room.ref, components={search: "partial_outage"})
    assert comms_item(runtime, room.incident_id).state is ItemState.open
    done = publish(runtime, carol, room.ref, status="resolved", body="All good.", components={search: "operational"})
    assert "Published to Acme Cloud" in done.message
    item = comms_item(runtime, room.incident_id)
    assert item.state is ItemState.done and item.done_by_id == org.carol.id
    assert component_state(runtime, search) is ComponentState.operational
    with runtime.database.reading() as db:
        entries = list(db.scalars(sa.select(TimelineEntry.body).where(
            TimelineEntry.incident_id == room.incident_id, TimelineEntry.kind == EntryKind.system,
            TimelineEntry.body.like("Public update published%"))))
    assert entries == ["Public update published (investigating) to Acme Cloud: “Search problems” — "
                       "Search: partial outage",
                       "Public update published (resolved) to Acme Cloud: “Search problems” — Search: operational"]


def test_one_update_goes_to_several_pages_each_with_its_own_components(runtime, org, callers, room, site):
    with runtime.database.writing() as db:
        from warroom.accounts import service as accounts

        accounts.add_member(db=db, actor=org.actor(org.alice), team=accounts.find_team(db=db, name="marketing"),
                            user=org.carol)
    blog, search = site.other_components["Blog"].id, site.components["Search"].id
    done = publish(runtime, org.actor(org.carol), room.ref, pages=("acme", "marketing"),
                   components={search: "degraded", blog: "major_outage"})
    assert [p.slug for p in done.pages] == ["acme", "marketing"]
    acme = callers["vic"].client.get("/status/acme.json").json()
    marketing = callers["vic"].client.get("/status/marketing.json").json()
    assert acme["incidents"][0]["components"] == [{"name": "Search", "state": "degraded"}]
    assert marketing["incidents"][0]["components"] == [{"name": "Blog", "state": "major_outage"}]


def test_the_lead_publishes_only_when_there_is_no_customer_impact(runtime, org, callers, site):
    quiet = open_incident(runtime, org, customer_impact=False, title="Internal batch job stuck")
    loud = open_incident(runtime, org, customer_impact=True, title="Checkout fails")
    bob = callers["bob"]
    callers["alice"].ok("patch", "/status-pages/acme", {"team": "engineering"})  # so the page is bob's to edit
    for room, allowed in ((quiet, True), (loud, False)):
        draft = bob.ok("post", f"/incidents/{room.ref}/public-updates", {"title": "Slow reports"}, status=201)
        before = stored(runtime)
        response = bob.post(f"/incidents/{room.ref}/public-updates/{draft['id']}/publish", {"pages": ["acme"]})
        if allowed:
            assert response.status_code == 200, response.text
        else:
            assert_problem(response, 403, contains="its messenger, @carol, publishes")
            assert stored(runtime) == before


@pytest.mark.parametrize("who", ["sam", "eve", "vic"])
def test_others_on_the_team_may_not_publish_and_nothing_is_written(runtime, callers, room, who):
    draft = callers["carol"].ok("post", f"/incidents/{room.ref}/public-updates", {}, status=201)
    before = stored(runtime)
    response = callers[who].post(f"/incidents/{room.ref}/public-updates/{draft['id']}/publish", {"pages": ["acme"]})
    assert_problem(response, 403)
    assert stored(runtime) == before


def test_an_admin_always_may_publish(callers, room):
    alice = callers["alice"]
    draft = alice.ok("post", f"/incidents/{room.ref}/public-updates", {}, status=201)
    alice.ok("post", f"/incidents/{room.ref}/public-updates/{draft['id']}/publish", {"pages": ["acme"]})


def test_publishing_to_a_page_one_may_not_edit_is_a_clear_403_and_writes_nothing(runtime, callers, room, site):
    carol = callers["carol"]
    draft = carol.ok("post", f"/incidents/{room.ref}/public-updates", {}, status=201)
    before = stored(runtime)
    response = carol.post(f"/incidents/{room.ref}/public-updates/{draft['id']}/publish",
                          {"pages": ["acme", "marketing"],
                           "components": [{"id": site.components["Search"].id, "state": "major_outage"}]})
    body = assert_problem(response, 403, contains="may not edit the status page “Marketing site” (marketing)")
    assert "edited by the marketing team and admins" in body["detail"]
    assert stored(runtime) == before
    assert component_state(runtime, site.components["Search"].id) is ComponentState.operational


@pytest.mark.parametrize(("publish_body", "status", "words", "field"), [
    ({"pages": []}, 422, "at least one status page", "pages"),
    ({"pages": ["nope"]}, 404, "no status page 'nope'", "page"),
    ({"pages": ["acme"], "components": [{"id": 999, "state": "degraded"}]}, 404, "no component #999", "components"),
    ({"pages": ["acme"], "components": [{"id": "BLOG", "state": "degraded"}]}, 422, "valid integer", None),
    ({"pages": ["acme"], "components": [{"id": "SEARCH", "state": "on fire"}]}, 422, "unknown component state",
     "components"),
    ({"pages": ["acme"], "components": [{"id": "BLOG", "state": "degraded"}]}, 422, "not on the pages chosen",
     "components"),
    ({"pages": ["acme"], "components": [{"id": "SEARCH", "state": "degraded"}, {"id": "SEARCH", "state": "ok"}]},
     422, "named twice", "components"),
    ({"pages": ["acme"], "colour": "red"}, 422, "extra inputs", "colour"),
    ({"pages": ["acme"] * 300}, 422, "at most 200", "pages"),
])
def test_bad_publish_requests_are_refused_clearly_and_write_nothing(runtime, callers, room, site, publish_body,
                                                                    status, words, field):
    ids = {"SEARCH": site.components["Search"].id, "BLOG": site.other_components["Blog"].id}
    body = dict(publish_body)
    if "components" in body:
        body["components"] = [{**c, "id": ids.get(c["id"], c["id"])} if words != "valid integer" else c
                              for c in body["components"]]
    carol = callers["carol"]
    draft = carol.ok("post", f"/incidents/{room.ref}/public-updates", {}, status=201)
    before = stored(runtime)
    response = carol.post(f"/incidents/{room.ref}/public-updates/{draft['id']}/publish", body)
    assert_problem(response, status, contains=words, field=field)
    assert stored(runtime) == before


SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize(("path", "method", "body", "field"), [
    ("/incidents/{ref}/public-updates", "post", {"title": f"Down {SCRIPT}"}, "title"),
    ("/incidents/{ref}/public-updates", "post", {"body": f"Details {SCRIPT}"}, "body"),
    ("/incidents/{ref}/public-updates", "post", {"body": "<img src=x onerror=alert(1)>"}, "body"),
    ("/incidents/{ref}/public-updates", "post", {"title": "x" * 201}, "title"),
    ("/incidents/{ref}/public-updates", "post", {"body": "x" * 5001}, "body"),
    ("/incidents/{ref}/public-updates", "post", {"body": "   "}, "body"),
    ("/incidents/{ref}/public-updates", "post", {"status": "fixed"}, "status"),
    ("/incidents/{ref}/public-updates/{draft}", "patch", {"title": f"Down {SCRIPT}"}, "title"),
    ("/incidents/{ref}/public-updates/{draft}", "patch", {"body": "<a href='javascript:x'>x</a>"}, "body"),
    ("/incidents/{ref}/public-updates/{draft}", "patch", {"status": "closed"}, "status"),
])
def test_script_injection_and_oversized_text_in_updates_are_refused(runtime, callers, room, path, method, body, field):
    carol = callers["carol"]
    draft = carol.ok("post", f"/incidents/{room.ref}/public-updates", {}, status=201)
    before = stored(runtime)
    response = getattr(carol, method)(path.format(ref=room.ref, draft=draft["id"]), body)
    assert_problem(response, 422, field=field)
    assert stored(runtime) == before


def test_an_oversized_post_is_refused_before_it_is_read(runtime, callers, room):
    before = stored(runtime)
    response = callers["carol"].post(f"/incidents/{room.ref}/public-updates", {"body": "x" * 1_100_000})
    assert_problem(response, 413, contains="over 1000000 bytes")
    assert stored(runtime) == before


def test_drafts_belong_to_their_incident_and_discarded_drafts_are_gone(runtime, org, callers, room):
    other = open_incident(runtime, org, title="Another one")
    carol = callers["carol"]
    draft = carol.ok("post", f"/incidents/{room.ref}/public-updates", {}, status=201)
    assert_problem(carol.patch(f"/incidents/{other.ref}/public-updates/{draft['id']}", {"title": "x"}), 404,
                   contains=f"no public update #{draft['id']} on {other.ref}")
    carol.ok("delete", f"/incidents/{room.ref}/public-updates/{draft['id']}")
    assert carol.ok("get", f"/incidents/{room.ref}/public-updates") == []
    assert_problem(carol.post(f"/incidents/{room.ref}/public-updates/{draft['id']}/publish", {"pages": ["acme"]}),
                   409, contains="discarded")


def test_a_closed_incident_takes_no_more_public_updates(runtime, org, callers, room):
    with runtime.database.writing() as db:
        from warroom.incidents import flows as incident_flows

        incident_flows.resolve_incident(db=db, actor=org.actor(org.bob), ref=room.ref)
        incident_flows.close_incident(db=db, actor=org.actor(org.alice), ref=room.ref, reason="test")
    assert_problem(callers["carol"].post(f"/incidents/{room.ref}/public-updates", {}), 409, contains="archived")


def test_drafting_starts_from_the_incident_status_and_templates_can_be_reworded(runtime, org, callers, room):
    sam = callers["sam"]  # edits a page, so words the templates
    sam.ok("put", "/status-pages/templates/identified",
           {"title": "Trouble with {components}", "body": "Found it: {components}. Fixing now."})
    with runtime.database.writing() as db:
        from warroom.incidents import flows as incident_flows

        incident_flows.set_status(db=db, actor=org.actor(org.bob), ref=room.ref, status="identified")
    draft = callers["carol"].ok("post", f"/incidents/{room.ref}/public-updates", {}, status=201)
    assert (draft["status"], draft["title"], draft["body"]) == (
        "identified", "Trouble with some of our services", "Found it: some of our services. Fixing now.")
    templates = {t["status"]: t for t in callers["vic"].ok("get", "/status-pages/templates")}
    assert templates["identified"]["is_default"] is False and templates["resolved"]["is_default"] is True
    sam.ok("delete", "/status-pages/templates/identified")
    assert callers["vic"].ok("get", "/status-pages/templates")[1]["is_default"] is True
    assert_problem(callers["bob"].put("/status-pages/templates/resolved", {"title": "x", "body": "y"}), 403,
                   contains="admins and editors of a status page")
    assert_problem(sam.put("/status-pages/templates/resolved", {"title": SCRIPT, "body": "y"}), 422, field="title")


def test_the_room_offers_the_public_update_panel_without_extra_queries(runtime, browser, org, room):
    carol = browser(org.carol)
    page = carol.get(f"/incidents/{room.ref}")
    assert 'action="/incidents/INC-1/public-updates"' in page.text and "Draft a public update" in page.text
    drafted = carol.post(f"/incidents/{room.ref}/public-updates", {"status": "investigating"})
    assert drafted.status_code == 303
    assert drafted.headers["location"] == f"/incidents/{room.ref}/public-updates#draft"
    with runtime.database.reading() as db:
        [draft] = flows.list_updates(db=db, incident_id=room.incident_id)
    assert draft.state.value == "draft" and draft.author_id == org.carol.id


def test_the_messenger_page_drafts_edits_and_publishes_with_plain_forms(runtime, browser, org, room, site):
    carol = browser(org.carol)
    carol.post(f"/incidents/{room.ref}/public-updates", {"status": "investigating"})
    with runtime.database.reading() as db:
        [draft] = flows.list_updates(db=db, incident_id=room.incident_id)
    page = carol.get(f"/incidents/{room.ref}/public-updates")
    assert page.status_code == 200 and f"Draft #{draft.id}" in page.text
    saved = carol.post(f"/incidents/{room.ref}/public-updates/{draft.id}",
                       {"title": "Search is down", "status": "investigating", "body": "We are on it."})
    assert saved.status_code == 303
    search = site.components["Search"].id
    refused = carol.post(f"/incidents/{room.ref}/public-updates/{draft.id}/publish",
                         {"page": "marketing", f"state-{search}": "major_outage"})
    assert refused.status_code == 403 and "may not edit the status page" in refused.text
    published = carol.post(f"/incidents/{room.ref}/public-updates/{draft.id}/publish",
                           {"page": "acme", f"state-{search}": "major_outage"})
    assert published.status_code == 303, published.text
    assert component_state(runtime, search) is ComponentState.major_outage
    after = carol.get(f"/incidents/{room.ref}/public-updates").text
    assert "Nothing published yet" not in after and "We are on it." in after
    assert len(jobs(runtime)) == 0  # nobody subscribed yet


def test_a_private_security_incident_keeps_its_public_updates_hidden_from_outsiders(runtime, org, callers, browser,
                                                                                  site, anonymous):
    private = open_incident(runtime, org, title="Token leak", security=True)
    draft = callers["carol"].ok("post", f"/incidents/{private.ref}/public-updates", {}, status=201)
    eve_browser = browser(org.eve)
    before = stored(runtime)
    eve = callers["eve"]  # not a participant, not in the security team
    assert_problem(eve.get(f"/incidents/{private.ref}/public-updates"), 404, contains=f"no incident {private.ref}")
    assert_problem(eve.post(f"/incidents/{private.ref}/public-updates", {}), 404)
    assert_problem(eve.patch(f"/incidents/{private.ref}/public-updates/{draft['id']}", {"title": "x"}), 404)
    assert eve_browser.get(f"/incidents/{private.ref}/public-updates").status_code == 404
    assert stored(runtime) == before
    assert [u["id"] for u in callers["carol"].ok("get", f"/incidents/{private.ref}/public-updates")] == [draft["id"]]
    for path in ("/status/acme", "/status/acme.json", "/status/acme/rss.xml", "/status/acme/atom.xml"):
        public = anonymous.get(path)  # nothing of a private incident reaches the public page unless published
        assert public.status_code == 200 and "Token leak" not in public.text and private.ref not in public.text
