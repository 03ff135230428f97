"""A webhook contact method that points at Warroom's own network is refused on the profile form, with what to do."""

from __future__ import annotations

from .conftest import written


def test_a_loopback_webhook_is_refused_on_the_profile_form_and_nothing_is_written(browser, people, runtime):
    runtime.settings.outbound_allow = ""  # the default: only public addresses
    bob = browser(people.bob)
    before = written(runtime)
    refused = bob.post("/profile/contact-methods", {"kind": "webhook", "address": "http://2130706433:5432/"})
    assert refused.status_code == 422
    assert "2130706433 resolves to a loopback address" in refused.text
    assert "WARROOM_OUTBOUND_ALLOW" in refused.text
    assert written(runtime) == before
