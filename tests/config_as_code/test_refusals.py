"""A file that cannot be applied is refused with its line, and nothing at all is written."""

from __future__ import annotations

import pytest

from warroom.config_as_code import document
from warroom.config_as_code.document import ConfigError
from warroom.core.errors import WarroomError

from ..support import count, stored
from .conftest import apply, documented_example

BASE = """\
version: 1
people:
  - handle: alice
    email: alice@example.com
    name: Alice
teams:
  - slug: engineering
    members: [alice]
"""


@pytest.mark.parametrize(("text", "says"), [
    (BASE + "    colour: blue\n", "line 9 (teams[0]): unknown field 'colour'. Known fields: slug, name, members."),
    (BASE.replace("name: Alice", "nmae: Alice"),
     "line 5 (people[0]): unknown field 'nmae'. Did you mean 'name'?"),
    (BASE + "schedules:\n  - slug: s\n    name: S\n    time_zone: UTC\n    layers:\n"
            "      - rotation: hourly\n        handoff: 2026-01-05T09:00\n        participants: [alice]\n",
     "line 14 (schedules[0].layers[0].rotation): 'hourly' is not one of daily, weekly, custom."),
    (BASE + "escalation_policies:\n  - slug: p\n    name: P\n    repeat: many\n    steps: []\n",
     "line 12 (escalation_policies[0].repeat): is a whole number, not 'many'."),
    (BASE + "escalation_policies:\n  - slug: p\n    name: P\n    repeat: 11\n    steps: []\n",
     "line 12 (escalation_policies[0].repeat): 11 is out of range (0 to 10)."),
    (BASE + "escalation_policies:\n  - slug: p\n    name: P\n    steps:\n      - targets: [{user: alice, team: x}]\n",
     "line 13 (escalation_policies[0].steps[0].targets[0]): give exactly one of user, schedule, team."),
    (BASE + "  - slug: engineering\n", "line 9 (teams[1]): 'engineering' is already given on line 7."),
    (BASE.replace("version: 1", "version: 2"), "line 1 (version): 2 is not one of 1."),
    (BASE.replace("members: [alice]", "members: alice"), "line 8 (teams[0].members): is a list"),
    (BASE + "schedules:\n  - slug: s\n    name: S\n", "line 10 (schedules[0]): needs time_zone."),
    (BASE + "schedules:\n  - slug: s\n    name: S\n    time_zone: Mars/Olympus\n",
     "line 12 (schedules[0].time_zone): Unknown time zone 'Mars/Olympus'"),
    (BASE + "  - slug: x\n   bad: [\n", "line 10: not YAML"),
    ("", "The file is empty"),
])
def test_a_bad_file_is_refused_with_its_line(runtime, text, says):
    before = stored(runtime)
    with pytest.raises(ConfigError) as refused:
        apply(runtime, text)
    assert says in refused.value.message
    assert stored(runtime) == before


def test_what_only_the_database_can_refuse_names_the_object_line_and_rolls_everything_back(runtime):
    text = documented_example().replace("participants: [bob]", "participants: [bob, zoe]")
    with pytest.raises(WarroomError) as refused:
        apply(runtime, text)
    assert refused.value.message.startswith("line 44 (schedules 'platform-primary', layers[1]): No user 'zoe'.")
    assert count(runtime, "users") == 0 and count(runtime, "teams") == 0


def test_a_layer_the_schedule_service_refuses_is_named_by_its_own_line(runtime):
    apply(runtime, documented_example())
    before = stored(runtime)
    text = documented_example().replace("        rotation: daily\n        handoff: 2026-01-05T09:00",
                                        "        rotation: daily\n        handoff: 2026-01-05 9am")
    with pytest.raises(WarroomError) as refused:
        apply(runtime, text)
    assert refused.value.message.startswith("line 44 (schedules 'platform-primary', layers[1]): ")
    assert "2026-01-05 9am" in refused.value.message
    assert stored(runtime) == before


def test_aliases_that_multiply_a_list_are_refused_not_read_forever(runtime, monkeypatch):
    monkeypatch.setattr(document, "MAX_VALUES", 5_000)  # the real ceiling is a million: the same code, sooner
    days = "[" + ", ".join(["0"] * 100) + "]"
    windows = ", ".join(["{days: *d, start: '09:00', end: '17:00'}"] * 60)
    text = (BASE + "schedules:\n  - slug: s\n    name: S\n    time_zone: UTC\n    layers:\n"
            "      - rotation: daily\n        handoff: 2026-01-05T09:00\n        participants: [alice]\n"
            f"        restrictions: [{{days: &d {days}, start: '09:00', end: '17:00'}}, {windows}]\n")
    with pytest.raises(ConfigError) as refused:
        apply(runtime, text)
    assert "line 17 (schedules[0].layers[0].restrictions[" in refused.value.message
    assert "more than 5,000 values (are aliases repeating a large list?)" in refused.value.message
