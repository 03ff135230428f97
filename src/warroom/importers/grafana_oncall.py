"""Grafana OnCall (public API v1): users, teams, schedules (rotation, web and iCal kinds) with their on-call
shifts, escalation chains and their policies, integrations with their URL tokens, routes.

Live, from the OnCall API URL with an API token (``Authorization: <token>``), each list paged by ``next``:
``/api/v1/users/``, ``/api/v1/teams/``, ``/api/v1/schedules/``, ``/api/v1/on_call_shifts/``,
``/api/v1/escalation_chains/``, ``/api/v1/escalation_policies/``, ``/api/v1/integrations/``,
``/api/v1/routes/``. From a folder: ``<name>.json`` for each (the answer, or a list of pages).

An integration's URL (``…/integrations/v1/<kind>/<token>/``) keeps its token as the Warroom key's value:
Warroom serves the same path (``/integrations/v1/alertmanager/<token>/``), so Alertmanager and Grafana
alerting change only the host in that URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from warroom.importers import core
from warroom.importers.core import ExportProblem, ImportReport, Progress, _mapping
from warroom.importers.fetch import Api, Folder

SOURCE = "grafana-oncall"
NAMES = ("users", "teams", "schedules", "on_call_shifts", "escalation_chains", "escalation_policies",
         "integrations", "routes")
ROLES = {"admin": "admin", "editor": "user", "viewer": "observer"}
ALERTMANAGER_KINDS = ("alertmanager", "grafana_alerting", "grafana")
TOKEN = re.compile(r"/integrations/v1/(?P<kind>[a-z0-9_]+)/(?P<token>[A-Za-z0-9_-]+)/?$")
DAYS = {"MO": "monday", "TU": "tuesday", "WE": "wednesday", "TH": "thursday", "FR": "friday", "SA": "saturday",
        "SU": "sunday"}
WEEKDAYS = tuple(DAYS.values())
FREQUENCIES = {"hourly": "hourly", "daily": "daily", "weekly": "weekly"}
REPEATS = 5  # Grafana OnCall's repeat_escalation runs the chain again, at most five times


def api(base_url: str, key: str) -> Api:
    return Api(base_url, {"Authorization": key})


def _results(answer: Any, name: str) -> list[dict[str, Any]]:
    return core._items(_mapping(answer).get("results") if isinstance(answer, dict) else answer, name)


def read_live(source: Api, progress: Progress | None = None) -> dict[str, Any]:
    tell = progress or (lambda section, count: None)
    found: dict[str, Any] = {}
    for name in NAMES:
        items: list[dict[str, Any]] = []
        answer = source.get(f"/api/v1/{name}/")
        while True:
            items.extend(_results(answer, name))
            following = _mapping(answer).get("next")
            if not isinstance(following, str) or not following:
                break
            answer = source.get(following)
        found[name] = items
        tell(f"fetch {name.replace('_', ' ')}", len(items))
    return found


def read_folder(folder: Folder) -> dict[str, Any]:
    found = {name: [i for page in folder.pages(name) for i in _results(page, name)]
             for name in NAMES if folder.has(name)}
    if not found:
        raise ExportProblem(f"No Grafana OnCall answers in {folder.path}: expected any of "
                            f"{', '.join(n + '.json' for n in NAMES)}.")
    return found


def token_of(link: str) -> tuple[str, str] | None:
    """(kind, token) from an integration URL ``…/integrations/v1/<kind>/<token>/``."""
    match = TOKEN.search(link.split("?")[0])
    return (match["kind"], match["token"]) if match else None


class Translation:
    def __init__(self, report: ImportReport, data: Mapping[str, Any]) -> None:
        self.report = report
        self.data = data
        self.shifts = {str(s.get("id")): s for s in data.get("on_call_shifts") or []}
        self.overrides: dict[str, list[dict[str, Any]]] = {}

    def left(self, item: Mapping[str, Any], carried: set[str], section: str, why: str = "") -> None:
        core.leftover(self.report, item, carried | {"id", "type"}, section, why)

    def plan(self) -> dict[str, Any]:
        users = self.data.get("users") or []
        schedules = [self.schedule(s) for s in self.data.get("schedules") or []]
        return {
            "users": [self.user(u) for u in users],
            "teams": [self.team(t, users) for t in self.data.get("teams") or []],
            "schedules": schedules,
            "overrides": self.overrides,
            "escalations": [self.chain(c) for c in self.data.get("escalation_chains") or []],
            "keys": [k for i in self.data.get("integrations") or [] if (k := self.key(i)) is not None],
        }

    def user(self, item: Mapping[str, Any]) -> dict[str, Any]:
        self.left(item, {"email", "username", "role", "teams", "name"}, "users")
        return {"id": item.get("id"), "username": item.get("email"),
                "fullName": item.get("name") or item.get("username"),
                "role": {"name": ROLES.get(str(item.get("role")), "user")}}

    def team(self, item: Mapping[str, Any], users: list[dict[str, Any]]) -> dict[str, Any]:
        self.left(item, {"name"}, "teams")
        ident = item.get("id")
        members = [{"user": {"id": u.get("id")}} for u in users if ident in (u.get("teams") or [])]
        return {"id": ident, "name": item.get("name"), "members": members}

    def schedule(self, item: Mapping[str, Any]) -> dict[str, Any]:
        self.left(item, {"name", "team_id", "time_zone", "shifts", "ical_url_primary", "ical_url_overrides",
                         "on_call_now"}, "schedules")
        name = item.get("name")
        zone = str(item.get("time_zone") or "UTC")
        plan: dict[str, Any] = {"id": item.get("id"), "name": name, "timezone": zone,
                                "ownerTeam": {"id": item["team_id"]} if item.get("team_id") else None,
                                "rotations": []}
        for field in ("ical_url_primary", "ical_url_overrides"):
            if item.get(field):
                self.report.not_carried(f"schedules.{field}", "Warroom does not read iCal feeds: add the "
                                                               "rotations on the schedule's page")
        if item.get("type") == "ical":
            self.report.warnings.append(f"schedules: '{name}' is an iCal schedule; imported without rotations.")
        shifts = [self.shifts[str(s)] for s in item.get("shifts") or [] if str(s) in self.shifts]
        shifts.sort(key=lambda s: int(s.get("level") or 0))  # a higher level wins: later layers win in Warroom
        for shift in shifts:
            self.shift(shift, plan, zone)
        return plan

    def shift(self, item: Mapping[str, Any], schedule: dict[str, Any], zone: str) -> None:
        self.left(item, {"name", "team_id", "time_zone", "level", "start", "duration", "frequency", "interval",
                         "by_day", "users", "rolling_users", "start_rotation_from_user_index", "until",
                         "week_start", "schedule"}, "on_call_shifts")
        kind = str(item.get("type"))
        start = _aware(item.get("start"), str(item.get("time_zone") or zone))
        if kind in ("override", "single_event"):
            self.one_off(item, schedule, start)
            return
        frequency = FREQUENCIES.get(str(item.get("frequency")))
        if frequency is None:
            self.report.not_carried(f"on_call_shifts.frequency.{item.get('frequency')}",
                                    "Warroom rotations turn hourly, daily, weekly or every N hours")
            return
        people = self.turns(item)
        if not people:
            self.report.warnings.append(f"on_call_shifts: '{item.get('name')}' has nobody on it; not imported.")
            return
        rotation: dict[str, Any] = {"name": item.get("name"), "startDate": start, "endDate": _aware(
            item.get("until"), str(item.get("time_zone") or zone)) if item.get("until") else None,
            "type": frequency, "length": int(item.get("interval") or 1),
            "participants": [{"type": "user", "id": p} for p in people]}
        windows = self.windows(item, start, frequency)
        if windows:
            rotation["timeRestriction"] = {"type": "weekday-and-time-of-day", "restrictions": windows}
        schedule["rotations"].append(rotation)

    def turns(self, item: Mapping[str, Any]) -> list[str]:
        """Who takes turns: rolling_users' groups (first of each), else users (a recurrent event's users)."""
        groups = item.get("rolling_users") or [[u] for u in item.get("users") or []]
        if item.get("type") == "recurrent_event" and len(item.get("users") or []) > 1:
            self.report.warnings.append(f"on_call_shifts: '{item.get('name')}' puts {len(item['users'])} people "
                                        "on call together; in Warroom they take turns.")
        if any(len(g) > 1 for g in groups):
            self.report.not_carried("on_call_shifts.rolling_users (groups of several)",
                                    "one person per turn in Warroom: the first of each group takes it")
        people = [str(g[0]) for g in groups if g]
        shift = int(item.get("start_rotation_from_user_index") or 0) % len(people) if people else 0
        return people[shift:] + people[:shift]

    def windows(self, item: Mapping[str, Any], start: str, frequency: str) -> list[dict[str, Any]]:
        """The hours a shift covers when shorter than its turn: by_day and duration as weekday windows."""
        duration = int(item.get("duration") or 0) // 60
        moment = datetime.fromisoformat(start)
        days = [WEEKDAYS.index(DAYS[d]) for d in item.get("by_day") or [] if d in DAYS]
        whole = {"hourly": 60 * int(item.get("interval") or 1), "daily": 1440, "weekly": 7 * 1440}[frequency]
        if frequency == "hourly" or (duration >= whole and not days) or duration <= 0:
            return []
        first = moment.hour * 60 + moment.minute
        return [_window(day * 1440 + first, min(duration, 7 * 1440 - 1))
                for day in (days or (range(7) if frequency == "daily" else [moment.weekday()]))]

    def one_off(self, item: Mapping[str, Any], schedule: dict[str, Any], start: str) -> None:
        users = item.get("users") or []
        if len(users) != 1:
            self.report.not_carried("on_call_shifts.single_event (several people)",
                                    "a Warroom override puts one person on call")
            return
        end = datetime.fromisoformat(start) + timedelta(seconds=int(item.get("duration") or 0))
        self.overrides.setdefault(str(schedule["id"]), []).append(
            {"user": {"type": "user", "id": users[0]}, "startDate": start, "endDate": end.isoformat()})

    def chain(self, item: Mapping[str, Any]) -> dict[str, Any]:
        self.left(item, {"name", "team_id"}, "escalation_chains")
        steps = sorted((p for p in self.data.get("escalation_policies") or []
                        if p.get("escalation_chain_id") == item.get("id")), key=lambda p: int(p.get("position") or 0))
        rules: list[dict[str, Any]] = []
        after, repeat = 0, 0
        for step in steps:
            self.left(step, {"escalation_chain_id", "position", "duration", "persons_to_notify",
                             "persons_to_notify_next_each_time", "notify_on_call_from_schedule",
                             "team_to_notify", "important"}, "escalation_policies")
            kind = str(step.get("type"))
            if step.get("important"):
                self.report.not_carried("escalation_policies.important",
                                        "Warroom has one kind of page; the person's rules say how it reaches them")
            if kind == "wait":
                after += int(step.get("duration") or 0) // 60
            elif kind == "repeat_escalation":
                repeat = REPEATS
            else:
                rules.extend({"delay": {"timeAmount": after, "timeUnit": "minutes"}, "recipient": r,
                              "notifyType": "next" if kind == "notify_person_next_each_time" else "default"}
                             for r in self.recipients(step, kind))
        return {"id": item.get("id"), "name": item.get("name"),
                "ownerTeam": {"id": item["team_id"]} if item.get("team_id") else None, "rules": rules,
                "repeat": {"count": repeat if rules else 0, "waitInterval": 0}}

    def recipients(self, step: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
        if kind in ("notify_persons", "notify_person_next_each_time"):
            people = step.get("persons_to_notify") or step.get("persons_to_notify_next_each_time") or []
            return [{"type": "user", "id": p} for p in people]
        if kind == "notify_on_call_from_schedule" and step.get("notify_on_call_from_schedule"):
            return [{"type": "schedule", "id": step["notify_on_call_from_schedule"]}]
        if kind == "notify_team_members" and step.get("team_to_notify"):
            return [{"type": "team", "id": step["team_to_notify"]}]
        self.report.not_carried(f"escalation_policies.{kind}", "Warroom's steps page people, schedules and teams")
        return []

    def key(self, item: Mapping[str, Any]) -> dict[str, Any] | None:
        self.left(item, {"name", "team_id", "link", "default_route", "inbound_email"}, "integrations")
        kind = str(item.get("type"))
        found = token_of(str(item.get("link") or ""))
        if kind not in ALERTMANAGER_KINDS or found is None:
            self.report.not_carried(f"integrations.{kind}", "Warroom takes Alertmanager-shaped webhooks "
                                                             "(alertmanager, grafana_alerting) at the same URL")
            return None
        for route in self.data.get("routes") or []:
            if route.get("integration_id") == item.get("id") and not route.get("is_the_last_route"):
                self.report.not_carried("routes.routing_regex", "a Warroom key pages its one escalation "
                                                                 "policy; route by giving each rule its own key")
        chain = _mapping(item.get("default_route")).get("escalation_chain_id")
        return {"id": item.get("id"), "name": item.get("name") or kind, "kind": "alertmanager",
                "value": found[1], "ownerTeam": {"id": item["team_id"]} if item.get("team_id") else None,
                "escalation": {"id": chain} if chain else None}


def _aware(value: Any, zone: str) -> str:
    """A shift's local start (``2020-09-10T08:00:00``, in its zone) as an ISO time with its offset."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        place = ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ExportProblem(f"on_call_shifts: '{value}' in '{zone}' is not a start time.") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=place)).isoformat()


def _window(start: int, minutes: int) -> dict[str, Any]:
    end = (start + minutes) % (7 * 1440)
    start %= 7 * 1440
    return {"startDay": WEEKDAYS[start // 1440], "startHour": start % 1440 // 60, "startMin": start % 60,
            "endDay": WEEKDAYS[end // 1440], "endHour": end % 1440 // 60, "endMin": end % 60}


def to_plan(data: Mapping[str, Any], report: ImportReport) -> dict[str, Any]:
    return Translation(report, data).plan()
