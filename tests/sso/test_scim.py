"""SCIM 2.0 at /scim/v2 over real HTTP (uvicorn, plain httpx): people and teams created, found by filter,
replaced, patched, deactivated and deleted with the bearer token; errors in SCIM's shape, never a 500.
Deactivating someone ends their sessions and API tokens at once and names the on-call duties they leave."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import User
from warroom.audit.models import AuditEntry
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.schedules.models import RotationKind, Schedule, ScheduleLayer
from warroom.runtime import Runtime

from .. import support
from ..factories import Factory

TOKEN = "scim-token-for-tests"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
DEACTIVATION = "urn:warroom:params:scim:api:messages:2.0:Deactivation"


@pytest.fixture
def live(runtime: Runtime) -> Iterator[support.LiveServer]:
    runtime.settings.scim_token = TOKEN
    with support.live_server(runtime) as server:
        yield server


@pytest.fixture
def scim(live: support.LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{live.url}/scim/v2", headers={"authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def new_user(scim: httpx.Client, user_name: str = "dana@example.com", **extra: Any) -> dict[str, Any]:
    body = {"schemas": [USER], "userName": user_name, "name": {"givenName": "Dana", "familyName": "Scully"},
            "emails": [{"value": user_name, "primary": True}], "active": True, "externalId": "okta-1", **extra}
    response = scim.post("/Users", json=body, headers={"content-type": "application/scim+json"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def scim_error(response: httpx.Response, status: int, words: str, scim_type: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and words in body["detail"]
    assert body.get("scimType") == scim_type


def test_without_the_token_nothing_is_answered(live, runtime):
    with httpx.Client(base_url=f"{live.url}/scim/v2") as anonymous:
        scim_error(anonymous.get("/Users"), 401, "Authorization: Bearer")
        scim_error(anonymous.get("/Users", headers={"authorization": "Bearer wrong"}), 401, "Bearer")
    runtime.settings.scim_token = ""
    with httpx.Client(base_url=f"{live.url}/scim/v2", headers={"authorization": f"Bearer {TOKEN}"}) as off:
        scim_error(off.get("/Users"), 401, "set WARROOM_SCIM_TOKEN")


def test_a_person_is_created_found_by_filter_and_replaced(scim, runtime):
    created = new_user(scim)
    assert created["userName"] == "dana@example.com" and created["active"] is True
    assert created["externalId"] == "okta-1" and created["displayName"] == "Dana Scully"
    assert created["meta"]["location"].endswith(f"/scim/v2/Users/{created['id']}")

    found = scim.get("/Users", params={"filter": 'userName eq "DANA@example.com"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == created["id"]
    assert scim.get("/Users", params={"filter": 'userName eq "nobody@example.com"'}).json()["totalResults"] == 0
    assert scim.get(f"/Users/{created['id']}").json()["userName"] == "dana@example.com"

    replaced = scim.put(f"/Users/{created['id']}", json={
        "schemas": [USER], "userName": "dana@example.com", "displayName": "Dana Mulder",
        "emails": [{"value": "dana.mulder@example.com", "primary": True}], "active": True})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["displayName"] == "Dana Mulder"
    renamed = scim.patch(f"/Users/{created['id']}", json=patch(
        {"op": "replace", "path": "name", "value": {"givenName": "Dana", "familyName": "Katz"}}))
    assert renamed.json()["displayName"] == "Dana Katz"
    with runtime.database.reading() as db:
        dana = db.get(User, int(created["id"]))
        assert dana is not None and dana.handle == "dana" and dana.email == "dana.mulder@example.com"
        assert "scim.create" in set(db.scalars(sa.select(AuditEntry.action)))


def test_someone_already_in_warroom_is_adopted_by_email(scim, factory: Factory):
    bob = factory.user("bob")
    adopted = new_user(scim, "bob@example.com")
    assert adopted["id"] == str(bob.id)


def test_bad_input_gets_scims_errors(scim):
    new_user(scim)
    scim_error(scim.post("/Users", json={"schemas": [USER], "userName": "dana@example.com"}), 409,
               "already provisioned", "uniqueness")
    scim_error(scim.post("/Users", json={"schemas": [USER], "userName": "nomail"}), 400,
               "has no email address", "invalidValue")
    scim_error(scim.post("/Users", content=b"{not json", headers={"content-type": "application/scim+json"}),
               400, "not JSON", "invalidSyntax")
    scim_error(scim.get("/Users", params={"filter": 'name.familyName co "Scu"'}), 400,
               'userName eq "..."', "invalidFilter")
    scim_error(scim.get("/Users/99999999999999999999"), 404, "No SCIM user")
    scim_error(scim.get("/Users/abc"), 404, "No SCIM user")
    scim_error(scim.patch("/Users/abc", json=patch({"op": "replace", "path": "active", "value": False})), 404,
               "No SCIM user")
    created = scim.get("/Users").json()["Resources"][0]
    scim_error(scim.patch(f"/Users/{created['id']}", json={"active": False}), 400, "PatchOp", "invalidSyntax")
    scim_error(scim.patch(f"/Users/{created['id']}", json=patch({"op": "replace", "path": "title",
                                                                 "value": "x"})), 400, "not one Warroom keeps",
               "invalidPath")


def test_oversized_and_misshapen_values_are_scim_errors_not_500s(scim):
    scim_error(scim.post("/Users", json={"schemas": [USER], "userName": "x" * 300 + "@example.com"}), 400,
               "1 to 255 characters", "invalidValue")
    dana = new_user(scim)["id"]
    scim_error(scim.patch(f"/Users/{dana}", json=patch({"op": "replace", "path": "externalId", "value": "y" * 256})),
               400, "1 to 255 characters", "invalidValue")
    scim_error(scim.patch(f"/Users/{dana}", json=patch({"op": "replace", "path": "emails",
                                                         "value": [{"value": "z" * 250 + "@example.com"}]})),
               400, "not an email address", "invalidValue")
    scim_error(scim.get("/Users", params={"startIndex": "first"}), 400, "startIndex is a whole number",
               "invalidValue")
    gid = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "SRE"}).json()["id"]
    scim_error(scim.patch(f"/Groups/{gid}", json=patch({"op": "add", "path": "members", "value": ["3"]})), 400,
               'members is a list of {"value"', "invalidValue")
    scim_error(scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Ops", "members": "all"}), 400,
               'members is a list of {"value"', "invalidValue")
    scim_error(scim.get("/Schemas"), 404, "serves /Users")
    scim_error(scim.post(f"/Users/{dana}", json={}), 404, "serves /Users")
    page = scim.get("/Users", params={"startIndex": "1", "count": "0"}).json()
    assert page["totalResults"] == 1 and page["Resources"] == []


def _on_call(runtime: Runtime, user: User) -> None:
    with runtime.database.writing() as db:
        schedule = Schedule(slug="sre-primary", name="SRE primary", time_zone="UTC", created_at=runtime.clock.now())
        policy = EscalationPolicy(slug="sre", name="SRE", created_at=runtime.clock.now())
        db.add_all([schedule, policy])
        db.flush()
        db.add(ScheduleLayer(schedule_id=schedule.id, name="weekly", rotation=RotationKind.weekly,
                             handoff_local="2026-01-05T09:00", participants=[user.id]))
        db.add(EscalationStep(policy_id=policy.id, position=0, targets=[{"type": "user", "id": user.id}]))


def test_deactivating_ends_sessions_and_tokens_at_once_and_names_the_duties_left(scim, live, runtime, factory):
    created = new_user(scim)
    dana_id = int(created["id"])
    with runtime.database.writing() as db:
        dana = db.get(User, dana_id)
        assert dana is not None
        cookie = accounts.start_session(db=db, user=dana, now=runtime.clock.now(), days=1).cookie_value
    token = factory.token(dana)
    _on_call(runtime, dana)
    with httpx.Client(base_url=live.url) as web, httpx.Client(base_url=live.url,
                                                               cookies={"warroom_session": cookie}) as browser:
        me = web.get("/api/v1/users/me", headers={"authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert browser.get("/", headers={"accept": "text/html"}).status_code == 200

        # Azure AD's shape: a capitalised op, no path, and "False" as a string.
        response = scim.patch(f"/Users/{dana_id}", json=patch({"op": "Replace", "value": {"active": "False"}}))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["active"] is False and DEACTIVATION in body["schemas"]
        done = body[DEACTIVATION]
        assert done["sessionsEnded"] == 1 and done["tokensRevoked"] == 1
        assert any("schedule 'sre-primary'" in w for w in done["warnings"])
        assert any("escalation policy 'sre'" in w for w in done["warnings"])
        assert web.get("/api/v1/users/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
        assert browser.get("/", headers={"accept": "text/html"}, follow_redirects=False).status_code == 303
    with runtime.database.reading() as db:
        entry = db.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.deactivate"))
        assert entry is not None and entry.via == "scim" and len(entry.detail["warnings"]) == 2

    again = scim.patch(f"/Users/{dana_id}", json=patch({"op": "replace", "path": "active", "value": True}))
    assert again.json()["active"] is True


def test_delete_deactivates_and_the_user_is_gone_from_scim(scim, runtime):
    created = new_user(scim)
    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    scim_error(scim.get(f"/Users/{created['id']}"), 404, "No SCIM user")
    with runtime.database.reading() as db:
        dana = db.get(User, int(created["id"]))
        assert dana is not None and not dana.is_active


def test_groups_are_teams_with_members_added_and_removed(scim, runtime):
    dana, fox = new_user(scim)["id"], new_user(scim, "fox@example.com", externalId="okta-2")["id"]
    made = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "SRE Team", "members": [{"value": dana}]})
    assert made.status_code == 201, made.text
    group = made.json()
    assert [m["value"] for m in group["members"]] == [dana]
    gid = group["id"]
    assert scim.get("/Groups", params={"filter": 'displayName eq "SRE Team"'}).json()["totalResults"] == 1

    added = scim.patch(f"/Groups/{gid}", json=patch({"op": "add", "path": "members", "value": [{"value": fox}]}))
    assert sorted(m["value"] for m in added.json()["members"]) == sorted([dana, fox])
    removed = scim.patch(f"/Groups/{gid}", json=patch({"op": "remove", "path": f'members[value eq "{dana}"]'}))
    assert [m["value"] for m in removed.json()["members"]] == [fox]
    assert scim.get(f"/Users/{fox}").json()["groups"][0]["display"] == "SRE Team"

    renamed = scim.put(f"/Groups/{gid}", json={"schemas": [GROUP], "displayName": "SRE", "members": []})
    assert renamed.json() | {"meta": None} == renamed.json() | {"meta": None, "members": []}
    assert renamed.json()["displayName"] == "SRE"
    scim_error(scim.post("/Groups", json={"schemas": [GROUP], "displayName": "SRE"}), 409, "already exists",
               "uniqueness")
    scim_error(scim.patch(f"/Groups/{gid}", json=patch({"op": "add", "path": "members",
                                                         "value": [{"value": "12345"}]})), 400, "no SCIM user",
               "invalidValue")
    with runtime.database.reading() as db:
        team = accounts.find_team(db=db, name="sre-team")
        assert team is not None and accounts.team_members(db=db, team=team) == []


def test_a_group_whose_team_owns_a_schedule_is_not_deleted(scim, runtime):
    gid = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Payments"}).json()["id"]
    with runtime.database.writing() as db:
        db.add(Schedule(slug="payments", name="Payments", time_zone="UTC", team_id=int(gid),
                        created_at=runtime.clock.now()))
    scim_error(scim.delete(f"/Groups/{gid}"), 409, "owns schedule 'payments'", "mutability")
    other = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Empty"}).json()["id"]
    assert scim.delete(f"/Groups/{other}").status_code == 204
    scim_error(scim.get(f"/Groups/{other}"), 404, "No SCIM group")
