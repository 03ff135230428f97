"""Talk to a running Warroom's REST API with a token; render its problem+json errors as one red line."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import httpx

from warroom.cli.output import fail

DEFAULT_URL = "http://127.0.0.1:8080"
TIMEOUT_SECONDS = 30.0


def config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "warroom" / "cli.json"


def _stored() -> dict[str, str]:
    path = config_file()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        fail(f"{path} is not readable JSON; run `warroom login --url … --token …` again.")
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Connection:
    url: str
    token: str


def connection() -> Connection:
    """The environment (WARROOM_URL, WARROOM_TOKEN) wins over what `warroom login` stored."""
    stored = _stored()
    url = os.environ.get("WARROOM_URL") or stored.get("url") or DEFAULT_URL
    token = os.environ.get("WARROOM_TOKEN") or stored.get("token") or ""
    return Connection(url.rstrip("/"), token.strip())


def save_connection(conn: Connection) -> Path:
    """Store URL and token readable by this user only (0600): the token is a password."""
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"url": conn.url, "token": conn.token}, handle, indent=2)
    path.chmod(0o600)  # an existing file keeps its old mode through os.open
    return path


def segment(value: str) -> str:
    """One path segment of a URL (an incident ref, a checklist key) with anything odd escaped."""
    return quote(value.strip(), safe="")


class Api:
    """A few calls to /api/v1; any failure ends the command with one red line and exit code 1."""

    def __init__(self, conn: Connection | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.conn = conn or connection()
        self._transport = transport

    def get(self, path: str, **params: Any) -> Any:
        query = {k: _param(v) for k, v in params.items() if v is not None}
        return self.call("GET", path, params=query)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.call("POST", path, body=body)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self.call("PUT", path, body=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.call("PATCH", path, body=body)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)

    def download(self, path: str) -> bytes:
        """A file the API serves (an export): its bytes, not JSON."""
        content: bytes = self.call("GET", path, raw=True)
        return content

    def call(self, method: str, path: str, *, body: dict[str, Any] | None = None,
             params: dict[str, str] | None = None, auth: bool = True, raw: bool = False) -> Any:
        url = f"{self.conn.url}/api/v1{path}"
        headers = {"Accept": "application/json"}
        if auth:
            if not self.conn.token:
                fail("No API token. Set WARROOM_TOKEN or run `warroom login --url <url> --token <token>` "
                     "(an admin creates one with `warroom tokens create --user <you> --scope write`).")
            headers["Authorization"] = f"Bearer {self.conn.token}"
        try:
            with httpx.Client(timeout=TIMEOUT_SECONDS, transport=self._transport) as client:
                response = client.request(method, url, json=body, params=params, headers=headers)
        except httpx.ConnectError:
            fail(f"The Warroom server is not reachable at {self.conn.url}. Is `warroom serve` running? "
                 "(Set WARROOM_URL or use `warroom login --url`.)")
        except httpx.TimeoutException:
            fail(f"The Warroom server at {self.conn.url} did not answer within {TIMEOUT_SECONDS:.0f} s.")
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            fail(f"Cannot talk to {self.conn.url}: {error}")
        if response.status_code >= 400:
            _fail_with_problem(response, self.conn.url)
        if raw:
            return response.content
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            fail(f"{self.conn.url} answered with something that is not JSON; is WARROOM_URL a Warroom server?")


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fail_with_problem(response: httpx.Response, url: str) -> NoReturn:
    try:
        problem = response.json()
    except ValueError:
        problem = None
    detail = str(problem.get("detail") or problem.get("title") or "") if isinstance(problem, dict) else ""
    if detail and detail.lower() != response.reason_phrase.lower():
        usage = problem.get("usage") if isinstance(problem, dict) else None
        fail(detail, str(usage) if usage else None)
    # A bare "Not Found" from no route at all: most likely WARROOM_URL points somewhere else.
    fail(f"{url} answered {response.status_code} {response.reason_phrase} to {response.request.method} "
         f"{response.request.url.path}; is {url} a Warroom server?")
