"""`warroom users`: people and their access, on the server's database."""

from __future__ import annotations

import sys

import typer

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.cli.local import cli_actor, local_runtime, reading, writing
from warroom.cli.output import fail, say, show_json, show_table, table, warn

app = typer.Typer(help="People: create, list, set a password, set access (viewer|responder|admin).",
                  no_args_is_help=True)
PASSWORD_HELP = "The password; asked for (hidden) when omitted on a terminal. Beware shell history."  # noqa: S105  (help text, not a password)


def _password(given: str | None, *, required: bool) -> str | None:
    if given is not None:
        return given
    if sys.stdin.isatty():
        value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    if required:
        fail("Give the password with --password (no terminal to ask on).")
    return None


@app.command("create")
def create(
    handle: str = typer.Argument(..., help="Their @handle: lowercase letters, digits, '.', '_' or '-'."),
    email: str = typer.Option(..., "--email", help="Their email address."),
    name: str | None = typer.Option(None, "--name", help="Full name (default: the handle)."),
    access: AccessRole = typer.Option(AccessRole.responder, "--access", help="viewer, responder or admin."),
    team: list[str] = typer.Option([], "--team", help="A team to join (repeat for several)."),
    password: str | None = typer.Option(None, "--password", help=PASSWORD_HELP),
) -> None:
    """Create a person who can sign in (with a password) or use API tokens."""
    secret = _password(password, required=False)
    with local_runtime() as runtime, writing(runtime) as db:
        actor = cli_actor(runtime)
        user = accounts.create_user(db=db, actor=actor, handle=handle, email=email,
                                    name=name or handle.lstrip("@").title(), password=secret,
                                    access_role=access)
        for slug in team:
            found = accounts.find_team(db=db, name=slug)
            if found is None:
                fail(f"No team '{slug}'. Create it with `warroom teams create {slug}`.")
            accounts.add_member(db=db, actor=actor, team=found, user=user)
    say(f"Created @{user.handle} ({user.access_role.value}).", "green")
    if secret is None:
        warn(f"No password set, so @{user.handle} cannot sign in to the web UI yet: "
             f"`warroom users set-password {user.handle}`.")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
    """List everyone, with their access and teams."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        rows = [(u, [t.slug for t in accounts.teams_of(db=db, user_id=u.id)]) for u in accounts.list_users(db=db)]
    if as_json:
        show_json([{"id": u.id, "handle": u.handle, "name": u.name, "email": u.email,
                    "access": u.access_role.value, "active": u.is_active, "teams": teams,
                    "has_password": u.password_hash is not None} for u, teams in rows])
        return
    if not rows:
        say("No users yet. Create one with `warroom users create <handle> --email … --access admin`, "
            "or load the demo with `warroom demo seed`.")
        return
    grid = table("handle", "name", "email", "access", "teams", "active")
    for u, teams in rows:
        grid.add_row(f"@{u.handle}", u.name, u.email, u.access_role.value, ", ".join(teams) or "-",
                     "yes" if u.is_active else "no")
    show_table(grid)


@app.command("set-password")
def set_password(
    user: str = typer.Argument(..., help="@handle or email."),
    password: str | None = typer.Option(None, "--password", help=PASSWORD_HELP),
    revoke_tokens: bool = typer.Option(False, "--revoke-tokens",
                                       help="Also revoke every API token of theirs (kept by default)."),
) -> None:
    """Set someone's password (the web UI's sign-in); it signs them out of every browser."""
    secret = _password(password, required=True)
    assert secret is not None  # required=True either returns a password or exits
    with local_runtime(existing=True) as runtime, writing(runtime) as db:
        person = accounts.find_person(db=db, who=user)
        changed = accounts.set_password(db=db, actor=cli_actor(runtime), user=person, password=secret,
                                        revoke_tokens=revoke_tokens)
    say(f"Password of @{person.handle} set; {_count(changed.sessions_ended, 'web session')} ended.", "green")
    if revoke_tokens:
        say(f"{_count(changed.tokens_revoked, 'API token')} revoked.", "green")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


@app.command("set-access")
def set_access(
    user: str = typer.Argument(..., help="@handle or email."),
    access: AccessRole = typer.Argument(..., help="viewer, responder or admin."),
) -> None:
    """Change what someone may do: viewer (read), responder (run incidents) or admin."""
    with local_runtime(existing=True) as runtime, writing(runtime) as db:
        person = accounts.find_person(db=db, who=user)
        before = person.access_role
        accounts.set_access_role(db=db, actor=cli_actor(runtime), user=person, access_role=access)
    say(f"@{person.handle}: {before.value} → {access.value}.", "green")
