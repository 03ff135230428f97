"""Opsgenie: users (contacts, notification rules), teams, schedules with rotations and restrictions, overrides,
escalations, heartbeats and API integrations' keys, read live or from saved API answers.

Live, from ``https://api.opsgenie.com`` (or the EU URL) with an API key (``Authorization: GenieKey <key>``):
List users (paged by ``paging.next``), each user's contacts and notification rules (with their steps), List
teams then Get team (for members), List schedules with ``expand=rotation``, each schedule's overrides, List
escalations, List heartbeats, List integrations then Get integration (for ``apiKey`` and ``ownerTeam``).

From a folder, one ``<section>.json`` per section holding the API's answer (with or without its ``data``
envelope): ``users``, ``teams`` (Get team answers), ``schedules``, ``overrides`` ({schedule id or name: answer}),
``escalations``, ``heartbeats``, ``integrations`` (Get integration answers), ``contacts`` and
``notification-rules`` ({user id or username: answer}).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.importers import core
from warroom.importers.core import ExportProblem, ImportReport, Progress, _data, _items, _mapping
from warroom.importers.fetch import Api, Folder

SOURCE = "opsgenie"
SECTIONS = ("users", "teams", "schedules", "overrides", "escalations", "heartbeats", "integrations", "contacts",
            "notification-rules")
PAGE = 100
PAGING_RULE = "create-alert"  # the notification rule that reaches a person when they are paged


def load_export(path: Path) -> dict[str, Any]:
    """An export from a directory of ``<section>.json`` files, or from one JSON file keyed by section."""
    if path.is_dir():
        folder = Folder(path)
        found = {name: folder.read(name) for name in SECTIONS if folder.has(name)}
        if not found:
            raise ExportProblem(f"No Opsgenie export in {path}: expected any of "
                                f"{', '.join(s + '.json' for s in SECTIONS)}.")
        return found
    data = core._read(path)
    if not isinstance(data, dict):
        raise ExportProblem(f"{path} is not a JSON object keyed by {', '.join(SECTIONS)}.")
    return data


def api(base_url: str, key: str) -> Api:
    return Api(base_url or "https://api.opsgenie.com", {"Authorization": f"GenieKey {key}"})


def _paged(source: Api, path: str, params: dict[str, Any]) -> list[Any]:
    """Every item of a List call, following ``paging.next``."""
    found: list[Any] = []
    answer = source.get(path, {**params, "limit": PAGE, "offset": 0})
    while True:
        found.extend(_items(answer, path))
        following = _mapping(_mapping(answer).get("paging")).get("next")
        if not isinstance(following, str) or not following or not _items(answer, path):
            return found
        answer = source.get(following)


def read_live(source: Api, progress: Progress | None = None) -> dict[str, Any]:
    """The account as the API answers it, in the folder's shape."""
    tell = progress or (lambda section, count: None)
    users = _paged(source, "/v2/users", {})
    tell("fetch users", len(users))
    contacts = {u["id"]: source.get(f"/v2/users/{u['id']}/contacts") for u in users if u.get("id")}
    rules: dict[str, list[Any]] = {}
    for user in users:
        if user.get("id"):
            listed = _items(source.get(f"/v2/users/{user['id']}/notification-rules"), "notification-rules")
            rules[user["id"]] = [source.get(f"/v2/users/{user['id']}/notification-rules/{r['id']}")
                                 for r in listed if r.get("id")]
    teams = [_data(source.get(f"/v2/teams/{t['id']}")) for t in _items(source.get("/v2/teams"), "teams")]
    tell("fetch teams", len(teams))
    schedules = _items(source.get("/v2/schedules", {"expand": "rotation"}), "schedules")
    overrides = {s["id"]: source.get(f"/v2/schedules/{s['id']}/overrides") for s in schedules if s.get("id")}
    tell("fetch schedules", len(schedules))
    escalations = _items(source.get("/v2/escalations"), "escalations")
    tell("fetch escalations", len(escalations))
    heartbeats = source.get("/v2/heartbeats")
    integrations = [_data(source.get(f"/v2/integrations/{i['id']}"))
                    for i in _items(source.get("/v2/integrations"), "integrations") if i.get("id")]
    tell("fetch integrations", len(integrations))
    return {"users": users, "teams": teams, "schedules": schedules, "overrides": overrides,
            "escalations": escalations, "heartbeats": heartbeats, "integrations": integrations,
            "contacts": contacts, "notification-rules": rules}


