"""The real PagerDuty clients against Warroom, changing only the base URL: ``pdpyras`` 5.4.1 and ``pagerduty``
7.2.0 trigger, acknowledge and resolve an alert and send a change event. ``pagerduty`` 7 refuses plain http, so
Warroom is served over TLS with a certificate from a throwaway CA (trustme) that the clients are told to trust."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pagerduty
import pdpyras
import pytest
import sqlalchemy as sa
import trustme

from warroom.oncall.alerts.models import AlertStatus
from warroom.oncall.changes.models import ChangeEvent

from ..support import LiveServer, live_server
from .conftest import alerts_of


@dataclass
class TlsWarroom:
    live: LiveServer
    ca_file: Path
    context: ssl.SSLContext


@pytest.fixture
def tls_warroom(runtime, tmp_path: Path) -> Iterator[TlsWarroom]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    key_file, cert_file, ca_file = tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "ca.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with live_server(runtime, access_log=False, timeout_graceful_shutdown=1, ssl_certfile=str(cert_file),
                     ssl_keyfile=str(key_file)) as live:
        assert live.url.startswith("https://")
        yield TlsWarroom(live, ca_file, context)


class Events(Protocol):
    def trigger(self, summary: str, source: str, dedup_key: str | None = ..., severity: str = ...,
                **extra: Any) -> str: ...
    def acknowledge(self, dedup_key: str) -> Any: ...
    def resolve(self, dedup_key: str) -> Any: ...


class Changes(Protocol):
    def submit(self, summary: str, source: str | None = ..., custom_details: dict[str, Any] | None = ...,
               links: list[dict[str, Any]] | None = ..., timestamp: str | None = ...) -> Any: ...


@dataclass
class Clients:
    """Makes each library's events client pointed at the TLS Warroom, and closes them before the server stops
    (an open keep-alive connection would hold the server's shutdown)."""

    tls: TlsWarroom
    opened: list[Any]

    def events(self, which: str, key: str) -> Any:
        return self._keep(pdpyras.EventsAPISession(key) if which == "pdpyras" else None, which, key)

    def changes(self, which: str, key: str) -> Any:
        return self._keep(pdpyras.ChangeEventsAPISession(key) if which == "pdpyras" else None, which, key)

    def _keep(self, session: Any, which: str, key: str) -> Any:
        if which == "pdpyras":
            session.url = self.tls.live.url
            session.verify = str(self.tls.ca_file)
            session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment wins over verify
            client = session
        else:  # pagerduty >= 7: one client for alert and change events
            client = pagerduty.EventsApiV2Client(key, base_url=self.tls.live.url, verify=self.tls.context)
        self.opened.append(client)
        return client


@pytest.fixture
def clients(tls_warroom: TlsWarroom) -> Iterator[Clients]:
    made = Clients(tls_warroom, [])
    yield made
    for client in made.opened:
        client.close()


CLIENTS = ["pdpyras", "pagerduty"]


@pytest.mark.parametrize("which", CLIENTS)
def test_trigger_acknowledge_and_resolve_through_the_real_client(runtime, clients, integration_keys, which):
    key = integration_keys.make("pagerduty", name="search", team="engineering")
    client: Events = clients.events(which, key)
    dedup_key = client.trigger("Search p99 over 2s", "search-1.example.com", dedup_key="search/p99",
                               severity="error", custom_details={"p99": "2.4s"},
                               links=[{"href": "https://grafana.example/d/search", "text": "Dashboard"}])
    assert dedup_key == "search/p99"
    [alert] = alerts_of(runtime)
    assert (alert.alias, alert.message, alert.status) == ("search/p99", "Search p99 over 2s", AlertStatus.open)
    assert alert.details["custom_details"] == {"p99": "2.4s"}
    generated = client.trigger("Disk full", "db-1.example.com")
    assert len(generated) == 32
    client.acknowledge("search/p99")
    assert alerts_of(runtime)[0].status is AlertStatus.acknowledged
    client.resolve("search/p99")
    assert alerts_of(runtime)[0].status is AlertStatus.closed
    client.resolve("no-such-alert")  # accepted and does nothing, as in PagerDuty


@pytest.mark.parametrize("which", CLIENTS)
def test_change_events_through_the_real_client(runtime, clients, integration_keys, which):
    key = integration_keys.make("pagerduty", name="search")
    client: Changes = clients.changes(which, key)
    # pagerduty 7.2.0's own default timestamp raises AttributeError (datetime.datetime.timezone) in the client,
    # so the timestamp is given, in the shape pdpyras makes (naive UTC with a Z).
    client.submit("Deploy search v2.3.1", source="ci-pipeline", custom_details={"sha": "4b1c9e"},
                  links=[{"href": "https://ci.example/build/7", "text": "Build 7"}],
                  timestamp="2026-12-07T08:42:58.315000Z")
    with runtime.database.reading() as db:
        [kept] = db.scalars(sa.select(ChangeEvent))
        assert (kept.service, kept.summary, kept.source) == ("search", "Deploy search v2.3.1", "ci-pipeline")
        assert kept.details == {"sha": "4b1c9e"}
        assert kept.links == [{"href": "https://ci.example/build/7", "text": "Build 7"}]
        assert kept.happened_at.isoformat() == "2026-12-07T08:42:58.315000+00:00"


def test_pdpyras_change_events_carry_its_own_timestamp(runtime, clients, integration_keys):
    key = integration_keys.make("pagerduty", name="search")
    clients.changes("pdpyras", key).submit("Config: search replicas 3 -> 5")
    with runtime.database.reading() as db:
        [kept] = db.scalars(sa.select(ChangeEvent))
        assert kept.summary == "Config: search replicas 3 -> 5"
        assert kept.happened_at.tzinfo is not None


def test_an_unknown_routing_key_is_the_client_s_error_with_pagerduty_s_body(clients):
    with pytest.raises(pdpyras.PDClientError) as old:
        clients.events("pdpyras", "f" * 32).trigger("x", "y")
    assert old.value.response is not None and old.value.response.status_code == 400
    assert old.value.response.json()["errors"] == ["Invalid routing key"]
    with pytest.raises(pagerduty.HttpError) as new:
        clients.events("pagerduty", "f" * 32).trigger("x", "y")
    assert new.value.response.status_code == 400
    assert new.value.response.json()["errors"] == ["Invalid routing key"]


def test_pagerduty_7_refuses_plain_http():
    with pytest.raises(pagerduty.UrlError):
        pagerduty.EventsApiV2Client("k" * 32, base_url="http://127.0.0.1:1")
