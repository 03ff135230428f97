"""Config as code over the API: admins only, the same file, plan and apply as the CLI."""

from __future__ import annotations

from warroom.accounts.models import AccessRole, TokenScope

from ..support import people
from .conftest import documented_example

YAML = {"Content-Type": "application/yaml"}


def _headers(factory, user, scope=TokenScope.admin):
    return {"Authorization": f"Bearer {factory.token(user, scope)}"}


def test_an_admin_plans_applies_and_exports_a_file(client, factory):
    cast = people(factory, {"root": AccessRole.admin})
    admin = _headers(factory, cast["root"])
    planned = client.post("/api/v1/config/plan", content=documented_example(), headers={**admin, **YAML})
    assert planned.status_code == 200, planned.text
    assert planned.json()["summary"] == "14 to create, 0 to change, 0 to delete, 1 kept, 0 unchanged"

    applied = client.post("/api/v1/config/apply", content=documented_example(), headers={**admin, **YAML})
    assert applied.status_code == 200, applied.text
    [key] = applied.json()["new_keys"]
    assert (key["kind"], key["name"]) == ("alertmanager", "prometheus-prod") and key["secret"].startswith("wrk_")
    again = client.post("/api/v1/config/apply", content=documented_example(), headers={**admin, **YAML})
    assert again.json() == {"changes": 0, "summary": "0 to create, 0 to change, 0 to delete, 1 kept, 14 unchanged",
                            "steps": [{"action": "keep", "section": "people", "key": "root", "details": [],
                                       "notes": ["config never deletes people (their history stays); deactivate "
                                                 "them instead"]}], "new_keys": []}

    exported = client.get("/api/v1/config", headers=admin)
    assert exported.headers["content-type"].startswith("application/yaml")
    assert "slug: platform-primary" in exported.text and "wrk_" not in exported.text


def test_only_admins_and_only_yaml(client, factory):
    cast = people(factory, {"root": AccessRole.admin, "bob": AccessRole.responder})
    bob = _headers(factory, cast["bob"], TokenScope.write)
    assert client.get("/api/v1/config", headers=bob).status_code == 403
    assert client.post("/api/v1/config/apply", content="version: 1\n", headers={**bob, **YAML}).status_code == 403
    assert client.get("/api/v1/config").status_code == 401

    admin = _headers(factory, cast["root"])
    wrong = client.post("/api/v1/config/plan", json={"version": 1}, headers=admin)
    assert wrong.status_code == 422 and "Content-Type: application/yaml" in wrong.json()["detail"]
    bad = client.post("/api/v1/config/apply", content="version: 1\nteams:\n  - slug: sre\n    lead: bob\n",
                      headers={**admin, **YAML})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("line 4 (teams[0]): unknown field 'lead'.")
