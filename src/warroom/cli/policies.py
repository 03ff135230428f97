"""`warroom policies`: escalation policies on the server's database — who is paged, in which order, how often.

Set-up commands like `warroom teams`; `warroom oncall policies` asks a running server with a token instead.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from sqlalchemy.orm import Session

from warroom.cli.local import cli_actor, local_runtime, reading, writing
from warroom.cli.output import fail, say, show_json
from warroom.cli.schedules import team_or_none
from warroom.config_as_code.snapshot import Names
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.models import EscalationPolicy

app = typer.Typer(help="Escalation policies on the server's database: list, show, create.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
POLICY = typer.Argument(..., metavar="POLICY", help="The policy's slug, e.g. engineering-default.")
STEP_HELP = ("A step, in paging order (repeat): its targets, then how long to wait for an acknowledgement, e.g. "
             "'schedule:platform-primary, user:@alice; wait 5'. Targets are user:, schedule: or team:.")
WAIT_RE = re.compile(r"^wait\s+(\d+)\s*(?:m|min|minutes?)?$")
TARGET_RE = re.compile(r"^(user|schedule|team)\s*:\s*(\S+)$")


def parse_step(text: str) -> dict[str, Any]:
    """``schedule:platform-primary, user:@alice; wait 5`` as the policy service reads a step."""
    targets_text, _, wait_text = text.partition(";")
    targets = []
    for part in filter(None, (p.strip() for p in targets_text.split(","))):
        found = TARGET_RE.match(part)
        if found is None:
            fail(f"--step '{text}': '{part}' is not a target; write user:@alice, schedule:platform-primary or "
                 "team:engineering.")
        targets.append({"type": found.group(1), "id": found.group(2)})
    step: dict[str, Any] = {"targets": targets}
    if wait_text.strip():
        wait = WAIT_RE.match(wait_text.strip())
        if wait is None:
            fail(f"--step '{text}': after ';' write how long to wait, e.g. 'wait 5'.")
        step["delay_minutes"] = int(wait.group(1))
    return step


def _shown(db: Session, policy: EscalationPolicy, names: Names) -> dict[str, Any]:
    steps = policies.steps_of(db=db, policies=[policy])[policy.id]
    return {"slug": policy.slug, "name": policy.name, "team": names.team(policy.team_id), "repeat": policy.repeat,
            "description": policy.description,
            "steps": [{"delay_minutes": s.delay_minutes, "targets": [names.target(t) for t in s.targets]}
                      for s in steps]}


def _target(target: dict[str, str]) -> str:
    kind, name = next(iter(target.items()))
    return f"@{name}" if kind == "user" else f"{kind} {name}"


def _say_policy(policy: dict[str, Any]) -> None:
    team = f" · team {policy['team']}" if policy["team"] else ""
    repeat = f" · repeats {policy['repeat']} more times" if policy["repeat"] else ""
    say(f"{policy['slug']}: {policy['name']}{team}{repeat}", "bold")
    for number, step in enumerate(policy["steps"], start=1):
        pages = ", ".join(_target(t) for t in step["targets"])
        say(f"  {number}. page {pages}, then wait {step['delay_minutes']} min for an acknowledgement")


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """List escalation policies and their steps."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        names = Names.read(db)
        found = [_shown(db, p, names) for p in policies.list_policies(db=db)]
    if as_json:
        show_json(found)
        return
    if not found:
        say("No escalation policies yet: paging a team pages whoever is on call in its schedules. Create one with "
            "`warroom policies create engineering-default --name 'Engineering default' --team engineering "
            "--step 'schedule:platform-primary; wait 5' --step 'user:@alice'`.")
        return
    for policy in found:
        _say_policy(policy)


@app.command("show")
def show(slug: str = POLICY, as_json: bool = JSON) -> None:
    """One escalation policy: its steps in paging order."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        found = _shown(db, policies.get_policy(db=db, ref=slug), Names.read(db))
    if as_json:
        show_json(found)
        return
    _say_policy(found)
    if found["description"]:
        say(found["description"])


@app.command("create")
def create(
    slug: str = POLICY,
    name: str = typer.Option(..., "--name", help="Display name, e.g. 'Engineering default'."),
    step: list[str] = typer.Option(..., "--step", help=STEP_HELP),
    team: str | None = typer.Option(None, "--team", help="The team whose pages run this policy (one per team)."),
    repeat: int = typer.Option(0, "--repeat", help="How many more times it runs when nobody acknowledges (0-10)."),
    description: str = typer.Option("", "--description", help="What the policy is for."),
) -> None:
    """Create an escalation policy."""
    steps = [parse_step(text) for text in step]
    with local_runtime() as runtime, writing(runtime) as db:
        policy = policies.create_policy(db=db, actor=cli_actor(runtime), slug=slug, name=name, steps=steps,
                                        team=team_or_none(db, team), repeat=repeat, description=description)
    say(f"Created escalation policy {policy.slug} with {len(steps)} step{'s' if len(steps) != 1 else ''}.", "green")
