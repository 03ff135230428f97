"""/profile (contact methods, notification rules, on-call shifts) and /admin/integrations (integration keys)."""

from __future__ import annotations

from warroom.notifications import service as notifications
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import KeyKind

from .conftest import written


def methods_of(runtime, user):
    with runtime.database.reading() as db:
        return [(m.kind.value, m.address) for m in notifications.list_contact_methods(db=db, user=user)]


def test_the_profile_shows_how_you_are_reached_and_your_shifts(browser, people, schedule):
    page = browser(people.alice).get("/profile")
    assert page.status_code == 200
    assert "None yet. Without contact methods and rules, a page reaches you by email at alice@example.com" in page.text
    assert 'href="/settings/tokens">Your API tokens' in page.text
    assert 'href="/oncall/users/alice.ics"' in page.text
    shifts = page.text.split('id="shifts-h"', 1)[1]
    assert "<td>Platform primary</td>" in shifts  # alice is on call this week and the week after next


def test_contact_methods_and_rules_are_added_and_removed(browser, people, runtime):
    bob = browser(people.bob)
    response = bob.post("/profile/contact-methods", {"kind": "sms", "address": "+44 20 7946 0958", "label": "mobile"})
    assert response.status_code == 303 and response.headers["location"] == "/profile"
    bob.post("/profile/contact-methods", {"kind": "email", "address": "bob@Example.COM"})
    assert methods_of(runtime, people.bob) == [("sms", "+442079460958"), ("email", "bob@example.com")]
    page = bob.get("/profile")
    assert "Added email bob@example.com." in page.text and "+442079460958" in page.text
    with runtime.database.reading() as db:
        sms, mail = notifications.list_contact_methods(db=db, user=people.bob)
    assert bob.post("/profile/rules", {"contact_method": str(mail.id), "delay_minutes": "0"}).status_code == 303
    assert bob.post("/profile/rules", {"contact_method": str(sms.id), "delay_minutes": "5"}).status_code == 303
    page = bob.get("/profile")
    assert "you are notified after 5 minutes if unacknowledged" in page.text
    assert "At once:" in page.text and "After 5 min:" in page.text
    with runtime.database.reading() as db:
        rules = notifications.list_rules(db=db, user=people.bob)
    assert [(r.kind.value, r.delay_minutes) for r in rules] == [("email", 0), ("sms", 5)]
    assert bob.post(f"/profile/rules/{rules[0].id}/remove").status_code == 303
    assert bob.post(f"/profile/contact-methods/{sms.id}/remove").status_code == 303
    assert "Removed sms +442079460958 and the rules that used it" in bob.get("/profile").text
    assert methods_of(runtime, people.bob) == [("email", "bob@example.com")]
    assert written(runtime).rules == 0


def test_bad_contact_methods_and_rules_are_refused_and_nothing_is_written(browser, people, runtime):
    bob = browser(people.bob)
    bob.post("/profile/contact-methods", {"kind": "email", "address": "bob@example.com"})
    before = written(runtime)
    bad = bob.post("/profile/contact-methods", {"kind": "email", "address": "bob at example"})
    assert bad.status_code == 422
    assert "&#39;bob at example&#39; is not an email address (like bob@example.com)." in bad.text
    assert 'value="bob at example"' in bad.text
    kind = bob.post("/profile/contact-methods", {"kind": "pigeon", "address": "roof"})
    assert kind.status_code == 422 and "Unknown contact method &#39;pigeon&#39;." in kind.text
    twice = bob.post("/profile/contact-methods", {"kind": "email", "address": "bob@example.com"})
    assert twice.status_code == 409 and "@bob already has email bob@example.com." in twice.text
    with runtime.database.reading() as db:
        mail = notifications.list_contact_methods(db=db, user=people.bob)[0]
    late = bob.post("/profile/rules", {"contact_method": str(mail.id), "delay_minutes": "soon"})
    assert late.status_code == 422 and "The delay is a whole number of minutes from 0 to 1440." in late.text
    nothing = bob.post("/profile/rules", {"contact_method": "", "delay_minutes": "0"})
    assert nothing.status_code == 422 and "Choose one of your contact methods" in nothing.text
    stale = bob.post("/profile/contact-methods", {"kind": "email", "address": "b2@example.com"}, csrf=False)
    assert stale.status_code == 403
    assert written(runtime) == before


def test_nobody_removes_someone_else_s_contact_methods(browser, people, runtime):
    alice = browser(people.alice)
    alice.post("/profile/contact-methods", {"kind": "email", "address": "alice@example.com"})
    with runtime.database.reading() as db:
        method = notifications.list_contact_methods(db=db, user=people.alice)[0]
    bob = browser(people.bob)
    before = written(runtime)
    refused = bob.post(f"/profile/contact-methods/{method.id}/remove")
    assert refused.status_code == 403
    assert "Only @alice or an admin can change how @alice is reached." in refused.text
    assert written(runtime) == before


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(browser, people, runtime):
    alice = browser(people.alice)
    page = alice.get("/admin/integrations")
    assert page.status_code == 200 and "No keys yet." in page.text
    assert "http://warroom.test/v2/enqueue" in page.text
    made = alice.post("/admin/integrations", {"name": "prometheus-prod", "kind": "alertmanager",
                                              "team": "engineering", "dedup_per_alert": "1"})
    assert made.status_code == 201
    secret = made.text.split('id="new-key" class="mono" value="', 1)[1].split('"', 1)[0]
    assert secret.startswith("wrk") and "http://warroom.test/api/v1/integrations/alertmanager" in made.text
    with runtime.database.reading() as db:
        key = keys.authenticate_key(db=db, secret=secret)
        assert key is not None and key.kind is KeyKind.alertmanager and key.dedup_per_alert
    listing = alice.get("/admin/integrations")
    assert secret not in listing.text and f"{key.prefix}…" in listing.text and "<td>engineering</td>" in listing.text
    assert alice.post(f"/admin/integrations/{key.id}/revoke").status_code == 303
    assert "Revoked key “prometheus-prod”" in alice.get("/admin/integrations").text
    with runtime.database.reading() as db:
        assert keys.authenticate_key(db=db, secret=secret) is None


def test_a_bad_key_is_refused_and_only_admins_manage_keys(browser, people, runtime):
    alice, bob = browser(people.alice), browser(people.bob)
    before = written(runtime)
    nameless = alice.post("/admin/integrations", {"name": " ", "kind": "pagerduty"})
    assert nameless.status_code == 422 and "Give the key a name" in nameless.text
    wrong = alice.post("/admin/integrations", {"name": "pd", "kind": "pagerduty", "dedup_per_alert": "1"})
    assert wrong.status_code == 422 and "dedup_per_alert applies to alertmanager keys only" in wrong.text
    assert alice.post("/admin/integrations", {"name": "x", "kind": "nagios"}).status_code == 422
    assert alice.post("/admin/integrations", {"name": "x", "kind": "opsgenie"}, csrf=False).status_code == 403
    assert bob.get("/admin/integrations").status_code == 403
    refused = bob.post("/admin/integrations", {"name": "mine", "kind": "opsgenie"})
    assert refused.status_code == 403
    assert written(runtime) == before
