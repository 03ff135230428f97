"""Reading a source: live from its REST API (paging followed, 429 waited out) or from a folder of saved answers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from warroom.importers.core import ExportProblem

MAX_RETRIES = 6
MAX_WAIT_SECONDS = 60.0
TIMEOUT_SECONDS = 30.0


def _wait_of(response: httpx.Response, attempt: int) -> float:
    """How long a 429 asks to wait: its Retry-After (seconds), else a doubling back-off."""
    text = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = float(2 ** attempt)
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


@dataclass
class Api:
    """One source's REST API: a base URL and the headers that carry its key."""

    base_url: str
    headers: dict[str, str]
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    waits: list[float] = field(default_factory=list)
    client: httpx.Client | None = None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON at ``path`` (relative to the base URL, or absolute as a paging link gives it)."""
        url = path if path.startswith(("http://", "https://")) else urljoin(self.base_url.rstrip("/") + "/",
                                                                          path.lstrip("/"))
        client = self.client or httpx.Client(timeout=TIMEOUT_SECONDS)
        self.client = client
        for attempt in range(MAX_RETRIES):
            try:
                response = client.get(url, params=params, headers=self.headers)
            except httpx.HTTPError as error:
                raise ExportProblem(f"Cannot reach {url}: {error}") from None
            self.requests += 1
            if response.status_code == 429:
                wait = _wait_of(response, attempt)
                self.waits.append(wait)
                self.sleep(wait)
                continue
            if response.status_code in (401, 403):
                raise ExportProblem(f"{url} refused the key ({response.status_code}): give a key that may read "
                                    "users, teams, schedules and escalations.")
            if response.status_code >= 400:
                raise ExportProblem(f"{url} answered {response.status_code}: {response.text[:200]}")
            try:
                return response.json()
            except ValueError:
                raise ExportProblem(f"{url} did not answer JSON.") from None
        raise ExportProblem(f"{url} kept answering 429 (rate limited) after {MAX_RETRIES} tries; try again later.")

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


class Folder:
    """Saved API answers: ``<name>.json`` holding one answer, or a list of answers (one per page)."""

    def __init__(self, path: Path) -> None:
        if not path.is_dir():
            raise ExportProblem(f"{path} is not a folder of saved API answers.")
        self.path = path

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.json").is_file()

    def read(self, name: str) -> Any:
        file = self.path / f"{name}.json"
        if not file.is_file():
            return None
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ExportProblem(f"Cannot read {file}: {error}") from None

    def pages(self, name: str) -> Iterator[Any]:
        """Each page saved for ``name``: a list of page answers, or the one answer."""
        value = self.read(name)
        if value is None:
            return
        if isinstance(value, list) and value and all(isinstance(v, dict) and _looks_like_page(v) for v in value):
            yield from value
        else:
            yield value


def _looks_like_page(value: dict[str, Any]) -> bool:
    return any(k in value for k in ("data", "results", "more", "paging", "next", "offset"))
