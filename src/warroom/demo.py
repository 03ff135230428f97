"""The demo organisation seeded on first run, so a newcomer sees a working system at once."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.announcement_days import service as announcement_days
from warroom.core.actor import Actor
from warroom.core.clock import Clock, FakeClock
from warroom.followups import service as followups
from warroom.incidents import flows
from warroom.oncall.escalation import policies
from warroom.oncall.heartbeats import service as heartbeats
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.schedules import service as schedules
from warroom.playbooks import service as playbooks
from warroom.playbooks.builtin import builtin_playbooks
from warroom.postmortems import service as postmortems
from warroom.reports import service as reports
from warroom.statuspage.service import seed_demo_page
from warroom.timeline.models import TimelineEntry

DEMO_PASSWORD = "warroom-demo"  # noqa: S105  (printed at start-up: it is the demo's published password)


@dataclass(frozen=True)
class DemoPerson:
    handle: str
    name: str
    access: AccessRole
    teams: tuple[str, ...]


TEAMS = {
    "engineering": "Engineering",
    "customer-support": "Customer support",
    "security": "Security",
    "marketing": "Marketing",
    "product": "Product",
}

PEOPLE = [
    DemoPerson("alice", "Alice Admin", AccessRole.admin, ("engineering",)),
    DemoPerson("bob", "Bob Backend", AccessRole.responder, ("engineering",)),
    DemoPerson("carol", "Carol Support", AccessRole.responder, ("customer-support",)),
    DemoPerson("dan", "Dan Security", AccessRole.responder, ("security", "engineering")),
    DemoPerson("erin", "Erin Marketing", AccessRole.responder, ("marketing",)),
    DemoPerson("pat", "Pat Product", AccessRole.responder, ("product",)),
    DemoPerson("vic", "Vic Viewer", AccessRole.viewer, ()),
]

DEMO_DOMAIN = "example.com"

# Each team's on-call rotation keeps its own local time, so the demo shows hand-offs in several zones.
ON_CALL_ZONES = {
    "engineering": "Europe/Berlin",
    "customer-support": "America/New_York",
    "security": "Asia/Tokyo",
    "marketing": "Europe/London",
    "product": "America/Los_Angeles",
}
HANDOFF_CLOCK = "09:00"  # weekly turns hand off on Monday morning, local time
ROTATION_SINCE = date(2026, 1, 5)  # a Monday
ESCALATE_AFTER_MINUTES = 15
ESCALATE_TO = "@alice"  # the admin: paged when the one on call has not acknowledged in time


def is_empty(db: Session) -> bool:
    return db.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def load_builtin_playbooks(*, db: Session, actor: Actor) -> None:
    for file in builtin_playbooks():
        playbooks.save_playbook(db=db, actor=actor, slug=file.slug, title=file.title, body_md=file.body_md,
                                services=file.services, keywords=file.keywords, create=True)


def seed_demo(*, db: Session, clock: Clock) -> None:
    """People, teams, playbooks and one resolved example incident, in one transaction."""
    system = Actor.system(clock)
    teams = {slug: accounts.create_team(db=db, actor=system, slug=slug, name=name) for slug, name in TEAMS.items()}
    users = {}
    for person in PEOPLE:
        user = accounts.create_user(db=db, actor=system, handle=person.handle,
                                    email=f"{person.handle}@{DEMO_DOMAIN}", name=person.name,
                                    password=DEMO_PASSWORD, access_role=person.access)
        users[person.handle] = user
        for slug in person.teams:
            accounts.add_member(db=db, actor=system, team=teams[slug], user=user)
    load_builtin_playbooks(db=db, actor=system)
    _on_call(db, system, teams, users)
    _example_incident(db, clock, users)
    seed_demo_page(db=db, actor=system)
    _upcoming_announcement_day_and_a_report(db, clock)


def _on_call(db: Session, system: Actor, teams: dict[str, Team], users: dict[str, User]) -> None:
    """Every team: a weekly rotation of its members in its own time zone, an escalation policy (the rotation,
    then the admin), one integration key per monitoring source and a heartbeat (off until someone pings it)."""
    for slug, team in teams.items():
        members = [p.handle for p in PEOPLE if slug in p.teams]
        zone = ON_CALL_ZONES[slug]
        schedule = schedules.create_schedule(db=db, actor=system, slug=f"{slug}-primary", name=f"{team.name} primary",
                                             time_zone=zone, team=team,
                                             description=f"{team.name}'s weekly rotation, handing off Mondays at "
                                                         f"{HANDOFF_CLOCK} {zone}.")
        schedules.add_layer(db=db, actor=system, schedule=schedule, rotation="weekly", name="Weekly",
                            handoff_local=_first_handoff(system, zone), participants=[f"@{m}" for m in members])
        policy = policies.create_policy(
            db=db, actor=system, slug=f"{slug}-escalation", name=f"{team.name} escalation", team=team, repeat=1,
            steps=[{"delay_minutes": ESCALATE_AFTER_MINUTES, "targets": [{"type": "schedule", "id": schedule.slug}]},
                   {"delay_minutes": ESCALATE_AFTER_MINUTES, "targets": [{"type": "user", "id": ESCALATE_TO}]}],
            description=f"Pages whoever is on call for {team.name}; @alice after {ESCALATE_AFTER_MINUTES} minutes "
                        "without an acknowledgement.")
        for kind in KeyKind:
            keys.create_key(db=db, actor=system, name=f"{slug}-{kind.value}", kind=kind, team=team,
                            escalation_policy=policy)
        heartbeats.create_heartbeat(db=db, actor=system, name=f"{slug}-nightly-job", interval=24 * 3600,
                                    enabled=False, team=team,
                                    description=f"{team.name}'s nightly job pings this; turn it on to be paged "
                                                "when a night passes without a ping.")


def _first_handoff(actor: Actor, zone: str) -> str:
    """A Monday before both last week and ROTATION_SINCE (local time): someone is on call from the first
    minute, and for the README's `/genie whoisoncall … --at` example, whenever the demo is started."""
    today = actor.clock.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    monday = min(today - timedelta(days=today.weekday() + 7), ROTATION_SINCE)
    return f"{monday.isoformat()}T{HANDOFF_CLOCK}"


