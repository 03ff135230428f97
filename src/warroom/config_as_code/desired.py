"""A read file as canonical records: the same shape ``snapshot`` gives, defaults filled, names as stored.

Values are checked as far as the file alone can tell (times, zones, duplicate keys); everything else is the
domain services' to refuse when the plan is applied, and that refusal names the object's line too.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.config_as_code.document import Document, Path
from warroom.config_as_code.schema import SECTIONS
from warroom.config_as_code.snapshot import Record, Snapshot, day_key, key_name, override_order, stamp
from warroom.core.clock import as_utc
from warroom.core.errors import WarroomError
from warroom.oncall.schedules.service import valid_time_zone


@dataclass(frozen=True)
class Wanted:
    """One object the file asks for: its canonical record and where it is."""

    section: str
    key: str
    record: Record
    path: Path


Desired = dict[str, dict[str, Wanted]]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _slug(text: str | None) -> str | None:
    return None if text is None or not text.strip() else text.strip().lstrip("@").lower()


@dataclass
class _Reader:
    document: Document
    emails: dict[str, str]  # email -> handle, from the file and the database

    def person(self, text: str) -> str:
        name = text.strip().lstrip("@").lower()
        return self.emails.get(name, name) if "@" in name else name

    def at(self, path: Path, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except WarroomError as error:
            raise self.document.fail(path, error.message) from None
        except ValueError as error:
            raise self.document.fail(path, str(error)) from None


def read(document: Document, current: Snapshot) -> Desired:
    emails = {r["email"]: handle for handle, r in current["people"].items()}
    emails.update({p["email"].strip().lower(): p["handle"].strip().lstrip("@").lower()
                   for p in document.section("people")})
    reader = _Reader(document, emails)
    desired: Desired = {}
    for section in SECTIONS:
        if section not in document.data:
            continue  # a section the file leaves out is not managed by it
        desired[section] = {}
        for index, item in enumerate(document.section(section)):
            path: Path = (section, index)
            record = _READERS[section](reader, item, path)
            key = _KEYS[section](record)
            if key in desired[section]:
                first = document.line(desired[section][key].path)
                raise document.fail(path, f"'{key}' is already given on line {first}.")
            desired[section][key] = Wanted(section, key, record, path)
    return desired


def _person(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    methods = [{"kind": m["kind"], "address": m["address"].strip(), "label": _one_line(m.get("label", "")),
                "notify_after_minutes": sorted(set(m.get("notify_after_minutes", [])))}
               for m in item.get("contact_methods", [])]
    return {"handle": r.person(item["handle"]), "email": item["email"].strip().lower(),
            "name": item["name"].strip(), "access": item.get("access", "responder"),
            "contact_methods": sorted(methods, key=lambda m: (m["kind"], m["address"]))}


def _team(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    slug = str(_slug(item["slug"]))
    return {"slug": slug, "name": item.get("name", "").strip() or slug,
            "members": sorted({r.person(m) for m in item.get("members", [])})}


def _aware(r: _Reader, path: Path, text: str, zone: str) -> datetime:
    def parse() -> datetime:
        moment = datetime.fromisoformat(text.strip())
        return as_utc(moment if moment.tzinfo else moment.replace(tzinfo=zoneinfo.ZoneInfo(zone)))
    value: datetime = r.at(path, parse)
    return value


def _layer(r: _Reader, item: Mapping[str, Any], path: Path, number: int) -> Record:
    custom = item["rotation"] == "custom"
    limits = [{"days": sorted(set(w["days"])), "start": w["start"], "end": w["end"]}
              for w in item.get("restrictions", [])]
    edges = {edge: stamp(_aware(r, (*path, edge), item[edge], "UTC"), "UTC") if item.get(edge) else None
             for edge in ("starts_at", "ends_at")}
    return {"name": _one_line(item.get("name", "")) or f"Layer {number}", "rotation": item["rotation"],
            "length_hours": item.get("length_hours") if custom else None, "handoff": item["handoff"].strip(),
            "participants": [r.person(p) for p in item["participants"]], "restrictions": limits, **edges}


def _override(r: _Reader, item: Mapping[str, Any], path: Path, zone: str) -> Record:
    replaces = item.get("replaces")
    return {"user": r.person(item["user"]), "replaces": r.person(replaces) if replaces else None,
            "start": stamp(_aware(r, (*path, "start"), item["start"], zone), zone),
            "end": stamp(_aware(r, (*path, "end"), item["end"], zone), zone)}


def _schedule(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    zone: str = r.at((*path, "time_zone"), lambda: valid_time_zone(item["time_zone"]))
    layers = [_layer(r, layer, (*path, "layers", i), i + 1) for i, layer in enumerate(item.get("layers", []))]
    overrides = [_override(r, o, (*path, "overrides", i), zone) for i, o in enumerate(item.get("overrides", []))]
    return {"slug": str(_slug(item["slug"])), "name": item["name"].strip(), "time_zone": zone,
            "team": _slug(item.get("team")), "description": item.get("description", "").strip(),
            "layers": layers, "overrides": sorted(overrides, key=override_order)}


def _target(r: _Reader, target: Mapping[str, str]) -> dict[str, str]:
    kind, name = next(iter(target.items()))
    return {kind: r.person(name) if kind == "user" else str(_slug(name))}


def _policy(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    steps = [{"delay_minutes": s.get("delay_minutes", 0), "targets": [_target(r, t) for t in s["targets"]]}
             for s in item["steps"]]
    return {"slug": str(_slug(item["slug"])), "name": _one_line(item["name"]), "team": _slug(item.get("team")),
            "repeat": item.get("repeat", 0), "description": item.get("description", "").strip(), "steps": steps}


def _key(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    return {"name": _one_line(item["name"]), "kind": item["kind"], "team": _slug(item.get("team")),
            "escalation_policy": _slug(item.get("escalation_policy")),
            "dedup_per_alert": item.get("dedup_per_alert", False)}


def _page(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    components = [{"name": _one_line(c["name"]), "description": _one_line(c.get("description", "")),
                   "group": _one_line(c["group"]) if c.get("group") else None} for c in item.get("components", [])]
    return {"slug": str(_slug(item["slug"])), "name": _one_line(item["name"]),
            "description": item.get("description", "").strip(), "team": _slug(item.get("team")),
            "listed": item.get("listed", True), "groups": [_one_line(g) for g in item.get("groups", [])],
            "components": components}


def _template(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    return {"status": item["status"], "title": _one_line(item["title"]), "body": item["body"].strip()}


def _playbook(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    def words(name: str) -> list[str]:
        return sorted({w.strip().lower() for w in item.get(name, []) if w.strip()})
    return {"slug": str(_slug(item["slug"])), "title": item["title"].strip(), "services": words("services"),
            "keywords": words("keywords"), "body": item["body"]}


def _day(r: _Reader, item: Mapping[str, Any], path: Path) -> Record:
    def text(name: str) -> str | None:
        value = str(item.get(name) or "").strip()
        return value or None
    return {"title": _one_line(item["title"]), "kind": item["kind"], "time_zone": item["time_zone"].strip(),
            "owner": r.person(item["owner"]), "date": text("date"), "starts": text("starts"), "ends": text("ends"),
            "reminder_minutes": item.get("reminder_minutes"), "notes": item.get("notes", "").strip()}


_READERS: dict[str, Callable[[_Reader, Mapping[str, Any], Path], Record]] = {
    "people": _person, "teams": _team, "schedules": _schedule, "escalation_policies": _policy,
    "integration_keys": _key, "status_pages": _page, "status_update_templates": _template, "playbooks": _playbook,
    "announcement_days": _day,
}
_KEYS: dict[str, Callable[[Record], str]] = {
    "people": lambda r: str(r["handle"]), "teams": lambda r: str(r["slug"]), "schedules": lambda r: str(r["slug"]),
    "escalation_policies": lambda r: str(r["slug"]), "integration_keys": lambda r: key_name(r["kind"], r["name"]),
    "status_pages": lambda r: str(r["slug"]), "status_update_templates": lambda r: str(r["status"]),
    "playbooks": lambda r: str(r["slug"]), "announcement_days": day_key,
}
