"""The official opsgenie-sdk (2.1.5) drives every alert call it offers against a live Warroom, host changed only.

Attachments, custom actions and saved searches are the SDK's calls Warroom does not have: they answer
Opsgenie's 404/422 shapes, which the SDK raises as ApiException (docs/compatibility.md lists them).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import opsgenie_sdk as og
import pytest
import sqlalchemy as sa

from warroom.accounts.models import User
from warroom.engine.models import JobState
from warroom.notifications.models import Notification
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertStatus, Priority

from ..support import jobs
from .conftest import alerts_of


@pytest.fixture
def carol(factory) -> User:
    return factory.user("carol", teams=("database",))


@pytest.fixture
def key(integration_keys, factory) -> str:
    factory.user("erin", teams=("engineering",))
    made = integration_keys.make("opsgenie", team="engineering")
    integration_keys.policy("engineering-escalation", team="engineering",
                            steps=[(10, [{"type": "team", "id": _team(integration_keys, "engineering")}]),
                                   (10, [{"type": "user", "id": _user(integration_keys, "erin")}])])
    return made


def _team(keys: Any, slug: str) -> int:
    from .conftest import team_id

    return team_id(keys.runtime, slug)


def _user(keys: Any, handle: str) -> int:
    with keys.runtime.database.reading() as db:
        return int(db.scalar(sa.select(User.id).where(User.handle == handle)))


@pytest.fixture
def sdk(live_warroom, key) -> og.AlertApi:
    """The SDK as a team would configure it, with Warroom's URL as its host (and no 30 s retries)."""
    configuration = og.Configuration()
    configuration.host = live_warroom.url
    configuration.api_key["Authorization"] = key
    configuration.retry_enabled = False
    return og.AlertApi(og.ApiClient(configuration))


def created(sdk: og.AlertApi, **fields: Any) -> str:
    """Create an alert through the SDK; its id, as the request status names it."""
    sent = sdk.create_alert(og.CreateAlertPayload(**{"message": "Search is down", **fields}))
    status = sdk.get_request_status(sent.request_id).data
    assert (status.is_success, status.action) == (True, "Create")
    return str(status.alert_id)


def succeeded(sdk: og.AlertApi, sent: Any, action: str) -> None:
    assert sent.result == "Request will be processed"
    status = sdk.get_request_status(sent.request_id).data
    assert (status.is_success, status.action) == (True, action), status.status


def stored_alert(runtime, alert_id: str) -> Alert:
    with runtime.database.reading() as db:
        found = db.get(Alert, int(alert_id))
        assert found is not None
        return found


def kinds(runtime, alert_id: str) -> list[str]:
    with runtime.database.reading() as db:
        return [e.kind for e in alerts.events(db=db, alert_id=int(alert_id))]


def test_tags_details_priority_message_and_description(sdk, runtime):
    alert_id = created(sdk, alias="search-down", tags=["search"], details={"region": "eu"})
    succeeded(sdk, sdk.add_tags(alert_id, og.AddTagsToAlertPayload(tags=["prod", "db"], note="two more")),
              "AddTags")
    succeeded(sdk, sdk.remove_tags("search-down", tags=["search"], identifier_type="alias"), "RemoveTags")
    succeeded(sdk, sdk.add_details(alert_id, og.AddDetailsToAlertPayload(details={"shard": "7", "region": "us"})),
              "AddDetails")
    succeeded(sdk, sdk.remove_details(alert_id, keys=["shard"]), "RemoveDetails")
    succeeded(sdk, sdk.update_alert_priority(alert_id, og.UpdateAlertPriorityPayload(priority="P1")),
              "UpdatePriority")
    succeeded(sdk, sdk.update_alert_message(alert_id, og.UpdateAlertMessagePayload(message="Search is slow")),
              "UpdateMessage")
    succeeded(sdk, sdk.update_alert_description(alert_id, og.UpdateAlertDescriptionPayload(description="p99 8s")),
              "UpdateDescription")
    read = sdk.get_alert(alert_id).data
    assert (read.tags, read.details, read.priority, read.message, read.description) == (
        ["db", "prod"], {"region": "us"}, "P1", "Search is slow", "p99 8s")
    assert stored_alert(runtime, alert_id).priority is Priority.p1
    assert kinds(runtime, alert_id)[-7:] == ["tags_added", "tags_removed", "details_added", "details_removed",
                                             "priority", "updated", "updated"]


