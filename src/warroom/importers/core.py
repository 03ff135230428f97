"""The importers' common core: a plan in one shape, applied in the caller's one transaction, with a report.

Each source (``opsgenie``, ``pagerduty``, ``grafana_oncall``) reads its API's answers and hands this core the
same shape, Opsgenie's export shape (the first importer's, kept) with two additions:

- ``users``: ``[{id, username (email), fullName, role: {name}, blocked, contacts: [{method: email|sms|voice,
  to, label}], notificationRules: [{contact: {method, to}, delayMinutes}]}]``
- ``teams``: ``[{id, name, description, members: [{user: {id, username}}]}]``
- ``schedules``: ``[{id, name, description, timezone, enabled, ownerTeam: {id, name}, rotations: [{name,
  startDate, endDate, type: daily|weekly|hourly, length, participants, timeRestriction}]}]``
- ``overrides``: ``{<schedule id or name>: [{user, startDate, endDate, rotations}]}``
- ``escalations``: ``[{id, name, description, ownerTeam, rules: [{condition, notifyType, delay: {timeAmount,
  timeUnit}, recipient: {type, id, name|username}}], repeat: {waitInterval, count}}]``
- ``heartbeats``: ``{heartbeats: [{name, description, interval, intervalUnit, enabled, ownerTeam, alertMessage,
  alertPriority, alertTags}]}``
- ``keys`` (added): ``[{id, name, kind: opsgenie|pagerduty|alertmanager, value, ownerTeam, escalation: {id}}]``:
  the value the monitoring tool already sends becomes the Warroom key's value.

Everything goes through the domain services (accounts, notifications, schedules, escalation policies,
heartbeats, keys): a problem anywhere names where it is and nothing is written. People and teams that exist
already (same email, same slug) are reused; schedules, escalations, heartbeats and keys that exist already are
left as they are, so a second run changes nothing. Users, teams, schedules and escalations keep their source ids
(``source_ids``). What Warroom models differently is in the report's warnings; every field of the source that
is not carried is counted in the report's ``uncarried``, never dropped silently.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.clock import as_utc
from warroom.core.errors import WarroomError
from warroom.importers.source_ids import MAX_SOURCE_ID, SourceId, SourceKind, remember
from warroom.notifications import service as notifications
from warroom.notifications.models import ContactKind, ContactMethod, NotificationRule
from warroom.oncall.alerts import service as alerts
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.heartbeats import service as heartbeats
from warroom.oncall.heartbeats.models import Heartbeat
from warroom.oncall.keys import service as keys
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule

SECTIONS = ("users", "teams", "schedules", "overrides", "escalations", "heartbeats", "keys")
ROLES = {"owner": AccessRole.admin, "admin": AccessRole.admin, "user": AccessRole.responder,
         "observer": AccessRole.viewer, "stakeholder": AccessRole.viewer}
DAYS = {name: number for number, name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
UNIT_MINUTES = {"minutes": 1, "hours": 60, "days": 1440}
MIDNIGHT = "00:00"
CONTACT_KINDS = {"email": ContactKind.email, "sms": ContactKind.sms, "voice": ContactKind.voice}
# Fields of the common shape each section carries; anything else an item holds is counted as not carried.
CARRIED = {
    "users": {"id", "username", "fullName", "role", "blocked", "contacts", "notificationRules"},
    "teams": {"id", "name", "members"},
    "schedules": {"id", "name", "description", "timezone", "enabled", "ownerTeam", "rotations"},
    "rotations": {"name", "startDate", "endDate", "type", "length", "participants", "timeRestriction"},
    "escalations": {"id", "name", "description", "ownerTeam", "rules", "repeat"},
    "rules": {"delay", "recipient", "condition", "notifyType"},
    "heartbeats": {"name", "description", "interval", "intervalUnit", "enabled", "ownerTeam", "alertMessage",
                   "alertPriority", "alertTags"},  # alertTags: counted with its reason when present
    "keys": {"id", "name", "kind", "value", "ownerTeam", "escalation"},
}
# Bookkeeping every API answers with: nothing a person set up, so nothing to carry.
METADATA = frozenset({"createdAt", "updatedAt", "verified", "self", "html_url", "summary", "links", "_links",
                      "avatar_url", "took", "requestId", "order", "type"})
Progress = Callable[[str, int], None]


class ExportProblem(WarroomError):
    """The export is not in the source's shape at one place; nothing was imported."""

    status = 422
    title = "Invalid export"


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("users", "teams", "memberships", "contacts", "notification_rules", "schedules", "layers", "overrides",
         "escalations", "heartbeats", "keys", "source_ids"), 0))
    reused: dict[str, int] = field(default_factory=lambda: {"users": 0, "teams": 0})
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("schedules", "layers", "overrides", "escalations", "heartbeats", "keys"), 0))
    warnings: list[str] = field(default_factory=list)
    # "<section>.<field>" of the source that Warroom does not carry -> how many items had it, and why.
    uncarried: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    # One line per thing made, reused or left alone: what a dry run prints.
    actions: list[str] = field(default_factory=list)

    def not_carried(self, where: str, why: str = "") -> None:
        """Count one field Warroom does not carry (``section.field``)."""
        self.uncarried[where] = self.uncarried.get(where, 0) + 1
        if why:
            self.reasons.setdefault(where, why)

    def uncarried_lines(self) -> list[str]:
        return [f"{where} ({count}){': ' + self.reasons[where] if where in self.reasons else ''}"
                for where, count in sorted(self.uncarried.items())]


