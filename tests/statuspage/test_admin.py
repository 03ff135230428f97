"""Editing status pages, signed in (web forms and API): who may, what it does, and bad input refused cleanly."""

from __future__ import annotations

import pytest

from warroom.statuspage.models import ComponentState

from ..api.conftest import assert_problem
from .conftest import stored

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'


def test_an_admin_creates_a_page_that_a_team_then_keeps(runtime, browser, org, anonymous, clock):
    alice, sam = browser(org.alice), browser(org.sam)
    created = alice.post("/status-pages", {"name": "Acme EU", "slug": "acme-eu", "team": "customer-support",
                                          "description": "Our European region.", "listed": "1"})
    assert created.status_code == 303 and created.headers["location"] == "/status-pages"
    assert "Acme EU" in alice.get("/status-pages").text
    assert sam.post("/status-pages/acme-eu/groups", {"name": "Core"}).status_code == 303
    assert sam.post("/status-pages/acme-eu/components", {"name": "Login", "group": "Core",
                                                         "description": "Signing in"}).status_code == 303
    editor = sam.get("/status-pages/acme-eu")
    assert editor.status_code == 200 and "Login" in editor.text and "Schedule maintenance" in editor.text
    component_id = int(editor.text.split('id="component-', 1)[1].split('"', 1)[0])
    assert sam.post(f"/status-pages/acme-eu/components/{component_id}/state",
                    {"state": "partial_outage"}).status_code == 303
    start = (clock.now().replace(microsecond=0)).isoformat(timespec="minutes").removesuffix("+00:00")
    scheduled = sam.post("/status-pages/acme-eu/maintenance", {
        "title": "Router swap", "starts_at": start, "ends_at": start.replace("T09", "T11"),
        "component": str(component_id), "body": "A minute of packet loss."})
    assert scheduled.status_code == 303, scheduled.text
    public = anonymous.get("/status/acme-eu").text
    assert "Partial outage" in public and "Router swap" in public and "Our European region." in public
    settings = sam.post("/status-pages/acme-eu/settings", {"name": "Acme Europe", "description": "EU region."})
    assert settings.status_code == 303
    assert "Acme Europe status" in anonymous.get("/status/acme-eu").text
    assert "Acme Europe" not in anonymous.get("/status").text  # not ticked "listed": taken off the list


def test_the_signing_secret_of_a_new_webhook_is_shown_once(runtime, public_names, browser, org, site):
    sam = browser(org.sam)
    added = sam.post("/status-pages/acme/subscribers", {"url": "https://hooks.example.com/acme",
                                                       "component": str(site.components["API"].id)})
    assert added.status_code == 200 and 'id="new-secret"' in added.text and "whsec_" in added.text
    again = sam.get("/status-pages/acme")
    assert "https://hooks.example.com/acme" in again.text and "whsec_" not in again.text
    subscriber_id = int(again.text.split("/subscribers/", 1)[1].split("/remove", 1)[0])
    assert sam.post(f"/status-pages/acme/subscribers/{subscriber_id}/remove").status_code == 303
    after = sam.get("/status-pages/acme").text
    assert "Removed https://hooks.example.com/acme" in after and "No subscribers yet." in after


def test_templates_are_edited_on_their_own_page(browser, org, site):
    sam = browser(org.sam)
    saved = sam.post("/status-pages/templates/monitoring", {"title": "Watching {components}",
                                                            "body": "A fix is out for {components}."})
    assert saved.status_code == 303
    page = sam.get("/status-pages/templates").text
    assert "Watching {components}" in page and "A fix is out for {components}." in page
    assert sam.post("/status-pages/templates/monitoring", {"reset": "1"}).status_code == 303
    assert "Watching {components}" not in sam.get("/status-pages/templates").text


PAGE_FORMS = [
    ("/status-pages/acme/groups", {"name": "Core"}),
    ("/status-pages/acme/components", {"name": "Billing"}),
    ("/status-pages/acme/components/{api}/state", {"state": "major_outage"}),
    ("/status-pages/acme/maintenance", {"title": "Upgrade", "starts_at": "2026-01-06T02:00",
                                        "ends_at": "2026-01-06T03:00", "component": "{api}"}),
    ("/status-pages/acme/subscribers", {"url": "https://hooks.example.com/x"}),
    ("/status-pages/acme/settings", {"name": "Renamed"}),
]


@pytest.mark.parametrize(("path", "form"), PAGE_FORMS)
@pytest.mark.parametrize("who", ["eve", "bob", "vic"])
def test_people_outside_the_page_team_may_not_edit_it_and_nothing_is_written(runtime, browser, org, site, path,
                                                                             form, who):
    api = str(site.components["API"].id)
    person = browser(getattr(org, who))
    before = stored(runtime)
    response = person.post(path.replace("{api}", api), {k: v.replace("{api}", api) for k, v in form.items()})
    assert response.status_code == 403, response.text
    assert "may not edit the status page" in response.text or "viewer access" in response.text
    assert stored(runtime) == before


