"""Attaching GitHub issues through the engine, against a local fake GitHub speaking the documented shapes."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
import sqlalchemy as sa

from warroom.checklists.models import ItemState
from warroom.checklists.service import FOLLOWUPS_CREATED
from warroom.core.clock import FakeClock
from warroom.engine.models import Job, JobState
from warroom.integrations.github import GithubClient, GithubError
from warroom.runtime import Runtime

from ..api.conftest import Team, assert_problem, declare, stored
from ..support import checklist_step
from .conftest import REPO, TOKEN, Answer, FakeGithub

SERVER_ERROR = Answer(502, {"message": "Server Error"})


def _job(runtime: Runtime) -> Job:
    with runtime.database.reading() as db:
        job = db.scalar(sa.select(Job).where(Job.kind == "github_issue").order_by(Job.id.desc()))
        assert job is not None
        db.expunge(job)
        return job


_step = partial(checklist_step, key=FOLLOWUPS_CREATED)  # where the step stands on an incident


def _run_due(runtime: Runtime, clock: FakeClock) -> None:
    """Tick the engine at the job's due time (after its backoff)."""
    job = _job(runtime)
    if job.due_at > clock.now():
        clock.set(job.due_at)
    runtime.engine().tick()


def test_new_issue_is_created_once_through_an_outage(team: Team, runtime: Runtime, clock: FakeClock,
                                                     github: FakeGithub) -> None:
    incident = declare(team.as_bob)["incident"]
    github.scripted.append(SERVER_ERROR)
    made = team.as_bob.ok("post", f"/incidents/{incident['ref']}/followups",
                          {"text": "Alert on index lag", "github": "new", "labels": ["incident", "follow-up"]},
                          status=201)
    assert made["github"] == {"state": "pending", "repository": REPO, "number": None, "url": None, "error": ""}

    runtime.engine().tick()  # GitHub answers 502: retried later
    job = _job(runtime)
    assert job.state is JobState.pending and "502" in job.last_error
    assert team.as_bob.ok("get", f"/incidents/{incident['ref']}/followups")["items"][0]["github"]["state"] == (
        "pending")

    _run_due(runtime, clock)
    assert _job(runtime).state is JobState.done
    [issue] = github.created()
    assert issue["title"] == f"[{incident['ref']}] Alert on index lag"
    assert f"http://warroom.test/incidents/{incident['ref']}" in issue["body"]
    assert [label["name"] for label in issue["labels"]] == ["incident", "follow-up"]
    method, path, headers, _ = github.requests[-1]
    assert (method, path) == ("POST", f"/api/v3/repos/{REPO}/issues")
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"

    item = team.as_bob.ok("get", f"/incidents/{incident['ref']}/followups")["items"][0]
    assert item["github"]["state"] == "attached" and item["github"]["number"] == issue["number"]
    assert item["github"]["url"] == issue["html_url"]
    # Its only follow-up is attached to an issue: the handbook step is done.
    assert _step(runtime, incident["id"]) is ItemState.done


def test_an_issue_made_by_an_attempt_whose_answer_was_lost_is_found_not_made_again(
        team: Team, runtime: Runtime, clock: FakeClock, github: FakeGithub) -> None:
    incident = declare(team.as_bob)["incident"]
    github.add_issue(REPO, 1, "Someone else's issue")
    github.lose_next_create = True
    team.as_bob.ok("post", f"/incidents/{incident['ref']}/followups", {"text": "Alert on index lag", "github": "new"},
                   status=201)
    runtime.engine().tick()  # GitHub made the issue, but the answer was a 502
    assert len(github.created()) == 1 and _job(runtime).state is JobState.pending

    _run_due(runtime, clock)
    [issue] = github.created()
    assert "<!-- warroom-followup " in issue["body"]
    method, path, _, _ = github.requests[-1]
    assert (method, path) == ("GET", f"/api/v3/repos/{REPO}/issues?state=all&sort=created&direction=desc&per_page=50")
    item = team.as_bob.ok("get", f"/incidents/{incident['ref']}/followups")["items"][0]
    assert item["github"]["state"] == "attached" and item["github"]["number"] == issue["number"]


def test_a_retry_that_finds_no_earlier_issue_creates_it(team: Team, runtime: Runtime, clock: FakeClock,
                                                        github: FakeGithub) -> None:
    incident = declare(team.as_bob)["incident"]
    github.scripted.append(SERVER_ERROR)  # refused before anything was made
    team.as_bob.ok("post", f"/incidents/{incident['ref']}/followups", {"text": "Alert on index lag", "github": "new"},
                   status=201)
    runtime.engine().tick()
    _run_due(runtime, clock)
    assert [m for m, *_ in github.requests] == ["POST", "GET", "POST"]
    assert len(github.created()) == 1


def test_rate_limit_waits_as_github_says(team: Team, runtime: Runtime, clock: FakeClock,
                                         github: FakeGithub) -> None:
    incident = declare(team.as_bob)["incident"]
    github.scripted.append(Answer(403, {"message": "API rate limit exceeded"},
                                  {"x-ratelimit-remaining": "0", "retry-after": "120"}))
    team.as_bob.ok("post", f"/incidents/{incident['ref']}/followups", {"text": "Fix", "github": "new"}, status=201)
    started = clock.now()
    runtime.engine().tick()
    job = _job(runtime)
    assert job.state is JobState.pending and "rate limit" in job.last_error
    assert job.due_at == started + timedelta(seconds=120)
    _run_due(runtime, clock)
    assert len(github.created()) == 1


