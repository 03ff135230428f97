"""Opsgenie closes share group-committed transactions: the close is one statement and does not flush what earlier
work of the batch appended, so these check that what is pending in the session is still seen, and kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from starlette.routing import BaseRoute, Match

from warroom.api.app import route_table
from warroom.api.compat import opsgenie
from warroom.api.compat.formats.opsgenie import alerts as og_alerts
from warroom.api.compat.formats.opsgenie.wire import Call
from warroom.notifications.models import ContactKind, DeliveryStatus, Notification
from warroom.observability.metrics import REGISTRY
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertRequest, AlertStatus, Priority

from .test_opsgenie_alerts import create, genie, og_key  # noqa: F401  (og_key is a fixture)


def _act(db, runtime, key: str, action: str, alias: str) -> str:
    call = Call()
    og_alerts.act(db=db, call=call, header=f"GenieKey {key}", identifier=alias, kind="alias",
                  action=og_alerts.Action(action), clock=runtime.clock)
    return call.request_id


def _outcome(runtime, request_id: str) -> tuple[str, bool, str]:
    with runtime.database.reading() as db:
        found = db.get(AlertRequest, request_id)
        assert found is not None
        return found.action, found.success, found.status


def test_an_acknowledge_then_a_close_in_one_transaction_leave_it_closed(client, runtime, og_key):  # noqa: F811
    create(client, og_key, alias="batch")
    with runtime.database.writing() as db:
        acked = _act(db, runtime, og_key, "acknowledge", "batch")
        closed = _act(db, runtime, og_key, "close", "batch")
    with runtime.database.reading() as db:
        [alert] = db.query(Alert).all()
        assert alert.status is AlertStatus.closed and alert.acknowledged_at is not None
        assert [e.kind for e in alerts.events(db=db, alert_id=alert.id)][-2:] == ["acknowledged", "closed"]
    assert _outcome(runtime, acked) == ("Acknowledge", True, "Acknowledged alert")
    assert _outcome(runtime, closed) == ("Close", True, "Closed alert")


def test_a_close_then_an_acknowledge_in_one_transaction_refuses_the_acknowledge(client, runtime, og_key):  # noqa: F811
    create(client, og_key, alias="batch")
    with runtime.database.writing() as db:
        closed = _act(db, runtime, og_key, "close", "batch")
        again = _act(db, runtime, og_key, "close", "batch")
        acked = _act(db, runtime, og_key, "acknowledge", "batch")
    with runtime.database.reading() as db:
        [alert] = db.query(Alert).all()
        assert alert.status is AlertStatus.closed and alert.acknowledged_at is None
        assert [e.kind for e in alerts.events(db=db, alert_id=alert.id)].count("closed") == 1
    assert _outcome(runtime, closed)[1:] == (True, "Closed alert")
    assert _outcome(runtime, again)[1:] == (True, "Closed alert")  # already closed: accepted, nothing changes
    assert _outcome(runtime, acked)[1:] == (False, f"Alert #{alert.id} is closed.")


def test_a_change_to_the_alert_waiting_in_the_session_is_kept_and_the_loaded_row_reads_closed(
        client, runtime, factory, og_key):  # noqa: F811
    create(client, og_key, alias="loaded")
    actor = factory.actor(factory.user("rita"))
    with runtime.database.writing() as db:
        [alert] = db.query(Alert).all()
        alert.priority = Priority.p1  # not flushed yet
        assert alerts.close_alert(db=db, actor=actor, alert_id=alert.id) is True
        assert alert.status is AlertStatus.closed and alert.closed_by_label == "rita"
        assert alerts.close_alert(db=db, actor=actor, alert_id=alert.id) is False
    with runtime.database.reading() as db:
        [alert] = db.query(Alert).all()
        assert (alert.status, alert.priority) == (AlertStatus.closed, Priority.p1)


def test_a_later_page_waiting_in_the_session_is_cancelled_by_the_close(client, runtime, factory, og_key):  # noqa: F811
    create(client, og_key, alias="paged")
    rita = factory.user("rita")
    with runtime.database.writing() as db:
        [alert] = db.query(Alert).all()
        now = runtime.clock.now()
        db.add(Notification(alert_id=alert.id, user_id=rita.id, kind=ContactKind.email, subject="later",
                            idempotency_key="close-batch-later", created_at=now, due_at=now + timedelta(minutes=5)))
        assert alerts.close_alert(db=db, actor=factory.actor(rita), alert_id=alert.id) is True
    with runtime.database.reading() as db:
        later = db.query(Notification).filter_by(idempotency_key="close-batch-later").one()
        assert later.status is DeliveryStatus.cancelled


def _first_match(routes: Sequence[BaseRoute], scope: dict[str, Any]) -> BaseRoute | None:
    """The route the router runs for this request (into included routers, whose routes it runs in turn)."""
    for route in routes:
        if route.matches(scope)[0] is Match.FULL:
            included = getattr(route, "original_router", None)
            return _first_match(included.routes, scope) if included is not None else route
    return None


def test_close_is_answered_ahead_of_the_router_as_the_router_would_and_labelled_with_its_template(
        client, runtime, og_key):  # noqa: F811
    path = "/v2/alerts/some-alias/close"
    # The router's first full match for this request is the route the fast path stands in for.
    scope = {"type": "http", "method": "POST", "path": path, "root_path": "", "query_string": b"", "headers": []}
    first = _first_match(route_table(), scope)
    assert getattr(first, "path", None) == opsgenie.CLOSE_PATH == "/v2/alerts/{identifier}/close"
    assert getattr(first, "name", None) == "opsgenie_close_alert"
    labels = {"method": "POST", "route": opsgenie.CLOSE_PATH, "status": "2xx"}
    before = REGISTRY.get_sample_value("warroom_http_request_seconds_count", labels) or 0.0
    create(client, og_key, alias="some-alias")
    assert client.post(f"{path}?identifierType=alias", headers=genie(og_key)).status_code == 202
    assert REGISTRY.get_sample_value("warroom_http_request_seconds_count", labels) == before + 1
    with runtime.database.reading() as db:
        assert db.query(Alert).one().status is AlertStatus.closed
