"""Postmortems: drafted from the incident and its key events, edited, reviewed, published to the library.

A draft is generated once per incident from the template (the built-in one until someone saves their own),
filled with the incident's facts, its key events (pinned room entries and the incident's milestones), its
roles and its follow-ups. It moves draft → in_review → published (and back from review to draft); the body
is Markdown and can be edited until it is published. Publishing writes the Markdown, HTML and PDF exports
through a ``Publisher`` and ticks the "postmortem" checklist step. Generating, state changes and publishing
are said in the incident's room and audited, in the caller's transaction.

Takes a session; commits nothing (the publisher writes its files before the caller commits, so a failed
write leaves the postmortem unpublished).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.checklists import service as checklists
from warroom.checklists.service import POSTMORTEM_GENERATED
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, ValidationFailed, WarroomError
from warroom.followups import service as followups
from warroom.followups.models import FollowUpStatus
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident
from warroom.postmortems import render
from warroom.postmortems.models import Postmortem, PostmortemComment, PostmortemState, PostmortemTemplate
from warroom.postmortems.publish import Document, Publisher, PublishFailed
from warroom.postmortems.template import BUILTIN_TEMPLATE, check_template, fill
from warroom.roles import service as roles
from warroom.roles.models import LEAD, MESSENGER
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind, TimelineEntry

MAX_BODY = 200_000
MAX_COMMENT = 5_000
MAX_TITLE = 200
LIBRARY_LIMIT = 200
TEMPLATE_NAME = "default"
KEY_KINDS = (EntryKind.declared, EntryKind.severity_changed, EntryKind.status_changed, EntryKind.role_assigned,
             EntryKind.resolved)
AGENDA_SECTIONS = ("what went badly", "lessons")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
TRANSITIONS = {
    PostmortemState.draft: (PostmortemState.in_review,),
    PostmortemState.in_review: (PostmortemState.draft, PostmortemState.published),
    PostmortemState.published: (),
}
STATE_WORDS = {PostmortemState.draft: "draft", PostmortemState.in_review: "in review",
               PostmortemState.published: "published"}


class PublishError(WarroomError):
    status = 503
    title = "Publish failed"


@dataclass(frozen=True)
class KeyEvent:
    entry_id: int
    at: datetime
    text: str
    who: str | None

    @property
    def line(self) -> str:
        by = f" (@{self.who})" if self.who else ""
        return f"- {utc(self.at)} — {self.text}{by}"


@dataclass(frozen=True)
class CommentRow:
    comment: PostmortemComment
    author_handle: str | None


@dataclass(frozen=True)
class PostmortemView:
    postmortem: Postmortem
    incident: Incident
    comments: list[CommentRow]
    published_by: str | None

    @property
    def preview_html(self) -> str:
        return render.to_html(self.postmortem.body)


@dataclass(frozen=True)
class LibraryRow:
    postmortem: Postmortem
    incident: Incident


@dataclass(frozen=True)
class Prepared:
    """Exports rendered ahead of publishing, for one version of a postmortem."""

    document: Document
    version: str
    at: datetime


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    content: bytes


EXPORT_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


# Facts -----------------------------------------------------------------------------------------------


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {mins:02d} min"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def key_events(*, db: Session, incident: Incident) -> list[KeyEvent]:
    """The room's key events in time order: pinned entries and the milestones (declared, severity and status
    changes, roles assigned, resolved)."""
    query = (sa.select(TimelineEntry, User.handle).outerjoin(User, User.id == TimelineEntry.actor_id)
             .where(TimelineEntry.incident_id == incident.id,
                    sa.or_(TimelineEntry.pinned.is_(True), TimelineEntry.kind.in_(KEY_KINDS)))
             .order_by(TimelineEntry.id))
    return [KeyEvent(e.id, e.created_at, " ".join(e.body.split()) or e.kind.value.replace("_", " "), handle)
            for e, handle in db.execute(query)]


def _roles(db: Session, incident: Incident) -> str:
    held = roles.holders(db=db, incident_id=incident.id)
    if not held:
        return "- No roles were assigned."
    return "\n".join(f"- {roles.role_label(a.role).capitalize()}: @{u.handle} ({u.name})" for a, u in held)


def _followups(db: Session, incident: Incident) -> str:
    rows = followups.rows_of(db=db, incident=incident)
    if not rows:
        return "- [ ] (none yet: add follow-ups to the incident)"
    lines = []
    for row in rows:
        f = row.followup
        done = "x" if f.status is FollowUpStatus.done else " "
        extra = [f"@{row.owner_handle}" if row.owner_handle else "", f"due {f.due_on.isoformat()}" if f.due_on else "",
                 row.issue_label]
        detail = ", ".join(e for e in extra if e)
        lines.append(f"- [{done}] #{f.id} {f.text}" + (f" ({detail})" if detail else ""))
    return "\n".join(lines)


def facts(*, db: Session, incident: Incident, now: datetime) -> dict[str, str]:
    """What generation fills the template's placeholders with."""
    end = incident.resolved_at
    lasted = duration(end - incident.declared_at) if end else f"{duration(now - incident.declared_at)} (ongoing)"
    resolution = ("False positive" if incident.is_false_positive else "Fixed") if incident.resolution else (
        "Not resolved yet")
    events = key_events(db=db, incident=incident)
    return {
        "ref": incident.ref,
        "title": incident.title,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "declared_at": utc(incident.declared_at),
        "resolved_at": utc(end) if end else "not resolved",
        "duration": lasted,
        "customer_impact": "Yes" if incident.customer_impact else "No",
        "affected_services": ", ".join(incident.affected_services) or "none recorded",
        "resolution": resolution,
        "lead": _handle(roles.holder_handle(db=db, incident_id=incident.id, role=LEAD)),
        "messenger": _handle(roles.holder_handle(db=db, incident_id=incident.id, role=MESSENGER)),
        "roles": _roles(db, incident),
        "summary": incident.summary.strip() or incident.description.strip() or "(Write a short summary.)",
        "description": incident.description.strip() or "(none)",
        "timeline": "\n".join(e.line for e in events) or "- (no key events)",
        "followups": _followups(db, incident),
    }


