"""Config as code, end to end: export the database as YAML, plan a file against it, apply a file.

Takes a session; commits nothing (the caller's transaction is the one transaction of an apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy.orm import Session

from warroom.config_as_code import applying, desired, document, planning, snapshot
from warroom.config_as_code.applying import NewSecret
from warroom.config_as_code.planning import Action, Plan, Step
from warroom.config_as_code.schema import SECTIONS, VERSION
from warroom.core.actor import Actor
from warroom.core.outbound import OutboundPolicy

HEADER = ("# Warroom configuration: `warroom config plan -f FILE` shows what applying it changes, "
          "`warroom config apply -f FILE` applies it.\n# Editors: the JSON Schema is `warroom config schema` "
          "(docs/config.schema.json).\n")
# Left out of the file when they hold their default, so an exported file reads like a hand-written one.
DEFAULTS: dict[str, Any] = {"dedup_per_alert": False, "listed": True, "repeat": 0}


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Multi-line text (playbooks, template bodies) as literal blocks, not escaped one-liners."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    """Short lists of names and numbers on one line: ``participants: [alice, bob]``."""
    flat = bool(value) and all(isinstance(v, (str, int)) and "\n" not in str(v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(list, _list)


def _compact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()
                if v is not None and v != "" and v != [] and not (k in DEFAULTS and DEFAULTS[k] == v
                                                                  and type(DEFAULTS[k]) is type(v))}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def export_text(*, db: Session, now: datetime) -> str:
    """The whole configuration as the file ``apply`` reads (the same database gives the same bytes)."""
    current = snapshot.take(db, now)
    data: dict[str, Any] = {"version": VERSION}
    for section in SECTIONS:
        data[section] = [_compact(record) for record in current[section].values()]
    return HEADER + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


@dataclass(frozen=True)
class Planned:
    plan: Plan
    document: document.Document


def plan(*, db: Session, text: str, now: datetime, prune: bool = False) -> Planned:
    """Read ``text`` (refusing it with a line number when it is not a valid file) and compare it."""
    read = document.read(text)
    current = snapshot.take(db, now)
    return Planned(planning.make(desired.read(read, current), current, prune=prune), read)


@dataclass(frozen=True)
class Applied:
    plan: Plan
    secrets: list[NewSecret]


def apply(*, db: Session, actor: Actor, text: str, outbound: OutboundPolicy, prune: bool = False) -> Applied:
    planned = plan(db=db, text=text, now=actor.clock.now(), prune=prune)
    secrets = applying.apply(db=db, actor=actor, plan=planned.plan, document=planned.document, outbound=outbound)
    return Applied(planned.plan, secrets)


SIGNS = {Action.create: "+", Action.change: "~", Action.delete: "-", Action.keep: "=", Action.same: " "}


def describe(step: Step) -> list[str]:
    """A step as plan and apply print it: one head line, then its details and notes indented."""
    head = f"{SIGNS[step.action]} {step.action.value} {step.section} {step.key}"
    return [head, *(f"    {d}" for d in step.details), *(f"    {n}" for n in step.notes)]


def as_json(step: Step) -> dict[str, Any]:
    return {"action": step.action.value, "section": step.section, "key": step.key, "details": step.details,
            "notes": step.notes}
