"""Slack's requests to Warroom: signatures, replays, people Warroom does not know, /genie, the form's checks."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from warroom.chat_inbound.slack.inbound import sign
from warroom.core.clock import FakeClock
from warroom.runtime import Runtime

from ..api.conftest import assert_problem, count, stored
from .conftest import GENERAL_ID, SIGNING_SECRET, FakeSlack, People, SlackRequests, drain


@pytest.mark.parametrize("path", ["commands", "interactivity", "events"])
def test_tampered_stale_and_unsigned_requests_are_refused(path: str, people: People, slack_requests: SlackRequests,
                                                          client: TestClient, runtime: Runtime) -> None:
    body = slack_requests.command_body("UALICE", "declare Search is down --severity critical")
    before = stored(runtime)
    wrong_secret = slack_requests.signed(path, body, "application/x-www-form-urlencoded", secret="not-the-secret")
    assert_problem(wrong_secret, 401, contains="does not match")
    stale = slack_requests.signed(path, body, "application/x-www-form-urlencoded", age_seconds=301)
    assert_problem(stale, 401, contains="five minutes")
    future = slack_requests.signed(path, body, "application/x-www-form-urlencoded", age_seconds=-301)
    assert_problem(future, 401, contains="five minutes")
    timestamp = str(int(slack_requests.clock.now().timestamp()))
    tampered = client.post(f"/api/v1/integrations/slack/{path}", content=body + b"+--security",
                           headers={"x-slack-request-timestamp": timestamp,
                                    "x-slack-signature": sign(SIGNING_SECRET, timestamp, body)})
    assert_problem(tampered, 401, contains="does not match")
    unsigned = client.post(f"/api/v1/integrations/slack/{path}", content=body)
    assert_problem(unsigned, 401, contains="missing")
    assert stored(runtime) == before
    assert count(runtime, "incidents") == 0


def test_a_replayed_slash_command_runs_once(people: People, slack_requests: SlackRequests,
                                            runtime: Runtime) -> None:
    body = slack_requests.command_body("UALICE", "declare Search is down --severity critical")
    first = slack_requests.signed("commands", body, "application/x-www-form-urlencoded")
    assert first.json()["text"] == "Declared INC-1 (critical): Search is down"
    again = slack_requests.signed("commands", body, "application/x-www-form-urlencoded")
    assert again.json() == {"response_type": "ephemeral", "text": "This request was already handled."}
    assert count(runtime, "incidents") == 1


def test_url_verification_answers_the_challenge(people: People, slack_requests: SlackRequests) -> None:
    body = json.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "url_verification",
                       "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}).encode()
    answer = slack_requests.signed("events", body, "application/json")
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_someone_warroom_does_not_know_is_told_how_to_link(people: People, slack: FakeSlack,
                                                           slack_requests: SlackRequests, runtime: Runtime) -> None:
    answer = slack_requests.command("UEVE", "declare Search is down --severity critical")
    assert answer.json()["response_type"] == "ephemeral"
    assert "warroom slack link UEVE <your Warroom handle>" in answer.json()["text"]
    assert count(runtime, "incidents") == 0

    from warroom.cli.main import app

    env = {"WARROOM_DATABASE_URL": runtime.settings.resolved_database_url(), "WARROOM_SEED_DEMO": "false",
           "WARROOM_DATA_DIR": str(runtime.settings.data_dir), "WARROOM_SECRET_KEY": "test-secret-key"}
    from warroom.config import get_settings

    get_settings.cache_clear()
    try:
        linked = CliRunner().invoke(app, ["slack", "link", "UEVE", "@bob"], env=env)
    finally:
        get_settings.cache_clear()
    assert linked.exit_code == 0, linked.output
    again = slack_requests.command("UEVE", "declare Search is down --severity critical")
    assert again.json()["text"] == "Declared INC-1 (critical): Search is down"
    assert slack.count("users.info") == 1  # the second time the link was known


def test_genie_works_anywhere_with_private_replies_and_errors_carry_the_usage(
        people: People, slack_requests: SlackRequests) -> None:
    who = slack_requests.command("UBOB", "whoisoncall", command="/genie")
    assert who.json()["response_type"] == "ephemeral" and who.json()["text"]
    paged = slack_requests.command("UBOB", "alert we have an incident, please help for alice@example.com",
                                   command="/genie")
    assert paged.json() == {"response_type": "ephemeral", "text": "Paged @alice: alert #1"}, paged.json()
    typo = slack_requests.command("UBOB", "stauts identified")
    assert typo.json()["response_type"] == "ephemeral"
    assert "status" in typo.json()["text"]
    outside = slack_requests.command("UBOB", "lead @bob", channel=GENERAL_ID)
    assert "Run this in an incident room" in outside.json()["text"]
    help_ = slack_requests.command("UBOB", "help")
    assert help_.json()["response_type"] == "ephemeral" and "/incident lead" in help_.json()["text"]


def test_the_form_explains_the_support_route_for_minor_issues(people: People, slack: FakeSlack,
                                                               slack_requests: SlackRequests,
                                                               runtime: Runtime) -> None:
    slack_requests.command("UALICE", "")
    minor = slack_requests.submit_declare("UALICE", slack.views[0], "Typo on the pricing page", "minor")
    assert minor.json()["response_action"] == "errors"
    assert "support" in minor.json()["errors"]["severity"]
    empty = slack_requests.submit_declare("UALICE", slack.views[0], "   ", "major")
    assert empty.json()["response_action"] == "errors" and "description" in empty.json()["errors"]
    assert count(runtime, "incidents") == 0


def test_malformed_slack_bodies_are_refused_without_a_500(people: People, slack_requests: SlackRequests) -> None:
    unknown = slack_requests.signed("commands", urlencode({"command": "/deploy", "user_id": "UBOB"}).encode(),
                                    "application/x-www-form-urlencoded")
    assert_problem(unknown, 422, field="command")
    not_json = slack_requests.signed("interactivity", b"payload=%7Bnope", "application/x-www-form-urlencoded")
    assert_problem(not_json, 422, field="payload")
    bad_event = slack_requests.signed("events", b"[1, 2]", "application/json")
    assert_problem(bad_event, 422, field="body")


def test_without_a_bot_token_commands_say_how_to_set_it_up(people: People, slack_requests: SlackRequests,
                                                           runtime: Runtime, clock: FakeClock) -> None:
    runtime.settings = runtime.settings.model_copy(update={"slack_bot_token": ""})
    answer = slack_requests.command("UALICE", "help")
    assert "WARROOM_SLACK_BOT_TOKEN" in answer.json()["text"]
    drain(runtime, clock)


def test_the_manifest_names_the_commands_scopes_events_and_urls() -> None:
    from warroom.cli.main import app

    result = CliRunner().invoke(app, ["slack", "manifest", "--base-url", "https://warroom.example.com/"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)
    base = "https://warroom.example.com/api/v1/integrations/slack"
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/incident", "/genie"]
    assert {c["url"] for c in manifest["features"]["slash_commands"]} == {f"{base}/commands"}
    assert manifest["settings"]["interactivity"]["request_url"] == f"{base}/interactivity"
    assert manifest["settings"]["event_subscriptions"]["request_url"] == f"{base}/events"
    assert {"message.channels", "reaction_added"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"commands", "channels:manage", "chat:write", "pins:write", "users:read.email"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])
    refused = CliRunner().invoke(app, ["slack", "manifest", "--base-url", "warroom"])
    assert refused.exit_code != 0 and "not a URL" in refused.output


def test_event_ids_are_forgotten_after_a_day(people: People, slack_requests: SlackRequests, runtime: Runtime,
                                             clock: FakeClock) -> None:
    from datetime import timedelta

    slack_requests.command("UBOB", "help")
    assert count(runtime, "chat_events") == 1
    engine = runtime.engine()
    engine.tick()
    assert count(runtime, "chat_events") == 1
    clock.advance(timedelta(days=1, hours=1))
    engine.tick()
    assert count(runtime, "chat_events") == 0


def test_declaring_a_security_incident_by_command_answers_only_the_caller(people: People,
                                                                          slack_requests: SlackRequests) -> None:
    answer = slack_requests.command("UBOB", "declare Leaked export bucket --severity critical --security")
    assert answer.json()["response_type"] == "ephemeral"
    public = slack_requests.command("UBOB", "declare Search is down --severity major")
    assert public.json()["response_type"] == "in_channel"


def test_a_slack_outage_while_looking_someone_up_says_to_try_again(people: People, slack: FakeSlack,
                                                                   slack_requests: SlackRequests,
                                                                   runtime: Runtime) -> None:
    from .conftest import OUTAGE

    slack.script("users.info", OUTAGE)
    answer = slack_requests.command("UBOB", "declare Search is down --severity critical")
    assert answer.json()["response_type"] == "ephemeral"
    assert "could not say who you are just now" in answer.json()["text"]
    assert count(runtime, "incidents") == 0 and count(runtime, "chat_people") == 0
    again = slack_requests.command("UBOB", "declare Search is down --severity critical")
    assert again.json()["text"] == "Declared INC-1 (critical): Search is down"
