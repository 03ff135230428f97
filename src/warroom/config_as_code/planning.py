"""The plan: what applying a file would create, change, delete or keep, object by object, by natural key.

Within an object in the file, its own definition is replaced (a schedule's layers, a policy's steps). Things
others add beside it day to day are kept unless ``prune`` says otherwise: a person's contact methods and
notification rules, a team's members, a schedule's overrides. A status page's groups and components are never
removed by a file (their history is public); objects of a managed section missing from the file are kept and
listed, and deleted only with ``prune`` where Warroom can delete them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from warroom.config_as_code.desired import Desired, Wanted
from warroom.config_as_code.document import Path
from warroom.config_as_code.schema import SECTIONS
from warroom.config_as_code.snapshot import Record, Snapshot, override_order

# Sections whose objects ``prune`` deletes; the others are kept with the reason.
DELETABLE = ("schedules", "escalation_policies", "integration_keys", "status_update_templates", "announcement_days")
NEVER_DELETED = {
    "people": "config never deletes people (their history stays); deactivate them instead",
    "teams": "config never deletes teams",
    "status_pages": "config never deletes status pages (their history is public)",
    "playbooks": "config never deletes playbooks (incidents refer to them)",
}


class Action(enum.StrEnum):
    create = "create"
    change = "change"
    delete = "delete"
    keep = "keep"  # in the database, not in the file
    same = "same"


@dataclass
class Step:
    action: Action
    section: str
    key: str
    want: Record | None = None
    have: Record | None = None
    path: Path = ()
    details: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # children kept, never a change


@dataclass
class Plan:
    steps: list[Step]
    prune: bool

    def of(self, *actions: Action) -> list[Step]:
        return [s for s in self.steps if s.action in actions]

    @property
    def changes(self) -> int:
        return len(self.of(Action.create, Action.change, Action.delete))

    def summary(self) -> str:
        counts = {a: len(self.of(a)) for a in Action}
        return (f"{counts[Action.create]} to create, {counts[Action.change]} to change, "
                f"{counts[Action.delete]} to delete, {counts[Action.keep]} kept, {counts[Action.same]} unchanged")


@dataclass(frozen=True)
class Children:
    """A list inside an object that the file adds to rather than replaces."""

    key: Callable[[Any], Any]
    shown: Callable[[Any], str]
    deletable: bool
    differs: Callable[[Any, Any, bool], bool] = lambda want, have, prune: bool(want != have)


def _rules_differ(want: Record, have: Record, prune: bool) -> bool:
    wanted, held = set(want["notify_after_minutes"]), set(have["notify_after_minutes"])
    return want["label"] != have["label"] or not wanted <= held or (prune and held != wanted)


CHILDREN: dict[tuple[str, str], Children] = {
    ("people", "contact_methods"): Children(lambda m: (m["kind"], m["address"].lower()),
                                            lambda m: f"{m['kind']} {m['address']}", True, _rules_differ),
    ("teams", "members"): Children(lambda h: h, lambda h: f"@{h}", True),
    ("schedules", "overrides"): Children(lambda o: (*override_order(o), o["replaces"]),
                                         lambda o: f"override @{o['user']} {o['start']} to {o['end']}", True),
    ("status_pages", "groups"): Children(lambda g: g, lambda g: f"group {g}", False),
    ("status_pages", "components"): Children(lambda c: c["name"], lambda c: f"component {c['name']}", False),
}


def make(desired: Desired, current: Snapshot, *, prune: bool) -> Plan:
    steps: list[Step] = []
    for section in SECTIONS:
        if section not in desired:
            continue
        held = current[section]
        for key, wanted in desired[section].items():
            steps.append(_compare(wanted, held.get(key), prune))
        for key, have in held.items():
            if key not in desired[section]:
                steps.append(_missing(section, key, have, prune))
    return Plan(steps, prune)


def _missing(section: str, key: str, have: Record, prune: bool) -> Step:
    if prune and section in DELETABLE:
        return Step(Action.delete, section, key, have=have)
    why = NEVER_DELETED.get(section, "not in the file; `--prune` deletes it")
    return Step(Action.keep, section, key, have=have, notes=[why])


def _compare(wanted: Wanted, have: Record | None, prune: bool) -> Step:
    if have is None:
        return Step(Action.create, wanted.section, wanted.key, want=wanted.record, path=wanted.path)
    step = Step(Action.same, wanted.section, wanted.key, want=wanted.record, have=have, path=wanted.path)
    for name, value in wanted.record.items():
        children = CHILDREN.get((wanted.section, name))
        if children is not None:
            _compare_children(step, children, value, have[name], prune)
        elif value != have[name]:
            step.details.extend(_field_details(name, have[name], value))
    if step.details:
        step.action = Action.change
    return step


def _compare_children(step: Step, children: Children, wanted: list[Any], held: list[Any], prune: bool) -> None:
    have = {children.key(item): item for item in held}
    want_keys = set()
    for item in wanted:
        key = children.key(item)
        want_keys.add(key)
        if key not in have:
            step.details.append(f"+ {children.shown(item)}")
        elif children.differs(item, have[key], prune):
            step.details.append(f"~ {children.shown(item)}")
    for key, item in have.items():
        if key in want_keys:
            continue
        if prune and children.deletable:
            step.details.append(f"- {children.shown(item)}")
        else:
            step.notes.append(f"kept: {children.shown(item)} (not in the file)")


def _field_details(name: str, held: Any, wanted: Any) -> list[str]:
    """``repeat: 1 → 2``; for a list of parts (layers, steps), what changed in which part."""
    parts = isinstance(held, list) and isinstance(wanted, list) and all(
        isinstance(v, dict) for v in (*held, *wanted))
    if not parts:
        return [f"{name}: {_short(held)} → {_short(wanted)}"]
    lines = []
    for index, (old, new) in enumerate(zip_longest(held, wanted)):
        where = f"{name}[{index}]"
        if old is None:
            lines.append(f"+ {where}")
        elif new is None:
            lines.append(f"- {where}")
        else:
            lines.extend(f"{where}.{k}: {_short(old.get(k))} → {_short(new[k])}" for k in new if new[k] != old.get(k))
    return lines


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}" if value and isinstance(value[0], dict) \
            else "[" + ", ".join(str(v) for v in value) + "]"
    if value is None or value == "":
        return "(none)"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "…"
