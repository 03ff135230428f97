"""Shared test helpers, one implementation each; test folders import them from here.

- ``stored``, ``count``, ``jobs``, ``checklist_step`` (store): every row of every table; how many rows a table
  holds; the engine's jobs of a kind; where an incident's checklist step stands.
- ``free_port``, ``free_socket``, ``wait_until``, ``stop_process`` (waiting): loopback ports, bounded waits,
  stopping a process (SIGTERM, then SIGKILL).
- ``live_server`` (live): the real app under uvicorn in a thread.
- ``smtp_server``, ``Inbox``, ``inbox_fixture`` (mail): a real SMTP server, and the ``inbox`` fixture.
- ``drain``, ``wall_dated_clock`` (engine): run the engine's work off; a clock for tests that start engine processes.
- ``http_server``, ``Request``, ``Reply`` (http): a recording HTTP server for fakes of outside services.
- ``http_receiver`` (receiver, imported from its module): a webhook receiver that answers a script of statuses.
- ``people``, ``HANDBOOK`` (people): named users with access and teams.
- ``alertmanager_process`` (alertmanager, imported from its module): a real Prometheus Alertmanager.
- ``prometheus_process``, ``promtool`` (prometheus, imported from its module): a real Prometheus and promtool.
- ``oidc_provider_process`` (oidc, imported from its module): a real OpenID Connect provider (oidc-provider-mock).
"""

from .engine import drain, wall_dated_clock
from .http import RecordingServer, Reply, Request, http_server
from .live import LiveServer, live_server
from .mail import MAIL_FROM, Inbox, ReceivedMail, inbox_fixture, smtp_server
from .people import HANDBOOK, Who, people
from .store import TOKEN_USE, Rows, checklist_step, count, jobs, statements, stored
from .waiting import free_port, free_socket, stop_process, wait_until

__all__ = [
    "HANDBOOK", "MAIL_FROM", "TOKEN_USE", "Inbox", "LiveServer", "ReceivedMail", "RecordingServer", "Reply",
    "Request", "Rows", "Who", "checklist_step", "count", "drain", "free_port", "free_socket", "http_server",
    "inbox_fixture", "jobs", "live_server", "people", "smtp_server", "statements", "stop_process", "stored",
    "wait_until", "wall_dated_clock",
]
