"""Chat platforms are a mapping the runtime builds from what each platform's package registers: a platform
Warroom has never heard of, registered here with its own settings, gets the incident's room, the announcements
and the pages through the same code as Slack and Matrix."""

from __future__ import annotations

import threading
import time

import pytest

from warroom.chat import service as chat
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.first_run import service as first_run
from warroom.integrations.chat import FakeChat
from warroom.integrations.matrix.client import MatrixPlatform
from warroom.notifications import service as notifications
from warroom.notifications.models import ContactKind
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.service import AlertSpec
from warroom.ports.chat import ChatPlatform, ChatRegistration
from warroom.runtime import Runtime, chat_registrations, chat_workspaces

from ..factories import Factory
from ..support import drain

ANNOUNCE_ROOM = "#chirp-incidents"


class ChirpSettings(Settings):
    """Warroom's settings plus the new platform's own (WARROOM_CHIRP_TOKEN, WARROOM_CHIRP_ANNOUNCE_ROOM)."""

    chirp_token: str = ""
    chirp_announce_room: str = ""


def chirp_registration(chirp: FakeChat, made: list[str]) -> ChatRegistration:
    def connect(settings: Settings) -> ChatPlatform | None:
        assert isinstance(settings, ChirpSettings)
        made.append(settings.chirp_token)
        return chirp if settings.chirp_token else None

    def announce_room(settings: Settings) -> str:
        assert isinstance(settings, ChirpSettings)
        return settings.chirp_announce_room

    return ChatRegistration("chirp", connect, announce_room)


def with_chirp(runtime: Runtime, clock: FakeClock, chirp: FakeChat, made: list[str], token: str) -> Runtime:
    settings = ChirpSettings(**runtime.settings.model_dump(), chirp_token=token, chirp_announce_room=ANNOUNCE_ROOM)
    return Runtime(settings, runtime.database, clock, [*chat_registrations(), chirp_registration(chirp, made)])


def test_a_registered_platform_gets_the_room_the_announcements_and_the_pages(runtime: Runtime,
                                                                             clock: FakeClock) -> None:
    chirp, made = FakeChat(name="chirp"), []
    chirping = with_chirp(runtime, clock, chirp, made, token="chirp-token")
    factory = Factory(chirping)
    alice, bob = factory.user("alice"), factory.user("bob")

    incident = factory.incident(alice, title="Checkout fails for card payments")
    drain(chirping, clock)
    announced = [text for room, text in chirp.posted if room == ANNOUNCE_ROOM]
    assert len(announced) == 1 and "Checkout fails for card payments" in announced[0]
    with chirping.database.reading() as db:
        room = chat.room_of_incident(db=db, platform="chirp", incident_id=incident.id)
        assert room is not None and room.room_id == f"room-{room.room_name}"
        assert room.announce_room_id == ANNOUNCE_ROOM and room.announcement_text == announced[0]

    system = Actor.system(clock)
    with chirping.database.writing() as db:
        chat.link_person(db=db, platform="chirp", person_id="chirp:bob", user=bob, linked_by="manual",
                         now=clock.now())
        method = notifications.add_contact_method(db=db, actor=system, user=bob, kind=ContactKind.chat,
                                                  address="@bob")
        notifications.add_rule(db=db, actor=system, user=bob, contact_method_id=method.id, delay_minutes=0)
        alerts.raise_alert(db=db, actor=system,
                           spec=AlertSpec(message="Queue backlog growing", responders=[{"type": "user", "id": bob.id}]))
    drain(chirping, clock)
    [page] = chirp.messages_to("chirp:bob")
    assert "Queue backlog growing" in page

    assert chirping.chat_platform("chirp", FakeChat) is chirp
    assert chirping.configured_chat_platforms() == ["chirp"]
    with chirping.database.reading() as db:  # the first-run checklist's chat step is ticked by it too
        steps = first_run.checklist(db=db, settings=chirping.settings,
                                    chat_platforms=chirping.configured_chat_platforms()).steps
    assert next(step for step in steps if step.key == "chat").done
    assert made == ["chirp-token"]  # made once, on first use, however many engines and jobs used it


def test_a_registered_platform_without_its_settings_is_left_alone(runtime: Runtime, clock: FakeClock) -> None:
    chirp, made = FakeChat(name="chirp"), []
    quiet = with_chirp(runtime, clock, chirp, made, token="")
    factory = Factory(quiet)
    factory.incident(factory.user("alice"))
    drain(quiet, clock)
    assert chirp.posted == [] and chirp.sent == []
    assert quiet.chat_platform("chirp", FakeChat) is None and quiet.configured_chat_platforms() == []
    assert quiet.chat_platform("slack", MatrixPlatform) is None  # Slack is not configured either


def test_asking_for_a_platform_as_another_adapter_is_refused(runtime: Runtime, clock: FakeClock) -> None:
    chirping = with_chirp(runtime, clock, FakeChat(name="chirp"), [], token="chirp-token")
    with pytest.raises(TypeError, match="'chirp' is a FakeChat, not a MatrixPlatform"):
        chirping.chat_platform("chirp", MatrixPlatform)


def test_a_name_two_platforms_claim_is_refused(settings: Settings) -> None:
    twice = [*chat_registrations(), ChatRegistration("slack", lambda _settings: None, lambda _settings: "")]
    with pytest.raises(ValueError, match="chat platform 'slack' is registered twice"):
        chat_workspaces(twice, settings)


def test_threads_asking_at_once_share_one_adapter(settings: Settings) -> None:
    made: list[FakeChat] = []

    def connect(_settings: Settings) -> ChatPlatform | None:
        time.sleep(0.05)  # long enough for every thread to ask before the first one has it
        made.append(FakeChat(name="chirp"))
        return made[-1]

    [workspace] = chat_workspaces([ChatRegistration("chirp", connect, lambda _settings: "")], settings).values()
    got: list[ChatPlatform | None] = []
    threads = [threading.Thread(target=lambda: got.append(workspace.platform())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and len(got) == 8 and all(platform is made[0] for platform in got)