def test_acknowledge_unacknowledge_snooze_and_close(sdk, runtime, clock):
    alert_id = created(sdk)
    succeeded(sdk, sdk.acknowledge_alert(alert_id, acknowledge_alert_payload=og.AcknowledgeAlertPayload(
        user="carol@example.com")), "Acknowledge")
    succeeded(sdk, sdk.un_acknowledge_alert(alert_id, un_acknowledge_alert_payload=og.UnAcknowledgeAlertPayload(
        note="not mine after all")), "UnAcknowledge")
    assert stored_alert(runtime, alert_id).status is AlertStatus.open
    until = clock.now() + timedelta(hours=1)
    succeeded(sdk, sdk.snooze_alert(alert_id, og.SnoozeAlertPayload(end_time=until)), "Snooze")
    read = sdk.get_alert(alert_id).data
    assert read.snoozed is True and read.snoozed_until == until
    succeeded(sdk, sdk.close_alert(alert_id, close_alert_payload=og.CloseAlertPayload(note="fixed")), "Close")
    assert sdk.get_alert(alert_id).data.status == "closed"
    late = sdk.snooze_alert(alert_id, og.SnoozeAlertPayload(end_time=until))  # accepted, reported failed
    status = sdk.get_request_status(late.request_id).data
    assert (status.is_success, status.action) == (False, "Snooze") and "closed" in status.status


def test_assign_sets_the_owner(sdk, runtime, carol):
    alert_id = created(sdk)
    succeeded(sdk, sdk.assign_alert(alert_id, og.AssignAlertPayload(owner=og.UserRecipient(
        username="carol@example.com"))), "Assign")
    assert stored_alert(runtime, alert_id).owner_id == carol.id
    assert sdk.get_alert(alert_id).data.owner == "carol@example.com"
    assert [a.id for a in sdk.list_alerts(query="owner: carol@example.com").data] == [alert_id]


def pages_of(runtime, user: User, alert_id: str) -> int:
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.alert_id == int(alert_id))) or 0)


def test_add_responder_and_team_page_them_at_once(sdk, runtime, carol, factory):
    dave = factory.user("dave", teams=("payments",))
    alert_id = created(sdk)
    assert pages_of(runtime, carol, alert_id) == 0
    succeeded(sdk, sdk.add_responder(alert_id, og.AddResponderToAlertPayload(
        responder=og.UserRecipient(username="carol@example.com"))), "AddResponder")
    assert pages_of(runtime, carol, alert_id) == 1
    succeeded(sdk, sdk.add_team(alert_id, og.AddTeamToAlertPayload(team=og.TeamRecipient(name="payments"))),
              "AddTeam")
    assert pages_of(runtime, dave, alert_id) == 1
    # Adding the same responder again pages nobody twice.
    succeeded(sdk, sdk.add_responder(alert_id, og.AddResponderToAlertPayload(
        responder=og.Recipient(type="user", id=str(carol.id)))), "AddResponder")
    assert pages_of(runtime, carol, alert_id) == 1
    responders = stored_alert(runtime, alert_id).responders
    assert {"type": "user", "id": carol.id} in responders and len(responders) == 2
    assert [a.id for a in sdk.list_alerts(query="teams: payments").data] == [alert_id]
    recipients = {r.user.username: r for r in sdk.list_recipients(alert_id).data}
    assert {"carol@example.com", "dave@example.com", "erin@example.com"} <= set(recipients)
    assert recipients["carol@example.com"].method == "email"
    assert recipients["carol@example.com"].state == "pending"


def test_escalate_to_next_runs_the_next_step_now(sdk, runtime, integration_keys):
    erin_id = _user(integration_keys, "erin")
    alert_id = created(sdk)
    with runtime.database.reading() as db:
        assert stored_alert(runtime, alert_id).escalation_step == 1
    succeeded(sdk, sdk.escalate_alert(alert_id, og.EscalateAlertToNextPayload(
        escalation=og.EscalationRecipient(name="engineering-escalation"))), "EscalateToNext")
    runtime.engine().tick()
    with runtime.database.reading() as db:
        paged = [e for e in alerts.events(db=db, alert_id=int(alert_id)) if e.kind == "escalated"]
        assert paged[-1].data["step"] == 1 and paged[-1].data["users"] == ["erin"]
        assert db.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.user_id == erin_id, Notification.alert_id == int(alert_id))) == 2


def test_notes_and_logs_page_as_opsgenie_does(sdk, runtime):
    alert_id = created(sdk, note="first seen")
    for n in range(3):
        succeeded(sdk, sdk.add_note(alert_id, og.AddNoteToAlertPayload(note=f"note {n}", user="ops")), "AddNote")
    newest = sdk.list_notes(alert_id, limit=2)
    assert [n.note for n in newest.data] == ["note 2", "note 1"]
    assert newest.paging.next and newest.paging.first
    older = sdk.list_notes(alert_id, offset=newest.data[-1].offset, direction="next", limit=2)
    assert [n.note for n in older.data] == ["note 0", "first seen"]
    oldest_first = sdk.list_notes(alert_id, order="asc", limit=100)
    assert [n.note for n in oldest_first.data] == ["first seen", "note 0", "note 1", "note 2"]
    logs = sdk.list_logs(alert_id, order="asc").data
    assert logs[0].log.startswith("Alert opened") and logs[0].type == "system"
    assert any(entry.type == "alertRecipient" for entry in logs) and logs[-1].type == "note"


