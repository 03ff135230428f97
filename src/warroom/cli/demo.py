"""`warroom demo`: the demo organisation, and how to sign in to it."""

from __future__ import annotations

import sqlalchemy as sa
import typer
from sqlalchemy.orm import Session

from warroom import demo
from warroom.accounts.models import User
from warroom.cli.local import local_runtime, writing
from warroom.cli.output import fail, say
from warroom.core.security import verify_password

app = typer.Typer(help="The demo organisation: people, teams, playbooks and one past incident.",
                  no_args_is_help=True)


def demo_sign_in(db: Session) -> str | None:
    """How to sign in, if the demo people are there with the published password; else None."""
    first = demo.PEOPLE[0]
    hashed = db.scalar(sa.select(User.password_hash).where(User.handle == first.handle, User.is_active))
    if not hashed or not verify_password(demo.DEMO_PASSWORD, hashed):
        return None
    others = ", ".join(p.handle for p in demo.PEOPLE[1:])
    return (f"Sign in as {first.handle} ({first.access.value}) with password {demo.DEMO_PASSWORD} "
            f"(also: {others}; same password).")


@app.command("seed")
def seed() -> None:
    """Load the demo organisation into an empty database."""
    with local_runtime() as runtime:
        with writing(runtime) as db:
            if not demo.is_empty(db):
                fail("The database already has users; the demo is only seeded into an empty database.")
            demo.seed_demo(db=db, clock=runtime.clock)
        with runtime.database.reading() as db:
            hint = demo_sign_in(db)
    say("Seeded the demo organisation: teams " + ", ".join(demo.TEAMS) + ".", "green")
    if hint:
        say(hint)
