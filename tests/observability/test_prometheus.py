"""A real Prometheus scrapes Warroom with its bearer token and loads the alert rules of docs/monitoring.md; promtool
checks those rules; the Grafana dashboard's queries run in that Prometheus and name only metrics Warroom has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from warroom.runtime import Runtime

from ..support import live_server, wait_until
from ..support.prometheus import prometheus_process, promtool
from .conftest import TOKEN, exposed

DOCS = Path(__file__).resolve().parents[2] / "docs"
METRIC = re.compile(r"\b(?:warroom|process)_[a-z_]+\b")


def rules_yaml() -> str:
    text = (DOCS / "monitoring.md").read_text()
    block = text.split("<!-- rules:begin -->", 1)[1].split("<!-- rules:end -->", 1)[0]
    return block.strip().removeprefix("```yaml").removesuffix("```").strip() + "\n"


def dashboard_queries() -> list[str]:
    dashboard = json.loads((DOCS / "grafana" / "warroom.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_rules_and_the_dashboard_name_only_metrics_warroom_exposes(runtime: Runtime, scrape):
    have = exposed(scrape())
    for expr in [*dashboard_queries(), rules_yaml()]:
        assert set(METRIC.findall(expr)) <= have, set(METRIC.findall(expr)) - have
    assert len(dashboard_queries()) >= 16


@pytest.mark.prometheus
def test_promtool_accepts_the_alert_rules(tmp_path: Path):
    rules = tmp_path / "warroom-rules.yml"
    rules.write_text(rules_yaml())
    checked = promtool("check", "rules", str(rules))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 8 rules found" in checked.stdout


def _query(api: str, expr: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{api}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", (expr, answer)
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


@pytest.mark.prometheus
def test_a_real_prometheus_scrapes_warroom_with_its_token_and_evaluates_the_rules(runtime: Runtime,
                                                                                   tmp_path: Path):
    runtime.settings.metrics_token = TOKEN
    (tmp_path / "token").write_text(TOKEN)
    (tmp_path / "rules.yml").write_text(rules_yaml())
    with live_server(runtime, engine=True, proxy_headers=False) as warroom:
        target = warroom.url.removeprefix("http://")
        config = f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{tmp_path / 'rules.yml'}"]
scrape_configs:
  - job_name: warroom
    authorization: {{credentials_file: "{tmp_path / 'token'}"}}
    static_configs: [{{targets: ["{target}"]}}]
  - job_name: warroom-without-token
    static_configs: [{{targets: ["{target}"]}}]
"""
        with prometheus_process(config, tmp_path) as (api, _log):
            wait_until(lambda: {h for h, _ in _targets(api).values()} == {"up", "down"}, 30,
                       what="both targets to be scraped")
            health = _targets(api)
            assert health["warroom"] == ("up", "")
            assert health["warroom-without-token"][0] == "down"  # 401: the token is needed from Prometheus too
            assert "401" in health["warroom-without-token"][1]
            [store] = _query(api, "warroom_store_up")
            assert store["value"][1] == "1"
            assert _query(api, 'warroom_http_request_seconds_count{route="/metrics"}')
            for expr in dashboard_queries():
                _query(api, expr.replace("$__rate_interval", "1m"))
            wait_until(lambda: _rules_evaluated(api), 30, what="the rules to be evaluated")
            groups = httpx.get(f"{api}/api/v1/rules").json()["data"]["groups"]
            rules = {r["name"]: r for g in groups for r in g["rules"]}
            assert len(rules) == 8 and all(r["health"] == "ok" for r in rules.values()), rules
            # The engine is ticking: its heartbeat is fresh, so the stalled-engine alert is quiet (it may be pending
            # for an evaluation or two if the first scrape came before the engine's first heartbeat).
            wait_until(lambda: _rule_state(api, "WarroomEngineStalled") == "inactive", 20,
                       what="the stalled-engine rule to be quiet")
            assert _rule_state(api, "WarroomEngineStalled") == "inactive"
            assert rules["WarroomStoreDown"]["state"] == "inactive"


def _targets(api: str) -> dict[str, tuple[str, str]]:
    targets = httpx.get(f"{api}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]
    return {t["labels"]["job"]: (t["health"], t["lastError"]) for t in targets}


def _rules_evaluated(api: str) -> bool:
    groups = httpx.get(f"{api}/api/v1/rules").json()["data"]["groups"]
    return bool(groups) and all(r.get("lastEvaluation", "").startswith("20") and
                                not r["lastEvaluation"].startswith("0001") for g in groups for r in g["rules"])


def _rule_state(api: str, name: str) -> str:
    groups = httpx.get(f"{api}/api/v1/rules").json()["data"]["groups"]
    return next(str(r["state"]) for g in groups for r in g["rules"] if r["name"] == name)
