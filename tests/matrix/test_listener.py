"""The /sync listener: unknown senders are told how to link, a restart resumes from the stored position without
running a command twice, the declare how-to, and a homeserver's rate limit left to the engine to retry."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from warroom.chat import service as chat
from warroom.chat.models import ChatPerson
from warroom.chat.sync import CHAT_SYNC_JOB
from warroom.chat_inbound.dispatch import Dispatcher
from warroom.chat_inbound.matrix.listener import MatrixListener, matrix_listening
from warroom.cli.main import app
from warroom.config import Settings, get_settings
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.engine.models import Job, JobState
from warroom.incidents import flows
from warroom.incidents.models import Incident
from warroom.integrations.matrix.client import MatrixError, MatrixPlatform
from warroom.integrations.matrix.models import MatrixSyncPosition
from warroom.runtime import Runtime

from ..factories import Factory
from .conftest import Homeserver, People, heard, own_messages

pytestmark = pytest.mark.matrix


def _incidents(runtime: Runtime) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(Incident.title).order_by(Incident.id)))


def test_an_unknown_sender_is_told_how_to_link(homeserver: Homeserver, people: People, listener: MatrixListener,
                                               runtime: Runtime, bot: MatrixPlatform) -> None:
    eve = people.eve_matrix
    eve.join(homeserver.announce_room)
    eve.send(homeserver.announce_room, "!incident declare Eve's outage --severity major")
    assert heard(listener) == 1
    assert _incidents(runtime) == []
    direct = bot.direct_room(eve.user_id)
    eve.join(direct)
    notice = own_messages(eve.messages(direct), homeserver.bot.user_id)[-1]["content"]
    assert notice["msgtype"] == "m.notice"
    assert f"warroom matrix link {eve.user_id} <your Warroom handle>" in notice["body"]


def test_a_restart_resumes_from_the_stored_position_without_running_commands_again(
        homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime,
        bot: MatrixPlatform, clock: FakeClock) -> None:
    alice = people.alice_matrix
    alice.send(homeserver.announce_room, "!incident declare Before the restart --severity major")
    assert heard(listener) == 1
    with runtime.database.reading() as db:
        before = db.get(MatrixSyncPosition, homeserver.bot.user_id)
        assert before is not None
        stored = before.next_batch

    alice.send(homeserver.announce_room, "!incident declare While it was down --severity major")
    restarted = MatrixListener(runtime.database, MatrixPlatform(homeserver.url, homeserver.bot.user_id,
                                                                homeserver.bot.access_token), clock)
    assert restarted.position() == stored
    assert heard(restarted) == 1  # the one sent while down, not the one before
    assert _incidents(runtime) == ["Before the restart", "While it was down"]

    with runtime.database.writing() as db:  # a crash after handling, before the position was stored
        position = db.get(MatrixSyncPosition, homeserver.bot.user_id)
        assert position is not None
        position.next_batch = stored
    again = MatrixListener(runtime.database, bot, clock)
    again.sync_once(timeout_ms=0)
    assert _incidents(runtime) == ["Before the restart", "While it was down"]  # seen before: not run again


def test_a_bare_incident_command_says_how_to_declare_and_genie_answers(
        homeserver: Homeserver, people: People, listener: MatrixListener, bot: MatrixPlatform) -> None:
    alice = people.alice_matrix
    asked = alice.send(homeserver.announce_room, "!incident")
    assert heard(listener) == 1
    how = own_messages(alice.messages(homeserver.announce_room), homeserver.bot.user_id)[-1]["content"]
    assert how["m.relates_to"]["m.in_reply_to"]["event_id"] == asked
    assert how["body"].startswith("Declare an incident with `!incident declare <what is wrong> --severity")
    assert "`critical`: " in how["body"] and "`minor`: Not an incident" in how["body"]
    assert "<code>!incident declare &lt;what is wrong&gt;" in how["formatted_body"]

    alice.send(homeserver.announce_room, "!genie help")  # answered to alice alone, in her direct room
    assert heard(listener) == 1
    direct = bot.direct_room(alice.user_id)
    alice.join(direct)
    helped = own_messages(alice.messages(direct), homeserver.bot.user_id)[-1]["content"]["body"]
    assert "!genie whoisoncall" in helped and "/genie" not in helped


def test_the_homeserver_rate_limit_is_retried_by_the_engine(
        homeserver: Homeserver, people: People, runtime: Runtime, settings: Settings, clock: FakeClock) -> None:
    limited = homeserver.synapse.register("limited-bot", unlimited=False)
    platform = MatrixPlatform(homeserver.url, limited.user_id, limited.access_token)
    room = platform.create_room(name="rate-limit-check", private=True)
    refusal: MatrixError | None = None
    for n in range(12):
        try:
            platform.post_message(room_id=room.id, text=f"message {n}")
        except MatrixError as error:
            refusal = error
            break
    assert refusal is not None, "the homeserver never rate-limited"
    assert refusal.code == "M_LIMIT_EXCEEDED" and not refusal.permanent
    assert refusal.retry_after is not None and refusal.retry_after > 0

    limited_runtime = Runtime(settings.model_copy(update={"matrix_user_id": limited.user_id,
                                                          "matrix_access_token": limited.access_token}),
                              runtime.database, clock)
    with runtime.database.writing() as db:
        flows.declare_incident(db=db, actor=Actor(people.alice.id, "alice", people.alice.access_role, "web", clock),
                               title="Rate limited", severity="major")
    engine = limited_runtime.engine()
    for _ in range(3):
        engine.tick()
    engine.close()
    with runtime.database.reading() as db:
        job = db.scalar(sa.select(Job).where(Job.kind == CHAT_SYNC_JOB))
        assert job is not None
        assert job.state is JobState.pending and "rate-limited" in job.last_error
        assert job.due_at > clock.now()


def test_the_cli_links_people_and_listens_once(
        homeserver: Homeserver, people: People, runtime: Runtime, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("WARROOM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WARROOM_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("WARROOM_SEED_DEMO", "false")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str) -> Result:
        get_settings.cache_clear()
        try:
            return runner.invoke(app, ["matrix", *args])
        finally:
            get_settings.cache_clear()

    unset = run("listen", "--once")
    assert unset.exit_code == 1 and "WARROOM_MATRIX_HOMESERVER" in unset.output
    monkeypatch.setenv("WARROOM_MATRIX_HOMESERVER", homeserver.url)
    monkeypatch.setenv("WARROOM_MATRIX_USER_ID", homeserver.alice.user_id)
    monkeypatch.setenv("WARROOM_MATRIX_ACCESS_TOKEN", homeserver.bot.access_token)
    wrong = run("listen", "--once")
    assert wrong.exit_code == 1 and f"belongs to {homeserver.bot.user_id}" in wrong.output
    monkeypatch.setenv("WARROOM_MATRIX_USER_ID", homeserver.bot.user_id)
    first = run("listen", "--once")
    assert first.exit_code == 0 and "Synced as @warroom:localhost: 0 event(s) handled." in first.output
    with runtime.database.reading() as db:
        assert db.get(MatrixSyncPosition, homeserver.bot.user_id) is not None

    refused = run("link", "carol", "bob")
    assert refused.exit_code == 1 and "is not a Matrix user id" in refused.output
    linked = run("link", "@robert:localhost", "bob")
    assert linked.exit_code == 0, linked.output
    with runtime.database.reading() as db:
        user = chat.linked_user(db=db, platform="matrix", person_id="@robert:localhost")
        assert user is not None and user.handle == "bob"


def test_people_are_matched_by_email_when_the_bot_is_a_homeserver_admin(
        homeserver: Homeserver, factory: Factory, runtime: Runtime, bot: MatrixPlatform, clock: FakeClock) -> None:
    carol = homeserver.synapse.register("carol")
    homeserver.synapse.admin_call("PUT", f"/_synapse/admin/v2/users/{carol.user_id}",
                                  {"threepids": [{"medium": "email", "address": "carol@example.com"}]})
    factory.user("carol")
    assert bot.find_person(email="carol@example.com") is None  # not an admin: the homeserver will not say
    assert bot.email_of(person_id=carol.user_id) is None
    admin = homeserver.synapse.admin_account()
    as_admin = MatrixPlatform(homeserver.url, admin.user_id, admin.access_token)
    assert as_admin.find_person(email="Carol@Example.com") == carol.user_id
    assert as_admin.find_person(email="nobody@example.com") is None
    assert as_admin.email_of(person_id=carol.user_id) == "carol@example.com"

    user = Dispatcher(runtime.database, as_admin, clock).person(carol.user_id)
    assert user is not None and user.handle == "carol"
    with runtime.database.reading() as db:
        linked = db.get(ChatPerson, ("matrix", carol.user_id))
        assert linked is not None and linked.linked_by == "email"


def test_serve_runs_the_listener_in_a_thread_until_it_stops(
        homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime) -> None:
    with matrix_listening(runtime, poll_ms=500) as thread:
        assert thread is not None and thread.is_alive()
        people.alice_matrix.send(homeserver.announce_room, "!incident declare Heard by serve --severity major")
        for _ in range(200):  # bounded: the thread's long poll answers as soon as the message is there
            if _incidents(runtime):
                break
            time.sleep(0.1)
    assert _incidents(runtime) == ["Heard by serve"]
    thread.join(timeout=30)
    assert not thread.is_alive()  # stopped within its short poll: nothing of it outlives the test
    quiet = runtime.settings.model_copy(update={"matrix_listen_in_serve": False})
    with matrix_listening(Runtime(quiet, runtime.database, runtime.clock)) as none:
        assert none is None
