"""Turn what happens in chat into the command language and the incident flows.

Each handler does its database work in one short transaction and answers at once; what must reach the chat
platform afterwards (a new room, updated messages) goes through the engine. The only calls to the platform
made while answering are the ones that cannot wait: opening the declare form (its trigger expires in three
seconds) and, once per person, looking up who they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from warroom.accounts.models import User
from warroom.chat import pages
from warroom.chat import service as chat
from warroom.chat.strangers import Strangers
from warroom.commands.language import misspelt_command
from warroom.commands.runner import run_command
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.delivery import DeliveryError
from warroom.core.errors import WarroomError
from warroom.db.engine import Database
from warroom.incidents import flows, visibility
from warroom.incidents import service as incidents
from warroom.incidents.models import SEVERITY_MEANING, Severity
from warroom.incidents.service import MAX_TITLE
from warroom.ports.chat import (
    ButtonPressed,
    ChatPlatform,
    CommandReceived,
    DeclareForm,
    DeclareSubmitted,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    NamesPeople,
    ReactionAdded,
    Reply,
)

log = logging.getLogger("warroom.chat")

PIN_REACTIONS = ("pushpin", "round_pushpin")
MINOR = "minor"
SUPPORT_ROUTE = ("Minor issues are not incidents: they go through the usual support and feedback process. "
                 "Ask in #customer-support if you are unsure.")
DECLARE_FORM = DeclareForm(severities=(
    (Severity.critical.value, "Critical", SEVERITY_MEANING[Severity.critical]),
    (Severity.major.value, "Major", SEVERITY_MEANING[Severity.major]),
    (MINOR, "Minor", "Not an incident: the usual support and feedback process."),
))


def how_to_link(platform: str, person_id: str) -> str:
    return (f"Warroom does not know you yet. Ask a Warroom admin to add you with the email address of your "
            f"{platform.title()} profile, or to link this account: `warroom {platform} link {person_id} "
            "<your Warroom handle>`.")


def unlinked(platform: str, name: str) -> str:
    """How a message from someone who is no Warroom user shows in the timeline."""
    return f"(unlinked {platform.title()} user {name})"


@dataclass
class Dispatcher:
    database: Database
    platform: ChatPlatform
    clock: Clock
    strangers: Strangers = field(default_factory=Strangers)
    command_sign: str = "/"  # what commands start with on this platform (``!`` in Matrix)

    # People ------------------------------------------------------------------------------------------

    def person(self, person_id: str) -> User | None:
        """The Warroom user behind a platform person: the cached link, else matched once by email.

        Someone found to be no Warroom user is remembered as a stranger for a while (``strangers``), so the
        platform is not asked about them at every message. Raises DeliveryError when the platform cannot say
        who the person is just now."""
        with self.database.reading() as db:
            user = chat.linked_user(db=db, platform=self.platform.name, person_id=person_id)
            if user is not None:
                db.expunge(user)
                return user
        if self.strangers.recall(self.platform.name, person_id, self.clock.now()) is not None:
            return None
        email = self.platform.email_of(person_id=person_id)
        if not email:
            self._remember_stranger(person_id)
            return None
        with self.database.writing() as db:
            user = chat.user_by_email(db=db, email=email)
            if user is None:
                self._remember_stranger(person_id)
                return None
            chat.link_person(db=db, platform=self.platform.name, person_id=person_id, user=user,
                             linked_by="email", now=self.clock.now())
            db.flush()
            db.expunge(user)
            return user

    def _remember_stranger(self, person_id: str) -> str:
        name = None
        if isinstance(self.platform, NamesPeople):
            try:
                name = self.platform.name_of(person_id=person_id)
            except DeliveryError as error:
                log.info("could not read the name of %s person %s: %s", self.platform.name, person_id, error)
        return self.strangers.remember(self.platform.name, person_id, name or person_id, self.clock.now()).name

    def _stranger_name(self, person_id: str) -> str:
        stranger = self.strangers.recall(self.platform.name, person_id, self.clock.now())
        return stranger.name if stranger is not None else self._remember_stranger(person_id)

    def _caller(self, person_id: str) -> tuple[User | None, Reply]:
        """The person behind a command, or what to tell them when Warroom cannot say who they are."""
        try:
            user = self.person(person_id)
        except DeliveryError as error:
            log.warning("could not look up %s person %s: %s", self.platform.name, person_id, error)
            return None, Reply(f"{self.platform.name.title()} could not say who you are just now ({error}). "
                               "Try again in a minute.")
        return user, Reply(how_to_link(self.platform.name, person_id))

    def _actor(self, user: User) -> Actor:
        return Actor(user.id, user.handle, user.access_role, self.platform.name, self.clock)

    # Commands ----------------------------------------------------------------------------------------

    def command(self, event: CommandReceived) -> Reply | None:
        """Run a slash command; None when the answer is a form opened instead."""
        user, unknown = self._caller(event.person_id)
        if user is None:
            return unknown
        if event.command == "/incident" and not event.text:
            try:
                self.platform.open_declare_form(trigger=event.trigger, form=DECLARE_FORM, room_id=event.room_id)
            except DeliveryError as error:
                return Reply(f"The declare form did not open ({error}). Declare with `/incident declare "
                             "<description> --severity critical|major` instead.")
            return None
        text = f"{event.command} {event.text}"
        try:
            with self.database.writing() as db:
                incident_id = chat.incident_of_room(db=db, platform=self.platform.name, room_id=event.room_id)
                result = run_command(db=db, actor=self._actor(user), text=text,
                                     incident_ref=f"INC-{incident_id}" if incident_id else None)
                # A private incident's news is said only to the person who asked, wherever they asked.
                private = result.incident_ref is not None and visibility.is_private(
                    incidents.get_incident(db=db, ref=result.incident_ref))
        except WarroomError as error:
            hint = f"\nUsage: {error.hint}" if error.hint and error.hint not in error.message else ""
            return Reply(f"{error.message}{hint}")
        lines = [result.message, *(f"⚠️ {w}" for w in result.warnings)]
        quiet = private or event.command == "/genie" or event.text.split()[0].lower() == "help"
        return Reply("\n".join(lines), private=quiet)

    def declare(self, event: DeclareSubmitted) -> Reply:
        """The declare form submitted: the same flow the API and the web use."""
        user, unknown = self._caller(event.person_id)
        if user is None:
            return Reply(unknown.text, errors={"description": unknown.text})
        if event.severity == MINOR:
            return Reply(SUPPORT_ROUTE, errors={"severity": SUPPORT_ROUTE})
        if event.severity not in (Severity.critical.value, Severity.major.value):
            return Reply("Choose a severity.", errors={"severity": "Choose Critical or Major."})
        description = event.description.strip()
        first_line = description.splitlines()[0].strip() if description else ""
        title = first_line if len(first_line) <= MAX_TITLE else first_line[:MAX_TITLE - 1] + "…"
        try:
            with self.database.writing() as db:
                outcome = flows.declare_incident(db=db, actor=self._actor(user), title=title,
                                                 severity=event.severity, description=description,
                                                 customer_impact=event.customer_impact, security=event.security)
        except WarroomError as error:
            return Reply(error.message, errors={"description": error.message})
        return Reply(outcome.message)

    # Room events -------------------------------------------------------------------------------------

    def message(self, event: MessagePosted, event_id: str) -> Reply | None:
        """A message in an incident's room joins its timeline, as its author's. One that starts like a mistyped
        command (``/incdent lead @dan``) is also answered, to its author only, with the closest command, as the
        web room and the CLI answer it; the room shows the line already, so the timeline keeps it too."""
        self._into_timeline(event.person_id, event.room_id, event.message_id, event.text, event_id)
        return self._typo(event.text, event_id)

    def _typo(self, text: str, event_id: str) -> Reply | None:
        typo = misspelt_command(text, sign=self.command_sign) if text[:1] in ("/", "!") else None
        if typo is None:
            return None
        with self.database.writing() as db:
            if not chat.first_sight(db=db, platform=self.platform.name, event_id=f"answer:{event_id}",
                                    now=self.clock.now()):
                return None
        return Reply(typo.message, private=True)

    def edited(self, event: MessageEdited, event_id: str) -> None:
        """An edit joins the timeline as a new entry (the first version stays: the timeline is a record)."""
        self._into_timeline(event.person_id, event.room_id, event.message_id, event.text, event_id,
                            lambda text, entry_id: f"✏️ Edited{f' #{entry_id}' if entry_id else ''}: {text}")

    def deleted(self, event: MessageDeleted, event_id: str) -> None:
        """A deletion is noted in the timeline; the entry it removed from chat is kept."""
        self._into_timeline(event.person_id, event.room_id, event.message_id, "deleted", event_id,
                            lambda _text, entry_id: f"🗑️ Deleted their message{f' #{entry_id}' if entry_id else ''}"
                                                    " in chat")

    def _into_timeline(self, person_id: str, room_id: str, message_id: str, text: str, event_id: str,
                       wording: Callable[[str, int | None], str] | None = None) -> None:
        """Add to the incident's timeline as the author's; someone who is no Warroom user is named in the
        entry (posted by Warroom itself), so the timeline keeps everything said in the room."""
        author = self._author_in_room(person_id, room_id)
        if author is None:
            return
        platform, now = self.platform.name, self.clock.now()
        with self.database.writing() as db:
            if not chat.first_sight(db=db, platform=platform, event_id=event_id, now=now):
                return
            incident_id = chat.incident_of_room(db=db, platform=platform, room_id=room_id)
            if incident_id is None or not text.strip():
                return
            earlier = chat.entry_of_message(db=db, platform=platform, room_id=room_id, message_id=message_id)
            body = wording(text, earlier) if wording is not None else text
            if isinstance(author, str):
                body, actor = f"{unlinked(platform, author)} {body}", Actor.system(self.clock)
            else:
                actor = self._actor(author)
            try:
                with db.begin_nested():
                    entry = flows.post_message(db=db, actor=actor, ref=incident_id, text=body)
                    db.flush()
                    chat.link_message(db=db, platform=platform, room_id=room_id, message_id=message_id,
                                      incident_id=incident_id, entry_id=entry.id, now=now)
            except WarroomError as error:
                log.info("chat message not added to INC-%s: %s", incident_id, error.message)

    def reaction(self, event: ReactionAdded, event_id: str) -> None:
        """A 📌 on a message in the room marks its timeline entry as a key event."""
        if event.reaction not in PIN_REACTIONS:
            return
        user = self._known_in_room(event.person_id, event.room_id)
        if user is None:
            return
        with self.database.writing() as db:
            if not chat.first_sight(db=db, platform=self.platform.name, event_id=event_id, now=self.clock.now()):
                return
            incident_id = chat.incident_of_room(db=db, platform=self.platform.name, room_id=event.room_id)
            entry_id = chat.entry_of_message(db=db, platform=self.platform.name, room_id=event.room_id,
                                             message_id=event.message_id)
            if incident_id is None or entry_id is None:
                return
            try:
                with db.begin_nested():
                    flows.pin_entry(db=db, actor=self._actor(user), ref=incident_id, entry_id=entry_id)
            except WarroomError as error:
                log.info("chat reaction did not pin in INC-%s: %s", incident_id, error.message)

    def _known_in_room(self, person_id: str, room_id: str) -> User | None:
        with self.database.reading() as db:
            if chat.incident_of_room(db=db, platform=self.platform.name, room_id=room_id) is None:
                return None
        return self._caller(person_id)[0]

    def _author_in_room(self, person_id: str, room_id: str) -> User | str | None:
        """The Warroom user who wrote in an incident's room, else the stranger's name; None elsewhere, or when
        the platform cannot say who it is just now."""
        with self.database.reading() as db:
            if chat.incident_of_room(db=db, platform=self.platform.name, room_id=room_id) is None:
                return None
        try:
            user = self.person(person_id)
        except DeliveryError as error:
            log.warning("could not look up %s person %s: %s", self.platform.name, person_id, error)
            return None
        return user if user is not None else self._stranger_name(person_id)

    def button(self, event: ButtonPressed) -> Reply | None:
        """A page's Acknowledge / Escalate / Close button: acts on the alert as the person who pressed it.

        None when it acted (the message is edited to say so); else what to tell the person who pressed it."""
        if event.action not in pages.PAGE_ACTIONS:
            return Reply(f"Warroom has no button '{event.action}'.")
        user, unknown = self._caller(event.person_id)
        if user is None:
            return unknown
        with self.database.writing() as db:
            pressed = pages.press(db=db, actor=self._actor(user), event=event, message_text=event.message_text,
                                  platform=self.platform.name)
        return None if pressed.acted else Reply(pressed.line.removeprefix(f"⚠️ @{user.handle}: "))
