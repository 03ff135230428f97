"""Related public GitHub issues: linked over the API, told of the resolution by the engine (fake GitHub)."""

from __future__ import annotations

from functools import partial

from warroom.checklists.models import ItemState
from warroom.checklists.service import GITHUB_ISSUES_UPDATED
from warroom.core.clock import FakeClock
from warroom.engine.models import JobState
from warroom.related_issues.service import RELATED_ISSUE_JOB
from warroom.runtime import Runtime

from ..api.conftest import Team, assert_problem, declare, stored
from ..followups.conftest import REPO, TOKEN, Answer, FakeGithub
from ..support import checklist_step, drain, jobs

_jobs = partial(jobs, kind=RELATED_ISSUE_JOB)


_step = partial(checklist_step, key=GITHUB_ISSUES_UPDATED)  # where the step stands on an incident


def _run_until_idle(runtime: Runtime, clock: FakeClock) -> None:
    """Tick the engine, moving the clock to each retry's due time, until no related-issue job is pending."""
    drain(runtime, clock, limit=10, kind=RELATED_ISSUE_JOB)


def test_resolve_comments_and_closes_then_ticks(team: Team, runtime: Runtime, clock: FakeClock,
                                               github: FakeGithub) -> None:
    github.add_issue(REPO, 12, "Search returns nothing")
    github.add_issue(REPO, 13, "Search is slow")
    incident = declare(team.as_bob)["incident"]
    ref = incident["ref"]
    path = f"/incidents/{ref}/github-issues"
    made = team.as_bob.ok("post", path, {"issue": f"{REPO}#12", "close_on_resolve": True}, status=201)
    assert made["state"] == "linked" and made["issue"] == f"{REPO}#12" and made["close_on_resolve"] is True
    team.as_bob.ok("post", path, {"issue": f"https://github.com/{REPO}/issues/13"}, status=201)
    runtime.engine().tick()
    assert github.comments == [] and _jobs(runtime) == []  # nothing until it resolves

    team.as_bob.ok("put", f"/incidents/{ref}/summary", {"summary": "A bad index build; rolled back."})
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {"text": "Index rebuilt"})
    assert len(_jobs(runtime)) == 2  # queued in the resolving transaction
    _run_until_idle(runtime, clock)

    by_issue = {c["issue"]: c for c in github.comments}
    assert set(by_issue) == {12, 13} and len(github.comments) == 2
    body = by_issue[12]["body"]
    assert f"{ref} resolved" in body and "Search is down" in body and "A bad index build" in body
    assert "Index rebuilt" in body and f"http://warroom.test/incidents/{ref}" in body
    assert github.issues[(REPO, 12)]["state"] == "closed"
    assert github.issues[(REPO, 12)]["state_reason"] == "completed"
    assert github.issues[(REPO, 13)]["state"] == "open"  # not chosen to close
    patch = [r for r in github.requests if r[0] == "PATCH"]
    assert [(m, p, b) for m, p, _, b in patch] == [
        ("PATCH", f"/api/v3/repos/{REPO}/issues/12", {"state": "closed", "state_reason": "completed"})]
    assert patch[0][2]["authorization"] == f"Bearer {TOKEN}"
    listed = team.as_bob.ok("get", path)
    assert [i["state"] for i in listed["items"]] == ["updated", "updated"]
    assert listed["items"][0]["comment_url"].endswith(f"#issuecomment-{by_issue[12]['id']}")
    assert _step(runtime, incident["id"]) is ItemState.done


def test_outage_is_retried_and_the_comment_is_made_once(team: Team, runtime: Runtime, clock: FakeClock,
                                                        github: FakeGithub) -> None:
    github.add_issue(REPO, 12, "Search returns nothing")
    incident = declare(team.as_bob)["incident"]
    ref = incident["ref"]
    team.as_bob.ok("post", f"/incidents/{ref}/github-issues", {"issue": f"{REPO}#12", "close_on_resolve": True},
                   status=201)
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {})
    github.scripted.append(Answer(502, {"message": "Server Error"}))
    runtime.engine().tick()
    [job] = _jobs(runtime)
    assert job.state is JobState.pending and "502" in job.last_error
    assert team.as_bob.ok("get", f"/incidents/{ref}/github-issues")["items"][0]["state"] == "linked"
    # The close fails once too: the comment is not made again.
    _run_until_idle_after_one(runtime, clock, github)
    assert len(github.comments) == 1
    assert github.issues[(REPO, 12)]["state"] == "closed"
    assert _step(runtime, incident["id"]) is ItemState.done