def leftover(report: ImportReport, item: Mapping[str, Any], carried: set[str] | frozenset[str], section: str,
             why: str = "") -> None:
    """Count each field of ``item`` that holds something and is neither carried nor bookkeeping."""
    for name, value in item.items():
        if name not in carried and name not in METADATA and value not in (None, "", [], {}):
            report.not_carried(f"{section}.{name}", why)


def load_export(path: Path) -> dict[str, Any]:
    """An export from a directory of ``<section>.json`` files, or from one JSON file keyed by section."""
    if path.is_dir():
        found = {name: _read(path / f"{name}.json") for name in SECTIONS if (path / f"{name}.json").exists()}
        if not found:
            raise ExportProblem(f"No Opsgenie export in {path}: expected any of "
                                f"{', '.join(s + '.json' for s in SECTIONS)}.")
        return found
    data = _read(path)
    if not isinstance(data, dict):
        raise ExportProblem(f"{path} is not a JSON object keyed by {', '.join(SECTIONS)}.")
    return data


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ExportProblem(f"Cannot read {path}: {error}") from None


def _data(value: Any) -> Any:
    """Opsgenie answers ``{"data": …, "took", "requestId"}``; accept the envelope or what is inside."""
    if isinstance(value, dict) and "data" in value:
        return value["data"]
    return value


def _items(value: Any, where: str) -> list[dict[str, Any]]:
    value = _data(value)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ExportProblem(f"{where}: expected a list of objects.")
    return value


