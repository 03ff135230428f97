"""`warroom doctor`: is this installation ready to page people? Each part is checked as Warroom itself uses it
(settings, the database and its schema, SMTP, Slack or Matrix, GitHub, the outbound-address policy, the engine),
and each failure says what to fix. Nothing is written: a missing database is reported, never created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import typer
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from warroom.cli.local import database_named, shown_url
from warroom.cli.output import show_json
from warroom.config import Settings, get_settings
from warroom.core.clock import SystemClock
from warroom.core.delivery import DeliveryError
from warroom.core.errors import WarroomError
from warroom.core.outbound import OutboundPolicy
from warroom.db import migrate
from warroom.db.engine import normalise_url
from warroom.engine.models import Job, JobState
from warroom.integrations.email import SmtpConfig, SmtpMailer
from warroom.integrations.github import GithubClient
from warroom.integrations.matrix.client import MatrixPlatform
from warroom.integrations.slack.client import SlackPlatform
from warroom.notifications.models import ContactKind, ContactMethod
from warroom.statuspage.models import Subscriber, SubscriberKind

TIMEOUT = 5.0  # seconds for each outside service to answer
MAX_WEBHOOKS = 500
MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "skip"}


@dataclass(frozen=True)
class Finding:
    area: str
    status: str  # ok, warn (works, but check), fail (fix this), skip (not configured)
    said: str
    fix: str = ""


def doctor(
    overdue_after: int = typer.Option(120, "--overdue-after", min=1, metavar="SECONDS",
                                      help="A job due longer ago than this means the engine is not working."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
) -> None:
    """Check settings, database, mail, chat, GitHub, outbound addresses and the engine; say what to fix.

    Exits 1 when anything must be fixed."""
    findings = list(examine(overdue_after=timedelta(seconds=overdue_after)))
    if as_json:
        show_json([asdict(f) for f in findings])
    else:
        for finding in findings:
            typer.echo(f"{MARKS[finding.status]}  {finding.area:<9} {finding.said}")
            if finding.fix:
                typer.echo(f"{'':<16}fix: {finding.fix}")
        failed = sum(f.status == "fail" for f in findings)
        typer.echo(f"\n{failed} problem{'s' if failed != 1 else ''} to fix." if failed else "\nAll checks passed.")
    if any(f.status == "fail" for f in findings):
        raise typer.Exit(1)


def examine(*, overdue_after: timedelta) -> Iterator[Finding]:
    try:
        settings = get_settings()
    except ValueError as error:  # pydantic's ValidationError: a WARROOM_* variable is malformed
        yield Finding("settings", "fail", f"A WARROOM_* setting is invalid: {error}".replace("\n", " "),
                      "Correct or unset the variable named above; nothing else can be checked until then.")
        return
    yield from _settings(settings)
    with _database(settings) as (findings, connection):
        yield from findings
        if connection is not None:
            yield _engine(connection, overdue_after)
            yield from _outbound(connection, settings)
    yield _mail(settings)
    yield from _chat(settings)
    yield _github(settings)


# Settings ------------------------------------------------------------------------------------------------


def _settings(settings: Settings) -> Iterator[Finding]:
    yield Finding("settings", "ok", f"WARROOM_* settings are valid; data in {settings.data_dir}")
    if settings.base_url == Settings.model_fields["base_url"].default:
        yield Finding("settings", "warn", f"Links in mail and chat point at {settings.base_url}.",
                      "Set WARROOM_BASE_URL to the address people open Warroom at.")
    if not settings.secret_key and settings.resolved_database_url().startswith(("postgres", "postgresql")):
        yield Finding("settings", "warn", "No WARROOM_SECRET_KEY: each host keeps its own key in its data "
                      "directory, so sessions and signed links from one process fail on another.",
                      "Set the same WARROOM_SECRET_KEY for every Warroom process.")


# Database and engine -------------------------------------------------------------------------------------


@contextmanager
def _database(settings: Settings) -> Iterator[tuple[list[Finding], Connection | None]]:
    url = settings.resolved_database_url()
    where = database_named(url)
    if where != shown_url(url) and not Path(where).is_file():
        yield [Finding("database", "fail", f"No Warroom database at {where}.",
                       "Set WARROOM_DATA_DIR or WARROOM_DATABASE_URL to the server's, or create this one with "
                       "`warroom db upgrade`.")], None
        return
    postgres = not normalise_url(url).startswith("sqlite")
    engine = sa.create_engine(normalise_url(url), connect_args={"connect_timeout": int(TIMEOUT)} if postgres else {})
    try:
        with engine.connect() as connection:
            yield [Finding("database", "ok", f"Reachable at {where}"), _schema(connection)], connection
    except SQLAlchemyError as error:
        yield [Finding("database", "fail", f"Cannot connect to {where}: {_first_line(error)}",
                       "Check that the database server is running and that WARROOM_DATABASE_URL (host, port, "
                       "user, password, database name) is right.")], None
    finally:
        engine.dispose()


def _schema(connection: Connection) -> Finding:
    expected = set(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads())
    current = set(MigrationContext.configure(connection).get_current_heads())
    if current == expected:
        return Finding("database", "ok", f"Schema is current ({', '.join(sorted(current))})")
    known = {rev.revision for rev in ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).walk_revisions()}
    if current - known:
        return Finding("database", "fail", f"The schema is at {', '.join(sorted(current))}, which this Warroom does "
                       "not know: a newer version migrated it.", "Run the Warroom version that migrated it.")
    at = ", ".join(sorted(current)) or "empty"
    return Finding("database", "fail", f"The schema is at {at}; this Warroom needs {', '.join(sorted(expected))}.",
                   "Run `warroom db upgrade` (`warroom serve` also migrates when it starts).")


def _engine(connection: Connection, overdue_after: timedelta) -> Finding:
    now = SystemClock().now()
    try:
        late, oldest = connection.execute(sa.select(sa.func.count(), sa.func.min(Job.due_at)).where(
            Job.state == JobState.pending, Job.due_at < now - overdue_after)).one()
        dead = connection.scalar(sa.select(sa.func.count()).where(Job.state == JobState.dead)) or 0
    except SQLAlchemyError as error:
        return Finding("engine", "fail", f"Cannot read the job queue: {_first_line(error)}",
                       "Fix the database first (see above).")
    if late:
        minutes = max(1, int((now - oldest.replace(tzinfo=now.tzinfo)).total_seconds() // 60))
        return Finding("engine", "fail", f"{late} job{'s are' if late != 1 else ' is'} overdue, the oldest by "
                       f"{minutes} min: no engine is running, or it is stuck, so pages and mail wait.",
                       "Start `warroom serve` (it runs the engine) or `warroom engine`, and read its log.")
    if dead:
        return Finding("engine", "warn", f"No job is overdue; {dead} job{'s' if dead != 1 else ''} gave up "
                       "(dead).", "See Admin → Jobs for why, and retry them there.")
    return Finding("engine", "ok", "No job is overdue")


# Outbound addresses --------------------------------------------------------------------------------------


def _outbound(connection: Connection, settings: Settings) -> Iterator[Finding]:
    policy = OutboundPolicy.parse(settings.outbound_allow)
    allowed = f" (WARROOM_OUTBOUND_ALLOW={settings.outbound_allow})" if settings.outbound_allow else ""
    addresses = _webhook_addresses(connection, settings)
    refused = 0
    for owner, url in addresses:
        try:
            policy.check_url(url)
        except WarroomError as error:
            refused += 1
            yield Finding("outbound", "fail", f"{owner} {url}: {error.message}",
                          "Change the address, or allow its network with WARROOM_OUTBOUND_ALLOW (CIDRs).")
    if not addresses:
        yield Finding("outbound", "skip", f"No webhook addresses are stored{allowed}")
    elif not refused:
        yield Finding("outbound", "ok", f"All {len(addresses)} webhook addresses resolve to allowed "
                      f"addresses{allowed}")


def _webhook_addresses(connection: Connection, settings: Settings) -> list[tuple[str, str]]:
    found = [("The announcement webhook", settings.announce_webhook_url)] if settings.announce_webhook_url else []
    try:
        methods = connection.execute(sa.select(ContactMethod.id, ContactMethod.address).where(
            ContactMethod.kind == ContactKind.webhook).order_by(ContactMethod.id).limit(MAX_WEBHOOKS))
        found += [(f"Contact method #{i}", address) for i, address in methods]
        subscribers = connection.execute(sa.select(Subscriber.id, Subscriber.address).where(
            Subscriber.kind == SubscriberKind.webhook, Subscriber.unsubscribed_at.is_(None))
            .order_by(Subscriber.id).limit(MAX_WEBHOOKS))
        found += [(f"Status page subscriber #{i}", address) for i, address in subscribers]
    except SQLAlchemyError:
        pass  # the schema finding above says what to fix
    return found


# Outside services ----------------------------------------------------------------------------------------


def _mail(settings: Settings) -> Finding:
    if not settings.smtp_host:
        return Finding("mail", "warn", "No WARROOM_SMTP_HOST: mail (pages, invites, status subscribers) is written "
                       "to the log, not sent.", "Set WARROOM_SMTP_HOST and WARROOM_SMTP_PORT to your mail relay.")
    mailer = SmtpMailer(SmtpConfig(host=settings.smtp_host, port=settings.smtp_port,
                                   username=settings.smtp_username, password=settings.smtp_password,
                                   starttls=settings.smtp_starttls, mail_from=settings.mail_from, timeout=TIMEOUT))
    return _outside("mail", lambda: f"SMTP {settings.smtp_host}:{settings.smtp_port} answers: {mailer.verify()}",
                    "Check WARROOM_SMTP_HOST, WARROOM_SMTP_PORT (and STARTTLS, username, password), and that the "
                    "relay accepts connections from this host.")


def _chat(settings: Settings) -> Iterator[Finding]:
    if not settings.slack_bot_token and not settings.matrix_homeserver:
        yield Finding("chat", "skip", "No chat platform is configured (WARROOM_SLACK_BOT_TOKEN or "
                      "WARROOM_MATRIX_HOMESERVER): incidents get rooms in the web UI only")
    if settings.slack_bot_token:
        slack = SlackPlatform(settings.slack_bot_token, settings.slack_api_url, timeout=int(TIMEOUT))
        yield _outside("chat", lambda: _slack_said(slack.whoami()),
                       "Check WARROOM_SLACK_BOT_TOKEN (xoxb-…) and that this host reaches WARROOM_SLACK_API_URL.")
        if not settings.slack_signing_secret and not settings.slack_app_token:
            yield Finding("chat", "fail", "Slack's commands and events will be refused: no signing secret.",
                          "Set WARROOM_SLACK_SIGNING_SECRET (the app's Basic Information page), or "
                          "WARROOM_SLACK_APP_TOKEN for Socket Mode.")
    if settings.matrix_homeserver:
        matrix = MatrixPlatform(settings.matrix_homeserver, settings.matrix_user_id, settings.matrix_access_token,
                                timeout=TIMEOUT)
        yield _outside("chat", lambda: _matrix_said(matrix.whoami(), settings),
                       "Check WARROOM_MATRIX_HOMESERVER, WARROOM_MATRIX_ACCESS_TOKEN and WARROOM_MATRIX_USER_ID.")


def _slack_said(data: dict[str, object]) -> str:
    return f"Slack accepts the bot token: @{data.get('user', '?')} in {data.get('team', '?')}"


def _matrix_said(user_id: str, settings: Settings) -> str:
    if settings.matrix_user_id and user_id != settings.matrix_user_id:
        raise DeliveryError(f"the access token belongs to {user_id}, not WARROOM_MATRIX_USER_ID "
                            f"{settings.matrix_user_id}")
    return f"The Matrix homeserver {settings.matrix_homeserver} accepts the token of {user_id}"


def _github(settings: Settings) -> Finding:
    token, repository = settings.github_token, settings.github_repository
    if not token and not repository:
        return Finding("github", "skip", "GitHub is not configured: follow-ups are not attached to issues")
    if not token:
        return Finding("github", "fail", "WARROOM_GITHUB_REPOSITORY is set but WARROOM_GITHUB_TOKEN is not: no "
                       "follow-up issue can be opened.",
                       "Set WARROOM_GITHUB_TOKEN, or unset WARROOM_GITHUB_REPOSITORY.")
    if not repository:
        return Finding("github", "warn", "WARROOM_GITHUB_TOKEN is set without WARROOM_GITHUB_REPOSITORY: related "
                       "issues work (owner/name#12), follow-ups must name their repository.",
                       "Set WARROOM_GITHUB_REPOSITORY (owner/name) for follow-up issues.")
    client = GithubClient(token, settings.github_api_url, timeout=TIMEOUT)
    return _outside("github", lambda: _github_said(client.get_repository(repository=repository), repository),
                    "Check WARROOM_GITHUB_TOKEN (it needs the Issues permission on the repository) and "
                    "WARROOM_GITHUB_REPOSITORY.")


def _github_said(data: dict[str, object], repository: str) -> str:
    permissions = data.get("permissions")
    if isinstance(permissions, dict) and not (permissions.get("push") or permissions.get("triage")):
        raise DeliveryError(f"the token can read {repository} but not open or close its issues")
    return f"The GitHub token reaches {data.get('full_name', repository)}"


def _outside(area: str, check: Callable[[], str], fix: str) -> Finding:
    try:
        return Finding(area, "ok", check())
    except (DeliveryError, WarroomError) as error:
        said = error.message if isinstance(error, WarroomError) else str(error)
        return Finding(area, "fail", said.rstrip("."), fix)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
