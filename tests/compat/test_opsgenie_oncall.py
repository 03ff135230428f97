"""GET /v2/schedules/{identifier}/on-calls in Opsgenie's shape, from Warroom's schedules."""

from __future__ import annotations

import pytest

from warroom.oncall.schedules import service as schedules

from .conftest import stored


def genie(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


@pytest.fixture
def rota(runtime, factory):
    """Platform primary, Europe/Berlin: bob this week from Monday 09:00, carol the next."""
    bob, carol = factory.user("bob", teams=("engineering",)), factory.user("carol", teams=("engineering",))
    with runtime.database.writing() as db:
        schedule = schedules.create_schedule(db=db, actor=factory.system, slug="platform-primary",
                                             name="Platform primary", time_zone="Europe/Berlin")
        schedules.add_layer(db=db, actor=factory.system, schedule=schedule, rotation="weekly",
                            handoff_local="2026-01-05T09:00", participants=[bob.id, carol.id])
        return schedule.id, bob, carol


def test_who_is_on_call_by_id_and_by_name(client, integration_keys, rota):
    schedule_id, bob, _ = rota
    key = integration_keys.make("opsgenie")
    by_id = client.get(f"/v2/schedules/{schedule_id}/on-calls", headers=genie(key))
    assert by_id.status_code == 200
    body = by_id.json()
    assert body["data"] == {"_parent": {"id": str(schedule_id), "name": "Platform primary", "enabled": True},
                            "onCallParticipants": [{"id": str(bob.id), "name": "bob@example.com", "type": "user"}]}
    assert body["requestId"]
    by_name = client.get("/v2/schedules/Platform primary/on-calls", params={"scheduleIdentifierType": "name"},
                         headers=genie(key))
    assert by_name.json()["data"] == body["data"]


def test_flat_and_a_date_in_the_next_turn(client, integration_keys, rota):
    schedule_id, _, carol = rota
    key = integration_keys.make("opsgenie")
    # An unescaped '+' in the query arrives as a space; both spellings work.
    for date in ("2026-01-12T10:00:00+01:00", "2026-01-12T10:00:00 01:00", "2026-01-12T09:00:00Z"):
        response = client.get(f"/v2/schedules/{schedule_id}/on-calls",
                              params={"flat": "true", "date": date}, headers=genie(key))
        assert response.status_code == 200, date
        assert response.json()["data"]["onCallRecipients"] == [carol.email], date


def test_bad_questions_get_opsgenie_errors(client, runtime, integration_keys, rota):
    schedule_id, _, _ = rota
    key = integration_keys.make("opsgenie")
    before = stored(runtime)
    cases = [(f"/v2/schedules/{schedule_id}/on-calls", {"date": "tomorrow"}, genie(key), 422),
             (f"/v2/schedules/{schedule_id}/on-calls", {"scheduleIdentifierType": "slug"}, genie(key), 422),
             ("/v2/schedules/999/on-calls", {}, genie(key), 404),
             ("/v2/schedules/nope/on-calls", {"scheduleIdentifierType": "name"}, genie(key), 404),
             (f"/v2/schedules/{schedule_id}/on-calls", {}, {}, 401),
             (f"/v2/schedules/{schedule_id}/on-calls", {}, genie(integration_keys.make("heartbeat")), 403)]
    for path, params, headers, status in cases:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == status, (path, params, response.text)
        assert response.json()["message"]
    assert stored(runtime)["alerts"] == before["alerts"]
