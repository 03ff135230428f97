"""A keyed event this process has seen lately tries the short count of a repeat first; any other key goes straight
to the upsert, which decides for every key. A wrong guess may cost a statement, never the outcome."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from warroom.core.actor import Actor
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert
from warroom.oncall.alerts.service import AlertSpec, Raised

from .. import support


@contextmanager
def writes(runtime) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The first two words of each statement writing alerts sent while the block runs ("UPDATE alerts", …)."""
    found: list[str] = []
    with support.statements(runtime) as sent:
        yield found
    found.extend(f"{words[0]} alerts" for words in map(str.split, sent)
                 if words[0] in ("UPDATE", "INSERT") and "alerts" in words[1:3])


def _raise(runtime, clock, alias: str) -> Raised:  # type: ignore[no-untyped-def]
    with runtime.database.writing() as db:
        return alerts.raise_alert(db=db, actor=Actor.system(clock),
                                  spec=AlertSpec(message="Disk full", alias=alias, dedup_scope="test"))


def test_a_key_never_seen_goes_straight_to_the_insert(runtime, clock):
    with writes(runtime) as seen:
        raised = _raise(runtime, clock, "never-seen-1")
    assert raised.created
    assert seen == ["INSERT alerts"]


def test_a_key_seen_lately_is_counted_by_the_short_update_alone(runtime, clock):
    first = _raise(runtime, clock, "seen-2")
    with writes(runtime) as seen:
        again = _raise(runtime, clock, "seen-2")
    assert (again.alert_id, again.created, again.count) == (first.alert_id, False, 2)
    assert seen == ["UPDATE alerts"]


def test_a_key_another_process_opened_is_still_one_alert_counted_twice(runtime, clock):
    first = _raise(runtime, clock, "elsewhere-3")
    alerts.forget_seen_keys()  # as a process that never saw it (another worker, or this one restarted)
    again = _raise(runtime, clock, "elsewhere-3")
    assert (again.alert_id, again.created, again.count) == (first.alert_id, False, 2)
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Alert).where(Alert.alias == "elsewhere-3")) == 1


def test_a_key_seen_whose_alert_closed_opens_a_new_alert(runtime, clock):
    first = _raise(runtime, clock, "closed-4")
    with runtime.database.writing() as db:
        alerts.close(db=db, actor=Actor.system(clock), alert_id=first.alert_id)
    again = _raise(runtime, clock, "closed-4")
    assert again.created and again.alert_id != first.alert_id and again.count == 1
