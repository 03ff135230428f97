"""Reading /metrics in a test: the exposition parsed by prometheus_client's own parser."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from warroom.runtime import Runtime

from ..compat.conftest import integration_keys  # noqa: F401  (fixture, registered by importing it)
from ..notifications.conftest import pager  # noqa: F401  (fixture, registered by importing it)

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def scrape(runtime: Runtime, client: TestClient):  # type: ignore[no-untyped-def]
    """GET /metrics with the bearer token; returns the text."""
    runtime.settings.metrics_token = TOKEN

    def get() -> str:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.text
        return response.text

    return get


def value(text: str, name: str, **labels: str) -> float:
    """A sample's value (0 when the series does not exist yet: a counter nobody has touched)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def names(text: str) -> set[str]:
    """Every sample name in the exposition (counters' _total, histograms' _bucket/_sum/_count included)."""
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


def exposed(text: str) -> set[str]:
    """Every name a query may use for the families in the exposition, samples or not yet (a labelled counter no
    one has touched shows only its HELP and TYPE)."""
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
                "summary": ("_sum", "_count", "_created")}
    found = set()
    for family in text_string_to_metric_families(text):
        found.add(family.name)
        found.update(family.name + suffix for suffix in suffixes.get(family.type, ()))
    return found | names(text)