def _example_incident(db: Session, clock: Clock, users: dict[str, User]) -> None:
    """Told as it happened over the last three hours, so its timeline, duration and postmortem read true."""
    story = FakeClock(clock.now() - timedelta(hours=3))

    def as_(handle: str, after_minutes: int = 0) -> Actor:
        story.advance(timedelta(minutes=after_minutes))
        user = users[handle]
        return Actor(user.id, user.handle, user.access_role, "demo", story)

    outcome = flows.declare_incident(db=db, actor=as_("pat"), title="Search returns no results for some users",
                                     severity="major", affected_services=["search"],
                                     description="Reported by two customers on the support channel.",
                                     customer_impact=True)
    ref = outcome.incident.ref
    flows.assign_role(db=db, actor=as_("bob", 4), ref=ref, role="lead", who="@bob")
    flows.acknowledge(db=db, actor=as_("bob", 1), ref=ref)
    flows.assign_role(db=db, actor=as_("bob", 2), ref=ref, role="messenger", who="@carol")
    flows.post_update(db=db, actor=as_("bob", 9), ref=ref, kind="plan",
                      text="roll back yesterday's search indexer release")
    flows.set_status(db=db, actor=as_("bob", 6), ref=ref, status="identified",
                     text="Indexer release 4.2 dropped documents for new users")
    flows.post_update(db=db, actor=as_("bob", 14), ref=ref, kind="tried", text="rolling back the indexer to 4.1",
                      result="new users get results again")
    db.flush()
    rollback = db.scalar(sa.select(sa.func.max(TimelineEntry.id)).where(
        TimelineEntry.incident_id == outcome.incident.id))
    if rollback is not None:
        flows.pin_entry(db=db, actor=as_("bob"), ref=ref, entry_id=rollback)
    flows.set_summary(db=db, actor=as_("bob", 3), ref=ref,
                      summary="Indexer 4.2 skipped new users' documents; rolled back to 4.1.")
    flows.set_status(db=db, actor=as_("bob", 2), ref=ref, status="monitoring")
    flows.resolve_incident(db=db, actor=as_("bob", 60), ref=ref, text="No missing results for an hour.")
    due = (clock.now() + timedelta(days=7)).date().isoformat()
    followups.create_followup(db=db, actor=as_("bob"), ref=ref, text="Add an indexer check for new users' documents",
                              owner="@bob", due=due, priority="high")
    _postmortem_in_review(db, ref, as_("bob", 30), as_("carol", 12))


DEMO_POSTMORTEM_SECTIONS = {
    "## What went well\n": "- Support saw the pattern in two reports and declared within minutes.\n"
                           "- Rolling back the indexer was one command and took effect at once.\n",
    "## What went badly\n": "- Release 4.2 went out without a check on newly created users.\n",
    "## Root causes\n": "- The 4.2 indexer skipped documents whose owner was created after the last full "
                        "reindex.\n",
    "## Lessons\n": "- Index health needs a check per user cohort, not only totals.\n",
}


def _postmortem_in_review(db: Session, ref: str, lead: Actor, reviewer: Actor) -> None:
    """A drafted, filled-in postmortem sent for review, with a comment: one click from the library."""
    drafted = postmortems.generate(db=db, actor=lead, ref=ref)
    body = drafted.body
    for heading, text in DEMO_POSTMORTEM_SECTIONS.items():
        body = body.replace(heading, f"{heading}\n{text}", 1)
    postmortems.update(db=db, actor=lead, ref=ref, body=body, state="in_review")
    postmortems.add_comment(db=db, actor=reviewer, ref=ref,
                            body="Looks right. Can we add the support macro we used to the lessons?")


def _upcoming_announcement_day_and_a_report(db: Session, clock: Clock) -> None:
    launch = (clock.now() + timedelta(days=14)).date().isoformat()
    announcement_days.create_day(db=db, actor=Actor.system(clock), spec=announcement_days.DaySpec(
        title="Launch of the new search", kind="launch", time_zone="Europe/Berlin", owner="@erin", date=launch,
        reminder_minutes=15, notes="Blog post 09:00, newsletter 11:00. Carol leads support's plan for the day."))
    reports.receive_report(db=db, actor=Actor.system(clock), submission=reports.form_submission(
        name="Jane Customer", email="jane@customer.example", affected_service="export",
        description="CSV exports have been stuck at 'preparing' for an hour.\nTried twice, same result."))
