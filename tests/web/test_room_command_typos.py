"""The room's message box: a mistyped command is answered with the closest one, never said as chat."""

from __future__ import annotations

from markupsafe import escape

from warroom.timeline import service as timeline

from .conftest import counts


def test_a_mistyped_command_is_refused_with_the_closest_match(browser, people, factory, runtime):
    factory.incident(people.bob, title="Checkout fails after deploy")
    bob = browser(people.bob)
    before = counts(runtime)

    page = bob.post("/incidents/INC-1/messages", {"text": "/incdent lead @dan"})
    assert page.status_code == 400, page.text[:300]
    assert str(escape("Unknown command '/incdent'. Did you mean '/incident'?")) in page.text
    assert "/incdent lead @dan" in page.text  # what they typed is still in the box
    fetched = bob.post("/incidents/INC-1/messages", {"text": "/lead @carol"}, fetch=True)
    assert fetched.status_code == 400
    assert "Did you mean '/incident lead'?" in fetched.json()["error"]
    assert counts(runtime) == before

    assert "start the line with a space" in fetched.json()["error"]

    # A leading space says such a line as written; lines that resemble no command are chat anyway.
    assert bob.post("/incidents/INC-1/messages", {"text": " /lead is the metal, not the role"}).status_code == 303
    assert bob.post("/incidents/INC-1/messages", {"text": "/var/log is full on db-2"}).status_code == 303
    assert bob.post("/incidents/INC-1/messages", {"text": "/shrug"}).status_code == 303
    with runtime.database.reading() as db:
        bodies = [e.body for e in timeline.list_entries(db=db, incident_id=1, limit=100)]
    assert "/var/log is full on db-2" in bodies and "/shrug" in bodies
    assert "/lead is the metal, not the role" in bodies
    assert not any("incdent" in b or b.startswith("/lead @") for b in bodies)
