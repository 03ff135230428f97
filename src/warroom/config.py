"""One Settings object, read from WARROOM_* environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warroom.core.outbound import parse_allow_list
from warroom.core.proxies import Network, proxy_networks

# The fewest days each kind of record is kept when retention is set (0 keeps it for ever).
RETENTION_FLOORS = {"jobs": 1, "alert_requests": 1, "notifications": 7, "deliveries": 1, "audit": 365,
                    "incidents": 365, "change_events": 30}


def default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "warroom"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARROOM_", env_file=None, extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    # Where each process LISTENs for other processes' commits (PostgreSQL): a direct connection to PostgreSQL.
    # Set it when database_url goes through PgBouncer in transaction mode, where LISTEN does not work.
    listen_database_url: str = ""
    # Server-side prepared statements (psycopg prepares a statement run often on one connection). Turn them off
    # (false) when database_url goes through PgBouncer in transaction mode: the next transaction may run on another
    # server connection, where the statement was never prepared.
    database_prepared_statements: bool = True
    base_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: str = ""
    seed_demo: bool = True
    # Largest request body the API and web UI accept, in bytes.
    max_body_bytes: int = 1_000_000
    session_days: int = 14
    # Reverse proxies whose X-Forwarded-For is believed: comma-separated addresses or CIDR blocks (empty: none,
    # the connection's own address is the client's).
    trusted_proxies: str = ""
    # Where announcements go besides the feed: "" (feed only) or a URL that receives signed JSON.
    announce_webhook_url: str = ""
    engine_tick_seconds: float = 1.0
    # A job claimed by an engine that then dies is taken by another engine after this long.
    engine_lease_seconds: float = 60.0
    # Nudge the room when no status update has been posted for this long (minutes; 0 turns it off).
    status_reminder_critical_minutes: int = 30
    status_reminder_major_minutes: int = 60
    run_engine: bool = True
    # Paging mail. Without smtp_host, mail is written to the log (and counts as sent, with a note).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "warroom@localhost"
    # SMS and voice calls through Twilio; without all three, SMS/voice contact methods fail with a clear reason.
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_base_url: str = "https://api.twilio.com"
    # Signs notification webhooks (Standard Webhooks); empty means the secret key signs them.
    notification_webhook_secret: str = ""
    # Networks webhook URLs that people type in may reach besides public addresses: comma-separated CIDRs
    # (127.0.0.1/32,10.0.0.0/8). Empty: loopback, private, link-local and other internal addresses are refused.
    outbound_allow: str = ""
    # External reporters' mail to the triage inbox: the address, an SMTP listener `serve` starts when the port is
    # set (0: off), a bearer token for MTAs piping raw mail to POST /api/v1/reports/inbound (empty: off), a size cap.
    inbound_address: str = ""
    inbound_smtp_host: str = "127.0.0.1"
    inbound_smtp_port: int = 0
    inbound_mail_token: str = ""
    inbound_max_bytes: int = 1_000_000
    # Follow-ups attached to GitHub issues: a token (fine-grained: Issues read and write), the REST API base URL
    # (https://HOST/api/v3 for GitHub Enterprise Server), the default repository (owner/name) for new issues, and
    # the secret GitHub signs its `issues` webhook with (empty: the webhook refuses every delivery).
    github_token: str = ""
    github_api_url: str = "https://api.github.com"
    github_repository: str = ""
    github_webhook_secret: str = ""
    # Where published postmortems are written (<dir>/<INC-n>-<slug>/postmortem.md, .html, .pdf);
    # empty: a "postmortems" folder in the data directory.
    postmortem_dir: Path | None = None
    # Slack in HTTP mode: the bot token (xoxb-…), the signing secret Slack signs its requests with (empty: every
    # Slack request is refused), the Web API base URL, and the channel (id or #name) that gets announcements.
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = "https://slack.com/api/"
    slack_announce_channel: str = ""
    # Matrix: the homeserver's client-server URL, the bot's user id and access token, the room (id or #alias)
    # that gets announcements, and whether `warroom serve` runs the /sync listener itself.
    matrix_homeserver: str = ""
    matrix_user_id: str = ""
    matrix_access_token: str = ""
    matrix_announce_room: str = ""
    matrix_listen_in_serve: bool = True
    # Slack in Socket Mode (no public URL needed): the app-level token (xapp-…, scope connections:write);
    # set, `warroom serve` connects to Slack instead of waiting for its requests.
    slack_app_token: str = ""
    # Whom an alert pages when nothing routes it (no responder Warroom knows, and its key has no team or
    # escalation policy): "admins" (every active admin), "team:<slug>" or "policy:<slug or id>".
    unrouted_page: str = "admins"
    # Watching Warroom itself (docs/monitoring.md): the bearer token GET /metrics asks for (empty: only clients on
    # this machine may read it), logs as "text" or "json", OpenTelemetry traces (with opentelemetry-sdk
    # installed), how fresh an engine's heartbeat must be for /readyz (0: not checked), and a URL the engine
    # pings every self_heartbeat_seconds while it runs (a dead-man's switch elsewhere; empty: off).
    metrics_token: str = ""
    log_format: Literal["text", "json"] = "text"
    otel_traces: bool = False
    ready_engine_seconds: float = 60.0
    self_heartbeat_url: str = ""
    self_heartbeat_authorization: str = ""
    self_heartbeat_seconds: float = 60.0
    # Retention, in days (0: kept for ever; never below RETENTION_FLOORS): finished jobs,
    # Opsgenie request statuses, notifications (the delivery records on alerts), GitHub webhook deliveries, audit,
    # closed incidents (with their timelines, rooms and postmortems).
    retention_jobs_days: int = 7
    retention_alert_requests_days: int = 30
    retention_notifications_days: int = 180
    retention_deliveries_days: int = 30
    retention_audit_days: int = 0
    retention_incidents_days: int = 0
    retention_change_events_days: int = 365  # changes reported by tools (PagerDuty change events), by arrival
    # Single sign-on: OpenID Connect providers as a JSON list (name, issuer, client_id, client_secret, scopes,
    # group_claim, groups mapping group -> {team, access}, default_access); see docs/operations.md. With
    # password_signin false the sign-in page offers only the providers. scim_token: the bearer token SCIM
    # clients send to /scim/v2 (empty: SCIM is off).
    oidc_providers: str = ""
    password_signin: bool = True
    scim_token: str = ""

    @field_validator("unrouted_page")
    @classmethod
    def _unrouted_page_names_a_route(cls, value: str) -> str:
        kind, _, name = value.strip().partition(":")
        if value.strip().lower() != "admins" and not (kind.strip().lower() in ("team", "policy") and name.strip()):
            raise ValueError(f"WARROOM_UNROUTED_PAGE is '{value}'; use admins, team:<slug> or policy:<slug or id>.")
        return value.strip()

    @field_validator(*(f"retention_{what}_days" for what in RETENTION_FLOORS))
    @classmethod
    def _retention_above_floor(cls, value: int, info: ValidationInfo) -> int:
        floor = RETENTION_FLOORS[str(info.field_name)[len("retention_"):-len("_days")]]
        if value != 0 and value < floor:
            raise ValueError(f"WARROOM_{str(info.field_name).upper()} is {value}; keep at least {floor} days "
                             "(or 0 to keep for ever).")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        proxy_networks(value)
        return value

    def trusted_proxy_networks(self) -> list[Network]:
        return proxy_networks(self.trusted_proxies)

    @field_validator("outbound_allow")
    @classmethod
    def _outbound_allow_lists_networks(cls, value: str) -> str:
        parse_allow_list(value)  # a typo is an error at start-up, not a webhook refused later
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'warroom.db'}"

    def resolved_listen_url(self) -> str:
        return self.listen_database_url or self.resolved_database_url()

    def resolved_postmortem_dir(self) -> Path:
        return self.postmortem_dir or self.data_dir / "postmortems"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
