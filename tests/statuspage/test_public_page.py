"""The public page: no sign-in, HTML/JSON/RSS/Atom, Cache-Control and a strong ETag, never stale after a change."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import sqlalchemy as sa

from warroom.statuspage import service
from warroom.statuspage.models import Component, Maintenance, PublicIncident, PublicUpdate, StatusPage

from .conftest import publish

ATOM = "{http://www.w3.org/2005/Atom}"
VARIANTS = ["/status/acme", "/status/acme.json", "/status/acme/rss.xml", "/status/acme/atom.xml",
            "/status/acme/history"]


def test_anyone_reads_the_page_without_signing_in(anonymous, site):
    page = anonymous.get("/status/acme")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    text = page.text
    assert "Acme Cloud status" in text and "All systems operational" in text
    assert "Web app" in text and "Search" in text and "API" in text and "Product" in text
    assert text.count('class="sp-bar__day') == 3 * 90
    assert "<script" not in text  # no script needed
    assert 'name="viewport"' in text
    listing = anonymous.get("/status")
    assert listing.status_code == 200 and "/status/acme" in listing.text and "Marketing site" in listing.text


def test_unlisted_pages_stay_public_but_out_of_the_list(runtime, org, anonymous, site):
    with runtime.database.writing() as db:
        service.change_page(db=db, actor=org.actor(org.alice), page=service.get_page(db=db, slug="marketing"),
                            listed=False)
    assert "Marketing site" not in anonymous.get("/status").text
    assert anonymous.get("/status/marketing").status_code == 200


@pytest.mark.parametrize("path", VARIANTS)
def test_every_variant_is_cacheable_with_a_strong_etag_and_answers_304(anonymous, site, path):
    first = anonymous.get(path)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=15"
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = anonymous.get(path)
    assert again.headers["etag"] == etag and again.content == first.content
    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        cached = anonymous.get(path, headers={"if-none-match": header})
        assert cached.status_code == 304, header
        assert cached.content == b"" and cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == "public, max-age=15"
    assert anonymous.get(path, headers={"if-none-match": '"something-else"'}).status_code == 200
    head = anonymous.head(path)
    assert head.status_code == 200 and head.headers["etag"] == etag


def test_a_publish_is_never_followed_by_a_stale_page(runtime, org, anonymous, room, site):
    before = {path: anonymous.get(path) for path in VARIANTS}
    publish(runtime, org.actor(org.carol), room.ref, title="Search is slow for some customers",
            body="We are looking into slow searches.", components={site.components["Search"].id: "degraded"})
    for path, old in before.items():
        fresh = anonymous.get(path, headers={"if-none-match": old.headers["etag"]})
        if path == "/status/acme/history":  # lists finished incidents only: same bytes, so still 304
            assert fresh.status_code == 304
            continue
        assert fresh.status_code == 200, path
        assert fresh.headers["etag"] != old.headers["etag"]
        assert "Search is slow for some customers" in fresh.text, path
    page = anonymous.get("/status/acme").text
    assert "We are looking into slow searches." in page and "Degraded performance" in page


@pytest.mark.parametrize("change", ["group", "component", "state", "maintenance", "settings", "cancel"])
def test_every_change_an_editor_makes_bumps_the_version(runtime, org, anonymous, site, clock, change):
    editor = org.actor(org.sam)
    with runtime.database.writing() as db:
        page = service.get_page(db=db, slug="acme")
        window = service.schedule_maintenance(db=db, actor=editor, page=page, title="Upgrade", body="",
                                              starts_at=clock.now() + timedelta(days=2),
                                              ends_at=clock.now() + timedelta(days=2, hours=1),
                                              component_ids=[site.components["API"].id])
        window_id = window.id
    old = anonymous.get("/status/acme")
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug="acme")
        version = page.version
        {
            "group": lambda: service.create_group(db=db, actor=editor, page=page, name="Platform"),
            "component": lambda: service.create_component(db=db, actor=editor, page=page, name="Billing"),
            "state": lambda: service.set_component_state(db=db, actor=editor, page=page,
                                                         component_id=site.components["API"].id,
                                                         state="major_outage"),
            "maintenance": lambda: service.schedule_maintenance(
                db=db, actor=editor, page=page, title="Network work", body="", starts_at=clock.now(),
                ends_at=clock.now() + timedelta(hours=1), component_ids=[site.components["Search"].id]),
            "settings": lambda: service.change_page(db=db, actor=editor, page=page, name="Acme Cloud Platform"),
            "cancel": lambda: service.cancel_maintenance(db=db, actor=editor, page=page, maintenance_id=window_id),
        }[change]()
        db.flush()
        db.refresh(page)
        assert page.version == version + 1
    # Re-rendered at once; an empty group shows nothing, so its bytes (and ETag) stay the same.
    expected = 304 if change == "group" else 200
    assert anonymous.get("/status/acme", headers={"if-none-match": old.headers["etag"]}).status_code == expected


def test_maintenance_starts_and_ends_on_the_page_with_time_alone(runtime, org, anonymous, site, clock):
    editor = org.actor(org.sam)
    start = clock.now() + timedelta(hours=2)
    with runtime.database.writing() as db:
        service.schedule_maintenance(db=db, actor=editor, page=service.get_page(db=db, slug="acme"),
                                     title="Database upgrade", body="Short pauses.", starts_at=start,
                                     ends_at=start + timedelta(hours=1), component_ids=[site.components["API"].id])
    upcoming = anonymous.get("/status/acme")
    assert "Database upgrade" in upcoming.text and "Scheduled" in upcoming.text
    assert "All systems operational" in upcoming.text
    clock.advance(timedelta(hours=2, minutes=30))  # no write: only the clock moved
    during = anonymous.get("/status/acme")
    assert during.headers["etag"] != upcoming.headers["etag"]
    assert "In progress" in during.text and "Maintenance in progress" in during.text
    assert anonymous.get("/status/acme.json").json()["components"][2]["state"] == "maintenance"
    clock.advance(timedelta(hours=1))
    after = anonymous.get("/status/acme")
    assert "Database upgrade" not in after.text.split("Components")[0]
    assert "All systems operational" in after.text


def test_the_json_speaks_in_public_values(runtime, org, anonymous, room, site):
    publish(runtime, org.actor(org.carol), room.ref, title="Search outage", body="Searches fail.",
            components={site.components["Search"].id: "major_outage"})
    body = anonymous.get("/status/acme.json").json()
    assert body["page"] == {"slug": "acme", "name": "Acme Cloud", "description": "How Acme Cloud is doing.",
                            "url": "http://warroom.test/status/acme", "updated_at": body["page"]["updated_at"]}
    assert body["status"] == {"indicator": "major_outage", "description": "Major outage"}
    search = next(c for c in body["components"] if c["name"] == "Search")
    assert search["state"] == "major_outage" and search["group"] == "Product" and len(search["days"]) == 90
    [incident] = body["incidents"]
    assert incident["title"] == "Search outage" and incident["status"] == "investigating"
    assert incident["components"] == [{"name": "Search", "state": "major_outage"}]
    assert [u["body"] for u in incident["updates"]] == ["Searches fail."]
    assert "INC-" not in anonymous.get("/status/acme.json").text


def test_feeds_are_valid_rss_2_and_atom_with_one_item_per_update(runtime, org, anonymous, room, site):
    carol = org.actor(org.carol)
    publish(runtime, carol, room.ref, title="Search outage", body="Searches fail.")
    publish(runtime, carol, room.ref, status="resolved", title="Search outage", body="Fixed & verified.")
    rss = ET.fromstring(anonymous.get("/status/acme/rss.xml").content)  # noqa: S314  (our own output)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    items = rss.findall("./channel/item")
    assert [i.findtext("title") for i in items] == ["Search outage — Resolved", "Search outage — Investigating"]
    assert items[0].findtext("description") == "<p>Fixed &amp; verified.</p>"
    assert items[0].findtext("link").startswith("http://warroom.test/status/acme#incident-")
    assert items[0].find("guid").get("isPermaLink") == "false"
    assert items[0].findtext("pubDate").endswith("GMT")
    atom = ET.fromstring(anonymous.get("/status/acme/atom.xml").content)  # noqa: S314  (our own output)
    assert atom.tag == f"{ATOM}feed"
    assert atom.findtext(f"{ATOM}id") == "http://warroom.test/status/acme"
    entries = atom.findall(f"{ATOM}entry")
    assert len(entries) == 2 and entries[0].find(f"{ATOM}content").get("type") == "html"
    assert entries[1].findtext(f"{ATOM}content") == "<p>Searches fail.</p>"


HOSTILE = "<script>alert('x')</script> & <img src=x onerror=alert(1)> \"quoted\" ]]>"


def test_stored_markup_is_escaped_everywhere_html_json_rss_and_atom(runtime, org, anonymous, room, site, clock):
    """Text that got into the store some other way (an old import, a bug) still comes out inert."""
    publish(runtime, org.actor(org.carol), room.ref, title="Plain", body="Plain.",
            components={site.components["Search"].id: "degraded"})
    with runtime.database.writing() as db:
        db.execute(sa.update(StatusPage).where(StatusPage.slug == "acme").values(
            name=HOSTILE, description=HOSTILE, version=StatusPage.version + 1))
        db.execute(sa.update(Component).values(name=Component.name + HOSTILE))
        db.execute(sa.update(PublicIncident).values(title=HOSTILE))
        db.execute(sa.update(PublicUpdate).values(body=HOSTILE))
        db.add(Maintenance(page_id=site.page.id, title=HOSTILE, body=HOSTILE, starts_at=clock.now(),
                           ends_at=clock.now() + timedelta(days=1), created_at=clock.now()))
    for path in ("/status/acme", "/status/acme/history", "/status", "/status/acme.json"):
        text = anonymous.get(path).text
        assert "<script>" not in text and "<img" not in text, path
    html = anonymous.get("/status/acme").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert anonymous.get("/status/acme.json").json()["page"]["name"] == HOSTILE
    for path in ("/status/acme/rss.xml", "/status/acme/atom.xml"):
        raw = anonymous.get(path).content
        feed = ET.fromstring(raw)  # noqa: S314  (our own output; parsing proves it well-formed)
        titles = [e.text or "" for e in feed.iter() if e.tag in ("title", f"{ATOM}title")]
        assert f"{HOSTILE} — Investigating" in titles, path  # plain text, exactly as stored
        # The item's body is HTML for the reader: the stored text is escaped inside it, no live tag.
        [body] = [e.text or "" for e in feed.iter() if e.tag in ("description", f"{ATOM}content")][-1:]
        assert body.startswith("<p>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;img"), body


def test_an_unknown_page_is_a_clear_404(anonymous, site):
    for path in ("/status/nope", "/status/nope.json", "/status/nope/rss.xml", "/status/nope/atom.xml",
                 "/status/NOT%20A%20SLUG", "/status/" + "a" * 300):
        response = anonymous.get(path)
        assert response.status_code == 404, path
        assert "There is no status page" in response.text
        assert response.headers["cache-control"] == "no-store"


def test_gzip_is_a_representation_of_its_own_with_its_own_strong_etag(anonymous, site):
    import gzip

    zipped = anonymous.get("/status/acme", headers={"accept-encoding": "gzip"})
    plain = anonymous.get("/status/acme", headers={"accept-encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert zipped.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert zipped.content == plain.content  # httpx unzips: the same page
    with anonymous.stream("GET", "/status/acme", headers={"accept-encoding": "gzip"}) as raw:
        wire = b"".join(raw.iter_raw())
    assert wire[:2] == b"\x1f\x8b" and gzip.decompress(wire) == plain.content
    assert len(wire) * 5 < len(plain.content)
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gz"'
    assert anonymous.get("/status/acme", headers={"accept-encoding": "gzip",
                                                  "if-none-match": zipped.headers["etag"]}).status_code == 304
    # The plain bytes' ETag does not validate the gzipped representation, and the other way round.
    assert anonymous.get("/status/acme", headers={"accept-encoding": "gzip",
                                                  "if-none-match": plain.headers["etag"]}).status_code == 200
    assert anonymous.get("/status/acme", headers={"accept-encoding": "gzip;q=0",
                                                  "if-none-match": plain.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("path", VARIANTS)
def test_a_cached_answer_is_the_same_as_the_first_rendered_one(anonymous, site, path):
    """The first request renders through the route; later ones are answered before routing, identically."""
    plain = {"accept-encoding": "identity"}
    first = anonymous.get(path, headers=plain)
    second = anonymous.get(path, headers=plain)
    assert second.content == first.content
    per_answer = {"date", "x-request-id"}  # every answer has its own time and its own request id
    assert {k: v for k, v in second.headers.items() if k not in per_answer} == {
        k: v for k, v in first.headers.items() if k not in per_answer}
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert int(second.headers["content-length"]) == len(first.content)
    head = anonymous.head(path, headers=plain)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == second.headers["content-length"]
    assert head.headers["content-security-policy"].startswith("default-src 'self'")


@pytest.mark.postgres_only
def test_a_dropped_database_connection_costs_no_request(runtime, anonymous, site):
    """PostgreSQL: the connection kept for version reads is replaced when the server drops it."""
    first = anonymous.get("/status/acme")
    killer = sa.create_engine(runtime.database.engine.url, isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    killer.dispose()
    assert killed >= 1
    for _ in range(3):
        again = anonymous.get("/status/acme")
        assert again.status_code == 200 and again.content == first.content
