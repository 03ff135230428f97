"""`warroom command "/incident …"`: the chat-command language, run by the server like in a room."""

from __future__ import annotations

import typer

from warroom.cli import render
from warroom.cli.output import say, show_json, warn
from warroom.cli.remote import Api
from warroom.commands.genie import is_genie
from warroom.commands.language import SLASH_WORD, is_command


def command(
    words: list[str] = typer.Argument(..., metavar="TEXT",
                                      help='The command, e.g. "/incident lead @bob" (quote it).'),
    incident: str | None = typer.Option(None, "--incident", "-i",
                                        help="The incident's room the command is typed in, e.g. INC-42."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Run a chat command through the server (POST /api/v1/commands); `/incident help` lists them."""
    text = " ".join(words).strip()
    first = text.split(maxsplit=1)[0] if text else ""
    if not (is_command(text) or is_genie(text) or SLASH_WORD.fullmatch(first)):
        text = f"/incident {text}"  # let people leave the prefix off at a terminal; the server names a typo
    body = Api().post("/commands", {"text": text, "incident": incident})
    if as_json:
        show_json(body)
        return
    for line in str(body.get("message", "")).splitlines():
        say(line, "green" if body.get("incident") else None)
    for text_ in body.get("warnings") or []:
        warn(str(text_))
    render.guidance(body.get("data") or {}, str(body.get("incident") or ""))
