"""Single sign-on and SCIM: the sign-in pages and every SCIM answer show people and teams, never an incident,
private or public, nor that one exists."""

from __future__ import annotations

from fastapi.testclient import TestClient

from warroom.runtime import Runtime

from .conftest import PUBLIC, SECRET, Cast

TOKEN = "scim-token"


def test_scim_answers_name_people_and_teams_only(runtime: Runtime, client: TestClient, cast: Cast, incidents):
    runtime.settings.scim_token = TOKEN
    scim = {"authorization": f"Bearer {TOKEN}"}
    made = client.post("/scim/v2/Users", headers=scim, json={"userName": "bob@example.com"})  # adopts bob
    assert made.status_code == 201, made.text
    answers = [made, client.get("/scim/v2/Users", headers=scim), client.get("/scim/v2/Groups", headers=scim),
               client.get(f"/scim/v2/Users/{made.json()['id']}", headers=scim),
               client.patch(f"/scim/v2/Users/{made.json()['id']}", headers=scim,
                            json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                  "Operations": [{"op": "replace", "path": "active", "value": False}]}),
               client.get("/scim/v2/ServiceProviderConfig", headers=scim)]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert SECRET not in answer.text and PUBLIC not in answer.text and "INC-" not in answer.text


def test_the_sign_in_pages_show_no_incident(runtime: Runtime, client: TestClient, cast: Cast, incidents):
    runtime.settings.oidc_providers = '[{"name": "corp", "issuer": "http://127.0.0.1:9", "client_id": "x"}]'
    for answer in (client.get("/login"), client.get("/sso/corp/callback?code=x&state=y"),
                   client.get("/sso/nope/start")):
        assert SECRET not in answer.text and PUBLIC not in answer.text and "INC-" not in answer.text
