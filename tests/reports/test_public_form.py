"""The public form keeps itself for people: rate limit, spam guard, bad input — refused clearly, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import escape

from warroom.reports import guard

from .conftest import FORM, TOKEN_RE, all_reports, snapshot

SCRIPTS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<iframe src=//evil.example>",
    "<div onmouseover=\"alert(1)\">hi</div>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
]


def test_the_form_is_public_and_says_what_to_fill_in(public):
    page = public.client.get("/report", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Report a problem" in page.text
    for label in ("Your name", "Your email address", "What is happening?", "Which part of the service?"):
        assert label in page.text
    assert 'name="website"' in page.text and "Leave this empty" in page.text  # the honeypot, hidden
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "Sign out" not in page.text  # no internal navigation on the public page


def test_sixth_report_in_ten_minutes_from_one_address_is_refused_with_retry_after(runtime, public, clock):
    for n in range(guard.RATE_LIMIT):
        assert public.send(dict(FORM, description=f"Report {n}"), wait=5).status_code == 200
    before = snapshot(runtime)
    limited = public.send(dict(FORM, description="One too many"), wait=5)
    assert limited.status_code == 429
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= guard.RATE_WINDOW.total_seconds()
    assert "You have sent several reports in a short time" in limited.text
    assert "One too many" in limited.text  # what they typed is kept for later
    assert snapshot(runtime) == before
    clock.advance(timedelta(seconds=retry_after))
    assert public.send(dict(FORM, description="Later"), wait=5).status_code == 200
    assert len(all_reports(runtime)) == guard.RATE_LIMIT + 1


def test_every_post_counts_towards_the_limit_even_refused_ones(runtime, public):
    for _ in range(guard.RATE_LIMIT):
        assert public.send(token="forged").status_code == 422
    assert public.send().status_code == 429
    assert all_reports(runtime) == []


@pytest.mark.parametrize(("change", "message"), [
    ({"website": "http://spam.example"}, "was filled in. Empty it and send again"),
    ({"form_token": ""}, "token is missing or was altered"),
    ({"form_token": "1767603600.abc.0000"}, "token is missing or was altered"),
    ({"form_token": "1767603600.ä.ö"}, "token is missing or was altered"),
])
def test_spam_guard_refuses_filled_honeypot_and_forged_tokens(runtime, public, change, message):
    before = snapshot(runtime)
    refused = public.send(dict(FORM, **change))
    assert refused.status_code == 422
    assert message in refused.text
    assert snapshot(runtime) == before


def test_a_form_sent_faster_than_a_person_types_or_too_late_is_refused(runtime, public, clock):
    before = snapshot(runtime)
    too_fast = public.send(wait=1)
    assert too_fast.status_code == 422 and "faster than a person can fill in the form" in too_fast.text
    token = public.open()
    clock.advance(guard.MAX_AGE + timedelta(seconds=1))
    too_late = public.send(token=token, wait=0)
    assert too_late.status_code == 422 and "has expired" in too_late.text
    assert "CSV exports are stuck" in too_late.text  # kept, with a fresh token to send it again
    assert snapshot(runtime) == before
    fresh = TOKEN_RE.search(too_late.text).group(1)
    assert public.send(token=fresh, wait=5).status_code == 200


def test_a_form_token_works_once(runtime, public):
    token = public.open()
    assert public.send(token=token).status_code == 200
    again = public.send(token=token)
    assert again.status_code == 422 and "already sent" in again.text
    assert len(all_reports(runtime)) == 1


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"email": ""}, "email", "Give your email address"),
    ({"email": "not-an-address"}, "email", "is not an email address"),
    ({"email": "a@b.example, c@d.example"}, "email", "is not an email address"),
    ({"email": "jane@example.com\r\nBcc: all@example.com"}, "email", "is not an email address"),
    ({"name": ""}, "name", "Give your name"),
    ({"name": "Jane <jane@x.example>"}, "name", "cannot contain"),
    ({"description": "   "}, "description", "Give your description"),
    ({"description": "x" * 10_001}, "description", "at most 10000"),
    ({"affected_service": "search; DROP TABLE"}, "affected_service", "A service name is letters"),
    ({"name": "Jane\x00"}, "name", "control characters"),
])
def test_bad_input_is_refused_with_what_to_fix(runtime, public, change, field, message):
    before = snapshot(runtime)
    refused = public.send(dict(FORM, **change))
    assert refused.status_code == 422, refused.text
    assert message in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert snapshot(runtime) == before


@pytest.mark.parametrize("field", ["name", "email", "description", "affected_service"])
@pytest.mark.parametrize("payload", SCRIPTS)
def test_script_in_any_field_is_refused_and_shown_escaped(runtime, public, field, payload):
    before = snapshot(runtime)
    refused = public.send(dict(FORM, **{field: payload}))
    assert refused.status_code == 422, (field, payload)
    assert snapshot(runtime) == before
    assert "markup or script" in refused.text or "not an email address" in refused.text
    if "<" in payload:
        assert payload not in refused.text  # what was typed comes back escaped, never as markup
    assert str(escape(payload)) in refused.text


def test_an_oversized_post_is_refused_before_it_is_read(runtime, public):
    before = snapshot(runtime)
    refused = public.send(dict(FORM, description="x" * 200_000))
    assert refused.status_code == 413
    assert "too long" in refused.text
    assert snapshot(runtime) == before


def test_only_the_form_encoding_is_accepted(runtime, public):
    before = snapshot(runtime)
    refused = public.client.post("/report", json=FORM, headers={"accept": "text/html"})
    assert refused.status_code == 415 and "form on this page" in refused.text
    assert snapshot(runtime) == before


def test_a_post_with_a_flood_of_fields_is_refused(runtime, public):
    before = snapshot(runtime)
    flood = "&".join(f"f{n}=x" for n in range(100))
    refused = public.client.post("/report", content=flood, headers={
        "accept": "text/html", "content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 422 and "more fields than this page sends" in refused.text
    assert snapshot(runtime) == before
