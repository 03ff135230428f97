"""The README's tour, walked in headless Chromium by a newcomer on a freshly seeded demo, laptop and phone.

The steps come from README.md itself: the declare example's words fill the web form, and every chat command the
tour shows (``/incident …``, ``/genie …``, also those inside ``warroom command "…"``) is typed into the new
incident's room, in the README's order. A changed example changes what this test does; one that stops working
fails it, with the command and the room's answer.
"""

from __future__ import annotations

import re
import shlex
from datetime import date, timedelta
from pathlib import Path

import pytest

from .conftest import no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "README.md"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Examples the tour offers as alternatives to one just run: running both would only be refused as a repeat.
ALTERNATIVES = {"/incident resolve --false-positive"}
# What a newcomer sees after a command, besides an answer that is not an error (checked for every command).
SEEN_AFTER = {
    "/incident lead": ("#panel", "@bob"),
    "/incident messenger": ("#panel", "@carol"),
    "/incident status": ("#room-badges", "identified"),
    "/incident summary": ("#summary-text", "Release 4.2 broke the index"),
    "/incident playbook": ("#panel", "Roll back a bad deploy"),
    "/incident resolve": ("#room-badges", "resolved"),
}


def tour() -> str:
    text = README.read_text()
    return text[text.index("## A tour of the handbook"):text.index("## Configuration")]


def code_spans(text: str) -> list[str]:
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    return [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose)]


def declare_example(text: str) -> dict[str, str | bool]:
    """The step 1 CLI example (`warroom incident declare …`) as the web form's fields."""
    example = next(s for s in code_spans(text) if s.startswith("warroom incident declare ") and "--service " in s)
    words = shlex.split(example)[3:]
    return {"title": words[0], "severity": words[words.index("--severity") + 1],
            "customer_impact": "--customer-impact" in words, "services": words[words.index("--service") + 1]}


def room_commands(text: str) -> list[str]:
    """Every command the tour shows for the room, in order, with $DAY as tomorrow; placeholders left out."""
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    found: list[str] = []
    for span in code_spans(text):
        if span.startswith("warroom command "):
            span = next((w for w in shlex.split(span.replace("$DAY", tomorrow)) if w.startswith("/")), "")
        if not re.match(r"/(incident|incdent|genie) \S", span) or re.search(r"[<…\[]|YYYY", span):
            continue
        if span.startswith("/incident declare") or span in ALTERNATIVES or span in found:
            continue
        found.append(span)
    return found


def test_the_readme_tour_parses_into_the_steps_this_test_walks():
    text = tour()
    assert declare_example(text) == {"title": "Search is down", "severity": "critical", "customer_impact": True,
                                     "services": "search"}
    commands = room_commands(text)
    for expected in ("/genie whoisoncall", "/incident lead @bob", "/incident ack",
                     "/incident status identified bad deploy", "/incident playbook roll-back-a-bad-deploy",
                     "/incident resolve rolled back", "/incident close"):
        assert expected in commands, commands
    assert any(c.startswith("/incident retrospective ") for c in commands)  # the dated one, with tomorrow's date
    assert "$INC" in text and "INC-1" not in text.replace("whose `INC-1` is", "")  # the tour acts on its own


def send(page, command: str) -> tuple[str, str]:
    """Type a command into the room's box as a person does; the answer's kind ("reply"/"error") and text."""
    from playwright.sync_api import expect

    page.evaluate("document.querySelector('[data-reply]').replaceChildren()")
    composer = page.locator("#composer-text")
    composer.fill(command)
    composer.press("Enter")
    answer = page.locator("[data-reply] > .reply, [data-reply] > .error")
    expect(answer).to_have_count(1)
    kind = answer.get_attribute("class") or ""
    return ("error" if "error" in kind else "reply"), answer.inner_text()


def test_a_newcomer_walks_the_readme_tour_on_a_laptop_and_a_phone(live_server, chromium):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    text = tour()
    example = declare_example(text)

    # 1. Declare, on the web form, with the README's words; the room opens with its playbook suggested.
    laptop = signed_in(chromium, live_server.url, "bob", LAPTOP)  # the tour's token is bob's: he walks it
    laptop.get_by_role("link", name="Declare incident").click()
    laptop.get_by_label("What is happening?").fill(str(example["title"]))
    laptop.locator(f"input[name=severity][value={example['severity']}]").check()
    if example["customer_impact"]:
        laptop.locator("input[name=customer_impact]").check()
    laptop.get_by_label("Affected services").fill(str(example["services"]))
    laptop.get_by_role("button", name="Declare incident").click()
    expect(laptop).to_have_url(live_server.url + "/incidents/INC-2")  # the README's "INC-2 on a fresh demo"
    expect(laptop.locator(".suggestions")).to_contain_text("Roll back a bad deploy")
    # The side panel's Playbooks are in sight at once, above the roles and the checklist.
    playbooks = laptop.locator("#playbooks-h")
    assert playbooks.bounding_box()["y"] < LAPTOP["height"]
    assert playbooks.bounding_box()["y"] < laptop.locator("#checklist-h").bounding_box()["y"]

    # Steps 2 to 11. Every command the tour shows, typed in the room, in the README's order.
    for command in room_commands(text):
        kind, answer = send(laptop, command)
        if command.startswith("/incdent"):  # the README's mistyped command: answered with the closest one
            assert kind == "error" and "Did you mean '/incident'" in answer, (command, answer)
        elif command == "/incident close":  # the README: refused while steps are open, naming their keys
            assert kind == "error" and "cannot close yet" in answer and "[" in answer, (command, answer)
        else:
            assert kind == "reply", f"the README's {command!r} did not work: {answer}"
        word = " ".join(command.split()[:2])
        if word in SEEN_AFTER:
            where, seen = SEEN_AFTER[word]
            expect(laptop.locator(where)).to_contain_text(seen)
    expect(laptop.locator("#timeline-list")).to_contain_text("Release 4.2 broke the index")
    assert laptop.script_errors == []

    # 12. On a phone: the whole nav in sight, and the open incidents before the MTTA/MTTR tables.
    phone = signed_in(chromium, live_server.url, "carol", PHONE)
    phone.goto("/incidents/new")  # the tour's incident is resolved: carol declares another from her phone
    phone.get_by_label("What is happening?").fill("Checkout is slow")
    phone.locator("input[name=severity][value=major]").check()
    phone.get_by_role("button", name="Declare incident").click()
    expect(phone).to_have_url(re.compile(r"/incidents/INC-\d+$"))
    phone.goto("/")
    no_sideways_scroll(phone)
    for link in phone.locator(".site-nav a").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link.inner_text()
    first_open = phone.locator(".open-now a[href^='/incidents/']").first
    expect(first_open).to_contain_text("Checkout is slow")
    assert first_open.bounding_box()["y"] + 20 < PHONE["height"]  # on the first screen
    tables = phone.get_by_text("Last 30 days").bounding_box()["y"]
    assert tables > phone.locator("#list-h").bounding_box()["y"]  # the figures' tables come after the list
    assert phone.script_errors == []
