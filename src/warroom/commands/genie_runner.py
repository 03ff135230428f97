"""Run `/genie …` commands through the paging flows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.core.errors import WarroomError
from warroom.oncall import paging
from warroom.oncall.alerts import privacy
from warroom.oncall.alerts import service as alerts

from .genie import USAGE, GenieCommand, genie_help, parse_genie
from .runner_types import CommandResult


def run_genie(*, db: Session, actor: Actor, text: str, incident_ref: str | None = None) -> CommandResult:
    command = parse_genie(text)
    try:
        return _run(db, actor, command, incident_ref)
    except WarroomError as error:
        if error.hint is None:
            error.hint = USAGE[command.name]
        raise


def _run(db: Session, actor: Actor, command: GenieCommand, incident_ref: str | None) -> CommandResult:
    if command.name == "help":
        return CommandResult(genie_help(command.text or None))
    if command.name == "whoisoncall":
        now = actor.clock.now()
        at = command.at or now
        lines = paging.who_is_on_call(db=db, target=command.target, at=at)
        return CommandResult(paging.describe_on_call(lines, at, now), incident_ref,
                             data={"on_call": [{"schedule": line.schedule, "team": line.team,
                                                "users": [p.handle for p in line.people]} for line in lines]})
    if command.name == "alert":
        paged = paging.page(db=db, actor=actor, description=command.text, target=command.target,
                            priority=command.flags.get("priority"), incident_ref=incident_ref)
        verb = "Paged" if paged.created else "Already paging"
        return CommandResult(f"{verb} {paged.label}: alert #{paged.alert_id}", paged.incident_ref,
                             data={"alert_id": paged.alert_id})
    alert = alerts.find_alert(db=db, identifier=command.alert)
    if command.name == "ack":
        alerts.acknowledge(db=db, actor=actor, alert_id=alert.id, note=command.text)
        said = alert.message if privacy.may_read(db, actor, alert) else privacy.REDACTED_MESSAGE
        return CommandResult(f"Acknowledged alert #{alert.id}: {said}", incident_ref)
    if command.name == "unack":
        alerts.unacknowledge(db=db, actor=actor, alert_id=alert.id, note=command.text)
        return CommandResult(f"Alert #{alert.id} is open again; escalation restarts", incident_ref)
    if command.name == "close":
        alerts.close(db=db, actor=actor, alert_id=alert.id, note=command.text)
        return CommandResult(f"Closed alert #{alert.id}", incident_ref)
    alerts.add_note(db=db, actor=actor, alert_id=alert.id, note=command.text)
    return CommandResult(f"Note added to alert #{alert.id}", incident_ref)