def _handle(handle: str | None) -> str:
    return f"@{handle}" if handle else "nobody"


# Template --------------------------------------------------------------------------------------------


def template_body(*, db: Session) -> str:
    row = db.get(PostmortemTemplate, TEMPLATE_NAME)
    return row.body if row is not None else BUILTIN_TEMPLATE


def template_is_builtin(*, db: Session) -> bool:
    return db.get(PostmortemTemplate, TEMPLATE_NAME) is None


def set_template(*, db: Session, actor: Actor, body: str) -> PostmortemTemplate:
    """Save the template new postmortems are drafted from; an empty body is refused (reset_template instead)."""
    actor.require(AccessRole.responder)
    text = check_template(body)
    row = db.get(PostmortemTemplate, TEMPLATE_NAME)
    now = actor.clock.now()
    if row is None:
        row = PostmortemTemplate(name=TEMPLATE_NAME, body=text, updated_by_id=actor.user_id, updated_at=now)
        db.add(row)
    else:
        row.body, row.updated_by_id, row.updated_at = text, actor.user_id, now
    audit.record(db=db, actor=actor, action="postmortem.template_saved", target_type="postmortem_template",
                 target_id=TEMPLATE_NAME, length=len(text))
    return row


def reset_template(*, db: Session, actor: Actor) -> None:
    actor.require(AccessRole.responder)
    row = db.get(PostmortemTemplate, TEMPLATE_NAME)
    if row is not None:
        db.delete(row)
        audit.record(db=db, actor=actor, action="postmortem.template_reset", target_type="postmortem_template",
                     target_id=TEMPLATE_NAME)


# Finding ---------------------------------------------------------------------------------------------


def find_for_incident(*, db: Session, incident_id: int) -> Postmortem | None:
    return db.scalar(sa.select(Postmortem).where(Postmortem.incident_id == incident_id))


def _missing(incident: Incident) -> NotFound:
    return NotFound(f"{incident.ref} has no postmortem yet; generate one (POST /api/v1/incidents/{incident.ref}/"
                    f"postmortem, or `warroom incident postmortem {incident.ref} --generate`).", field="postmortem")


def _visible_incident(db: Session, actor: Actor, ref: str | int, *, lock: bool = False) -> Incident:
    incident = incidents.lock_incident(db=db, ref=ref) if lock else incidents.get_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    return incident


def _for_change(db: Session, actor: Actor, ref: str | int) -> tuple[Postmortem, Incident]:
    actor.require(AccessRole.responder)
    incident = _visible_incident(db, actor, ref, lock=True)
    postmortem = find_for_incident(db=db, incident_id=incident.id)
    if postmortem is None:
        raise _missing(incident)
    return postmortem, incident


