"""Alertmanager's webhook (payload version 4): one alert per group, or per fingerprint; resolved closes."""

from __future__ import annotations

import asyncio
import base64
import copy
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.api.app import create_app
from warroom.oncall.alerts.models import AlertEvent, AlertStatus, Priority

from .conftest import alerts_of, first_steps, stored, team_id

URL = "/api/v1/integrations/alertmanager"
GROUP_KEY = '{}:{alertname="HighLatency"}'


def alert(instance: str, status: str = "firing", fingerprint: str = "") -> dict[str, object]:
    return {"status": status, "labels": {"alertname": "HighLatency", "severity": "critical", "instance": instance},
            "annotations": {"summary": f"p99 over 1s on {instance}"}, "startsAt": "2026-01-05T09:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": fingerprint or f"fp-{instance}"}


def notification(status: str = "firing", *alerts: dict[str, object]) -> dict[str, object]:
    alerts = alerts or (alert("api-1", status), alert("api-2", status))
    return {"version": "4", "groupKey": GROUP_KEY, "truncatedAlerts": 0, "status": status, "receiver": "warroom",
            "groupLabels": {"alertname": "HighLatency"},
            "commonLabels": {"alertname": "HighLatency", "severity": "critical"},
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093", "alerts": list(alerts)}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def am_key(integration_keys) -> str:
    return integration_keys.make("alertmanager", team="engineering")


def test_a_firing_group_is_one_alert_counted_per_notification_and_resolved_closes_it(client, runtime, am_key):
    first = client.post(URL, json=notification(), headers=bearer(am_key))
    assert first.status_code == 200, first.text
    assert first.json()["alerts"][0]["action"] == "created"
    again = client.post(URL, json=notification(), headers=bearer(am_key))
    assert again.json()["alerts"][0] == {"alias": GROUP_KEY, "action": "deduplicated",
                                         "alert_id": first.json()["alerts"][0]["alert_id"], "count": 2}
    [opened] = alerts_of(runtime)
    assert opened.message == "[FIRING:2] HighLatency"
    assert opened.priority is Priority.p1
    assert opened.team_id == team_id(runtime, "engineering")
    assert opened.dedup_scope == f"am:{opened.integration_key_id}"
    assert "api-1" in opened.description
    assert "api-2" in opened.description
    assert len(first_steps(runtime)) == 1
    resolved = client.post(URL, json=notification("resolved"), headers=bearer(am_key))
    assert resolved.json()["alerts"][0]["action"] == "closed"
    assert alerts_of(runtime)[0].status is AlertStatus.closed
    # A resolved notification for a group with no open alert changes nothing.
    before = stored(runtime)
    assert client.post(URL, json=notification("resolved"), headers=bearer(am_key)).json()["alerts"][0]["action"] == \
        "ignored"
    assert stored(runtime) == before


def test_two_resolved_notifications_in_one_group_commit_batch_close_the_alert_once(
        client, runtime, am_key, monkeypatch):
    """Group commit runs both in one transaction: the second finds the group closed by the first (ignored).

    The built-once look-up of the open alert is a Core statement; it sees the first close because the session
    flushes before every statement, Core ones included (SQLAlchemy 2.0.16 on). A session that did not would
    answer "closed" twice.
    """
    alert_id = client.post(URL, json=notification(), headers=bearer(am_key)).json()["alerts"][0]["alert_id"]
    committer = runtime.committer
    queue_up = committer.run
    queued: list[str] = []  # the partitions handed to the committer, in order
    sessions: list[Session] = []  # the session each piece of work ran in
    taken, release = threading.Event(), threading.Event()

    def hold_the_writer(db: Session) -> None:
        taken.set()
        release.wait(10)

    async def traced(work: Callable[[Session], Any], *, partition: str = "") -> Any:
        def run(db: Session) -> Any:
            sessions.append(db)
            return work(db)
        queued.append(partition)
        return await queue_up(run, partition=partition)

    monkeypatch.setattr(committer, "run", traced)

    async def both_resolved_while_the_writer_is_busy() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(runtime, run_engine=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://warroom.test") as http:
            holding = asyncio.ensure_future(queue_up(hold_the_writer, partition=GROUP_KEY))  # the group's writer
            assert await asyncio.to_thread(taken.wait, 10)
            posts = [asyncio.ensure_future(http.post(URL, json=notification("resolved"), headers=bearer(am_key)))
                     for _ in range(2)]
            await _until(lambda: len(queued) == 2)  # both wait in the writer's queue: its next batch takes both
            release.set()
            await holding
            return list(await asyncio.gather(*posts))

    answers = [r.json()["alerts"][0] for r in asyncio.run(both_resolved_while_the_writer_is_busy())]
    assert len(sessions) == 2 and sessions[0] is sessions[1]  # one batch: one transaction
    assert answers == [{"alias": GROUP_KEY, "action": "closed", "alert_id": alert_id, "count": None},
                       {"alias": GROUP_KEY, "action": "ignored", "alert_id": None, "count": None}]
    assert alerts_of(runtime)[0].status is AlertStatus.closed
    with runtime.database.reading() as db:
        closed = db.scalars(sa.select(AlertEvent).where(AlertEvent.alert_id == alert_id,
                                                        AlertEvent.kind == "closed")).all()
    assert len(closed) == 1


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.001)
    await asyncio.wait_for(poll(), seconds)


def test_per_alert_keys_make_one_alert_per_fingerprint(client, runtime, integration_keys):
    key = integration_keys.make("alertmanager", dedup_per_alert=True)
    response = client.post(URL, json=notification(), headers=bearer(key))
    assert [o["action"] for o in response.json()["alerts"]] == ["created", "created"]
    assert sorted(a.alias for a in alerts_of(runtime)) == ["fp-api-1", "fp-api-2"]
    assert {a.message for a in alerts_of(runtime)} == {"HighLatency: p99 over 1s on api-1",
                                                       "HighLatency: p99 over 1s on api-2"}
    mixed = notification("firing", alert("api-1", "resolved"), alert("api-2", "firing"))
    assert [o["action"] for o in client.post(URL, json=mixed, headers=bearer(key)).json()["alerts"]] == [
        "closed", "deduplicated"]
    by_alias = {a.alias: a for a in alerts_of(runtime)}
    assert by_alias["fp-api-1"].status is AlertStatus.closed
    assert by_alias["fp-api-2"].count == 2


def test_basic_auth_with_the_key_as_password_works_too(client, runtime, am_key):
    token = base64.b64encode(f"alertmanager:{am_key}".encode()).decode()
    assert client.post(URL, json=notification(), headers={"Authorization": f"Basic {token}"}).status_code == 200
    assert len(alerts_of(runtime)) == 1


def test_bad_requests_are_problems_and_write_nothing(client, runtime, am_key, integration_keys):
    pd_key = integration_keys.make("pagerduty")
    before = stored(runtime)
    no_alerts = notification()
    no_alerts["alerts"] = []
    version_3 = notification()
    version_3["version"] = "3"
    bad_status = copy.deepcopy(notification())
    bad_status["alerts"][0]["status"] = "burning"  # type: ignore[index]
    cases = [
        (client.post(URL, json=notification()), 401),
        (client.post(URL, json=notification(), headers=bearer("wrk_unknown")), 401),
        (client.post(URL, json=notification(), headers={"Authorization": "Basic !!!"}), 401),
        (client.post(URL, json=notification(), headers=bearer(pd_key)), 403),
        (client.post(URL, content=b"{not json", headers={**bearer(am_key), "content-type": "application/json"}), 400),
        (client.post(URL, json={"version": "4"}, headers=bearer(am_key)), 422),
        (client.post(URL, json=no_alerts, headers=bearer(am_key)), 422),
        (client.post(URL, json=version_3, headers=bearer(am_key)), 422),
        (client.post(URL, json=bad_status, headers=bearer(am_key)), 422),
        (client.post(URL, content=b"x" * 1_000_001, headers=bearer(am_key)), 413),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]
    assert stored(runtime) == before


def alert_events(runtime, alert_id: int) -> list[str]:
    from warroom.oncall.alerts import service as alert_service

    with runtime.database.reading() as db:
        return [e.body for e in alert_service.events(db=db, alert_id=alert_id)]


def test_later_notifications_of_a_group_update_its_alert(client, runtime, am_key):
    """Alerts joining the group and partial resolves rewrite the message, description and firing list."""
    client.post(URL, json=notification("firing", alert("api-1")), headers=bearer(am_key))
    joined = client.post(URL, json=notification("firing", alert("api-1"), alert("api-2"), alert("api-3")),
                         headers=bearer(am_key))
    assert joined.json()["alerts"][0]["action"] == "deduplicated"
    [grown] = alerts_of(runtime)
    assert grown.message == "[FIRING:3] HighLatency"
    assert grown.details["firing"] == "api-1, api-2, api-3"
    partial = notification("firing", alert("api-1", "resolved"), alert("api-2"), alert("api-3"), alert("api-3"))
    client.post(URL, json=partial, headers=bearer(am_key))
    client.post(URL, json=partial, headers=bearer(am_key))  # the same state again: counted, no new line
    [alert_now] = alerts_of(runtime)
    assert alert_now.count == 4
    assert alert_now.message == "[FIRING:2] HighLatency"
    assert (alert_now.details["firing"], alert_now.details["resolved"]) == ("api-2, api-3", "api-1")
    lines = alert_now.description.splitlines()
    assert len(lines) == len(set(lines)) == 3, lines
    assert lines[0].startswith("- [firing] HighLatency: p99 over 1s on api-2 [instance=api-2]")
    assert lines[2].startswith("- [resolved] HighLatency: p99 over 1s on api-1 [instance=api-1]")
    updates = [body for body in alert_events(runtime, alert_now.id) if body.startswith("Alertmanager update")]
    assert updates == ["Alertmanager update: 3 firing (joined: api-2, api-3)",
                       "Alertmanager update: 2 firing, 1 resolved (api-1)"]


def test_a_group_of_one_keeps_its_instance_label(client, runtime, am_key):
    one = notification("firing", alert("db-7"))
    one["commonLabels"] = {"alertname": "HighLatency", "severity": "critical", "instance": "db-7"}
    client.post(URL, json=one, headers=bearer(am_key))
    [opened] = alerts_of(runtime)
    assert "[instance=db-7]" in opened.description
    assert opened.details["firing"] == "db-7"
