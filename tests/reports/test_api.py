"""The triage inbox over the API: list, counts, acknowledge, declare, dismiss — and bad input refused."""

from __future__ import annotations

import pytest

from warroom.accounts.models import AccessRole, TokenScope
from warroom.core.actor import Actor
from warroom.reports import service as reports

from ..api.conftest import assert_problem
from .conftest import FORM, snapshot


def file_report(runtime, description=FORM["description"]):
    submission = reports.form_submission(name=FORM["name"], email=FORM["email"], description=description,
                                         affected_service=FORM["affected_service"])
    with runtime.database.writing() as db:
        return reports.receive_report(db=db, actor=Actor.system(runtime.clock), submission=submission)[0].ref


@pytest.fixture
def api(client, factory):
    bob = factory.user("bob")
    vic = factory.user("vic", AccessRole.viewer)
    return {"bob": {"authorization": f"Bearer {factory.token(bob)}"},
            "vic": {"authorization": f"Bearer {factory.token(vic, TokenScope.read)}"}}


def test_triage_over_the_api(runtime, client, api, inbox):
    for n in range(3):
        file_report(runtime, f"Problem {n}")
    listed = client.get("/api/v1/reports?status=open", headers=api["vic"])
    assert listed.status_code == 200
    body = listed.json()
    assert [r["ref"] for r in body["items"]] == ["R-3", "R-2", "R-1"]
    assert body["counts"] == {"new": 3, "acknowledged": 0, "declared": 0, "dismissed": 0}

    acknowledged = client.post("/api/v1/reports/R-1/acknowledge", headers=api["bob"])
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    declared = client.post("/api/v1/reports/R-1/declare", headers=api["bob"],
                           json={"severity": "critical", "title": "Exports down"})
    assert declared.status_code == 201, declared.text
    assert declared.json()["report"]["incident"] == "INC-1"
    assert declared.json()["incident"]["incident"]["ref"] == "INC-1"
    assert declared.json()["incident"]["data"]["report"] == "R-1"
    dismissed = client.post("/api/v1/reports/R-2/dismiss", headers=api["bob"], json={"reason": "a test"})
    assert dismissed.status_code == 200 and dismissed.json()["dismiss_reason"] == "a test"

    counts = client.get("/api/v1/reports/counts", headers=api["vic"]).json()
    assert counts == {"new": 1, "acknowledged": 0, "declared": 1, "dismissed": 1}
    one = client.get("/api/v1/reports/1", headers=api["vic"]).json()
    assert one["ref"] == "R-1" and one["url"] == "http://warroom.test/reports/R-1"
    runtime.engine().tick()
    assert [m.rcpt_tos for m in inbox.received] == [[FORM["email"]]]


def test_bad_requests_are_refused_with_nothing_written(runtime, client, api):
    file_report(runtime)
    before = snapshot(runtime)
    assert_problem(client.get("/api/v1/reports?status=pending", headers=api["vic"]), 422, field="status")
    assert_problem(client.get("/api/v1/reports/R-9", headers=api["vic"]), 404, contains="No report")
    assert_problem(client.get("/api/v1/reports/nonsense", headers=api["vic"]), 404, contains="not a report")
    assert_problem(client.post("/api/v1/reports/R-1/acknowledge", headers=api["vic"]), 403)
    assert_problem(client.post("/api/v1/reports/R-1/dismiss", headers=api["bob"], json={"reason": " "}), 422,
                   field="reason")
    assert_problem(client.post("/api/v1/reports/R-1/dismiss", headers=api["bob"], json={}), 422, field="reason")
    assert_problem(client.post("/api/v1/reports/R-1/declare", headers=api["bob"], json={"severity": "sev9"}),
                   422, field="severity")
    assert_problem(client.post("/api/v1/reports/R-1/declare", headers=api["bob"],
                               json={"severity": "major", "title": "x" * 201}), 422, field="title")
    assert_problem(client.post("/api/v1/reports/R-1/declare", headers=api["bob"],
                               json={"severity": "major", "colour": "red"}), 422)
    assert_problem(client.get("/api/v1/reports"), 401)
    assert snapshot(runtime) == before
