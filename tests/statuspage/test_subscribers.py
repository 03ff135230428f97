"""Subscribers: email with double opt-in and one-click unsubscribe (a real SMTP server), signed webhooks
(a real HTTP receiver), one durable job per delivery, and forged links refused with nothing changed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from warroom.engine.models import JobState
from warroom.statuspage.models import Subscriber

from ..api.conftest import assert_problem
from ..support.receiver import Received, http_receiver
from .conftest import jobs, publish, stored

LINK_RE = re.compile(r"http://warroom\.test/status/acme/subscription/(?:confirm|unsubscribe)\?\S+")


def subscribe(client, email: str, *components: int, **extra: str):
    return client.post("/status/acme/subscribe", data={"email": email, "component": [str(c) for c in components],
                                                         **extra})


def run_engine(runtime, ticks: int = 2) -> None:
    engine = runtime.engine()
    for _ in range(ticks):
        engine.tick()


def link_in(mail) -> str:
    [found] = LINK_RE.findall(mail.message.get_content())
    return found


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def subscriber(runtime, address: str) -> Subscriber:
    with runtime.database.reading() as db:
        return db.scalars(sa.select(Subscriber).where(Subscriber.address == address)).one()


def confirmed_subscriber(runtime, anonymous, inbox, email: str, *components: int) -> None:
    assert subscribe(anonymous, email, *components).status_code == 200
    run_engine(runtime)
    confirm = next(m for m in inbox.received if m.rcpt_tos == [email] and "Confirm" in m.message["Subject"])
    assert anonymous.post(local(link_in(confirm))).status_code == 200


def test_double_opt_in_then_each_publish_mails_the_subscriber(runtime, org, anonymous, inbox, room, site):
    answer = subscribe(anonymous, "Customer@Example.org")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert subscriber(runtime, "customer@example.org").confirmed_at is None
    publish(runtime, org.actor(org.carol), room.ref)  # not confirmed yet: nothing for them
    assert [j.payload["what"] for j in jobs(runtime)] == ["confirm"]

    run_engine(runtime)
    [confirmation] = inbox.received
    assert confirmation.rcpt_tos == ["customer@example.org"]
    assert confirmation.message["Subject"] == "Confirm your subscription to Acme Cloud status updates"
    link = link_in(confirmation)
    shown = anonymous.get(local(link))  # following the link only shows a button (mail scanners fetch links)
    assert shown.status_code == 200 and "Confirm the subscription" in shown.text
    assert subscriber(runtime, "customer@example.org").confirmed_at is None
    done = anonymous.post(local(link))
    assert done.status_code == 200 and "You are subscribed" in done.text
    assert subscriber(runtime, "customer@example.org").confirmed_at is not None

    published = publish(runtime, org.actor(org.carol), room.ref, title="Search is down", body="Searches fail.",
                        components={site.components["Search"].id: "major_outage"})
    assert published.deliveries == 1
    run_engine(runtime)
    news = inbox.received[-1]
    assert news.message["Subject"] == "[Acme Cloud] Search is down — Investigating"
    text = news.message.get_content()
    assert "Searches fail." in text and "Affected: Search (major outage)" in text
    unsubscribe_url = link_in(news)
    assert news.message["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert news.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [job] = [j for j in jobs(runtime) if j.payload["what"] == "update"]
    assert job.state is JobState.done
    assert news.message["Message-ID"] == f"<{job.idempotency_key}@acme.example>"


def test_one_click_unsubscribe_stops_the_mail(runtime, org, anonymous, inbox, room):
    confirmed_subscriber(runtime, anonymous, inbox, "leaving@example.org")
    publish(runtime, org.actor(org.carol), room.ref)
    run_engine(runtime)
    unsubscribe_url = link_in(inbox.received[-1])
    # What a mail client's unsubscribe button sends (RFC 8058).
    response = anonymous.post(local(unsubscribe_url), content=b"List-Unsubscribe=One-Click",
                              headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    assert subscriber(runtime, "leaving@example.org").unsubscribed_at is not None
    count = len(inbox.received)
    assert publish(runtime, org.actor(org.carol), room.ref).deliveries == 0
    run_engine(runtime)
    assert len(inbox.received) == count
    again = anonymous.post(local(unsubscribe_url))  # a second click changes nothing, and says so plainly
    assert again.status_code == 200


def test_a_subscriber_to_some_components_hears_only_their_news(runtime, org, anonymous, inbox, room, site):
    search, api = site.components["Search"].id, site.components["API"].id
    confirmed_subscriber(runtime, anonymous, inbox, "search-fan@example.org", search)
    confirmed_subscriber(runtime, anonymous, inbox, "everything@example.org")
    assert publish(runtime, org.actor(org.carol), room.ref, components={api: "degraded"}).deliveries == 1
    assert publish(runtime, org.actor(org.carol), room.ref, components={search: "degraded"}).deliveries == 2
    # Once the incident has named Search, later updates about it reach Search's subscribers too.
    assert publish(runtime, org.actor(org.carol), room.ref, status="resolved").deliveries == 2
    run_engine(runtime)
    updates = [m.rcpt_tos[0] for m in inbox.received if "Confirm" not in m.message["Subject"]]
    assert sorted(updates) == ["everything@example.org"] * 3 + ["search-fan@example.org"] * 2


def tampered(url: str) -> list[str]:
    """Every way a link can be wrong: altered, cut short, moved to another subscriber, page or action."""
    path, query = url.split("?", 1)
    found = parse_qs(query)
    id_, sig = found["id"][0], found["sig"][0]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    action = path.rsplit("/", 1)[1]
    swapped = path.removesuffix(action) + ("unsubscribe" if action == "confirm" else "confirm")
    return [f"{path}?id={id_}&sig={flipped}", f"{path}?id={int(id_) + 1}&sig={sig}", f"{path}?id={id_}&sig={sig[:20]}",
            f"{path}?id={id_}", f"{path}?id=abc&sig={sig}", f"{path}?id={'9' * 40}&sig={sig}",
            f"{path.replace('/acme/', '/marketing/')}?id={id_}&sig={sig}", f"{swapped}?id={id_}&sig={sig}",
            f"{path.removesuffix(action)}delete?id={id_}&sig={sig}"]


@pytest.mark.parametrize("which", ["confirm", "unsubscribe"])
def test_forged_or_altered_links_are_a_clear_400_and_change_nothing(runtime, org, anonymous, inbox, room, which):
    subscribe(anonymous, "target@example.org")
    subscribe(anonymous, "other@example.org")
    run_engine(runtime)
    if which == "unsubscribe":
        anonymous.post(local(link_in(inbox.received[0])))
        publish(runtime, org.actor(org.carol), room.ref)
        run_engine(runtime)
    url = local(link_in(inbox.received[-1] if which == "unsubscribe" else inbox.received[0]))
    before = stored(runtime)
    for forged in tampered(url):
        for method in ("get", "post"):
            response = getattr(anonymous, method)(forged)
            assert response.status_code == 400, (method, forged, response.status_code)
            assert "This link is not valid" in response.text
    assert stored(runtime) == before


def test_the_form_refuses_bad_addresses_and_unknown_components_and_writes_nothing(runtime, anonymous, site):
    before = stored(runtime)
    cases = [("", [], "Give the email address"), ("not-an-address", [], "is not an email address"),
             ("a@b.c<script>", [], "is not an email address"), ("x" * 300 + "@example.org", [], "not an email"),
             ("ok@example.org", [999], "No component #999"),
             ("ok@example.org", [site.other_components["Blog"].id], "No component"),
             ("ok@example.org", ["abc"], "not a component")]
    for email, components, words in cases:
        response = anonymous.post("/status/acme/subscribe", data={"email": email, "component": components})
        assert 400 <= response.status_code < 500, email
        assert words in response.text, (email, response.text)
    assert anonymous.post("/status/nope/subscribe", data={"email": "ok@example.org"}).status_code == 404
    assert anonymous.post("/status/acme/subscribe", data={"email": "x" * 1_100_000}).status_code == 413
    assert stored(runtime) == before


def test_a_robot_filling_the_hidden_field_is_told_the_same_and_nothing_is_stored(runtime, anonymous, site):
    before = stored(runtime)
    response = subscribe(anonymous, "bot@example.org", website="http://spam.example")
    assert response.status_code == 200 and "Check your inbox" in response.text
    assert stored(runtime) == before


def test_asking_again_soon_sends_no_second_mail_and_says_the_same(runtime, anonymous, inbox, clock, site):
    for _ in range(3):
        assert "Check your inbox" in subscribe(anonymous, "twice@example.org").text
    assert len(jobs(runtime)) == 1
    clock.advance(timedelta(minutes=11))
    subscribe(anonymous, "twice@example.org")
    run_engine(runtime)
    assert len(inbox.received) == 2
    assert link_in(inbox.received[0]) == link_in(inbox.received[1])  # both links work


def verifies(secret: str, received: Received) -> bool:
    """A Standard Webhooks receiver's check, written independently of Warroom's signer."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(s.split(",", 1)[1], expected) for s in received.headers["webhook-signature"].split())