def _run_until_idle_after_one(runtime: Runtime, clock: FakeClock, github: FakeGithub) -> None:
    clock.set(_jobs(runtime)[0].due_at)
    runtime.engine().tick()  # the comment goes; the close is queued
    assert len(github.comments) == 1
    github.scripted.append(Answer(503, {"message": "Unavailable"}, {"retry-after": "30"}))
    runtime.engine().tick()  # the close meets an outage
    assert _jobs(runtime)[-1].state is JobState.pending
    _run_until_idle(runtime, clock)


def test_unknown_repository_fails_with_the_reason(team: Team, runtime: Runtime, github: FakeGithub) -> None:
    incident = declare(team.as_bob)["incident"]
    ref = incident["ref"]
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {})
    made = team.as_bob.ok("post", f"/incidents/{ref}/github-issues", {"issue": "acme/nothing#4"}, status=201)
    assert made["state"] == "linked"
    runtime.engine().tick()  # linked after resolution: updated at once
    [job] = _jobs(runtime)
    assert job.state is JobState.dead
    [item] = team.as_bob.ok("get", f"/incidents/{ref}/github-issues")["items"]
    assert item["state"] == "failed" and "404" in item["error"] and "acme/nothing" in item["error"]
    assert _step(runtime, incident["id"]) is ItemState.open


def test_refused_token_fails_with_the_reason(team: Team, runtime: Runtime, github: FakeGithub) -> None:
    github.add_issue(REPO, 12, "Search returns nothing")
    runtime.settings.github_token = "ghp_wrong"
    incident = declare(team.as_bob)["incident"]
    ref = incident["ref"]
    team.as_bob.ok("post", f"/incidents/{ref}/github-issues", {"issue": f"{REPO}#12"}, status=201)
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {})
    runtime.engine().tick()
    [item] = team.as_bob.ok("get", f"/incidents/{ref}/github-issues")["items"]
    assert item["state"] == "failed" and "401" in item["error"] and "WARROOM_GITHUB_TOKEN" in item["error"]


def test_private_security_incident_comment_names_only_its_reference(team: Team, runtime: Runtime,
                                                                    github: FakeGithub) -> None:
    github.add_issue(REPO, 12, "Something odd")
    incident = declare(team.as_bob, title="Leaked credentials in logs", security=True)["incident"]
    ref = incident["ref"]
    team.as_bob.ok("put", f"/incidents/{ref}/summary", {"summary": "Secret rotated"})
    team.as_bob.ok("post", f"/incidents/{ref}/github-issues", {"issue": f"{REPO}#12"}, status=201)
    assert_problem(team.as_carol.get(f"/incidents/{ref}/github-issues"), 404)
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {"text": "rotated the key"})
    runtime.engine().tick()
    [comment] = github.comments
    assert ref in comment["body"]
    for secret in ("Leaked", "Secret rotated", "rotated the key", "/incidents/"):
        assert secret not in comment["body"]


def test_bad_references_and_duplicates_are_refused(team: Team, runtime: Runtime, github: FakeGithub) -> None:
    ref = declare(team.as_bob)["incident"]["ref"]
    path = f"/incidents/{ref}/github-issues"
    before = stored(runtime)
    for text in ("acme/search", "acme#12", "acme/search#", "acme/search#0", "just words", "-bad/x#1"):
        assert_problem(team.as_bob.post(path, {"issue": text}), 422, contains="", field="issue")
    assert_problem(team.as_bob.post(path, {"issue": "acme/search 12"}), 422, contains="owner/name#12")
    assert_problem(team.as_vic.post(path, {"issue": f"{REPO}#12"}), 403)
    assert_problem(team.as_bob.delete(f"{path}?issue=acme/search%2312"), 404, contains="not linked")
    assert stored(runtime) == before
    team.as_bob.ok("post", path, {"issue": f"{REPO}#12"}, status=201)
    assert_problem(team.as_bob.post(path, {"issue": "ACME/search#12"}), 409, contains="already linked")
    response = team.as_bob.delete(f"{path}?issue=acme/search%2312")
    assert response.status_code == 204, response.text
    assert team.as_bob.ok("get", path)["items"] == []
