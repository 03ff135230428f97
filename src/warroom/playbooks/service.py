"""Playbooks: Markdown per scenario, suggested at declare time, their steps tracked on the incident."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from warroom.accounts.models import AccessRole
from warroom.audit import service as audit
from warroom.checklists.models import ChecklistItem, Phase
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.incidents.models import Incident
from warroom.playbooks.models import IncidentPlaybook, Playbook
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
TASK_RE = re.compile(r"^\s*[-*]\s+\[[ xX]\]\s+(.+?)\s*$")
WORD_RE = re.compile(r"[a-z0-9][a-z0-9-]+")
ANY_SERVICE = "*"  # in a playbook's services: it fits whichever service is affected


def steps_of(body_md: str) -> list[str]:
    """The Markdown task-list lines (``- [ ] roll back``) are the playbook's checklist."""
    return [m.group(1) for line in body_md.splitlines() if (m := TASK_RE.match(line))]


def _clean_list(values: list[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


def get_playbook(*, db: Session, slug: str) -> Playbook:
    playbook = db.scalar(sa.select(Playbook).where(Playbook.slug == slug.strip().lower()))
    if playbook is None:
        meant = _meant(db, slug.strip().lower())
        guess = f" Did you mean '{meant}'?" if meant else ""
        raise NotFound(f"No playbook '{slug}'.{guess} See the Playbooks page for their names.", field="playbook")
    return playbook


def _meant(db: Session, word: str) -> str | None:
    """The playbook a mistyped name most likely meant: closest to a slug, a title or one of its keywords."""
    names: dict[str, str] = {}
    for playbook in db.scalars(sa.select(Playbook).options(defer(Playbook.body_md)).order_by(Playbook.slug)):
        for name in (*playbook.keywords, playbook.title.lower(), playbook.slug.replace("-", ""), playbook.slug):
            names[name] = playbook.slug
    close = difflib.get_close_matches(word, names, n=1)
    return names[close[0]] if close else None


def list_playbooks(*, db: Session) -> list[Playbook]:
    return list(db.scalars(sa.select(Playbook).order_by(Playbook.title)))


def save_playbook(
    *,
    db: Session,
    actor: Actor,
    slug: str,
    title: str,
    body_md: str,
    services: list[str],
    keywords: list[str],
    create: bool,
) -> Playbook:
    actor.require(AccessRole.responder)
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationFailed("A playbook slug is lowercase letters, digits and '-'.", field="slug")
    if not title.strip():
        raise ValidationFailed("A playbook needs a title.", field="title")
    if not body_md.strip():
        raise ValidationFailed("A playbook needs a body (Markdown; '- [ ] step' lines become its checklist).",
                               field="body_md")
    now = actor.clock.now()
    existing = db.scalar(sa.select(Playbook).where(Playbook.slug == slug))
    if create and existing is not None:
        raise Conflict(f"Playbook '{slug}' already exists.", field="slug")
    if not create and existing is None:
        raise NotFound(f"No playbook '{slug}'.", field="slug")
    playbook = existing or Playbook(slug=slug, created_at=now)
    playbook.title = title.strip()
    playbook.body_md = body_md
    playbook.services = _clean_list(services)
    playbook.keywords = _clean_list(keywords)
    playbook.updated_at = now
    db.add(playbook)
    db.flush()
    audit.record(db=db, actor=actor, action="playbook.create" if create else "playbook.update",
                 target_type="playbook", target_id=playbook.id, slug=slug)
    return playbook


@dataclass(frozen=True)
class Suggestion:
    playbook: Playbook
    score: int
    because: str


def suggest(*, db: Session, services: list[str], text: str, limit: int = 5) -> list[Suggestion]:
    """Rank playbooks by affected services (strong) and keywords found in the text (weak).

    A playbook whose services include ``*`` fits any affected service, as weakly as one keyword (and only when
    nothing else of it matched): the handbook's "roll back first" is offered for every outage, below the
    playbooks made for that service.
    """
    wanted = {s.strip().lower() for s in services if s.strip()}
    words = set(WORD_RE.findall(text.lower()))
    found: list[Suggestion] = []
    candidates = db.scalars(sa.select(Playbook).options(defer(Playbook.body_md)).order_by(Playbook.title))
    for playbook in candidates:
        service_hits = sorted(wanted & set(playbook.services))
        keyword_hits = sorted(k for k in playbook.keywords if k in words or (" " in k and k in text.lower()))
        any_service = bool(wanted) and not (service_hits or keyword_hits) and ANY_SERVICE in playbook.services
        score = 3 * len(service_hits) + any_service + len(keyword_hits)
        if score:
            reasons = ([f"service {s}" for s in service_hits] + ["any service"] * any_service
                       + [f"“{k}”" for k in keyword_hits])
            found.append(Suggestion(playbook, score, ", ".join(reasons)))
    found.sort(key=lambda s: (-s.score, s.playbook.title))
    return found[:limit]


def attached_playbooks(*, db: Session, incident_id: int) -> list[Playbook]:
    query = (sa.select(Playbook).join(IncidentPlaybook, IncidentPlaybook.playbook_id == Playbook.id)
             .where(IncidentPlaybook.incident_id == incident_id).order_by(IncidentPlaybook.attached_at, Playbook.slug))
    return list(db.scalars(query))


def attach(*, db: Session, incident: Incident, actor: Actor, playbook: Playbook) -> list[ChecklistItem]:
    if db.get(IncidentPlaybook, (incident.id, playbook.id)) is not None:
        raise Conflict(f"Playbook '{playbook.slug}' is already attached to {incident.ref}.")
    now = actor.clock.now()
    db.add(IncidentPlaybook(incident_id=incident.id, playbook_id=playbook.id,
                            attached_by_id=actor.user_id, attached_at=now))
    start = 1000 + 100 * len(attached_playbooks(db=db, incident_id=incident.id))
    items = [
        ChecklistItem(incident_id=incident.id, key=f"{playbook.slug}-{n}", label=step[:300],
                      phase=Phase.playbook, required=False, position=start + n, playbook_id=playbook.id)
        for n, step in enumerate(steps_of(playbook.body_md), start=1)
    ]
    db.add_all(items)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.playbook_attached,
                       body=f"Attached playbook “{playbook.title}” ({len(items)} steps)", slug=playbook.slug)
    return items