def get_postmortem(*, db: Session, actor: Actor, ref: str | int) -> PostmortemView:
    incident = _visible_incident(db, actor, ref)
    postmortem = find_for_incident(db=db, incident_id=incident.id)
    if postmortem is None:
        raise _missing(incident)
    return view_of(db=db, postmortem=postmortem, incident=incident)


def incident_of(*, db: Session, postmortem: Postmortem) -> Incident:
    return incidents.get_incident(db=db, ref=postmortem.incident_id)


def view_of(*, db: Session, postmortem: Postmortem, incident: Incident) -> PostmortemView:
    publisher = db.get(User, postmortem.published_by_id) if postmortem.published_by_id else None
    return PostmortemView(postmortem, incident, list_comments(db=db, postmortem=postmortem),
                          publisher.handle if publisher else None)


# Generate --------------------------------------------------------------------------------------------


def generate(*, db: Session, actor: Actor, ref: str | int) -> Postmortem:
    """Draft the incident's postmortem from the template; one per incident (edit the existing one)."""
    actor.require(AccessRole.responder)
    incident = _visible_incident(db, actor, ref, lock=True)
    if incident.status.is_active:
        raise Conflict(f"{incident.ref} is still {incident.status.value}: resolve it first, then generate its "
                       "postmortem.", field="incident")
    existing = find_for_incident(db=db, incident_id=incident.id)
    if existing is not None:
        raise Conflict(f"{incident.ref} already has a postmortem ({STATE_WORDS[existing.state]}); edit it at "
                       f"/incidents/{incident.ref}/postmortem.", field="postmortem")
    now = actor.clock.now()
    body = fill(template_body(db=db), facts(db=db, incident=incident, now=now))
    postmortem = Postmortem(incident_id=incident.id, title=f"{incident.ref}: {incident.title}"[:MAX_TITLE],
                            body=body, state=PostmortemState.draft, created_by_id=actor.user_id, created_at=now,
                            updated_by_id=actor.user_id, updated_at=now, published_to="")
    db.add(postmortem)
    db.flush()
    audit.record(db=db, actor=actor, action="postmortem.generated", target_type="postmortem",
                 target_id=postmortem.id, incident_id=incident.id)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Postmortem drafted: /incidents/{incident.ref}/postmortem", postmortem_id=postmortem.id)
    return postmortem


# Edit ------------------------------------------------------------------------------------------------