def test_list_and_count_with_the_query_language(sdk, runtime, clock):
    one = created(sdk, alias="db-1", tags=["db", "prod"], priority="P1")
    clock.advance(timedelta(minutes=5))
    middle = clock.now()
    two = created(sdk, alias="web-1", tags=["web"], priority="P3")
    three = created(sdk, alias="db-2", tags=["db"], priority="P2")
    sdk.acknowledge_alert(three)
    sdk.close_alert(two)

    def found(query: str) -> list[str]:
        listed = [a.id for a in sdk.list_alerts(query=query, order="asc").data]
        assert sdk.count_alerts(query=query).data.count == len(listed)
        return listed

    assert found("") == [one, two, three]
    assert found("status: open") == [one, three]
    assert found("tag: db AND NOT acknowledged: true") == [one]
    assert found("tags: (web OR prod)") == [one, two]
    assert found("priority: P1 OR (status: closed AND alias: web-1)") == [one, two]
    assert found(f"createdAt >= {int(middle.timestamp() * 1000)}") == [two, three]
    assert found(f"createdAt < {int(middle.timestamp() * 1000)} AND teams: engineering") == [one]
    assert [a.id for a in sdk.list_alerts(sort="priority", order="asc").data] == [one, three, two]


def test_delete_removes_the_alert_and_its_waiting_escalation(sdk, runtime, clock):
    alert_id = created(sdk, alias="to-delete")
    [waiting] = [j for j in jobs(runtime, "escalate") if j.payload["alert_id"] == int(alert_id)]
    assert waiting.state is JobState.pending  # the policy's second step, due in 10 minutes
    sent = sdk.delete_alert("to-delete", identifier_type="alias", user="ops")
    status = sdk.get_request_status(sent.request_id).data
    assert (status.is_success, status.action, status.alias) == (True, "Delete", "to-delete")
    assert alerts_of(runtime) == []
    with pytest.raises(og.exceptions.RetryableException) as gone:
        sdk.get_alert(alert_id)
    assert gone.value.status == 404
    clock.advance(timedelta(minutes=11))
    runtime.engine().tick()  # its next step's job is done with the alert: nothing runs, nothing fails
    assert [j.state for j in jobs(runtime, "escalate") if j.payload["alert_id"] == int(alert_id)] == [
        JobState.done]


def refused(call: Callable[[], Any], status: int, *words: str) -> dict[str, Any]:
    with pytest.raises(og.exceptions.RetryableException) as error:
        call()
    assert error.value.status == status
    import json

    body: dict[str, Any] = json.loads(error.value.body)
    assert body["requestId"] and "took" in body
    text = json.dumps(body)
    for word in words:
        assert word in text, text
    return body


def test_bad_inputs_are_clear_4xx_in_opsgenies_shape_and_write_nothing(sdk, runtime):
    alert_id = created(sdk)
    before = kinds(runtime, alert_id)
    refused(lambda: sdk.list_alerts(query="message: down"), 422, "does not search alerts by 'message'")
    refused(lambda: sdk.count_alerts(query="status: open AND"), 422, "Expected a field")
    refused(lambda: sdk.count_alerts(query="status: pending"), 422, "status is open or closed")
    refused(lambda: sdk.count_alerts(query="priority > P2"), 422, "takes ':' only")
    refused(lambda: sdk.count_alerts(query="(status: open"), 422, "Expected ')'")
    refused(lambda: sdk.list_alerts(search_identifier="x"), 422, "no saved searches")
    refused(lambda: sdk.list_alerts(sort="bogus"), 422, "sort is one of")
    refused(lambda: sdk.assign_alert(alert_id, og.AssignAlertPayload(owner=og.UserRecipient(username="nobody"))),
            422, "No user 'nobody' in Warroom")
    refused(lambda: sdk.add_team(alert_id, og.AddTeamToAlertPayload(team=og.TeamRecipient(name="sre"))),
            422, "No team 'sre' in Warroom")
    refused(lambda: sdk.escalate_alert(alert_id, og.EscalateAlertToNextPayload(
        escalation=og.EscalationRecipient(name="nope"))), 422, "No escalation 'nope'")
    refused(lambda: sdk.add_tags(alert_id, og.AddTagsToAlertPayload(tags=[])), 422, "tags can not be empty")
    refused(lambda: sdk.snooze_alert(alert_id, og.SnoozeAlertPayload(end_time="tomorrow")), 422,
            "endTime is an ISO 8601 time")
    refused(lambda: sdk.list_notes(alert_id, direction="sideways"), 422, "direction is next or prev")
    refused(lambda: sdk.list_logs("999999"), 404, "does not exist")
    refused(lambda: sdk.list_attachments(alert_id), 404, "does not keep alert attachments")
    refused(lambda: sdk.execute_custom_alert_action(alert_id, "restart"), 404, "no custom actions")
    refused(lambda: sdk.list_saved_searches(), 404, "no saved searches")
    refused(lambda: sdk.get_saved_search("mine"), 404, "no saved searches")
    assert kinds(runtime, alert_id) == before
