"""The insights page (SVG charts), the CSV files and the API, on the fixture history; bad parameters → 4xx."""

from __future__ import annotations

import csv
import html
import io
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from warroom.accounts import service as accounts
from warroom.accounts.models import TokenScope, User
from warroom.insights import svg

from .conftest import NOW, History

SVG = "{http://www.w3.org/2000/svg}"


def signed_in(client: TestClient, history: History, user: User) -> TestClient:
    with history.runtime.database.writing() as db:
        person = accounts.get_user(db=db, user_id=user.id)
        cookie = accounts.start_session(db=db, user=person, now=NOW, days=1).cookie_value
    client.cookies.set("warroom_session", cookie)
    return client


def bearer(history: History, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {history.factory.token(user, TokenScope.read)}"}


def charts_in(html: str) -> dict[str, ET.Element]:
    found = {}
    start = 0
    while (begin := html.find("<svg", start)) >= 0:
        end = html.index("</svg>", begin) + len("</svg>")
        root = ET.fromstring(html[begin:end])  # noqa: S314  (our own output; parsing proves it well-formed)
        found[root.attrib["id"].removeprefix("chart-")] = root
        start = end
    return found


def test_page_draws_every_chart_as_svg_with_its_numbers(client: TestClient, history: History) -> None:
    page = signed_in(client, history, history.ada).get("/insights?weeks=3")
    assert page.status_code == 200
    assert 'href="/insights" aria-current="page"' in page.text
    assert "<script" not in page.text.split("</head>")[1]
    charts = charts_in(page.text)
    assert set(charts) == {"incidents", "mtta", "mttr", "false_positives", "status_time", "followups", "services"}
    for key, root in charts.items():
        title = root.find(f"{SVG}title")
        assert title is not None and title.text, key
        assert root.find(f"{SVG}desc") is not None
        texts = [t.text for t in root.iter(f"{SVG}text")]
        assert "Hours" in texts or "Incidents" in texts or "Follow-ups" in texts or "% of resolved" in texts
    status = charts["status_time"]
    assert {"27.47", "10.5", "0.75", "187.33"} <= {t.text for t in status.iter(f"{SVG}text")}
    tips = [t.text for t in charts["incidents"].iter(f"{SVG}title")]
    assert "2026-01-12: critical 2 incidents" in tips
    mtta_desc = charts["mtta"].find(f"{SVG}desc")
    assert mtta_desc is not None and "2026-01-12: mean 1.08, median 1 hours" in str(mtta_desc.text)
    for definition in ("acknowledged_at - declared_at", "resolved_at - declared_at"):
        assert definition in page.text
    assert 'href="/insights/mtta.csv?weeks=3"' in page.text
    assert ">3</span><span class=\"figure__label\">follow-ups overdue now" in page.text


def test_csv_per_chart_parses_and_matches(client: TestClient, history: History) -> None:
    web = signed_in(client, history, history.ada)
    answer = web.get("/insights/mttr.csv?weeks=3")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="warroom-mttr.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [["Week starting (UTC)", "mean", "median"], ["2026-01-05", "2.33", "2"],
                    ["2026-01-12", "2.5", "2.5"], ["2026-01-19", "6", "6"]]
    services = list(csv.reader(io.StringIO(web.get("/insights/services.csv?weeks=3&severity=major").text)))
    assert services == [["Service", "incidents"], ["search", "2"], ["api", "1"]]


def test_api_all_charts_and_one_chart(client: TestClient, history: History) -> None:
    headers = bearer(history, history.victor)
    everything = client.get("/api/v1/insights", params={"weeks": "3"}, headers=headers)
    assert everything.status_code == 200
    body = everything.json()
    assert body["window"]["weeks"] == 3 and body["window"]["start"] == "2026-01-05T00:00:00Z"
    assert body["summary"]["followups_overdue_now"] == 3
    assert body["charts"]["services"]["categories"] == ["api", "search", "db"]  # vault: a private incident
    assert "mtta" in body["definitions"]
    one = client.get("/api/v1/insights/false_positives?weeks=3", headers=headers).json()
    assert one["chart"]["series"] == [{"name": "false-positive %", "values": [33.33, 50.0, 0.0]}]
    as_csv = client.get("/api/v1/insights/followups.csv?weeks=3", headers=headers)
    assert list(csv.reader(io.StringIO(as_csv.text)))[1:] == [["2026-01-05", "2", "1"], ["2026-01-12", "3", "0"],
                                                             ["2026-01-19", "0", "1"]]


@pytest.mark.parametrize(("query", "status", "says"), [
    ("weeks=0", 422, "weeks must be a whole number from 1 to 104"),
    ("weeks=abc", 422, "weeks must be a whole number from 1 to 104"),
    ("weeks=105", 422, "weeks must be a whole number from 1 to 104"),
    ("weeks=-3", 422, "weeks must be a whole number"),
    ("team=nobody", 404, "No team 'nobody'"),
    ("severity=minor", 422, "severity"),
])
def test_bad_parameters_are_clear_4xx(client: TestClient, history: History, query: str, status: int,
                                      says: str) -> None:
    headers = bearer(history, history.ada)
    api = client.get(f"/api/v1/insights?{query}", headers=headers)
    assert api.status_code == status and api.headers["content-type"].startswith("application/problem+json")
    assert says.lower() in api.text.lower()
    assert client.get(f"/api/v1/insights/mtta.csv?{query}", headers=headers).status_code == status
    web = signed_in(client, history, history.ada).get(f"/insights?{query}")
    assert web.status_code == status and says.lower() in html.unescape(web.text).lower()


def test_unknown_chart_is_404(client: TestClient, history: History) -> None:
    api = client.get("/api/v1/insights/uptime", headers=bearer(history, history.ada))
    assert api.status_code == 404 and "No chart 'uptime'" in api.json()["detail"]
    web = signed_in(client, history, history.ada)
    assert web.get("/insights/uptime.csv").status_code == 404
    assert web.get("/insights/mtta").status_code == 404


def test_signed_out_and_unauthenticated(client: TestClient, history: History) -> None:
    assert client.get("/insights", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/insights").status_code == 401


def test_svg_escapes_labels_and_draws_empty_charts() -> None:
    drawn = svg.bar_chart(key="s", title="A <b> & \"c\"", categories=['<script>alert(1)</script>'],
                          series=svg.Series("n", [2]), x_label="x & y", y_label="<y>", slanted=True)
    root = ET.fromstring(drawn)  # noqa: S314  (our own output)
    assert root.find(f"{SVG}title").text == 'A <b> & "c"'  # type: ignore[union-attr]
    assert "<script>" not in drawn
    empty = ET.fromstring(svg.line_chart(  # noqa: S314  (our own output)
        key="e", title="Nothing", categories=["w1"], series=[svg.Series("mean", [None])], x_label="Week",
        y_label="Hours"))
    assert "No data in this window" in [t.text for t in empty.iter(f"{SVG}text")]
    assert svg.nice_scale(7) == (8, 2, 4) and svg.number(2.0) == "2" and svg.number(None) == "\u2013"