def clean_body(value: str) -> str:
    text = value.replace("\r\n", "\n")
    if not text.strip():
        raise ValidationFailed("A postmortem cannot be empty; write it in Markdown.", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed(f"A postmortem is at most {MAX_BODY} characters (this one has {len(text)}).",
                               field="body")
    return text


def clean_title(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValidationFailed("A postmortem needs a title.", field="title")
    if len(text) > MAX_TITLE:
        raise ValidationFailed(f"A postmortem's title is at most {MAX_TITLE} characters.", field="title")
    return text


def parse_state(value: str) -> PostmortemState:
    text = value.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return PostmortemState(text)
    except ValueError:
        raise ValidationFailed(f"Unknown state '{value}'. Use draft, in_review or published.",
                               field="state") from None


def update(
    *, db: Session, actor: Actor, ref: str | int, body: str | None = None, title: str | None = None,
    state: str | None = None, publisher: Publisher | None = None, prepared: Prepared | None = None,
) -> Postmortem:
    """Change the body, the title and/or the state; everything is checked before anything changes.

    Publishing renders the exports here unless ``prepared`` (from ``prepare_publication``, outside the write
    transaction) holds them for exactly this version of the postmortem.
    """
    postmortem, incident = _for_change(db, actor, ref)
    if prepared is not None and prepared.version != version_of(postmortem):
        raise Conflict("The postmortem changed while it was being published; reload it and publish again.",
                       field="state")
    new_body = clean_body(body) if body is not None else None
    new_title = clean_title(title) if title is not None else None
    target = parse_state(state) if state is not None else None
    editing = (new_body is not None and new_body != postmortem.body) or (
        new_title is not None and new_title != postmortem.title)
    if editing and postmortem.state is PostmortemState.published:
        raise Conflict(f"The postmortem of {incident.ref} is published and can no longer be edited.",
                       field="body")
    if target is not None and target is not postmortem.state:
        allowed = TRANSITIONS[postmortem.state]
        if target not in allowed:
            nexts = " or ".join(STATE_WORDS[s] for s in allowed) or "nothing (it is final)"
            raise Conflict(f"A {STATE_WORDS[postmortem.state]} postmortem cannot become "
                           f"{STATE_WORDS[target]}; it can move to {nexts}.", field="state")
        if target is PostmortemState.published and publisher is None:
            raise Conflict("No publish target is set up; set WARROOM_POSTMORTEM_DIR.", field="state")
    now = actor.clock.now()
    if editing:
        postmortem.body = new_body if new_body is not None else postmortem.body
        postmortem.title = new_title if new_title is not None else postmortem.title
        postmortem.updated_by_id, postmortem.updated_at = actor.user_id, now
        audit.record(db=db, actor=actor, action="postmortem.edited", target_type="postmortem",
                     target_id=postmortem.id, incident_id=incident.id, length=len(postmortem.body))
    if target is not None and target is not postmortem.state:
        if target is PostmortemState.published:
            assert publisher is not None
            _publish(db, actor, incident, postmortem, publisher, prepared)
        else:
            _move(db, actor, incident, postmortem, target)
    return postmortem


def _move(db: Session, actor: Actor, incident: Incident, postmortem: Postmortem, target: PostmortemState) -> None:
    before = postmortem.state
    postmortem.state = target
    postmortem.updated_at = actor.clock.now()
    audit.record(db=db, actor=actor, action="postmortem.state_changed", target_type="postmortem",
                 target_id=postmortem.id, incident_id=incident.id, before=before.value, after=target.value)
    said = "sent for review" if target is PostmortemState.in_review else "back to draft"
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Postmortem {said}", postmortem_id=postmortem.id, state=target.value)


def _publish(db: Session, actor: Actor, incident: Incident, postmortem: Postmortem, publisher: Publisher,
             prepared: Prepared | None) -> None:
    now = prepared.at if prepared is not None else actor.clock.now()
    postmortem.state = PostmortemState.published
    postmortem.published_by_id, postmortem.published_at, postmortem.updated_at = actor.user_id, now, now
    document = prepared.document if prepared is not None else document_of(
        postmortem=postmortem, incident=incident, published_by=actor.handle)
    try:
        where = publisher.publish(document)
    except PublishFailed as error:
        raise PublishError(str(error), field="state") from None
    postmortem.published_to = where[:1000]
    audit.record(db=db, actor=actor, action="postmortem.published", target_type="postmortem",
                 target_id=postmortem.id, incident_id=incident.id, to=postmortem.published_to)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Postmortem published (Markdown, HTML and PDF): /incidents/{incident.ref}/postmortem",
                       postmortem_id=postmortem.id, state=PostmortemState.published.value)
    checklists.tick_if_open(db=db, incident=incident, actor=actor, key=POSTMORTEM_GENERATED)


# Comments --------------------------------------------------------------------------------------------


def add_comment(*, db: Session, actor: Actor, ref: str | int, body: str) -> PostmortemComment:
    postmortem, incident = _for_change(db, actor, ref)
    text = body.strip().replace("\r\n", "\n")
    if not text:
        raise ValidationFailed("Write something: a comment cannot be empty.", field="body")
    if len(text) > MAX_COMMENT:
        raise ValidationFailed(f"A comment is at most {MAX_COMMENT} characters (this one has {len(text)}).",
                               field="body")
    comment = PostmortemComment(postmortem_id=postmortem.id, author_id=actor.user_id, body=text,
                                created_at=actor.clock.now())
    db.add(comment)
    db.flush()
    audit.record(db=db, actor=actor, action="postmortem.commented", target_type="postmortem",
                 target_id=postmortem.id, incident_id=incident.id, comment_id=comment.id)
    return comment


def list_comments(*, db: Session, postmortem: Postmortem) -> list[CommentRow]:
    query = (sa.select(PostmortemComment, User.handle).outerjoin(User, User.id == PostmortemComment.author_id)
             .where(PostmortemComment.postmortem_id == postmortem.id).order_by(PostmortemComment.id))
    return [CommentRow(c, handle) for c, handle in db.execute(query)]


# Library and exports ---------------------------------------------------------------------------------


def library(*, db: Session, actor: Actor, q: str = "") -> list[LibraryRow]:
    """Published postmortems, newest first; ``q`` matches the title or body (case-insensitive)."""
    query = (sa.select(Postmortem, Incident).join(Incident, Incident.id == Postmortem.incident_id)
             .where(Postmortem.state == PostmortemState.published, visibility.visible_to(actor))
             .order_by(Postmortem.published_at.desc(), Postmortem.id.desc()).limit(LIBRARY_LIMIT))
    words = q.split()[:10]
    for word in words:
        needle = word.lower()[:100]
        query = query.where(sa.or_(sa.func.lower(Postmortem.title).contains(needle, autoescape=True),
                                   sa.func.lower(Postmortem.body).contains(needle, autoescape=True)))
    return [LibraryRow(p, i) for p, i in db.execute(query)]


def _footer(postmortem: Postmortem, incident: Incident, published_by: str | None) -> str:
    if postmortem.state is PostmortemState.published and postmortem.published_at is not None:
        return _published_footer(incident.ref, postmortem.published_at, published_by)
    return f"Postmortem of {incident.ref} ({STATE_WORDS[postmortem.state]}, not published)."


def _published_footer(ref: str, at: datetime, published_by: str | None) -> str:
    by = f" by @{published_by}" if published_by else ""
    return f"Postmortem of {ref}, published {utc(at)}{by}."


def _document(ref: str, title: str, body: str, footer: str) -> Document:
    markdown = body.rstrip("\n") + "\n"
    return Document(ref=ref, title=title, markdown=markdown,
                    html=render.html_page(title=title, markdown=markdown, footer=footer),
                    pdf=render.pdf_bytes(title=title, markdown=markdown, footer=footer))


def document_of(*, postmortem: Postmortem, incident: Incident, published_by: str | None) -> Document:
    return _document(incident.ref, postmortem.title, postmortem.body, _footer(postmortem, incident, published_by))


def prepare_publication(*, db: Session, actor: Actor, ref: str | int, body: str | None = None,
                        title: str | None = None) -> Prepared | None:
    """Render the exports of an in-review postmortem (with the body and title about to be saved) in a read
    session, so the write transaction that publishes does not hold its locks while a PDF is laid out.
    None when there is nothing to prepare; ``update`` then says why it cannot publish."""
    try:
        view = get_postmortem(db=db, actor=actor, ref=ref)
        text = clean_body(body) if body is not None else view.postmortem.body
        name = clean_title(title) if title is not None else view.postmortem.title
    except WarroomError:
        return None
    p = view.postmortem
    if p.state is not PostmortemState.in_review:
        return None
    at = actor.clock.now()
    document = _document(view.incident.ref, name, text, _published_footer(view.incident.ref, at, actor.handle))
    return Prepared(document, version_of(p), at)


def version_of(postmortem: Postmortem) -> str:
    """Changes whenever the stored postmortem does (even within one clock tick)."""
    text = f"{postmortem.id}\0{postmortem.updated_at.isoformat()}\0{postmortem.state.value}\0{postmortem.title}\0"
    return hashlib.sha256((text + postmortem.body).encode()).hexdigest()


def wants_publish(state: str | None) -> bool:
    return state is not None and state.strip().lower() == PostmortemState.published.value


def parse_format(value: str) -> str:
    fmt = value.strip().lower().lstrip(".")
    fmt = {"markdown": "md", "htm": "html"}.get(fmt, fmt)
    if fmt not in EXPORT_TYPES:
        raise ValidationFailed(f"Unknown export format '{value}'. Use md, html or pdf.", field="format")
    return fmt


def export(*, db: Session, actor: Actor, ref: str | int, fmt: str) -> Export:
    kind = parse_format(fmt)
    view = get_postmortem(db=db, actor=actor, ref=ref)
    p, incident = view.postmortem, view.incident
    footer = _footer(p, incident, view.published_by)
    markdown = p.body.rstrip("\n") + "\n"
    name = Document(incident.ref, p.title, "", "", b"").folder_name
    if kind == "md":
        content = markdown.encode()
    elif kind == "html":
        content = render.html_page(title=p.title, markdown=markdown, footer=footer).encode()
    else:
        content = render.pdf_bytes(title=p.title, markdown=markdown, footer=footer)
    return Export(f"{name}.{kind}", EXPORT_TYPES[kind], content)


# For retrospectives ----------------------------------------------------------------------------------


def sections(markdown: str) -> dict[str, list[str]]:
    """The body's lines under each heading, keyed by the heading's lower-case text."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in markdown.splitlines():
        heading = HEADING.match(line)
        if heading:
            current = found.setdefault(heading.group(1).strip().lower(), [])
        elif current is not None:
            current.append(line)
    return found


def agenda_points(postmortem: Postmortem) -> list[str]:
    """The "what went badly" and "lessons" sections' points, one per bullet (or paragraph line)."""
    by_heading = sections(postmortem.body)
    points: list[str] = []
    for name in AGENDA_SECTIONS:
        for line in by_heading.get(name, []):
            text = BULLET.sub("", line).strip()
            if text and text not in points:
                points.append(text)
    return points
