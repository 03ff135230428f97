"""The file's JSON Schema: what editors validate against, and what ``document`` checks every file with."""

from __future__ import annotations

import json
from typing import Any

from warroom.accounts.models import AccessRole
from warroom.announcement_days.models import DayKind
from warroom.notifications.models import ContactKind
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.schedules.models import RotationKind
from warroom.statuspage.models import PublicStatus

VERSION = 1
SCHEMA_ID = "warroom-config-v1"


def _text(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def _maybe_text(description: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "description": description}


def _count(description: str, low: int, high: int | None = None) -> dict[str, Any]:
    bounds: dict[str, Any] = {"minimum": low} if high is None else {"minimum": low, "maximum": high}
    return {"type": "integer", "description": description, **bounds}


def _choice(description: str, values: list[str]) -> dict[str, Any]:
    return {"type": "string", "description": description, "enum": values}


def _list(items: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": "array", "description": description, "items": items}


def _object(properties: dict[str, Any], required: list[str], description: str = "") -> dict[str, Any]:
    shape: dict[str, Any] = {"type": "object", "additionalProperties": False, "required": required,
                             "properties": properties}
    if description:
        shape["description"] = description
    return shape


HANDLE = _text("A person's @handle (the @ is optional) or email.")
TIME = _text("A time of day, HH:MM.", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
MOMENT = _text("A date and time, YYYY-MM-DDTHH:MM; without an offset it is in the schedule's time zone.")

CONTACT_METHOD = _object({
    "kind": _choice("How the person is reached.", [k.value for k in ContactKind]),
    "address": _text("The email address, phone number, webhook URL or chat handle."),
    "label": _text("A label people read, e.g. work phone."),
    "notify_after_minutes": _list(_count("Minutes after a page, if still unacknowledged.", 0, 1440),
                                  "Notification rules: reach the person on this method this many minutes after "
                                  "a page (0 at once)."),
}, ["kind", "address"])

PERSON = _object({
    "handle": _text("The person's @handle, the natural key.", pattern=r"^@?[a-z0-9][a-z0-9._-]{0,63}$"),
    "email": _text("Email address."),
    "name": _text("Full name."),
    "access": _choice("What the person may do in Warroom.", [a.value for a in AccessRole]),
    "contact_methods": _list(CONTACT_METHOD, "How the person is paged."),
}, ["handle", "email", "name"], "A person (no password or token: they sign in with single sign-on or a password "
                                "an admin sets).")

TEAM = _object({
    "slug": _text("Short name, the natural key, e.g. customer-support."),
    "name": _text("Display name."),
    "members": _list(HANDLE, "Members' handles."),
}, ["slug"])

RESTRICTION = _object({
    "days": _list(_count("Weekday, Monday=0 to Sunday=6.", 0, 6), "Weekdays the window is on."),
    "start": TIME,
    "end": TIME,
}, ["days", "start", "end"], "On call only inside this window (an end at or before the start runs past midnight).")

LAYER = _object({
    "name": _text("The layer's name (default: Layer N)."),
    "rotation": _choice("How often the turn passes.", [r.value for r in RotationKind]),
    "length_hours": _count("Hours per turn, for custom rotations.", 1, 8760),
    "handoff": _text("The first hand-off, wall-clock time in the schedule's zone, YYYY-MM-DDTHH:MM."),
    "participants": _list(HANDLE, "People taking turns, in order."),
    "restrictions": _list(RESTRICTION, "Windows the layer is on call in; none: always."),
    "starts_at": _text("When the layer begins (ISO 8601 with an offset)."),
    "ends_at": _text("When the layer ends (ISO 8601 with an offset)."),
}, ["rotation", "handoff", "participants"], "One rotation; later layers win where they have someone on call.")

OVERRIDE = _object({
    "user": HANDLE,
    "replaces": _text("Whom they cover for; leave out to cover whoever is on call."),
    "start": MOMENT,
    "end": MOMENT,
}, ["user", "start", "end"], "Someone covers for a period (at most 90 days).")

SCHEDULE = _object({
    "slug": _text("Short name, the natural key, e.g. platform-primary."),
    "name": _text("Display name."),
    "time_zone": _text("IANA time zone, e.g. Europe/Berlin."),
    "team": _maybe_text("The owning team's slug."),
    "description": _text("What the schedule is for."),
    "layers": _list(LAYER, "Rotations, lowest first."),
    "overrides": _list(OVERRIDE, "Overrides that have not ended."),
}, ["slug", "name", "time_zone"])

TARGET = {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
          "description": "Whom a step pages: one of user, schedule or team.",
          "properties": {"user": HANDLE, "schedule": _text("A schedule's slug."), "team": _text("A team's slug.")}}

STEP = _object({
    "delay_minutes": _count("Minutes to wait for an acknowledgement before the next step.", 0, 1440),
    "targets": _list(TARGET, "Whom this step pages."),
}, ["targets"])

POLICY = _object({
    "slug": _text("Short name, the natural key, e.g. engineering-default."),
    "name": _text("Display name."),
    "team": _maybe_text("The team whose pages run this policy (one policy per team)."),
    "repeat": _count("How many more times the policy runs when nobody acknowledges.", 0, 10),
    "description": _text("What the policy is for."),
    "steps": _list(STEP, "Steps in the order they page."),
}, ["slug", "name", "steps"])

KEY = _object({
    "name": _text("Which tool sends with it, e.g. prometheus-prod; with kind, the natural key."),
    "kind": _choice("The wire format it speaks.", [k.value for k in KeyKind]),
    "team": _maybe_text("The team its alerts belong to."),
    "escalation_policy": _maybe_text("The policy its alerts escalate through."),
    "dedup_per_alert": {"type": "boolean", "description": "Alertmanager: dedup per alert, not per group."},
}, ["name", "kind"], "An integration key's name and routing; its secret is never in the file (apply prints a "
                     "new key's secret once).")

COMPONENT = _object({
    "name": _text("Component name, the natural key within the page."),
    "description": _text("What customers read under it."),
    "group": _maybe_text("The group it sits in."),
}, ["name"])

STATUS_PAGE = _object({
    "slug": _text("Short name, the natural key, e.g. acme-cloud."),
    "name": _text("The page's title."),
    "description": _text("Shown under the title."),
    "team": _maybe_text("The team whose members may edit it (admins always may)."),
    "listed": {"type": "boolean", "description": "Shown in the /status list."},
    "groups": _list(_text("Group name."), "Component groups, in order."),
    "components": _list(COMPONENT, "Components, in order."),
}, ["slug", "name"])

TEMPLATE = _object({
    "status": _choice("The public status this wording starts.", [s.value for s in PublicStatus]),
    "title": _text("The update's title."),
    "body": _text("The update's text; {components} names the affected components."),
}, ["status", "title", "body"])

PLAYBOOK = _object({
    "slug": _text("Short name, the natural key."),
    "title": _text("Title."),
    "services": _list(_text("A service name, or * for any."), "Services it is suggested for."),
    "keywords": _list(_text("A word."), "Words that suggest it."),
    "body": _text("Markdown; '- [ ] step' lines become the incident's checklist."),
}, ["slug", "title", "body"])

ANNOUNCEMENT_DAY = _object({
    "title": _text("With its date or start, the natural key."),
    "kind": _choice("What is announced.", [k.value for k in DayKind]),
    "time_zone": _text("IANA time zone of the date or times."),
    "owner": _text("The marketing owner's @handle or email."),
    "date": _text("The whole day, YYYY-MM-DD (or give starts and ends)."),
    "starts": _text("Start, YYYY-MM-DDTHH:MM in the day's zone."),
    "ends": _text("End, YYYY-MM-DDTHH:MM in the day's zone."),
    "reminder_minutes": {"type": ["integer", "null"], "minimum": 1, "maximum": 1440,
                         "description": "Remind quiet incident rooms this often while the day is on."},
    "notes": _text("Notes for responders."),
}, ["title", "kind", "time_zone", "owner"])

SECTIONS: dict[str, dict[str, Any]] = {
    "people": PERSON,
    "teams": TEAM,
    "schedules": SCHEDULE,
    "escalation_policies": POLICY,
    "integration_keys": KEY,
    "status_pages": STATUS_PAGE,
    "status_update_templates": TEMPLATE,
    "playbooks": PLAYBOOK,
    "announcement_days": ANNOUNCEMENT_DAY,
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Warroom configuration",
    "description": "What `warroom config export` writes and `warroom config plan|apply -f FILE` read.",
    "type": "object",
    "additionalProperties": False,
    "required": ["version"],
    "properties": {
        "version": {"type": "integer", "enum": [VERSION], "description": "The file format's version."},
        **{name: _list(item, f"The {name.replace('_', ' ')}.") for name, item in SECTIONS.items()},
    },
}


def schema_text() -> str:
    """The schema as docs/config.schema.json holds it."""
    return json.dumps(SCHEMA, indent=2, ensure_ascii=False) + "\n"