def _text(item: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise ExportProblem(f"{where}: '{name}' is missing.")
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ExportProblem(f"{where}: '{name}' must be a string.")
    return str(value).strip()


def _moment(item: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> datetime | None:
    text = _text(item, name, where, required=required)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ExportProblem(f"{where}: '{name}' is not a date-time like 2017-01-15T08:00:00Z.") from None
    if moment.tzinfo is None:
        raise ExportProblem(f"{where}: '{name}' needs a UTC offset.")
    return as_utc(moment)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(item: Mapping[str, Any], name: str, where: str, default: int | None = None) -> int:
    value = item.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ExportProblem(f"{where}: '{name}' must be a whole number.")
    return value


def slugify(name: str, *, limit: int, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:limit].strip("-")
    return slug or fallback


class Importer:
    """One import run: the maps from Opsgenie ids and names to the Warroom rows made or found."""

    def __init__(self, db: Session, actor: Actor, *, source: str = "opsgenie", report: ImportReport | None = None,
                 progress: Progress | None = None) -> None:
        self.db = db
        self.actor = actor
        self.source = source
        self.progress = progress or (lambda section, count: None)
        self.now = actor.clock.now()
        self.report = report or ImportReport()
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.schedules: dict[str, Schedule] = {}
        self.new_schedules: set[int] = set()
        self.policies: dict[str, EscalationPolicy] = {}
        # Read once per run, kept up to date as the run adds to them: one query instead of one per item.
        self._emails: dict[str, int] | None = None
        self._handles: set[str] = set()
        self._kept: dict[tuple[SourceKind, str], SourceId] | None = None

    def emails(self) -> dict[str, int]:
        if self._emails is None:
            rows = self.db.execute(sa.select(User.id, User.email, User.handle)).all()
            self._emails = {email.lower(): ident for ident, email, _ in rows}
            self._handles = {handle for _, _, handle in rows}
        return self._emails

    def warn(self, text: str) -> None:
        self.report.warnings.append(text)

    def did(self, text: str) -> None:
        self.report.actions.append(text)

    def keep_id(self, item: Mapping[str, Any], kind: SourceKind, target: int) -> None:
        ident = item.get("id")
        if not isinstance(ident, str | int) or isinstance(ident, bool) or not str(ident).strip():
            return
        if self._kept is None:
            self._kept = {(row.kind, row.source_id): row for row in self.db.scalars(
                sa.select(SourceId).where(SourceId.source == self.source))}
        text = str(ident).strip()[:MAX_SOURCE_ID]
        row = self._kept.get((kind, text))
        if row is not None:
            row.target_id = target
            return
        self._kept[(kind, text)] = remember(self.db, source=self.source, kind=kind, source_id=text, target=target)
        self.report.created["source_ids"] += 1

    def each(self, section: str, value: Any) -> list[tuple[str, dict[str, Any]]]:
        """The section's items with their place, their uncarried fields counted, the progress told."""
        listed = _items(value, section)
        self.progress(section, len(listed))
        for item in listed:
            leftover(self.report, item, CARRIED[section], section)
        return [(f"{section}[{index}]", item) for index, item in enumerate(listed)]

    def run(self, export: Mapping[str, Any]) -> ImportReport:
        unknown = sorted(set(export) - set(SECTIONS))
        if unknown:
            raise ExportProblem(f"Unknown export sections: {', '.join(unknown)}. Known: {', '.join(SECTIONS)}.")
        for where, item in self.each("users", export.get("users")):
            self.user(item, where)
        for where, item in self.each("teams", export.get("teams")):
            self.team(item, where)
        for where, item in self.each("schedules", export.get("schedules")):
            self.schedule(item, where)
        self.overrides(export.get("overrides"))
        for where, item in self.each("escalations", export.get("escalations")):
            self.escalation(item, where)
        listed = _data(export.get("heartbeats"))
        for where, item in self.each("heartbeats", listed.get("heartbeats") if isinstance(listed, dict) else listed):
            self.heartbeat(item, where)
        for where, item in self.each("keys", export.get("keys")):
            self.key(item, where)
        audit.record(db=self.db, actor=self.actor, action=f"{self.source}.import", target_type="account",
                     target_id="", created=self.report.created, reused=self.report.reused,
                     skipped=self.report.skipped, uncarried=self.report.uncarried)
        return self.report

    def _service(self, where: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a domain service; its refusal is reported with the place in the export."""
        try:
            return call(*args, db=self.db, actor=self.actor, **kwargs)
        except ExportProblem:
            raise
        except WarroomError as error:
            raise ExportProblem(f"{where}: {error.message}") from None

    # People and teams -------------------------------------------------------------------------------

    def user(self, item: Mapping[str, Any], where: str) -> None:
        email = _text(item, "username", where).lower()
        known = self.emails().get(email)
        user = self.db.get(User, known) if known is not None else None
        if user is not None:
            self.report.reused["users"] += 1
            self.did(f"reuse user {email} (@{user.handle})")
        else:
            role = item.get("role")
            role_name = str(role.get("name", "") if isinstance(role, dict) else role or "user").lower()
            user = self._service(where, accounts.create_user, handle=self._free_handle(email), email=email,
                                 name=_text(item, "fullName", where, required=False) or email.split("@")[0],
                                 access_role=ROLES.get(role_name, AccessRole.responder))
            assert user is not None
            if item.get("blocked") is True:
                user.is_active = False
                accounts.credentials_changed(self.db)
            self.report.created["users"] += 1
            self.did(f"create user {email} (@{user.handle})")
            self.emails()[email] = user.id
            self._handles.add(user.handle)
        for ref in (_text(item, "id", where, required=False), email):
            if ref:
                self.users[ref.lower()] = user
        self.keep_id(item, SourceKind.user, user.id)
        methods = self.contacts(user, item.get("contacts"), where, fresh=known is None)
        self.notification_rules(user, methods, item.get("notificationRules"), where, fresh=known is None)

    def contacts(self, user: User, value: Any, where: str, *, fresh: bool) -> dict[tuple[str, str], ContactMethod]:
        """The person's contact methods, added unless they have them; keyed by (method, address)."""
        if not value:
            return {}
        have = {} if fresh else {(m.kind.value, m.address.lower()): m
                                 for m in notifications.list_contact_methods(db=self.db, user=user)}
        for number, contact in enumerate(_items(value, f"{where}.contacts")):
            here = f"{where}.contacts[{number}]"
            method = str(contact.get("method", "")).lower()
            address = _text(contact, "to", here, required=False)
            if method not in CONTACT_KINDS or not address:
                self.report.not_carried(f"users.contacts.{method or 'unknown'}",
                                        "Warroom reaches people by email, SMS, voice, chat or webhook")
                continue
            kind = CONTACT_KINDS[method]
            try:
                clean = notifications.normalise_address(kind, address)
            except WarroomError as error:
                self.warn(f"{here}: {error.message} Not imported.")
                continue
            if (kind.value, clean.lower()) in have:
                continue
            added = self._service(here, notifications.add_contact_method, user=user, kind=kind, address=clean,
                                  label=_text(contact, "label", here, required=False)[:notifications.MAX_LABEL])
            have[(kind.value, clean.lower())] = added
            self.report.created["contacts"] += 1
            if not fresh:
                self.did(f"change @{user.handle}: add {kind.value} contact {clean}")
        return have

    def notification_rules(self, user: User, methods: Mapping[tuple[str, str], ContactMethod], value: Any,
                           where: str, *, fresh: bool) -> None:
        if not value:
            return
        rules = set() if fresh else {(r.contact_method_id, r.delay_minutes) for r in self.db.scalars(
            sa.select(NotificationRule).where(NotificationRule.user_id == user.id))}
        for number, rule in enumerate(_items(value, f"{where}.notificationRules")):
            here = f"{where}.notificationRules[{number}]"
            contact = _mapping(rule.get("contact"))
            kind = CONTACT_KINDS.get(str(contact.get("method", "")).lower())
            address = str(contact.get("to") or "").strip()
            method = methods.get((kind.value, address.lower())) if kind else None
            if method is None and kind is not None and address:
                try:
                    method = methods.get((kind.value, notifications.normalise_address(kind, address).lower()))
                except WarroomError:
                    method = None
            if method is None:
                self.warn(f"{here}: its contact method is not one Warroom carries; rule not imported.")
                continue
            delay = _int(rule, "delayMinutes", here, default=0)
            if (method.id, delay) not in rules:
                self._service(here, notifications.add_rule, user=user, contact_method_id=method.id,
                              delay_minutes=min(delay, notifications.MAX_DELAY_MINUTES))
                rules.add((method.id, delay))
                self.report.created["notification_rules"] += 1

    def _free_handle(self, email: str) -> str:
        base = re.sub(r"[^a-z0-9._-]+", "-", email.split("@")[0].lower()).strip("-._")[:56] or "user"
        handle, number = base, 1
        self.emails()  # reads the handles taken
        while handle in self._handles:
            number += 1
            handle = f"{base}-{number}"
        return handle

    def person(self, ref: Mapping[str, Any], where: str) -> User:
        for key in ("id", "username", "name"):
            value = ref.get(key)
            if isinstance(value, str) and value.strip().lower() in self.users:
                return self.users[value.strip().lower()]
        username = ref.get("username") or ref.get("name")
        if isinstance(username, str) and username.strip():
            found = self.db.scalar(sa.select(User).where(sa.func.lower(User.email) == username.strip().lower()))
            if found is not None:
                return found
        raise ExportProblem(f"{where}: user {ref.get('username') or ref.get('id')} is not in the export's users "
                            "nor in Warroom.")

    def team(self, item: Mapping[str, Any], where: str) -> None:
        name = _text(item, "name", where)
        slug = slugify(name, limit=64, fallback="team")
        team = accounts.find_team(db=self.db, name=slug)
        members: set[int] | None = None  # a new team has none yet: no need to ask for each member
        if team is not None:
            self.report.reused["teams"] += 1
            self.did(f"reuse team {slug}")
        else:
            team = self._service(where, accounts.create_team, slug=slug, name=name)
            self.report.created["teams"] += 1
            self.did(f"create team {slug}")
            members = set()
        assert team is not None
        self.keep_id(item, SourceKind.team, team.id)
        for ref in (_text(item, "id", where, required=False), name, slug):
            if ref:
                self.teams[ref.lower()] = team
        for number, member in enumerate(_items(item.get("members"), f"{where}.members")):
            user_ref = member.get("user")
            if not isinstance(user_ref, dict):
                raise ExportProblem(f"{where}.members[{number}]: 'user' must be an object with id or username.")
            person = self.person(user_ref, f"{where}.members[{number}]")
            known = person.id in members if members is not None else accounts.is_member(
                db=self.db, user_id=person.id, team_slug=team.slug)
            if not known:
                self._service(where, accounts.add_member, team=team, user=person)
                self.report.created["memberships"] += 1
                if members is not None:
                    members.add(person.id)
                else:
                    self.did(f"change team {team.slug}: add @{person.handle}")

    def team_of(self, ref: Any, where: str) -> Team | None:
        if not isinstance(ref, dict):
            return None
        for key in ("id", "name"):
            value = ref.get(key)
            if isinstance(value, str) and value.strip().lower() in self.teams:
                return self.teams[value.strip().lower()]
        name = ref.get("name")
        team = accounts.find_team(db=self.db, name=slugify(name, limit=64, fallback="team")) \
            if isinstance(name, str) and name.strip() else None
        if team is None:
            raise ExportProblem(f"{where}: team {ref.get('name') or ref.get('id')} is not in the export's teams "
                                "nor in Warroom.")
        return team

    # Schedules --------------------------------------------------------------------------------------

    def schedule(self, item: Mapping[str, Any], where: str) -> None:
        name = _text(item, "name", where)
        slug = slugify(name, limit=100, fallback="schedule")
        if slug.isdigit():
            slug = f"schedule-{slug}"
        existing = self.db.scalar(sa.select(Schedule).where(Schedule.slug == slug))
        if existing is not None:
            self.warn(f"{where}: schedule '{slug}' exists already; left as it is (its rotations not imported).")
            self.report.skipped["schedules"] += 1
            self.did(f"skip schedule {slug} (exists)")
            schedule = existing
        else:
            schedule = self._service(where, schedules.create_schedule, slug=slug, name=name,
                                     time_zone=_text(item, "timezone", where, required=False) or "UTC",
                                     team=self.team_of(item.get("ownerTeam"), where),
                                     description=_text(item, "description", where, required=False))
            assert schedule is not None
            self.new_schedules.add(schedule.id)
            self.report.created["schedules"] += 1
            self.did(f"create schedule {slug}")
            if item.get("enabled") is False:
                self.warn(f"{where}: '{name}' is disabled in Opsgenie; Warroom schedules are always on.")
            rotations = _items(item.get("rotations"), f"{where}.rotations")
            if len(rotations) > 1:
                self.warn(f"{where}: '{name}' has {len(rotations)} rotations. Opsgenie pages everyone on call "
                          "across them; Warroom layers them, the later rotation taking precedence where both "
                          "have someone.")
            for position, rotation in enumerate(rotations):
                leftover(self.report, rotation, CARRIED["rotations"], "schedules.rotations")
                self.layer(schedule, rotation, position, f"{where}.rotations[{position}]")
        self.keep_id(item, SourceKind.schedule, schedule.id)
        for ref in (_text(item, "id", where, required=False), name, slug):
            if ref:
                self.schedules[ref.lower()] = schedule

    def layer(self, schedule: Schedule, item: Mapping[str, Any], position: int, where: str) -> None:
        name = _text(item, "name", where, required=False) or f"Rotation {position + 1}"
        people = self.participants(item.get("participants"), where, name)
        if not people:
            self.warn(f"{where}: rotation '{name}' has no users; not imported.")
            self.report.skipped["layers"] += 1
            return
        kind, hours = self.turn(item, where, name)
        start = _moment(item, "startDate", where)
        assert start is not None
        end = _moment(item, "endDate", where, required=False)
        if end is not None and end <= start:
            raise ExportProblem(f"{where}: endDate is not after startDate.")
        handoff = start.astimezone(ZoneInfo(schedule.time_zone)).strftime(schedules.HANDOFF_FORMAT)
        self._service(where, schedules.add_layer, schedule=schedule, rotation=kind, handoff_local=handoff,
                      participants=[p.id for p in people], name=name, length_hours=hours,
                      restrictions=restrictions_of(item.get("timeRestriction"), where), position=position,
                      starts_at=start, ends_at=end)
        self.report.created["layers"] += 1

    def participants(self, value: Any, where: str, rotation: str) -> list[User]:
        people: list[User] = []
        for number, participant in enumerate(_items(value, f"{where}.participants")):
            kind = participant.get("type")
            if kind != "user":
                self.warn(f"{where}: rotation '{rotation}' has a '{kind}' turn; Warroom rotations take turns "
                          "between people only, so that turn is dropped.")
                continue
            person = self.person(participant, f"{where}.participants[{number}]")
            if not person.is_active:
                self.warn(f"{where}: @{person.handle} is blocked; left out of rotation '{rotation}'.")
                continue
            people.append(person)
        return people

    def turn(self, item: Mapping[str, Any], where: str, name: str) -> tuple[str, int | None]:
        kind = _text(item, "type", where)
        length = _int(item, "length", where, default=1) or 1
        if kind == "hourly":
            return "custom", length
        if kind not in ("daily", "weekly"):
            raise ExportProblem(f"{where}: rotation type '{kind}' is not daily, weekly or hourly.")
        if length == 1:
            return kind, None
        self.warn(f"{where}: rotation '{name}' turns every {length} {kind[:-2] if kind == 'daily' else 'week'}s; "
                  "imported as a custom rotation of fixed hours (a turn spanning a DST change shifts by an hour).")
        return "custom", length * (24 if kind == "daily" else 168)

    # Overrides --------------------------------------------------------------------------------------

    def overrides(self, value: Any) -> None:
        value = _data(value)
        if value is None:
            return
        if not isinstance(value, dict):
            raise ExportProblem("overrides: expected an object keyed by schedule id or name.")
        for ref, listed in value.items():
            where = f"overrides[{ref}]"
            schedule = self.schedules.get(str(ref).lower())
            if schedule is None:
                raise ExportProblem(f"{where}: no schedule with id or name '{ref}' in the export.")
            for number, item in enumerate(_items(listed, where)):
                self.override(schedule, item, f"{where}[{number}]")

    def override(self, schedule: Schedule, item: Mapping[str, Any], where: str) -> None:
        start, end = _moment(item, "startDate", where), _moment(item, "endDate", where)
        assert start is not None
        assert end is not None
        who = item.get("user")
        if schedule.id not in self.new_schedules or end <= self.now:
            self.report.skipped["overrides"] += 1
            return
        if not isinstance(who, dict) or who.get("type", "user") != "user":
            self.warn(f"{where}: only a person can cover in Warroom; this override is not imported.")
            self.report.skipped["overrides"] += 1
            return
        if end - start > schedules.MAX_OVERRIDE:
            self.warn(f"{where}: longer than {schedules.MAX_OVERRIDE.days} days; not imported (change the "
                      "rotation's participants instead).")
            self.report.skipped["overrides"] += 1
            return
        if item.get("rotations"):
            self.warn(f"{where}: limited to some rotations in Opsgenie; in Warroom it covers the whole schedule.")
        self._service(where, schedules.add_override, schedule=schedule, user=self.person(who, where).id,
                      start_at=start, end_at=end)
        self.report.created["overrides"] += 1

    # Escalations ------------------------------------------------------------------------------------

    def escalation(self, item: Mapping[str, Any], where: str) -> None:
        name = _text(item, "name", where)
        slug = slugify(name, limit=100, fallback="escalation")
        if slug.isdigit():
            slug = f"escalation-{slug}"
        existing = self.db.scalar(sa.select(EscalationPolicy).where(EscalationPolicy.slug == slug))
        if existing is not None:
            self.warn(f"{where}: escalation policy '{slug}' exists already; left as it is.")
            self.report.skipped["escalations"] += 1
            self.did(f"skip escalation policy {slug} (exists)")
            policy = existing
        else:
            policy = self.new_policy(item, where, name, slug)
            self.did(f"create escalation policy {slug}")
        self.keep_id(item, SourceKind.escalation, policy.id)
        for ref in (_text(item, "id", where, required=False), name, slug):
            if ref:
                self.policies[ref.lower()] = policy

    def new_policy(self, item: Mapping[str, Any], where: str, name: str, slug: str) -> EscalationPolicy:
        steps: dict[int, list[dict[str, Any]]] = {}
        for number, rule in enumerate(_items(item.get("rules"), f"{where}.rules")):
            here = f"{where}.rules[{number}]"
            leftover(self.report, rule, CARRIED["rules"], "escalations.rules")
            self.rule_terms(rule, here, name)
            delay = _mapping(rule.get("delay"))
            unit = str(delay.get("timeUnit", "minutes"))
            if unit not in UNIT_MINUTES:
                raise ExportProblem(f"{here}: delay.timeUnit '{unit}' is not minutes, hours or days.")
            minutes = _int(delay, "timeAmount", here, default=0) * UNIT_MINUTES[unit]
            target = self.target(rule.get("recipient"), here)
            if target not in steps.setdefault(minutes, []):
                steps[minutes].append(target)
        if not steps:
            raise ExportProblem(f"{where}: an escalation needs at least one rule.")
        repeat = _mapping(item.get("repeat"))
        count = _int(repeat, "count", where, default=0)
        delays = sorted(steps)
        if delays[0] > 0:
            self.warn(f"{where}: '{name}' first notifies after {delays[0]} minutes in Opsgenie; Warroom's first "
                      "step pages at once.")
        team = self.team_of(item.get("ownerTeam"), where)
        if team is not None and self.db.scalar(
                sa.select(EscalationPolicy.id).where(EscalationPolicy.team_id == team.id)) is not None:
            self.warn(f"{where}: team {team.slug} already has an escalation policy (in Warroom a team has one: "
                      f"paging the team runs it); '{name}' is imported without a team.")
            team = None
        gaps = [later - earlier for earlier, later in itertools.pairwise(delays)]
        gaps.append(_int(repeat, "waitInterval", where, default=0) if count else 0)
        plan = [{"delay_minutes": wait, "targets": steps[after]} for after, wait in zip(delays, gaps, strict=True)]
        policy: EscalationPolicy = self._service(
            where, policies.create_policy, slug=slug, name=name, team=team, repeat=count, steps=plan,
            description=_text(item, "description", where, required=False))
        self.report.created["escalations"] += 1
        return policy

    def rule_terms(self, rule: Mapping[str, Any], where: str, name: str) -> None:
        """Opsgenie's condition and notifyType: Warroom's steps page until acknowledged, the whole target."""
        condition = str(rule.get("condition") or "if-not-acked")
        if condition != "if-not-acked":
            self.warn(f"{where}: '{name}' escalates {condition}; Warroom escalates until someone acknowledges "
                      "(if-not-acked).")
        notify = str(rule.get("notifyType") or "default")
        if notify != "default":
            self.warn(f"{where}: '{name}' notifies '{notify}' of its recipient; Warroom pages who is on call "
                      "(a schedule), the person, or the team's policy (Opsgenie's 'default').")

    def target(self, recipient: Any, where: str) -> dict[str, Any]:
        if not isinstance(recipient, dict):
            raise ExportProblem(f"{where}: 'recipient' must be an object with type and id or name.")
        kind = recipient.get("type")
        if kind == "user":
            return {"type": "user", "id": self.person(recipient, where).id}
        if kind == "team":
            team = self.team_of(recipient, where)
            assert team is not None
            return {"type": "team", "id": team.id}
        if kind == "schedule":
            for key in ("id", "name"):
                value = recipient.get(key)
                if isinstance(value, str) and value.strip().lower() in self.schedules:
                    return {"type": "schedule", "id": self.schedules[value.strip().lower()].id}
            raise ExportProblem(f"{where}: schedule {recipient.get('name') or recipient.get('id')} is not in the "
                                "export's schedules.")
        raise ExportProblem(f"{where}: recipient type '{kind}' is not user, team or schedule.")

    # Heartbeats -------------------------------------------------------------------------------------

    def heartbeat(self, item: Mapping[str, Any], where: str) -> None:
        name = _text(item, "name", where)
        if self.db.scalar(sa.select(Heartbeat.id).where(Heartbeat.name == name)) is not None:
            self.warn(f"{where}: heartbeat '{name}' exists already; left as it is.")
            self.report.skipped["heartbeats"] += 1
            self.did(f"skip heartbeat {name} (exists)")
            return
        try:
            seconds = heartbeats.interval_seconds(_int(item, "interval", where),
                                                  _text(item, "intervalUnit", where, required=False) or "minutes")
            priority = alerts.parse_priority(_text(item, "alertPriority", where, required=False) or "P3")
        except WarroomError as error:
            raise ExportProblem(f"{where}: {error.message}") from None
        message = _text(item, "alertMessage", where, required=False)
        if message == f"{name} is expired":  # Opsgenie's default text: keep Warroom's own default instead
            message = ""
        self._service(where, heartbeats.create_heartbeat, name=name, interval=seconds,
                      enabled=item.get("enabled") is True,
                      description=_text(item, "description", where, required=False),
                      team=self.team_of(item.get("ownerTeam"), where), alert_message=message[:alerts.MAX_MESSAGE],
                      alert_priority=priority)
        self.report.created["heartbeats"] += 1
        self.did(f"create heartbeat {name}")
        if item.get("alertTags"):
            self.report.not_carried("heartbeats.alertTags", "a heartbeat's alert carries no tags in Warroom")

    # Integration keys -------------------------------------------------------------------------------

    def key(self, item: Mapping[str, Any], where: str) -> None:
        name = _text(item, "name", where)
        value = _text(item, "value", where)
        try:
            kind = keys.parse_kind(_text(item, "kind", where))
        except WarroomError as error:
            raise ExportProblem(f"{where}: {error.message}") from None
        if kind not in keys.ALERT_KINDS:
            raise ExportProblem(f"{where}: a kept key is an opsgenie, pagerduty or alertmanager key.")
        existing = keys.key_with_secret(db=self.db, secret=value)
        if existing is not None:
            self.report.skipped["keys"] += 1
            self.did(f"skip key {name} (Warroom has a key with this value: '{existing.name}')")
            return
        policy = self.policy_of(item.get("escalation"), where)
        self._service(where, keys.create_key, name=name[:keys.MAX_NAME], kind=kind, secret=value,
                      team=self.team_of(item.get("ownerTeam"), where), escalation_policy=policy)
        self.report.created["keys"] += 1
        self.did(f"create {kind.value} key {name} keeping its value ({value[:keys.PREFIX_LENGTH]}…)")

    def policy_of(self, ref: Any, where: str) -> EscalationPolicy | None:
        if not isinstance(ref, dict):
            return None
        for key in ("id", "name"):
            value = ref.get(key)
            if isinstance(value, str) and value.strip().lower() in self.policies:
                return self.policies[value.strip().lower()]
        raise ExportProblem(f"{where}: escalation {ref.get('name') or ref.get('id')} is not in the export's "
                            "escalations.")


def restrictions_of(value: Any, where: str) -> list[dict[str, Any]]:
    """Opsgenie time restrictions as Warroom restriction windows (a multi-day span becomes one per day)."""
    if not value:
        return []
    if not isinstance(value, dict):
        raise ExportProblem(f"{where}: timeRestriction must be an object.")
    kind = value.get("type")
    if kind == "time-of-day":
        window = value.get("restriction")
        if not isinstance(window, dict):
            raise ExportProblem(f"{where}: a time-of-day restriction needs 'restriction'.")
        return [{"days": list(range(7)), "start": _clock(window, "start", where),
                 "end": _clock(window, "end", where)}]
    if kind == "weekday-and-time-of-day":
        spans: list[tuple[int, str, str]] = []
        for number, window in enumerate(_items(value.get("restrictions"), f"{where}.restrictions")):
            here = f"{where}.restrictions[{number}]"
            spans.extend(week_span(_day(window, "startDay", here), _clock(window, "start", here),
                                   _day(window, "endDay", here), _clock(window, "end", here)))
        return _by_hours(spans)
    raise ExportProblem(f"{where}: timeRestriction type '{kind}' is not time-of-day or weekday-and-time-of-day.")


def _clock(window: Mapping[str, Any], side: str, where: str) -> str:
    hour, minute = window.get(f"{side}Hour"), window.get(f"{side}Min", 0)
    if (isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23
            or isinstance(minute, bool) or not isinstance(minute, int) or not 0 <= minute <= 59):
        raise ExportProblem(f"{where}: {side}Hour/{side}Min must be a time of day.")
    return f"{hour:02d}:{minute:02d}"


def _day(window: Mapping[str, Any], name: str, where: str) -> int:
    day = str(window.get(name, "")).lower()
    if day not in DAYS:
        raise ExportProblem(f"{where}: '{name}' must be a weekday name, e.g. monday.")
    return DAYS[day]


def week_span(start_day: int, start: str, end_day: int, end: str) -> list[tuple[int, str, str]]:
    """From ``start`` on ``start_day`` to ``end`` on ``end_day`` (wrapping the week), as daily windows.

    A window whose end is at or before its start runs to that time on the next day, so ``00:00``-``00:00``
    is a whole day and ``21:00``-``00:00`` runs to midnight.
    """
    if start_day == end_day and end > start:
        return [(start_day, start, end)]
    spans = [(start_day, start, MIDNIGHT)]
    day = (start_day + 1) % 7
    while day != end_day:
        spans.append((day, MIDNIGHT, MIDNIGHT))
        day = (day + 1) % 7
    if end != MIDNIGHT:
        spans.append((end_day, MIDNIGHT, end))
    return spans


def _by_hours(spans: list[tuple[int, str, str]]) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, str], set[int]] = {}
    for day, start, end in spans:
        grouped.setdefault((start, end), set()).add(day)
    return [{"days": sorted(days), "start": start, "end": end} for (start, end), days in grouped.items()]


def apply(*, db: Session, actor: Actor, plan: Mapping[str, Any], source: str,
          report: ImportReport | None = None, progress: Progress | None = None) -> ImportReport:
    """Apply a plan in the common shape in the caller's transaction. Admins only."""
    actor.require(AccessRole.admin)
    if not isinstance(plan, Mapping):
        raise ExportProblem(f"An export is an object keyed by {', '.join(SECTIONS)}.")
    return Importer(db, actor, source=source, report=report, progress=progress).run(plan)