def test_only_admins_create_pages(runtime, browser, org):
    sam = browser(org.sam)
    before = stored(runtime)
    response = sam.post("/status-pages", {"name": "Mine", "slug": "mine"})
    assert response.status_code == 403 and "this needs admin" in response.text
    assert stored(runtime) == before


BAD_FORMS = [
    ("/status-pages", {"name": f"Acme {SCRIPT}", "slug": "x1"}, 422, "looks like HTML"),
    ("/status-pages", {"name": "Acme", "slug": "x2", "description": IMG}, 422, "looks like HTML"),
    ("/status-pages", {"name": "Acme", "slug": "Not a slug"}, 422, "lowercase letters"),
    ("/status-pages", {"name": "Acme", "slug": "templates"}, 422, "addresses use"),
    ("/status-pages", {"name": "Acme", "slug": "acme"}, 409, "already exists"),
    ("/status-pages", {"name": "Acme", "slug": "x3", "team": "nobody"}, 404, "No team"),
    ("/status-pages", {"name": "x" * 201, "slug": "x4"}, 422, "under 200"),
    ("/status-pages/acme/groups", {"name": SCRIPT}, 422, "looks like HTML"),
    ("/status-pages/acme/groups", {"name": "  "}, 422, "cannot be empty"),
    ("/status-pages/acme/components", {"name": f"Search {IMG}"}, 422, "looks like HTML"),
    ("/status-pages/acme/components", {"name": "Billing", "description": SCRIPT}, 422, "looks like HTML"),
    ("/status-pages/acme/components", {"name": "Billing", "group": "Nope"}, 404, "No group"),
    ("/status-pages/acme/components", {"name": "Search"}, 409, "already has a component"),
    ("/status-pages/acme/components/{api}/state", {"state": "on fire"}, 422, "Unknown component state"),
    ("/status-pages/acme/components/999/state", {"state": "degraded"}, 404, "No component #999"),
    ("/status-pages/acme/components/{blog}/state", {"state": "degraded"}, 404, "No component"),
    ("/status-pages/acme/maintenance", {"title": SCRIPT, "starts_at": "2026-01-06T02:00",
                                        "ends_at": "2026-01-06T03:00", "component": "{api}"}, 422, "looks like HTML"),
    ("/status-pages/acme/maintenance", {"title": "Up", "body": IMG, "starts_at": "2026-01-06T02:00",
                                        "ends_at": "2026-01-06T03:00", "component": "{api}"}, 422, "looks like HTML"),
    ("/status-pages/acme/maintenance", {"title": "Up", "starts_at": "tomorrow", "ends_at": "2026-01-06T03:00",
                                        "component": "{api}"}, 422, "date and time"),
    ("/status-pages/acme/maintenance", {"title": "Up", "starts_at": "2026-01-06T04:00",
                                        "ends_at": "2026-01-06T03:00", "component": "{api}"}, 422, "end after"),
    ("/status-pages/acme/maintenance", {"title": "Up", "starts_at": "2026-01-01T04:00",
                                        "ends_at": "2026-01-02T03:00", "component": "{api}"}, 422, "already over"),
    ("/status-pages/acme/maintenance", {"title": "Up", "starts_at": "2026-01-06T02:00",
                                        "ends_at": "2026-01-06T03:00", "component": "999"}, 404, "No component #999"),
    ("/status-pages/acme/maintenance", {"title": "Up", "starts_at": "2026-01-06T02:00",
                                        "ends_at": "2026-01-06T03:00"}, 422, "Choose the components"),
    ("/status-pages/acme/maintenance/999/cancel", {}, 404, "No maintenance #999"),
    ("/status-pages/acme/subscribers", {"url": "javascript:alert(1)"}, 422, "http:// or https://"),
    ("/status-pages/acme/subscribers/999/remove", {}, 404, "No subscriber #999"),
    ("/status-pages/acme/settings", {"name": SCRIPT}, 422, "looks like HTML"),
    ("/status-pages/acme/settings", {"name": "Acme", "description": IMG}, 422, "looks like HTML"),
    ("/status-pages/templates/resolved", {"title": SCRIPT, "body": "ok"}, 422, "looks like HTML"),
    ("/status-pages/templates/resolved", {"title": "ok", "body": IMG}, 422, "looks like HTML"),
    ("/status-pages/templates/fixed", {"title": "ok", "body": "ok"}, 422, "Unknown public status"),
]


@pytest.mark.parametrize(("path", "form", "status", "words"), BAD_FORMS)
def test_bad_input_in_every_form_is_a_clear_error_and_writes_nothing(runtime, browser, org, site, path, form,
                                                                     status, words):
    ids = {"{api}": str(site.components["API"].id), "{blog}": str(site.other_components["Blog"].id)}
    for key, value in ids.items():
        path = path.replace(key, value)
        form = {k: v.replace(key, value) for k, v in form.items()}
    alice = browser(org.alice)
    before = stored(runtime)
    response = alice.post(path, form)
    assert response.status_code == status, response.text
    assert words in response.text
    assert SCRIPT not in response.text and IMG not in response.text  # shown back escaped, if at all
    assert stored(runtime) == before


