"""The first-run checklist of a real installation: ticked from what exists, for admins, until done or dismissed."""

from __future__ import annotations

import re

from warroom.first_run import service as first_run
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key
from warroom.oncall.schedules.service import create_schedule
from warroom.runtime import Runtime

STEPS = ["admin", "teams", "schedule", "escalation_policy", "integration_key", "mail", "chat"]


STEP_RE = re.compile(r'class="check check--(done|open)" id="first-run-([a-z_]+)"')


def ticked(html: str) -> dict[str, bool]:
    return {key: state == "done" for state, key in STEP_RE.findall(html)}


def test_each_step_ticks_itself_from_the_database_and_the_settings(runtime, people, factory):
    with runtime.database.reading() as db:
        fresh = first_run.checklist(db=db, settings=runtime.settings,
                                    chat_platforms=runtime.configured_chat_platforms())
    assert [s.key for s in fresh.steps] == STEPS
    # The test people include an admin and teams with members; nothing else is set up yet.
    assert {s.key: s.done for s in fresh.steps} == dict.fromkeys(STEPS, False) | {"admin": True, "teams": True}

    alice = factory.actor(people.alice)
    with runtime.database.writing() as db:
        create_schedule(db=db, actor=alice, slug="primary", name="Primary", time_zone="Europe/Berlin")
        db.add(EscalationPolicy(slug="default", name="Default", created_at=alice.clock.now()))
        create_key(db=db, actor=alice, name="prometheus", kind=KeyKind.alertmanager)
    configured = runtime.settings.model_copy(update={"smtp_host": "mail.example.com", "slack_bot_token": "xoxb-1"})
    chat_platforms = Runtime(configured, runtime.database, runtime.clock).configured_chat_platforms()
    assert chat_platforms == ["slack"]
    with runtime.database.reading() as db:
        done = first_run.checklist(db=db, settings=configured, chat_platforms=chat_platforms)
        assert done.complete
        assert first_run.shown_to(db=db, settings=configured, actor=alice,
                                  chat_platforms=chat_platforms) is None  # nothing left to show


def test_admins_see_it_on_the_home_page_with_links_until_they_dismiss_it(browser, people, runtime):
    alice, bob = browser(people.alice), browser(people.bob)
    home = alice.get("/")
    assert "Set up Warroom" in home.text and "2 of 7 done" in home.text
    assert ticked(home.text) == dict.fromkeys(STEPS, False) | {"admin": True, "teams": True}
    for link in ("/admin/users", "/admin/teams", "/oncall#oc-schedules-h", "/oncall#oc-policies-h",
                 "/admin/integrations"):
        assert f'href="{link}"' in home.text.split('id="first-run-h"')[1]
        assert alice.get(link.split("#")[0]).status_code == 200
    assert "WARROOM_SMTP_HOST" in home.text  # a setting, not a page: it says which variable

    assert "Set up Warroom" not in bob.get("/").text  # responders are not asked to set up
    refused = bob.post("/first-run/dismiss")
    assert refused.status_code == 403 and "Only an admin can dismiss" in refused.text
    assert alice.post("/first-run/dismiss", csrf=False).status_code == 403  # no CSRF token, nothing dismissed
    assert "Set up Warroom" in alice.get("/").text

    assert alice.post("/first-run/dismiss").status_code == 303
    assert "Set up Warroom" not in alice.get("/").text
    with runtime.database.reading() as db:
        assert first_run.is_dismissed(db=db)


def test_the_demo_does_not_ask_to_be_set_up(runtime, people, factory):
    demo = runtime.settings.model_copy(update={"seed_demo": True})
    with runtime.database.reading() as db:
        assert first_run.shown_to(db=db, settings=demo, actor=factory.actor(people.alice), chat_platforms=[]) is None