def test_linking_an_existing_issue_and_a_second_followup(team: Team, runtime: Runtime, github: FakeGithub) -> None:
    incident = declare(team.as_bob)["incident"]
    github.add_issue(REPO, 812, "Search index lag")
    path = f"/incidents/{incident['ref']}/followups"
    first = team.as_bob.ok("post", path, {"text": "Linked", "github": f"{REPO}#812"}, status=201)
    second = team.as_bob.ok("post", path, {"text": "Later"}, status=201)
    runtime.engine().tick()
    assert team.as_bob.ok("get", path)["items"][0]["github"]["url"] == "https://github.example/acme/search/issues/812"
    assert github.created() == []
    assert _step(runtime, incident["id"]) is ItemState.open  # the second one has no issue yet
    attached = team.as_bob.ok("post", f"/followups/{second['id']}/github", {}, status=202)
    assert attached["github"]["state"] == "pending"
    assert_problem(team.as_bob.post(f"/followups/{first['id']}/github", {}), 409, contains="already")
    runtime.engine().tick()
    assert _step(runtime, incident["id"]) is ItemState.done


def test_unknown_repository_fails_at_once_and_says_why(team: Team, runtime: Runtime, github: FakeGithub) -> None:
    incident = declare(team.as_bob)["incident"]
    made = team.as_bob.ok("post", f"/incidents/{incident['ref']}/followups",
                          {"text": "Fix", "github": "acme/nothing#4"}, status=201)
    runtime.engine().tick()
    assert _job(runtime).state is JobState.dead
    item = team.as_bob.ok("get", f"/incidents/{incident['ref']}/followups")["items"][0]
    assert item["github"]["state"] == "failed" and "404" in item["github"]["error"]
    assert "acme/nothing" in item["github"]["error"]
    # It can be attached again once fixed.
    github.add_issue(REPO, 4, "Four")
    team.as_bob.ok("post", f"/followups/{made['id']}/github", {"repository": REPO, "number": 4}, status=202)
    runtime.engine().tick()
    assert team.as_bob.ok("get", f"/incidents/{incident['ref']}/followups")["items"][0]["github"]["number"] == 4


def test_attach_needs_a_repository(team: Team, runtime: Runtime) -> None:
    runtime.settings.github_repository = ""
    incident = declare(team.as_bob)["incident"]
    made = team.as_bob.ok("post", f"/incidents/{incident['ref']}/followups", {"text": "Fix"}, status=201)
    before = stored(runtime)
    assert_problem(team.as_bob.post(f"/followups/{made['id']}/github", {}), 422,
                   contains="WARROOM_GITHUB_REPOSITORY", field="repository")
    assert_problem(team.as_bob.post(f"/followups/{made['id']}/github", {"repository": REPO, "number": 0}), 422,
                   field="number")
    assert stored(runtime) == before


@pytest.mark.parametrize(("answer", "status", "permanent", "says"), [
    (Answer(401, {"message": "Bad credentials"}), 401, True, "refused the token"),
    (Answer(403, {"message": "Resource not accessible by integration"}), 403, True, "not accessible"),
    (Answer(404, {"message": "Not Found"}), 404, True, "no repository"),
    (Answer(422, {"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "invalid",
                                                              "field": "labels"}]}), 422, True, "labels invalid"),
    (Answer(429, {"message": "Too many"}, {"retry-after": "30"}), 429, False, "rate limit"),
    (Answer(403, {"message": "API rate limit exceeded"}, {"x-ratelimit-remaining": "0"}), 403, False,
     "rate limit"),
    (Answer(503, {"message": "Unavailable"}), 503, False, "will retry"),
])
def test_client_errors_are_clear(github: FakeGithub, answer: Answer, status: int, permanent: bool,
                                 says: str) -> None:
    github.scripted.append(answer)
    client = GithubClient(token=TOKEN, api_url=github.url)
    with pytest.raises(GithubError) as raised:
        client.create_issue(repository=REPO, title="t", body="b", labels=[])
    assert raised.value.status == status
    assert raised.value.permanent is permanent
    assert says.lower() in str(raised.value).lower()
    if status == 429:
        assert raised.value.retry_after == 30.0


def test_client_reads_an_issue_and_refuses_a_missing_token(github: FakeGithub) -> None:
    github.add_issue(REPO, 7, "Seven", state="closed")
    issue = GithubClient(token=TOKEN, api_url=github.url).get_issue(repository=REPO, number=7)
    assert (issue.number, issue.state, issue.title) == (7, "closed", "Seven")
    with pytest.raises(GithubError, match="WARROOM_GITHUB_TOKEN"):
        GithubClient(token="", api_url=github.url).get_issue(repository=REPO, number=7)
    with pytest.raises(GithubError, match="could not be reached"):
        GithubClient(token=TOKEN, api_url="http://127.0.0.1:9").get_issue(repository=REPO, number=7)


def test_a_private_incident_keeps_its_title_out_of_the_issue(team: Team, runtime: Runtime,
                                                             github: FakeGithub) -> None:
    incident = declare(team.as_alice, title="Leaked customer keys", security=True)["incident"]
    team.as_alice.ok("post", f"/incidents/{incident['ref']}/followups", {"text": "Rotate keys", "github": "new"},
                     status=201)
    runtime.engine().tick()
    [issue] = github.created()
    assert "Leaked" not in issue["body"] and "Leaked" not in issue["title"]
    assert f"[{incident['ref']}](http://warroom.test/incidents/{incident['ref']})" in issue["body"]
