"""`warroom import pagerduty|grafana-oncall|opsgenie` as an operator runs it: a dry run first, then the import,
then again (nothing changes); the report names what was not carried; bad input is one red line."""

from __future__ import annotations

import json

from ..cli.conftest import cli  # noqa: F401  (the CLI fixture, shared)
from ..support import http_server, stored
from .fakes import grafana_fake, save_grafana, save_pagerduty


def test_dry_run_then_import_then_again_from_a_folder(cli, runtime, tmp_path):  # noqa: F811
    folder = save_pagerduty(tmp_path / "pd")
    before = stored(runtime)
    dry = cli.ok("import", "pagerduty", "--from", str(folder), "--dry-run")
    assert "would create user alice@acme.example (@alice)" in dry
    assert "would create pagerduty key Checkout (Prometheus)" in dry
    assert "Dry run: nothing was written" in dry
    assert "users.contact_methods.push_notification_contact_method (1)" in dry
    assert stored(runtime) == before
    done = cli.ok("import", "pagerduty", "--from", str(folder))
    assert "Imported from pagerduty in one transaction" in done
    again = json.loads(cli.ok("import", "pagerduty", "--from", str(folder), "--json"))
    assert again["created"] == dict.fromkeys(again["created"], 0)
    assert again["skipped"]["keys"] == 1
    assert again["not_carried"]["teams.description"] == 1


def test_live_with_the_key_from_the_environment(cli, runtime, monkeypatch):  # noqa: F811
    fake = grafana_fake()
    with http_server(fake.respond) as server:
        fake.base = server.url
        monkeypatch.setenv("WARROOM_IMPORT_KEY", "grafana-api-token")
        report = json.loads(cli.ok("import", "grafana-oncall", "--url", server.url, "--json"))
    assert report["created"]["users"] == 3 and report["created"]["keys"] == 1


def test_bad_input_is_one_line_and_writes_nothing(cli, runtime, tmp_path):  # noqa: F811
    before = stored(runtime)
    cli.fails("import", "opsgenie", says="Give a folder of saved API answers (--from), or the API's key")
    folder = save_grafana(tmp_path / "g")
    (folder / "schedules.json").write_text('{"results": [{"id": "S", "name": "x", "time_zone": "Mars/Olympus"}]}')
    cli.fails("import", "grafana-oncall", "--from", str(folder), says="Nothing was imported")
    fake = grafana_fake()
    with http_server(fake.respond) as server:
        cli.fails("import", "grafana-oncall", "--url", server.url, "--key", "wrong", says="refused the key (401)")
    assert stored(runtime) == before
