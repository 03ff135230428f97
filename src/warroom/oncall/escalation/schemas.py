"""Escalation policies on the wire: ordered steps of targets and delays, repeated N times.

Inputs forbid unknown fields. Targets, delays and repeat stay loosely typed here: the service checks
them and says what is wrong in words (which step, which target, what is allowed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from warroom.core.bounds import Int, Ref
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetIn(Input):
    type: str = Field(description="user, schedule or team.", examples=["schedule"])
    id: Ref | str = Field(description="An id, or @handle / email (people) or slug (schedules, teams).",
                          examples=["platform-primary"])


class StepIn(Input):
    delay_minutes: Int = Field(0, description="0 to 1440: how long to wait for an acknowledgement before the "
                                              "next step.", examples=[5])
    targets: list[TargetIn] = Field(description="Who this step pages (1 to 20).")


class PolicyBody(Input):
    name: str = Field(examples=["Engineering default"])
    team: str | None = Field(None, description="Slug of the team whose pages run this policy (one per team).",
                             examples=["engineering"])
    repeat: Int = Field(0, description="How many more times the steps run when nobody acknowledges (0-10).")
    description: str = ""
    steps: list[StepIn] = Field(description="In the order they page (1 to 20).")

    def steps_plain(self) -> list[dict[str, Any]]:
        return [step.model_dump() for step in self.steps]


class PolicyIn(PolicyBody):
    slug: str = Field(examples=["engineering-default"])


class PolicyReplaceIn(PolicyBody):
    """PUT: the whole policy as it should be from now on (the slug stays)."""


class TargetOut(BaseModel):
    type: str
    id: int
    name: str = Field(description="Handle or slug.")


class StepOut(BaseModel):
    position: int = Field(description="1 for the first step.")
    delay_minutes: int
    targets: list[TargetOut]

    @classmethod
    def of(cls, step: EscalationStep, names: Mapping[tuple[str, int], str]) -> StepOut:
        targets = [TargetOut(type=t["type"], id=int(t["id"]),
                             name=names.get((t["type"], int(t["id"])), f"{t['type']}-{t['id']}"))
                   for t in step.targets]
        return cls(position=step.position + 1, delay_minutes=step.delay_minutes, targets=targets)


class PolicyOut(BaseModel):
    id: int
    slug: str
    name: str
    team: str | None = Field(description="Team slug.")
    repeat: int
    description: str
    steps: list[StepOut]
    created_at: datetime

    @classmethod
    def of(cls, policy: EscalationPolicy, steps: Sequence[EscalationStep],
           names: Mapping[tuple[str, int], str]) -> PolicyOut:
        team = names.get(("team", policy.team_id)) if policy.team_id else None
        return cls(id=policy.id, slug=policy.slug, name=policy.name, team=team, repeat=policy.repeat,
                   description=policy.description, steps=[StepOut.of(s, names) for s in steps],
                   created_at=policy.created_at)


class PolicyPage(BaseModel):
    items: list[PolicyOut]
    total: int
    limit: int
    offset: int
