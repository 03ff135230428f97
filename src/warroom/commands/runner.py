"""Run a parsed command through the same flows as every other transport."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.core.errors import WarroomError
from warroom.followups.commands import followup_command
from warroom.incidents import flows, participants
from warroom.incidents.flows import Outcome
from warroom.postmortems.commands import postmortem_command
from warroom.related_issues.commands import github_command
from warroom.retrospectives.commands import retrospective_command
from warroom.roles.models import LEAD, MESSENGER

from .genie import is_genie
from .genie_runner import run_genie
from .language import SPECS, Command, CommandError, help_text, parse
from .runner_types import CommandResult


def run_command(*, db: Session, actor: Actor, text: str, incident_ref: str | None = None) -> CommandResult:
    """Parse and run `/incident …` or `/genie …`. Domain errors keep their message and gain the usage line."""
    if is_genie(text):
        return run_genie(db=db, actor=actor, text=text, incident_ref=incident_ref)
    command = parse(text)
    if command.name == "help":
        return CommandResult(help_text(command.text.strip().lower() or None))
    ref = command.incident or incident_ref
    if command.spec.needs_incident and not ref:
        raise CommandError("Run this in an incident room, or name the incident with --incident INC-42.",
                           command.spec.usage)
    try:
        outcome = _HANDLERS[command.name](db, actor, command, ref or "")
    except CommandError:
        raise
    except WarroomError as error:
        error.hint = command.spec.usage
        raise
    return CommandResult(outcome.message, outcome.incident.ref, outcome.warnings, outcome.data)


def _declare(db: Session, actor: Actor, c: Command, _ref: str) -> Outcome:
    severity = c.flags.get("severity") or ("critical" if c.flags.get("critical") else "") or (
        "major" if c.flags.get("major") else "")
    if not severity:
        raise CommandError("Give a severity: --severity critical (very high impact, e.g. full outage or data "
                           "breach) or --severity major (significant impact, e.g. a sub-system failing).",
                           SPECS["declare"].usage)
    services = [s for s in str(c.flags.get("services", "")).split(",") if s.strip()]
    return flows.declare_incident(
        db=db, actor=actor, title=c.text, severity=severity,
        customer_impact=bool(c.flags.get("customer-impact")), security=bool(c.flags.get("security")),
        suspected=bool(c.flags.get("suspected")), affected_services=services,
        external_reporter=str(c.flags.get("reporter", "")),
    )


def _role(role: str | None) -> Callable[[Session, Actor, Command, str], Outcome]:
    def handler(db: Session, actor: Actor, c: Command, ref: str) -> Outcome:
        return flows.assign_role(db=db, actor=actor, ref=ref, role=role or c.word, who=c.user)
    return handler


def _close(db: Session, actor: Actor, c: Command, ref: str) -> Outcome:
    if "false-positive" in c.flags:
        return flows.close_false_positive(db=db, actor=actor, ref=ref, why=str(c.flags["false-positive"]),
                                          reason=c.flags.get("reason"))
    return flows.close_incident(db=db, actor=actor, ref=ref, reason=c.flags.get("reason"))


_HANDLERS: dict[str, Callable[[Session, Actor, Command, str], Outcome]] = {
    "declare": _declare,
    "lead": _role(LEAD),
    "messenger": _role(MESSENGER),
    "role": _role(None),
    "ack": lambda db, a, c, ref: flows.acknowledge(db=db, actor=a, ref=ref, role=c.text or LEAD),
    "status": lambda db, a, c, ref: flows.set_status(db=db, actor=a, ref=ref, status=c.word, text=c.text),
    "summary": lambda db, a, c, ref: flows.set_summary(db=db, actor=a, ref=ref, summary=c.text),
    "update": lambda db, a, c, ref: flows.post_update(db=db, actor=a, ref=ref, text=c.text),
    "plan": lambda db, a, c, ref: flows.post_update(db=db, actor=a, ref=ref, text=c.text, kind="plan"),
    "tried": lambda db, a, c, ref: flows.post_update(db=db, actor=a, ref=ref, text=c.text, kind="tried",
                                                     result=str(c.flags.get("result", ""))),
    "severity": lambda db, a, c, ref: flows.change_severity(db=db, actor=a, ref=ref, severity=c.word),
    "resolve": lambda db, a, c, ref: flows.resolve_incident(
        db=db, actor=a, ref=ref, false_positive=bool(c.flags.get("false-positive")), text=c.text),
    "close": _close,
    "pin": lambda db, a, c, ref: flows.pin_entry(db=db, actor=a, ref=ref, entry_id=int(c.word)),
    "unpin": lambda db, a, c, ref: flows.pin_entry(db=db, actor=a, ref=ref, entry_id=int(c.word),
                                                   pinned=False),
    "tick": lambda db, a, c, ref: flows.set_checklist_item(db=db, actor=a, ref=ref, key=c.word,
                                                           state="done", note=c.text),
    "skip": lambda db, a, c, ref: flows.set_checklist_item(db=db, actor=a, ref=ref, key=c.word,
                                                           state="skipped", note=c.text),
    "untick": lambda db, a, c, ref: flows.set_checklist_item(db=db, actor=a, ref=ref, key=c.word,
                                                             state="open"),
    "playbook": lambda db, a, c, ref: flows.attach_playbook(db=db, actor=a, ref=ref, slug=c.word),
    "security": lambda db, a, c, ref: flows.update_details(db=db, actor=a, ref=ref, security=True),
    "invite": lambda db, a, c, ref: participants.invite(db=db, actor=a, ref=ref, who=c.user),
    "followup": lambda db, a, c, ref: followup_command(db=db, actor=a, ref=ref, text=c.text,
                                                       due=str(c.flags.get("due", "")),
                                                       priority=str(c.flags.get("priority", "medium"))),
    "postmortem": lambda db, a, c, ref: postmortem_command(db=db, actor=a, ref=ref),
    "retrospective": lambda db, a, c, ref: retrospective_command(db=db, actor=a, ref=ref, text=c.text,
                                                                 cancel=bool(c.flags.get("cancel"))),
    "github": lambda db, a, c, ref: github_command(db=db, actor=a, ref=ref, text=c.text,
                                                   close=bool(c.flags.get("close"))),
}