def test_webhook_subscribers_get_signed_news_and_a_retry_carries_the_same_id(runtime, org, callers, room, site, clock):
    with http_receiver() as receiver:
        receiver.script = [503]
        added = callers["sam"].ok("post", "/status-pages/acme/subscribers",
                                  {"url": receiver.url, "components": [site.components["Search"].id]}, status=201)
        assert added["secret"].startswith("whsec_") and added["confirmed_at"]
        listed = callers["carol"].ok("get", "/status-pages/acme/subscribers")
        assert "secret" not in listed[0]
        publish(runtime, org.actor(org.carol), room.ref, title="Search is slow", body="Slow searches.",
                components={site.components["Search"].id: "degraded"})
        run_engine(runtime, 1)
        clock.advance(timedelta(minutes=5))
        run_engine(runtime, 1)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verifies(added["secret"], second) and not verifies("whsec_" + base64.b64encode(b"x" * 24).decode(), second)
    body = second.json()
    assert body["type"] == "status_page.update"
    assert body["page"] == {"slug": "acme", "name": "Acme Cloud", "url": "http://warroom.test/status/acme"}
    assert body["incident"]["title"] == "Search is slow" and body["incident"]["status"] == "investigating"
    assert body["update"]["body"] == "Slow searches."
    assert body["update"]["components"] == [{"component_id": site.components["Search"].id, "name": "Search",
                                             "state": "degraded"}]
    assert body["unsubscribe_url"].startswith("http://warroom.test/status/acme/subscription/unsubscribe?")
    assert body["idempotency_key"] == first.headers["webhook-id"]


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"url": "ftp://files.example.com/x"}, 422, "http:// or https://"),
    ({"url": "javascript:alert(1)"}, 422, "http:// or https://"),
    ({"url": "https://user:pw@hooks.example.com/x"}, 422, "without spaces or credentials"),
    ({"url": "https://hooks.example.com/" + "x" * 1000}, 422, "http:// or https://"),
    ({"url": "https://hooks.example.com/x", "components": [999]}, 404, "no component #999"),
    ({"url": "https://hooks.example.com/x", "secret": "mine"}, 422, "extra inputs"),
])
def test_bad_webhook_subscribers_are_refused_and_write_nothing(runtime, public_names, callers, site, body, status,
                                                               words):
    before = stored(runtime)
    assert_problem(callers["sam"].post("/status-pages/acme/subscribers", body), status, contains=words)
    assert stored(runtime) == before


