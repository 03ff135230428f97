"""PagerDuty (REST API v2): users with contact methods and notification rules, teams, schedules with layers and
restrictions, overrides, escalation policies, services with their Events v2 integration keys.

Live, from ``https://api.pagerduty.com`` with a REST API key (``Authorization: Token token=<key>``), paged by
``offset``/``limit`` until ``more`` is false: ``/users?include[]=contact_methods&include[]=notification_rules``,
``/teams`` and each ``/teams/{id}/members``, ``/schedules`` and each ``/schedules/{id}`` (for its layers) and
``/schedules/{id}/overrides``, ``/escalation_policies``, ``/services?include[]=integrations``.

From a folder, one ``<name>.json`` per call holding its answer (or a list of answers, one per page): ``users``,
``teams``, ``team-members`` ({team id: answer}), ``schedules`` (Get schedule answers, with
``schedule_layers``), ``overrides`` ({schedule id: answer}), ``escalation_policies``, ``services``.

Everything becomes the importers' common shape; what has no place in Warroom is counted in the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from warroom.importers import core
from warroom.importers.core import ExportProblem, ImportReport, Progress, _mapping
from warroom.importers.fetch import Api, Folder

SOURCE = "pagerduty"
NAMES = ("users", "teams", "team-members", "schedules", "overrides", "escalation_policies", "services")
PAGE = 100
OVERRIDE_HORIZON = timedelta(days=90)
ROLES = {"owner": "admin", "admin": "admin", "user": "user", "limited_user": "user", "manager": "user",
         "observer": "observer", "read_only_user": "observer", "read_only_limited_user": "observer",
         "restricted_access": "observer"}
CONTACTS = {"email_contact_method": "email", "sms_contact_method": "sms", "phone_contact_method": "voice"}
EVENTS_V2 = ("events_api_v2_inbound_integration", "events_api_v2_inbound_integration_reference")
DAY, WEEK = 86400, 604800
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def api(base_url: str, key: str) -> Api:
    return Api(base_url or "https://api.pagerduty.com",
               {"Authorization": f"Token token={key}", "Accept": "application/vnd.pagerduty+json;version=2"})


def _list(answer: Any, name: str) -> list[dict[str, Any]]:
    return core._items(_mapping(answer).get(name) if isinstance(answer, dict) else answer, name)


def _paged(source: Api, path: str, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        answer = source.get(path, {**(params or {}), "limit": PAGE, "offset": offset})
        page = _list(answer, name)
        found.extend(page)
        if _mapping(answer).get("more") is not True or not page:
            return found
        offset += len(page)


def read_live(source: Api, now: datetime, progress: Progress | None = None) -> dict[str, Any]:
    tell = progress or (lambda section, count: None)
    users = _paged(source, "/users", "users", {"include[]": ["contact_methods", "notification_rules"]})
    tell("fetch users", len(users))
    teams = _paged(source, "/teams", "teams")
    members = {t["id"]: {"members": _paged(source, f"/teams/{t['id']}/members", "members")} for t in teams}
    tell("fetch teams", len(teams))
    listed = _paged(source, "/schedules", "schedules")
    schedules = [source.get(f"/schedules/{s['id']}") for s in listed]
    window = {"since": now.isoformat(), "until": (now + OVERRIDE_HORIZON).isoformat()}
    overrides = {s["id"]: {"overrides": _paged(source, f"/schedules/{s['id']}/overrides", "overrides", window)}
                 for s in listed}
    tell("fetch schedules", len(schedules))
    policies = _paged(source, "/escalation_policies", "escalation_policies")
    tell("fetch escalation policies", len(policies))
    services = _paged(source, "/services", "services", {"include[]": ["integrations"]})
    tell("fetch services", len(services))
    return {"users": users, "teams": teams, "team-members": members, "schedules": schedules,
            "overrides": overrides, "escalation_policies": policies, "services": services}


def read_folder(folder: Folder) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in NAMES:
        if not folder.has(name):
            continue
        if name in ("team-members", "overrides"):
            found[name] = folder.read(name)
            continue
        key = "schedule" if name == "schedules" else name
        items: list[Any] = []
        for page in folder.pages(name):
            if isinstance(page, dict) and key in page and not isinstance(page[key], list):
                items.append(page[key])  # one Get answer
            elif isinstance(page, list) and all(isinstance(p, dict) and key in p for p in page):
                items.extend(p[key] for p in page)  # a list of Get answers
            else:
                items.extend(_list(page, name))
        found[name] = items
    if not found:
        raise ExportProblem(f"No PagerDuty answers in {folder.path}: expected any of "
                            f"{', '.join(n + '.json' for n in NAMES)}.")
    return found


class Translation:
    """PagerDuty's objects as the common shape; each field with no place in Warroom counted."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report

    def left(self, item: Mapping[str, Any], carried: set[str], section: str, why: str = "") -> None:
        core.leftover(self.report, item, carried | {"id", "type"}, section, why)

    def plan(self, data: Mapping[str, Any]) -> dict[str, Any]:
        members = _mapping(data.get("team-members"))
        overrides = _mapping(data.get("overrides"))
        schedules = [_unwrap(s, "schedule") for s in data.get("schedules") or []]
        return {
            "users": [self.user(u) for u in data.get("users") or []],
            "teams": [self.team(t, members.get(str(t.get("id")))) for t in data.get("teams") or []],
            "schedules": [self.schedule(s) for s in schedules],
            "overrides": {str(ref): [self.override(o) for o in _list(answer, "overrides")]
                          for ref, answer in overrides.items()},
            "escalations": [self.policy(p) for p in data.get("escalation_policies") or []],
            "keys": [key for service in data.get("services") or [] for key in self.keys(service)],
        }

    def user(self, item: Mapping[str, Any]) -> dict[str, Any]:
        self.left(item, {"name", "email", "role", "contact_methods", "notification_rules", "teams"}, "users")
        methods: dict[str, dict[str, Any]] = {}
        for method in item.get("contact_methods") or []:
            kind = CONTACTS.get(str(method.get("type")))
            if kind is None:
                self.report.not_carried(f"users.contact_methods.{method.get('type')}",
                                        "Warroom reaches people by email, SMS, voice, chat or webhook")
                continue
            address = str(method.get("address") or "")
            if kind != "email" and method.get("country_code"):
                address = f"+{method['country_code']}{address}"
            methods[str(method.get("id"))] = {"method": kind, "to": address, "label": method.get("label") or ""}
        rules = []
        for rule in item.get("notification_rules") or []:
            if rule.get("urgency", "high") == "low":
                self.report.not_carried("users.notification_rules.low-urgency",
                                        "Warroom pages have no urgency; the high-urgency rules are kept")
                continue
            contact = methods.get(str(_mapping(rule.get("contact_method")).get("id")))
            if contact is None:
                self.report.not_carried("users.notification_rules.unknown-contact-method")
                continue
            rules.append({"contact": contact, "delayMinutes": rule.get("start_delay_in_minutes") or 0})
        return {"id": item.get("id"), "username": item.get("email"), "fullName": item.get("name"),
                "role": {"name": ROLES.get(str(item.get("role")), "user")}, "contacts": list(methods.values()),
                "notificationRules": rules}

    def team(self, item: Mapping[str, Any], members: Any) -> dict[str, Any]:
        self.left(item, {"name"}, "teams")
        people = []
        for member in _list(members, "members") if members is not None else []:
            self.left(member, {"user"}, "team-members", "Warroom team members have no team role")
            people.append({"user": {"id": _mapping(member.get("user")).get("id")}})
        return {"id": item.get("id"), "name": item.get("name"), "members": people}

    def schedule(self, item: Mapping[str, Any]) -> dict[str, Any]:
        self.left(item, {"name", "description", "time_zone", "schedule_layers", "teams", "users",
                         "escalation_policies", "final_schedule", "overrides_subschedule"}, "schedules")
        layers = item.get("schedule_layers") or []
        if len(layers) > 1:
            self.report.warnings.append(
                f"schedules: '{item.get('name')}' has {len(layers)} layers; Warroom gives the later layer "
                "precedence where both have someone: check the order on its page.")
        return {"id": item.get("id"), "name": item.get("name"), "description": item.get("description") or "",
                "timezone": item.get("time_zone") or "UTC", "ownerTeam": self.first_team(item, "schedules"),
                "rotations": [self.layer(layer) for layer in layers]}

    def first_team(self, item: Mapping[str, Any], section: str) -> dict[str, Any] | None:
        teams = item.get("teams") or []
        if len(teams) > 1:
            self.report.not_carried(f"{section}.teams[1:]", "a Warroom schedule or policy belongs to one team")
        return {"id": teams[0].get("id")} if teams else None

    def layer(self, item: Mapping[str, Any]) -> dict[str, Any]:
        self.left(item, {"name", "start", "end", "rotation_virtual_start", "rotation_turn_length_seconds", "users",
                         "restrictions", "rendered_schedule_entries", "rendered_coverage_percentage"},
                  "schedules.schedule_layers")
        kind, length = self.turn(item)
        rotation: dict[str, Any] = {
            "name": item.get("name"), "startDate": item.get("rotation_virtual_start") or item.get("start"),
            "endDate": item.get("end"), "type": kind, "length": length,
            "participants": [{"type": "user", "id": _mapping(u.get("user")).get("id")}
                             for u in item.get("users") or []]}
        windows = [w for r in item.get("restrictions") or [] for w in self.restriction(r)]
        if windows:
            rotation["timeRestriction"] = {"type": "weekday-and-time-of-day", "restrictions": windows}
        return rotation

    def turn(self, item: Mapping[str, Any]) -> tuple[str, int]:
        seconds = item.get("rotation_turn_length_seconds")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
            raise ExportProblem(f"schedule layer '{item.get('name')}': rotation_turn_length_seconds must be a "
                                "whole number of seconds.")
        if seconds % WEEK == 0:
            return "weekly", seconds // WEEK
        if seconds % DAY == 0:
            return "daily", seconds // DAY
        if seconds % 3600:
            self.report.warnings.append(f"schedule layer '{item.get('name')}': turns of {seconds} s rounded to "
                                        "whole hours.")
        return "hourly", max(1, round(seconds / 3600))

    def restriction(self, item: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A daily or weekly restriction as Opsgenie's weekday windows (start and end day and time)."""
        clock = str(item.get("start_time_of_day") or "00:00:00").rstrip("Z")
        try:
            hour, minute = (int(p) for p in clock.split(":")[:2])
        except ValueError:
            raise ExportProblem(f"restriction start_time_of_day '{clock}' is not HH:MM:SS.") from None
        minutes = int(item.get("duration_seconds") or 0) // 60
        if item.get("type") == "daily_restriction":
            starts = [day * 1440 + hour * 60 + minute for day in range(7)]
        else:
            day = int(item.get("start_day_of_week") or 1) - 1
            starts = [(day % 7) * 1440 + hour * 60 + minute]
        if minutes >= 7 * 1440 or minutes <= 0:
            return []
        return [_window(start, minutes) for start in starts]

    def override(self, item: Mapping[str, Any]) -> dict[str, Any]:
        self.left(item, {"start", "end", "user"}, "overrides")
        return {"user": {"type": "user", "id": _mapping(item.get("user")).get("id")},
                "startDate": item.get("start"), "endDate": item.get("end")}

    def policy(self, item: Mapping[str, Any]) -> dict[str, Any]:
        self.left(item, {"name", "description", "num_loops", "escalation_rules", "teams", "services"},
                  "escalation_policies")
        rules, after = [], 0
        escalation_rules = item.get("escalation_rules") or []
        for rule in escalation_rules:
            self.left(rule, {"escalation_delay_in_minutes", "targets"}, "escalation_policies.escalation_rules")
            for target in rule.get("targets") or []:
                kind = str(target.get("type", "")).removesuffix("_reference")
                if kind not in ("user", "schedule"):
                    self.report.not_carried(f"escalation_policies.targets.{kind}")
                    continue
                rules.append({"delay": {"timeAmount": after, "timeUnit": "minutes"},
                              "recipient": {"type": kind, "id": target.get("id")}})
            after += int(rule.get("escalation_delay_in_minutes") or 0)
        loops = int(item.get("num_loops") or 0)
        last = int(escalation_rules[-1].get("escalation_delay_in_minutes") or 0) if escalation_rules else 0
        return {"id": item.get("id"), "name": item.get("name"), "description": item.get("description") or "",
                "ownerTeam": self.first_team(item, "escalation_policies"), "rules": rules,
                "repeat": {"count": loops, "waitInterval": last}}

    def keys(self, service: Mapping[str, Any]) -> list[dict[str, Any]]:
        self.left(service, {"name", "escalation_policy", "integrations", "teams"}, "services",
                  "Warroom has no PagerDuty service object: its integration keys carry the team and policy")
        found = []
        for integration in service.get("integrations") or []:
            value = integration.get("integration_key")
            if str(integration.get("type")) not in EVENTS_V2 or not value:
                self.report.not_carried(f"services.integrations.{integration.get('type')}",
                                        "only Events API v2 integration keys become Warroom keys")
                continue
            policy = _mapping(service.get("escalation_policy")).get("id")
            found.append({"id": integration.get("id"),
                          "name": f"{service.get('name')} ({integration.get('name') or 'Events API v2'})",
                          "kind": "pagerduty", "value": value, "ownerTeam": self.first_team(service, "services"),
                          "escalation": {"id": policy} if policy else None})
        return found


def _window(start: int, minutes: int) -> dict[str, Any]:
    end = (start + minutes) % (7 * 1440)
    return {"startDay": WEEKDAYS[start // 1440], "startHour": start % 1440 // 60, "startMin": start % 60,
            "endDay": WEEKDAYS[end // 1440], "endHour": end % 1440 // 60, "endMin": end % 60}


def _unwrap(value: Any, name: str) -> Any:
    return value[name] if isinstance(value, dict) and isinstance(value.get(name), dict) else value


def to_plan(data: Mapping[str, Any], report: ImportReport) -> dict[str, Any]:
    return Translation(report).plan(data)
