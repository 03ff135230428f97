"""Local fakes of the three sources' REST APIs, serving their documented response shapes.

Each pages its lists the way its API does (Opsgenie ``paging.next``, PagerDuty ``offset``/``more``, Grafana
OnCall ``next``), two items a page so paging is exercised, and answers the first request with a 429 and
``Retry-After: 0`` so the importers' waiting is exercised too. ``save`` writes the same answers to a folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..support import Reply, Request

PAGE = 2
OPSGENIE_KEY = "7d1b2c3e-0a4f-4c5d-9e8f-1a2b3c4d5e6f"
PAGERDUTY_KEY = "0123456789abcdef0123456789abcdef"
GRAFANA_TOKEN = "mReAoNwDm0eMwKo1mTeTwYo"


def _user(key: str, name: str) -> dict[str, Any]:
    return {"type": "user", "id": f"og-{key}", "username": f"{key}@acme.example", "name": name}


OPSGENIE: dict[str, Any] = {
    "/v2/users": [
        {"id": "og-alice", "username": "alice@acme.example", "fullName": "Alice Admin", "role": {"name": "Admin"},
         "timeZone": "Europe/Berlin", "locale": "en_US", "createdAt": "2020-01-01T00:00:00Z"},
        {"id": "og-bob", "username": "bob@acme.example", "fullName": "Bob Builder", "role": {"name": "User"},
         "timeZone": "Europe/Berlin"},
        {"id": "og-carol", "username": "carol@acme.example", "fullName": "Carol", "role": {"name": "User"}},
    ],
    "/v2/users/og-alice/contacts": {"data": [{"id": "c1", "method": "email", "to": "alice@acme.example",
                                              "status": {"enabled": True}},
                                             {"id": "c2", "method": "sms", "to": "+4915112345678",
                                              "status": {"enabled": True}},
                                             {"id": "c3", "method": "mobile", "to": "Alice's phone"}]},
    "/v2/users/og-bob/contacts": {"data": []},
    "/v2/users/og-carol/contacts": {"data": []},
    "/v2/users/og-alice/notification-rules": {"data": [
        {"id": "nr1", "name": "New alert", "actionType": "create-alert", "order": 1, "enabled": True},
        {"id": "nr2", "name": "Closed", "actionType": "close-alert", "order": 2, "enabled": True}]},
    "/v2/users/og-alice/notification-rules/nr1": {"data": {
        "id": "nr1", "name": "New alert", "actionType": "create-alert", "enabled": True, "steps": [
            {"sendAfter": {"timeAmount": 0}, "contact": {"method": "email", "to": "alice@acme.example"},
             "enabled": True},
            {"sendAfter": {"timeAmount": 5}, "contact": {"method": "sms", "to": "+4915112345678"},
             "enabled": True}]}},
    "/v2/users/og-alice/notification-rules/nr2": {"data": {"id": "nr2", "actionType": "close-alert", "steps": []}},
    "/v2/users/og-bob/notification-rules": {"data": []},
    "/v2/users/og-carol/notification-rules": {"data": []},
    "/v2/teams": {"data": [{"id": "og-team-sre", "name": "SRE", "description": "Site reliability"}]},
    "/v2/teams/og-team-sre": {"data": {"id": "og-team-sre", "name": "SRE", "description": "Site reliability",
                                       "members": [{"user": {"id": "og-alice", "username": "alice@acme.example"},
                                                    "role": "admin"},
                                                   {"user": {"id": "og-bob"}, "role": "user"}]},
                              "took": 0.01, "requestId": "r-team"},
    "/v2/schedules": {"data": [{
        "id": "og-sched-1", "name": "SRE_Schedule", "description": "", "timezone": "UTC", "enabled": True,
        "ownerTeam": {"id": "og-team-sre", "name": "SRE"},
        "rotations": [{"id": "rot-1", "name": "Weekly", "startDate": "2026-01-05T00:00:00Z", "type": "weekly",
                       "length": 1, "participants": [_user("alice", "Alice"), _user("bob", "Bob")]}]}]},
    "/v2/schedules/og-sched-1/overrides": {"data": [
        {"alias": "cover", "user": _user("carol", "Carol"), "startDate": "2026-01-06T10:00:00Z",
         "endDate": "2026-01-06T12:00:00Z", "rotations": []}]},
    "/v2/escalations": {"data": [{
        "id": "og-esc-1", "name": "SRE_Escalation", "description": "", "ownerTeam": {"id": "og-team-sre"},
        "rules": [{"condition": "if-not-acked", "notifyType": "default",
                   "delay": {"timeAmount": 0, "timeUnit": "minutes"},
                   "recipient": {"type": "schedule", "id": "og-sched-1"}},
                  {"condition": "if-not-closed", "notifyType": "all",
                   "delay": {"timeAmount": 10, "timeUnit": "minutes"}, "recipient": {"type": "team",
                                                                                      "id": "og-team-sre"}}],
        "repeat": {"waitInterval": 0, "count": 0}}]},
    "/v2/heartbeats": {"data": {"heartbeats": [
        {"name": "nightly-backup", "description": "", "interval": 1, "intervalUnit": "days", "enabled": True,
         "ownerTeam": {"id": "og-team-sre", "name": "SRE"}, "alertMessage": "", "alertTags": ["backup"],
         "alertPriority": "P2"}]}},
    "/v2/integrations": {"data": [{"id": "og-int-1", "name": "Prometheus", "enabled": True, "type": "API",
                                   "teamId": "og-team-sre"},
                                  {"id": "og-int-2", "name": "Mail", "enabled": True, "type": "Email"}]},
    "/v2/integrations/og-int-1": {"data": {"id": "og-int-1", "name": "Prometheus", "enabled": True, "type": "API",
                                           "ownerTeam": {"id": "og-team-sre", "name": "SRE"},
                                           "apiKey": OPSGENIE_KEY}},
    "/v2/integrations/og-int-2": {"data": {"id": "og-int-2", "name": "Mail", "enabled": True, "type": "Email",
                                           "emailAddress": "sre@acme.app.opsgenie.net"}},
}

PD_LAYER_USERS = [{"user": {"id": "PALICE", "type": "user_reference"}}, {"user": {"id": "PBOB",
                                                                                 "type": "user_reference"}}]
PAGERDUTY: dict[str, Any] = {
    "/users": ("users", [
        {"id": "PALICE", "type": "user", "name": "Alice Admin", "email": "alice@acme.example", "role": "admin",
         "time_zone": "Europe/Berlin", "color": "red", "html_url": "https://acme.pagerduty.com/users/PALICE",
         "contact_methods": [
             {"id": "PEMAIL", "type": "email_contact_method", "address": "alice@acme.example", "label": "Work"},
             {"id": "PSMS", "type": "sms_contact_method", "address": "15112345678", "country_code": 49,
              "label": "Mobile"},
             {"id": "PPUSH", "type": "push_notification_contact_method", "address": "iphone", "label": "App"}],
         "notification_rules": [
             {"id": "PR1", "type": "assignment_notification_rule", "start_delay_in_minutes": 0, "urgency": "high",
              "contact_method": {"id": "PEMAIL", "type": "email_contact_method_reference"}},
             {"id": "PR2", "type": "assignment_notification_rule", "start_delay_in_minutes": 3, "urgency": "high",
              "contact_method": {"id": "PSMS", "type": "sms_contact_method_reference"}},
             {"id": "PR3", "type": "assignment_notification_rule", "start_delay_in_minutes": 0, "urgency": "low",
              "contact_method": {"id": "PEMAIL", "type": "email_contact_method_reference"}}]},
        {"id": "PBOB", "type": "user", "name": "Bob Builder", "email": "bob@acme.example", "role": "user",
         "contact_methods": [], "notification_rules": []},
        {"id": "PCAROL", "type": "user", "name": "Carol", "email": "carol@acme.example", "role": "observer",
         "contact_methods": [], "notification_rules": []},
    ]),
    "/teams": ("teams", [{"id": "PTEAM", "type": "team", "name": "Payments", "description": "Money moves"}]),
    "/teams/PTEAM/members": ("members", [{"user": {"id": "PALICE", "type": "user_reference"}, "role": "manager"},
                                         {"user": {"id": "PBOB", "type": "user_reference"}, "role": "responder"}]),
    "/schedules": ("schedules", [{"id": "PSCHED", "type": "schedule", "name": "Payments Primary",
                                  "time_zone": "UTC"}]),
    "/schedules/PSCHED": {"schedule": {
        "id": "PSCHED", "type": "schedule", "name": "Payments Primary", "time_zone": "UTC", "description": "",
        "teams": [{"id": "PTEAM", "type": "team_reference"}],
        "schedule_layers": [
            {"id": "PL1", "name": "Weekly", "start": "2026-01-05T00:00:00Z", "end": None,
             "rotation_virtual_start": "2026-01-05T00:00:00Z", "rotation_turn_length_seconds": 604800,
             "users": PD_LAYER_USERS, "restrictions": []},
            {"id": "PL2", "name": "Office hours", "start": "2026-01-05T00:00:00Z", "end": None,
             "rotation_virtual_start": "2026-01-05T00:00:00Z", "rotation_turn_length_seconds": 86400,
             "users": [{"user": {"id": "PCAROL", "type": "user_reference"}}],
             "restrictions": [{"type": "daily_restriction", "start_time_of_day": "09:00:00",
                               "duration_seconds": 28800}]}]}},
    "/schedules/PSCHED/overrides": ("overrides", [
        {"id": "PO1", "start": "2026-01-06T20:00:00Z", "end": "2026-01-06T22:00:00Z",
         "user": {"id": "PCAROL", "type": "user_reference"}}]),
    "/escalation_policies": ("escalation_policies", [{
        "id": "PPOLICY", "type": "escalation_policy", "name": "Payments Policy", "description": "", "num_loops": 2,
        "on_call_handoff_notifications": "if_has_services",
        "teams": [{"id": "PTEAM", "type": "team_reference"}],
        "escalation_rules": [
            {"id": "PER1", "escalation_delay_in_minutes": 15,
             "targets": [{"id": "PSCHED", "type": "schedule_reference"}]},
            {"id": "PER2", "escalation_delay_in_minutes": 30,
             "targets": [{"id": "PALICE", "type": "user_reference"}]}]}]),
    "/services": ("services", [{
        "id": "PSVC", "type": "service", "name": "Checkout", "description": "", "status": "active",
        "acknowledgement_timeout": 600, "escalation_policy": {"id": "PPOLICY", "type": "escalation_policy_reference"},
        "teams": [{"id": "PTEAM", "type": "team_reference"}],
        "integrations": [
            {"id": "PINT2", "type": "events_api_v2_inbound_integration", "name": "Prometheus",
             "integration_key": PAGERDUTY_KEY},
            {"id": "PINT1", "type": "generic_events_api_inbound_integration", "name": "Old API",
             "integration_key": "fedcba9876543210fedcba9876543210"}]}]),
}

GRAFANA: dict[str, Any] = {
    "users": [
        {"id": "UALICE", "email": "alice@acme.example", "username": "alice", "role": "admin",
         "timezone": "Europe/Berlin", "teams": ["TSRE"], "is_phone_number_verified": True},
        {"id": "UBOB", "email": "bob@acme.example", "username": "bob", "role": "editor", "teams": ["TSRE"]},
        {"id": "UCAROL", "email": "carol@acme.example", "username": "carol", "role": "viewer", "teams": []},
    ],
    "teams": [{"id": "TSRE", "name": "SRE", "email": "sre@acme.example", "avatar_url": "/avatar/x"}],
    "schedules": [
        {"id": "SWEB", "team_id": "TSRE", "name": "SRE rotation", "type": "web", "time_zone": "UTC",
         "on_call_now": ["UALICE"], "shifts": ["OWEEK", "ODAY", "OONCE"]},
        {"id": "SICAL", "team_id": None, "name": "Legacy calendar", "type": "ical", "time_zone": "UTC",
         "ical_url_primary": "https://calendar.example/sre.ics", "shifts": []},
    ],
    "on_call_shifts": [
        {"id": "OWEEK", "name": "Weekly", "type": "rolling_users", "team_id": "TSRE", "time_zone": None,
         "level": 0, "start": "2026-01-05T00:00:00", "duration": 604800, "frequency": "weekly", "interval": 1,
         "rolling_users": [["UALICE"], ["UBOB"]], "start_rotation_from_user_index": 0, "week_start": "MO"},
        {"id": "ODAY", "name": "Office hours", "type": "rolling_users", "team_id": "TSRE", "time_zone": None,
         "level": 1, "start": "2026-01-05T09:00:00", "duration": 28800, "frequency": "daily", "interval": 1,
         "by_day": ["MO", "TU", "WE", "TH", "FR"], "rolling_users": [["UCAROL"]]},
        {"id": "OONCE", "name": "Cover", "type": "override", "team_id": "TSRE", "time_zone": None, "level": 2,
         "start": "2026-01-06T20:00:00", "duration": 7200, "users": ["UBOB"]},
    ],
    "escalation_chains": [{"id": "FCHAIN", "team_id": "TSRE", "name": "SRE chain"}],
    "escalation_policies": [
        {"id": "E1", "escalation_chain_id": "FCHAIN", "position": 0, "type": "notify_on_call_from_schedule",
         "important": False, "notify_on_call_from_schedule": "SWEB"},
        {"id": "E2", "escalation_chain_id": "FCHAIN", "position": 1, "type": "wait", "duration": 600},
        {"id": "E3", "escalation_chain_id": "FCHAIN", "position": 2, "type": "notify_persons", "important": True,
         "persons_to_notify": ["UALICE"]},
        {"id": "E4", "escalation_chain_id": "FCHAIN", "position": 3, "type": "trigger_webhook",
         "action_to_trigger": "A1"},
    ],
    "integrations": [
        {"id": "CAM", "name": "Prometheus", "team_id": "TSRE", "type": "alertmanager",
         "link": f"https://oncall.acme.example/integrations/v1/alertmanager/{GRAFANA_TOKEN}/",
         "default_route": {"id": "RDEF", "escalation_chain_id": "FCHAIN"}},
        {"id": "CWH", "name": "Custom", "team_id": None, "type": "webhook",
         "link": "https://oncall.acme.example/integrations/v1/webhook/Zz9yX8wV7uT6sR5qP4oN3mL2k/",
         "default_route": {"id": "RDEF2", "escalation_chain_id": None}},
    ],
    "routes": [
        {"id": "RDEF", "integration_id": "CAM", "escalation_chain_id": "FCHAIN", "routing_regex": ".*",
         "position": 1, "is_the_last_route": True},
        {"id": "RDB", "integration_id": "CAM", "escalation_chain_id": "FCHAIN",
         "routing_regex": "team=\"db\"", "position": 0, "is_the_last_route": False},
    ],
}


@dataclass
class Fake:
    """A fake API: which requests came, and whether the first was turned away with a 429."""

    respond: Callable[[Request], Reply]
    base: str = ""
    limited: list[str] = field(default_factory=list)


def _split(request: Request) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(request.path)
    return parts.path, parse_qs(parts.query)


def _limit_first(fake: Fake, request: Request) -> Reply | None:
    if not fake.limited:
        fake.limited.append(request.path)
        return Reply(429, {"message": "Rate limit exceeded"}, {"Retry-After": "0"})
    return None


def _number(query: dict[str, list[str]], name: str) -> int:
    return int(query.get(name, ["0"])[0])


def opsgenie_fake(key: str = "og-read-key") -> Fake:
    def respond(request: Request) -> Reply:
        if (limited := _limit_first(fake, request)) is not None:
            return limited
        if request.headers.get("authorization") != f"GenieKey {key}":
            return Reply(401, {"message": "Could not authenticate", "took": 0.0, "requestId": "r"})
        path, query = _split(request)
        answer = OPSGENIE.get(path)
        if answer is None:
            return Reply(404, {"message": f"No {path}", "took": 0.0, "requestId": "r"})
        if isinstance(answer, list):  # a paged list
            offset, limit = _number(query, "offset"), min(_number(query, "limit") or 20, PAGE)
            page = {"data": answer[offset:offset + limit], "totalCount": len(answer), "took": 0.01,
                    "requestId": "r", "paging": {"first": f"{fake.base}{path}?limit={limit}&offset=0"}}
            if offset + limit < len(answer):
                page["paging"]["next"] = f"{fake.base}{path}?limit={limit}&offset={offset + limit}"
            return Reply(200, page)
        return Reply(200, {**answer, "took": 0.01, "requestId": "r"} if "data" in answer else answer)

    fake = Fake(respond)
    return fake


def pagerduty_fake(key: str = "pd-read-key") -> Fake:
    def respond(request: Request) -> Reply:
        if (limited := _limit_first(fake, request)) is not None:
            return limited
        if request.headers.get("authorization") != f"Token token={key}":
            return Reply(401, {"error": {"message": "Unauthorized", "code": 2006}})
        path, query = _split(request)
        answer = PAGERDUTY.get(path)
        if answer is None:
            return Reply(404, {"error": {"message": "Not Found", "code": 2100}})
        if isinstance(answer, tuple):
            name, items = answer
            offset, limit = _number(query, "offset"), min(_number(query, "limit") or 25, PAGE)
            return Reply(200, {name: items[offset:offset + limit], "limit": limit, "offset": offset,
                               "more": offset + limit < len(items), "total": None})
        return Reply(200, answer)

    fake = Fake(respond)
    return fake


def grafana_fake(token: str = "grafana-api-token") -> Fake:  # noqa: S107  (the fake's own test token)
    def respond(request: Request) -> Reply:
        if (limited := _limit_first(fake, request)) is not None:
            return limited
        if request.headers.get("authorization") != token:
            return Reply(401, {"detail": "Invalid token."})
        path, query = _split(request)
        name = path.removeprefix("/api/v1/").strip("/")
        if name not in GRAFANA:
            return Reply(404, {"detail": "Not found."})
        items, number = GRAFANA[name], max(_number(query, "page"), 1)
        pages = max(1, -(-len(items) // PAGE))
        return Reply(200, {"count": len(items), "page_size": PAGE, "current_page_number": number,
                           "total_pages": pages, "previous": None if number == 1 else f"{fake.base}{path}?page="
                           f"{number - 1}", "next": f"{fake.base}{path}?page={number + 1}" if number < pages else None,
                           "results": items[(number - 1) * PAGE:number * PAGE]})

    fake = Fake(respond)
    return fake


def save_pagerduty(folder: Path) -> Path:
    """The answers as a user would save them: one file per call, lists as their pages."""
    folder.mkdir(parents=True, exist_ok=True)
    for path, answer in PAGERDUTY.items():
        if path == "/schedules":
            continue
        if path == "/schedules/PSCHED":
            (folder / "schedules.json").write_text(json.dumps([answer]))
        elif path == "/teams/PTEAM/members":
            (folder / "team-members.json").write_text(json.dumps({"PTEAM": {"members": answer[1]}}))
        elif path == "/schedules/PSCHED/overrides":
            (folder / "overrides.json").write_text(json.dumps({"PSCHED": {"overrides": answer[1]}}))
        else:
            name, items = answer
            pages = [{name: items[i:i + PAGE], "more": i + PAGE < len(items), "offset": i}
                     for i in range(0, len(items), PAGE)]
            (folder / f"{name}.json").write_text(json.dumps(pages))
    return folder


def save_grafana(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, items in GRAFANA.items():
        (folder / f"{name}.json").write_text(json.dumps({"count": len(items), "next": None, "results": items}))
    return folder
