"""`warroom tokens`: API tokens for scripts and the remote CLI, created on the server's database."""

from __future__ import annotations

from datetime import datetime

import typer

from warroom.accounts import service as accounts
from warroom.accounts.models import ApiToken, TokenScope, User
from warroom.cli.local import cli_actor, local_runtime, reading, writing
from warroom.cli.output import say, show_json, show_table, table, warn

app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@app.command("create")
def create(
    user: str = typer.Option(..., "--user", help="Whose token: @handle or email."),
    scope: TokenScope = typer.Option(..., "--scope", help="read, write or admin; never more than the user has."),
    name: str = typer.Option("cli", "--name", help="Where the token is used, e.g. 'deploy script'."),
    as_json: bool = JSON,
) -> None:
    """Create an API token. The secret is printed once and stored only as a hash."""
    with local_runtime(existing=True) as runtime, writing(runtime) as db:
        person = accounts.find_person(db=db, who=user)
        new = accounts.create_token(db=db, actor=cli_actor(runtime), user=person, name=name, scope=scope)
        token = new.token
    if as_json:
        show_json({"id": token.id, "name": token.name, "scope": token.scope.value, "prefix": token.prefix,
                   "user": person.handle, "token": new.secret})
        return
    say(f"Created token #{token.id} '{token.name}' for @{person.handle} with {scope.value} scope:", "green")
    say(new.secret, "bold")
    warn("Copy it now: it will not be shown again (Warroom keeps only its hash).")


@app.command("list")
def list_(
    user: str | None = typer.Option(None, "--user", help="Only this person's tokens."),
    as_json: bool = JSON,
) -> None:
    """List API tokens (prefixes only; the secrets are not kept)."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        user_id = accounts.find_person(db=db, who=user).id if user else None
        handles = {u.id: u.handle for u in accounts.list_users(db=db)}
        tokens = accounts.list_tokens(db=db, user_id=user_id)
    if as_json:
        show_json([_token_json(t, handles) for t in tokens])
        return
    if not tokens:
        say("No API tokens. Create one with `warroom tokens create --user <handle> --scope write`.")
        return
    grid = table("id", "user", "name", "scope", "prefix", "created", "last used", "revoked")
    for t in tokens:
        grid.add_row(str(t.id), f"@{handles.get(t.user_id, '?')}", t.name, t.scope.value, t.prefix + "…",
                     _when(t.created_at), _when(t.last_used_at), _when(t.revoked_at))
    show_table(grid)


def _token_json(token: ApiToken, handles: dict[int, str]) -> dict[str, object]:
    return {"id": token.id, "user": handles.get(token.user_id), "name": token.name, "scope": token.scope.value,
            "prefix": token.prefix, "created_at": token.created_at, "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at}


@app.command("revoke")
def revoke(token_id: int = typer.Argument(..., help="The token's id, from `warroom tokens list`.")) -> None:
    """Revoke an API token: it stops working at once."""
    with local_runtime(existing=True) as runtime, writing(runtime) as db:
        token = accounts.revoke_token(db=db, actor=cli_actor(runtime), token_id=token_id)
        owner: User | None = accounts.get_user(db=db, user_id=token.user_id)
    say(f"Revoked token #{token.id} '{token.name}' of @{owner.handle if owner else '?'}.", "green")