def test_only_the_page_editors_see_and_manage_subscribers(runtime, public_names, callers, site):
    assert_problem(callers["eve"].get("/status-pages/acme/subscribers"), 403, contains="may not edit")
    assert_problem(callers["eve"].post("/status-pages/acme/subscribers", {"url": "https://h.example.com/x"}), 403)
    added = callers["sam"].ok("post", "/status-pages/acme/subscribers", {"url": "https://h.example.com/x"}, status=201)
    assert_problem(callers["sam"].post("/status-pages/acme/subscribers", {"url": "https://h.example.com/x"}), 409)
    removed = callers["sam"].ok("delete", f"/status-pages/acme/subscribers/{added['id']}")
    assert removed["unsubscribed_at"] is not None
    assert callers["sam"].ok("get", "/status-pages/acme/subscribers") == []


def test_too_many_subscriptions_from_one_address_are_refused_and_write_nothing(runtime, anonymous, inbox, site):
    from warroom.web.statuspage import SUBSCRIBE_LIMIT

    for n in range(SUBSCRIBE_LIMIT):
        assert subscribe(anonymous, f"person{n}@example.org").status_code == 200
    refused = subscribe(anonymous, "one-too-many@example.org")
    assert refused.status_code == 429
    assert "Too many subscriptions from your address" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    with runtime.database.reading() as db:
        addresses = set(db.scalars(sa.select(Subscriber.address)))
    assert "one-too-many@example.org" not in addresses
    assert len(addresses) == SUBSCRIBE_LIMIT
