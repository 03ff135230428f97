"""`warroom login` / `logout`: remember which server to talk to and the token to use."""

from __future__ import annotations

import sys

import typer

from warroom.cli.output import fail, say
from warroom.cli.remote import DEFAULT_URL, Api, Connection, config_file, connection, save_connection


def login(
    url: str = typer.Option(DEFAULT_URL, "--url", help="The Warroom server, e.g. https://warroom.example.com."),
    token: str | None = typer.Option(None, "--token", help="An API token (asked for, hidden, when omitted on a "
                                     "terminal). Create one with `warroom tokens create` or on the Tokens page."),
) -> None:
    """Check a token against a server, then store both in ~/.config/warroom/cli.json (mode 0600)."""
    secret = token
    if secret is None:
        if not sys.stdin.isatty():
            fail("Give the token with --token (no terminal to ask on).")
        secret = typer.prompt("API token", hide_input=True)
    conn = Connection(url.strip().rstrip("/"), secret.strip())
    me = Api(conn).get("/users/me")
    path = save_connection(conn)
    say(f"Signed in to {conn.url} as @{me.get('handle', '?')}. Saved to {path}.", "green")


def logout() -> None:
    """Forget the stored server and token."""
    path = config_file()
    if path.exists():
        path.unlink()
        say(f"Removed {path}.", "green")
    else:
        say("Not signed in (nothing stored).")
    if connection().token:
        say("WARROOM_TOKEN is still set in this environment.", "yellow")
