"""`warroom slack`: create the Slack app from a manifest, and link Slack people to Warroom users."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import typer

from warroom.chat import service as chat
from warroom.cli.local import cli_actor, local_runtime, settings, writing
from warroom.cli.output import fail, say
from warroom.integrations.slack.manifest import manifest as build_manifest
from warroom.observability.logging import configure as configure_logging

app = typer.Typer(help="Slack: the app manifest, Socket Mode, and linking Slack people to Warroom users.",
                  no_args_is_help=True)


@app.command("manifest")
def manifest(
    base_url: str = typer.Option("", "--base-url",
                                 help="Warroom's public URL that Slack calls (default: WARROOM_BASE_URL)."),
    name: str = typer.Option("Warroom", "--name", help="The app's name in Slack."),
    socket: bool = typer.Option(False, "--socket-mode",
                                help="Socket Mode: Warroom connects to Slack, so no public URL is needed."),
) -> None:
    """Print the app manifest (JSON) to paste at api.slack.com/apps → Create New App → From a manifest."""
    if socket:
        typer.echo(json.dumps(build_manifest("", name, socket_mode=True), indent=2, ensure_ascii=False))
        return
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


@app.command("socket")
def socket(
    engine: bool = typer.Option(False, "--engine", help="Run the engine here too (when no `warroom serve` or "
                                "`warroom engine` runs): it creates the channels and keeps their messages up to "
                                "date."),
) -> None:
    """Connect to Slack in Socket Mode (no public URL needed) and answer it until Ctrl-C."""
    import asyncio

    from warroom.chat_inbound.slack.socket_mode import SocketMode, check_tokens
    from warroom.integrations.slack.client import SlackError

    configure_logging(settings().log_format)  # Warroom's lines; other libraries' only from warnings up
    with local_runtime() as runtime:
        problem = check_tokens(runtime)
        if problem is not None:
            fail(problem)
        stopper = None
        if engine:
            thread, stopper = runtime.engine().start_thread(runtime.settings.engine_tick_seconds)
        say("Connecting to Slack in Socket Mode; Ctrl-C stops." + ("" if engine else
            " Channels and their messages are made by the engine (`warroom serve` or `warroom engine`)."))
        try:
            asyncio.run(SocketMode(runtime, runtime.settings.slack_app_token).run())
        except SlackError as error:
            fail(str(error))
        except KeyboardInterrupt:
            pass
        finally:
            if stopper is not None:
                stopper.set()
                thread.join(timeout=5)
    say("Socket Mode stopped.")