def to_plan(export: Mapping[str, Any], report: ImportReport) -> dict[str, Any]:
    """The common shape: Opsgenie's own, with contacts and rules inside each user and integrations as keys."""
    unknown = sorted(set(export) - set(SECTIONS))
    if unknown:
        raise ExportProblem(f"Unknown export sections: {', '.join(unknown)}. Known: {', '.join(SECTIONS)}.")
    plan = {name: export[name] for name in ("schedules", "overrides", "escalations", "heartbeats") if name in export}
    # Get team answers each come in their own {"data": …} envelope, as the API gives them.
    plan["teams"] = [_data(team) for team in _data(export.get("teams")) or []] \
        if isinstance(_data(export.get("teams")), list) else export.get("teams")
    contacts = _by_user(export.get("contacts"), "contacts")
    rules = _by_user(export.get("notification-rules"), "notification-rules")
    users = []
    for item in _items(export.get("users"), "users"):
        refs = [str(item.get(k, "")).lower() for k in ("id", "username")]
        user = dict(item)
        found = next((contacts[r] for r in refs if r in contacts), None)
        if found is not None:
            user["contacts"] = [_contact(c, report) for c in _items(found, "contacts")]
        listed = next((rules[r] for r in refs if r in rules), None)
        if listed is not None:
            user["notificationRules"] = _rules(listed, report)
        users.append(user)
    plan["users"] = users
    plan["keys"] = [key for item in _items(export.get("integrations"), "integrations")
                    if (key := _key(_mapping(_data(item)), report)) is not None]
    return plan


def _by_user(value: Any, where: str) -> dict[str, Any]:
    value = _data(value)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ExportProblem(f"{where}: expected an object keyed by user id or username.")
    return {str(k).lower(): v for k, v in value.items()}


def _contact(item: Mapping[str, Any], report: ImportReport) -> dict[str, Any]:
    core.leftover(report, item, {"id", "method", "to", "status", "enabled"}, "contacts")
    return {"method": item.get("method"), "to": item.get("to"), "label": ""}


def _rules(listed: Any, report: ImportReport) -> list[dict[str, Any]]:
    """The steps of the paging rule (create-alert), as delays on contact methods; other rules are counted."""
    steps: list[dict[str, Any]] = []
    for rule in (_data(r) for r in (listed if isinstance(listed, list) else [listed])):
        if not isinstance(rule, dict):
            continue
        action = str(rule.get("actionType", ""))
        if action != PAGING_RULE:
            report.not_carried(f"notification-rules.{action or 'unknown'}",
                               "Warroom's notification rules say how a page reaches a person; other alert "
                               "actions notify through the alert's timeline")
            continue
        for key in ("criteria", "timeRestriction", "schedules", "repeat"):
            if rule.get(key):
                report.not_carried(f"notification-rules.{key}", "a Warroom rule applies to every page")
        for step in _items(rule.get("steps"), "notification-rules.steps"):
            if step.get("enabled") is False:
                continue
            after = _mapping(step.get("sendAfter"))
            amount = after.get("timeAmount", 0)
            minutes = amount * core.UNIT_MINUTES.get(str(after.get("timeUnit", "minutes")), 1) \
                if isinstance(amount, int) and not isinstance(amount, bool) else 0
            steps.append({"contact": _mapping(step.get("contact")), "delayMinutes": minutes})
    return steps


def _key(item: Mapping[str, Any], report: ImportReport) -> dict[str, Any] | None:
    """An integration that takes alerts with ``GenieKey <apiKey>`` keeps that key; others are counted."""
    value = item.get("apiKey")
    kind = str(item.get("type") or "integration")
    if not isinstance(value, str) or not value.strip():
        report.not_carried(f"integrations.{kind}", "only integrations that send with an API key (GenieKey) "
                                                    "become Warroom keys")
        return None
    core.leftover(report, item, {"id", "name", "type", "apiKey", "ownerTeam", "enabled", "teamId"}, "integrations")
    if item.get("enabled") is False:
        report.warnings.append(f"integrations: '{item.get('name')}' is disabled in Opsgenie; its key is live in "
                               "Warroom (revoke it there if it should stay off).")
    owner = item.get("ownerTeam")
    return {"id": item.get("id"), "name": item.get("name") or kind, "kind": "opsgenie", "value": value,
            "ownerTeam": owner if isinstance(owner, dict) and owner else None}


def import_export(*, db: Session, actor: Actor, export: Mapping[str, Any],
                  progress: Progress | None = None) -> ImportReport:
    """Import the whole export in the caller's transaction. Admins only."""
    if not isinstance(export, Mapping):
        raise ExportProblem(f"An export is an object keyed by {', '.join(SECTIONS)}.")
    report = ImportReport()
    return core.apply(db=db, actor=actor, plan=to_plan(export, report), source=SOURCE, report=report,
                      progress=progress)
