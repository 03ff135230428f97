"""The Grafana OnCall integration URL (`/integrations/v1/<kind>/<token>/`, a key kept by the importer) and the
import itself: once its alert is moved into private INC-2, a repeat from the tool is answered with nothing of
the incident's, and an import that runs while INC-2 is open reports nothing of it either."""

from __future__ import annotations

import json

from warroom.importers.run import Source

from ..importers.fakes import GRAFANA_TOKEN, save_grafana
from ..importers.helpers import run
from .conftest import SECRET

FIRING = {"version": "4", "groupKey": "{}:{alertname=\"OddLogins\"}", "status": "firing", "receiver": "oncall",
          "commonAnnotations": {"summary": "Odd logins from one address"},
          "alerts": [{"status": "firing", "labels": {"alertname": "OddLogins"}, "fingerprint": "f1"}]}


def test_the_integration_url_answers_a_repeat_without_the_private_incident(client, callers, incidents, runtime,
                                                                          factory, tmp_path):
    report = run(runtime, factory, Source.grafana_oncall, folder=save_grafana(tmp_path / "g"))
    assert SECRET not in json.dumps(report.actions + report.warnings + report.uncarried_lines())
    assert "INC-2" not in json.dumps(report.actions + report.warnings + report.uncarried_lines())
    first = client.post(f"/integrations/v1/alertmanager/{GRAFANA_TOKEN}/", json=FIRING)
    assert first.status_code == 200, first.text
    alert_id = first.json()["alerts"][0]["alert_id"]
    callers["bob"].ok("post", f"/alerts/{alert_id}/incident", {"incident": "INC-2"})
    again = client.post(f"/integrations/v1/alertmanager/{GRAFANA_TOKEN}/", json=FIRING)
    assert again.status_code == 200, again.text
    assert again.json()["alerts"][0]["action"] == "deduplicated"
    assert SECRET not in again.text and "INC-2" not in again.text
