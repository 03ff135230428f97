"""`warroom slack`: create the Slack app from a manifest, and link Slack people to Warroom users."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import typer

from warroom.cli.local import cli_actor, local_runtime, settings, writing
from warroom.cli.output import fail, say
from warroom.integrations.chat import service as chat
from warroom.integrations.slack.manifest import manifest as build_manifest

app = typer.Typer(help="Slack: the app manifest, and linking Slack people to Warroom users.", no_args_is_help=True)


@app.command("manifest")
def manifest(
    base_url: str = typer.Option("", "--base-url",
                                 help="Warroom's public URL that Slack calls (default: WARROOM_BASE_URL)."),
    name: str = typer.Option("Warroom", "--name", help="The app's name in Slack."),
) -> None:
    """Print the app manifest (JSON) to paste at api.slack.com/apps → Create New App → From a manifest."""
    url = (base_url or settings().base_url).strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        fail(f"'{url}' is not a URL; give Warroom's public address, like --base-url https://warroom.example.com.")
    if parsed.scheme != "https":
        typer.secho("Slack calls only https:// request URLs; this manifest will be refused as it is.",
                    fg="yellow", err=True)
    typer.echo(json.dumps(build_manifest(url, name), indent=2, ensure_ascii=False))


@app.command("link")
def link(
    slack_user: str = typer.Argument(..., help="The Slack member id (profile → ⋮ → Copy member ID), like U012AB3CD."),
    who: str = typer.Argument(..., help="The Warroom @handle or email address."),
) -> None:
    """Link a Slack person whose Slack email differs from their Warroom one."""
    with local_runtime() as runtime, writing(runtime) as db:
        link = chat.link_by_handle(db=db, actor=cli_actor(runtime), platform="slack", person_id=slack_user,
                                   who=who)
        person = link.person_id
    say(f"Slack member {person} is now {who.strip()} in Warroom.", "green")