def test_unknown_pages_and_oversized_posts_are_refused(runtime, browser, org, site):
    alice = browser(org.alice)
    before = stored(runtime)
    assert alice.post("/status-pages/nope/groups", {"name": "Core"}).status_code == 404
    assert alice.get("/status-pages/nope").status_code == 404
    huge = alice.post("/status-pages/acme/groups", {"name": "x" * 1_100_000})
    assert huge.status_code == 413
    assert stored(runtime) == before


def test_the_api_keeps_pages_components_and_maintenance(runtime, callers, site, clock):
    alice, sam, vic = callers["alice"], callers["sam"], callers["vic"]
    created = alice.ok("post", "/status-pages", {"slug": "acme-us", "name": "Acme US", "team": "customer-support"},
                       status=201)
    assert created["url"] == "http://warroom.test/status/acme-us" and created["team"] == "customer-support"
    sam.ok("post", "/status-pages/acme-us/groups", {"name": "Core"}, status=201)
    component = sam.ok("post", "/status-pages/acme-us/components", {"name": "Login", "group": "Core"}, status=201)
    assert component["state"] == "operational" and component["group"] == "Core"
    renamed = sam.ok("patch", f"/status-pages/acme-us/components/{component['id']}", {"name": "Sign-in",
                                                                                      "group": ""})
    assert renamed["name"] == "Sign-in" and renamed["group"] is None
    state = sam.ok("put", f"/status-pages/acme-us/components/{component['id']}/state", {"state": "major_outage"})
    assert state["state"] == ComponentState.major_outage.value
    window = sam.ok("post", "/status-pages/acme-us/maintenances", {
        "title": "Upgrade", "starts_at": (clock.now()).isoformat(), "ends_at": "2026-01-05T12:00:00+00:00",
        "components": [component["id"]]}, status=201)
    assert [m["id"] for m in vic.ok("get", "/status-pages/acme-us/maintenances")] == [window["id"]]
    cancelled = sam.ok("post", f"/status-pages/acme-us/maintenances/{window['id']}/cancel")
    assert cancelled["cancelled_at"] is not None
    detail = vic.ok("get", "/status-pages/acme-us")
    assert detail["may_edit"] is False and [c["name"] for c in detail["components"]] == ["Sign-in"]
    assert sam.ok("get", "/status-pages/acme-us")["may_edit"] is True
    assert [p["slug"] for p in vic.ok("get", "/status-pages")] == ["acme", "acme-us", "marketing"]


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "words"), [
    ("sam", "post", "/status-pages", {"slug": "x", "name": "X"}, 403, "needs admin"),
    ("vic", "post", "/status-pages", {"slug": "x", "name": "X"}, 403, "needs responder"),
    ("alice", "post", "/status-pages", {"slug": "x", "name": "X", "colour": "red"}, 422, "extra inputs"),
    ("alice", "post", "/status-pages", {"slug": "new", "name": "X"}, 422, "addresses use"),
    ("alice", "post", "/status-pages", {"slug": "x", "name": f"X {SCRIPT}"}, 422, "looks like HTML"),
    ("sam", "patch", "/status-pages/acme", {"team": "engineering"}, 403, "needs admin"),
    ("eve", "patch", "/status-pages/acme", {"name": "Mine now"}, 403, "may not edit"),
    ("sam", "patch", "/status-pages/nope", {"name": "X"}, 404, "no status page 'nope'"),
    ("sam", "post", "/status-pages/acme/components", {"name": IMG}, 422, "looks like HTML"),
    ("sam", "patch", "/status-pages/acme/components/{blog}", {"name": "Blog 2"}, 404, "no component"),
    ("sam", "put", "/status-pages/acme/components/{api}/state", {"state": "meh"}, 422, "unknown component state"),
    ("sam", "post", "/status-pages/acme/maintenances", {"title": "x", "starts_at": "2026-01-06T02:00:00",
                                                        "ends_at": "2026-01-06T03:00:00", "components": ["{api}"]},
     422, "time zone"),
    ("sam", "post", "/status-pages/acme/maintenances", {"title": "x", "starts_at": "2026-01-06T02:00:00Z",
                                                        "ends_at": "2026-02-06T03:00:00Z", "components": ["{api}"]},
     422, "at most 14 days"),
    ("sam", "post", "/status-pages/acme/maintenances", {"title": "x", "starts_at": "2026-01-06T02:00:00Z",
                                                        "ends_at": "2026-01-06T03:00:00Z", "components": ["{blog}"]},
     404, "no component"),
    ("sam", "post", "/status-pages/acme/maintenances/999/cancel", None, 404, "no maintenance #999"),
])
def test_bad_api_calls_are_refused_clearly_and_write_nothing(runtime, callers, site, who, method, path, body, status,
                                                            words):
    ids = {"{api}": site.components["API"].id, "{blog}": site.other_components["Blog"].id}
    for key, value in ids.items():
        path = path.replace(key, str(value))
    if body and "components" in body:
        body = {**body, "components": [ids.get(c, c) for c in body["components"]]}
    before = stored(runtime)
    caller = callers[who]
    response = caller.patch(path, body) if method == "patch" else getattr(caller, method)(path, body)
    assert_problem(response, status, contains=words)
    assert stored(runtime) == before
