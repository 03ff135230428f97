"""Strict-Transport-Security on every answer when Warroom is served over https, and never over plain http."""

from __future__ import annotations

from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.db.engine import Database
from warroom.runtime import Runtime

HSTS = "max-age=31536000; includeSubDomains"


def test_https_answers_carry_strict_transport_security(runtime):
    settings = runtime.settings.model_copy(update={"base_url": "https://warroom.example.com"})
    secure = Runtime(settings, Database(settings.resolved_database_url()), runtime.clock)
    try:
        with TestClient(create_app(secure, run_engine=False), base_url="https://warroom.example.com",
                        follow_redirects=False) as client:
            for path in ("/login", "/", "/api/v1/users/me", "/static/warroom.css", "/api/docs", "/no-such-page"):
                assert client.get(path).headers["strict-transport-security"] == HSTS, path
    finally:
        secure.database.dispose()


def test_plain_http_answers_do_not(client):
    for path in ("/login", "/api/v1/users/me", "/api/docs"):
        assert "strict-transport-security" not in client.get(path).headers
