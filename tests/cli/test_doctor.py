"""`warroom doctor` checks each part as Warroom uses it and says what to fix: a real SMTP server and one that is
not there, Slack's auth.test and GitHub's repository endpoint as their documented answers from a local fake, the
job queue for an engine that stopped, webhook addresses under WARROOM_OUTBOUND_ALLOW, and the schema."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from warroom.config import get_settings
from warroom.core.clock import FakeClock
from warroom.engine.models import Job, JobState
from warroom.notifications.models import ContactKind, ContactMethod
from warroom.runtime import Runtime

from ..factories import Factory
from ..support import Reply, Request, free_port, http_server, smtp_server
from .conftest import Cli


@pytest.fixture
def env(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def setting(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"WARROOM_{name.upper()}", value)
        get_settings.cache_clear()

    setting(base_url="https://warroom.example")
    yield setting
    get_settings.cache_clear()


def _findings(cli: Cli, *args: str) -> tuple[Result, dict[str, list[dict[str, str]]]]:
    result = cli("doctor", "--json", *args)
    by_area: dict[str, list[dict[str, str]]] = {}
    for finding in json.loads(result.stdout):
        by_area.setdefault(finding["area"], []).append(finding)
    return result, by_area


def test_a_working_installation_passes_with_a_real_smtp_server(cli: Cli, env: Any) -> None:
    with smtp_server() as inbox:
        env(smtp_host=inbox.host, smtp_port=str(inbox.port))
        result = cli("doctor")
    assert result.exit_code == 0, result.output
    assert f"ok    mail      SMTP 127.0.0.1:{inbox.port} answers" in result.stdout
    assert "ok    database  Schema is current" in result.stdout
    assert "ok    engine    No job is overdue" in result.stdout
    assert "skip  chat" in result.stdout and "skip  github" in result.stdout
    assert result.stdout.rstrip().endswith("All checks passed.")
    assert inbox.received == []  # checked, nothing sent


def test_an_smtp_server_that_is_not_there_fails_and_says_what_to_fix(cli: Cli, env: Any) -> None:
    port = free_port()
    env(smtp_host="127.0.0.1", smtp_port=str(port))
    result, found = _findings(cli)
    assert result.exit_code == 1
    [mail] = found["mail"]
    assert mail["status"] == "fail"
    assert f"SMTP 127.0.0.1:{port} unreachable" in mail["said"]
    assert "WARROOM_SMTP_HOST" in mail["fix"]
    plain = cli("doctor")
    assert "FAIL  mail" in plain.stdout and "fix: Check WARROOM_SMTP_HOST" in plain.stdout
    assert plain.stdout.rstrip().endswith("1 problem to fix.")


def test_a_stopped_engine_shows_as_overdue_jobs(cli: Cli, env: Any, runtime: Runtime) -> None:
    now = datetime.now(UTC)
    with runtime.database.writing() as db:
        for n, (state, due) in enumerate(((JobState.pending, now - timedelta(minutes=10)),
                                          (JobState.pending, now + timedelta(minutes=10)),
                                          (JobState.dead, now - timedelta(hours=1)))):
            db.add(Job(kind="notification.send", payload={}, idempotency_key=f"doctor-{n}", state=state,
                       due_at=due, created_at=now))
    result, found = _findings(cli)
    assert result.exit_code == 1
    [engine] = found["engine"]
    assert engine["status"] == "fail"
    assert engine["said"].startswith("1 job is overdue, the oldest by 10 min"), engine
    assert "warroom engine" in engine["fix"]

    with runtime.database.writing() as db:
        db.query(Job).filter(Job.idempotency_key == "doctor-0").delete()
    result, found = _findings(cli)
    assert result.exit_code == 0
    assert found["engine"][0]["status"] == "warn" and "1 job gave up" in found["engine"][0]["said"]


def test_webhook_addresses_are_checked_against_the_outbound_policy(
        cli: Cli, env: Any, runtime: Runtime, factory: Factory, clock: FakeClock) -> None:
    bob = factory.user("bob")
    with runtime.database.writing() as db:  # saved before the policy changed: the check at save time passed
        db.add(ContactMethod(user_id=bob.id, kind=ContactKind.webhook, address="http://10.1.2.3/hook",
                             created_at=clock.now()))
    result, found = _findings(cli)
    assert result.exit_code == 1
    [outbound] = found["outbound"]
    assert outbound["status"] == "fail" and "http://10.1.2.3/hook" in outbound["said"]
    assert "private" in outbound["said"] and "WARROOM_OUTBOUND_ALLOW" in outbound["fix"]

    env(outbound_allow="10.0.0.0/8")
    result, found = _findings(cli)
    assert result.exit_code == 0
    assert found["outbound"][0]["status"] == "ok"


class FakeServices:
    """Slack's auth.test and GitHub's GET /repos/{owner}/{repo}, answered as their documentation shows."""

    def __init__(self) -> None:
        self.slack_token = "xoxb-good"
        self.push = True

    def respond(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        if request.path.endswith("/api/auth.test"):
            if auth != f"Bearer {self.slack_token}":
                return Reply(200, {"ok": False, "error": "invalid_auth"})
            return Reply(200, {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "warroom",
                               "team_id": "T0001", "user_id": "U0BOT"})
        if request.path == "/repos/acme/search":
            if auth != "Bearer ghp_good":
                return Reply(401, {"message": "Bad credentials"})
            return Reply(200, {"id": 1, "full_name": "acme/search", "has_issues": True,
                               "permissions": {"admin": False, "push": self.push, "pull": True}})
        return Reply(404, {"message": "Not Found"})


def test_slack_and_github_tokens_are_tried(cli: Cli, env: Any) -> None:
    fake = FakeServices()
    with http_server(fake.respond) as server:
        env(slack_bot_token="xoxb-good", slack_signing_secret="s3cret", slack_api_url=f"{server.url}/api/",
            github_token="ghp_good", github_repository="acme/search", github_api_url=server.url)
        result, found = _findings(cli)
        assert result.exit_code == 0, found
        assert found["chat"] == [{"area": "chat", "status": "ok", "fix": "",
                                  "said": "Slack accepts the bot token: @warroom in Acme"}]
        assert found["github"][0]["said"] == "The GitHub token reaches acme/search"

        fake.push = False
        env(slack_bot_token="xoxb-revoked", github_token="ghp_good")
        result, found = _findings(cli)
        assert result.exit_code == 1
        assert found["chat"][0]["status"] == "fail" and "WARROOM_SLACK_BOT_TOKEN" in found["chat"][0]["said"]
        assert "not open or close its issues" in found["github"][0]["said"]

        env(github_token="ghp_wrong")
        assert "GitHub refused the token (401)" in _findings(cli)[1]["github"][0]["said"]
        env(github_token="")
        result, found = _findings(cli)
        assert found["github"][0]["status"] == "fail" and "WARROOM_GITHUB_TOKEN is not" in found["github"][0]["said"]


def test_an_unmigrated_database_is_named_and_never_created(cli: Cli, env: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    env(database_url=f"sqlite:///{empty}")
    result, found = _findings(cli)
    assert result.exit_code == 1
    schema = found["database"][-1]
    assert schema["status"] == "fail" and schema["said"].startswith("The schema is at empty")
    assert "warroom db upgrade" in schema["fix"]

    missing = tmp_path / "nowhere" / "warroom.db"
    env(database_url=f"sqlite:///{missing}")
    result, found = _findings(cli)
    assert result.exit_code == 1
    assert found["database"][0]["said"] == f"No Warroom database at {missing}."
    assert not missing.parent.exists()
