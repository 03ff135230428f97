"""A small GitHub REST client: create an issue (or find one made by an earlier attempt), read one (to link it),
comment on one and close it, against
github.com or GitHub Enterprise.

Errors come back as ``GithubError`` (a ``DeliveryError``, so the engine retries what may pass later — outages,
rate limits — and gives up at once on what will not: an unknown repository, a refused token, invalid input).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from warroom.core.delivery import DeliveryError
from warroom.integrations import http
from warroom.ports import Comment, Issue

API_VERSION = "2022-11-28"


class GithubError(DeliveryError):
    """A GitHub call that failed, with a message that says what to fix."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.status = status


@dataclass(frozen=True)
class GithubClient:
    token: str
    api_url: str = "https://api.github.com"
    timeout: float = 10.0

    def create_issue(self, *, repository: str, title: str, body: str, labels: list[str]) -> Issue:
        payload: dict[str, Any] = {"title": title, "body": body}
        if labels:
            payload["labels"] = labels
        data = self._call("POST", f"/repos/{repository}/issues", repository, payload)
        return _issue(repository, data)

    def get_issue(self, *, repository: str, number: int) -> Issue:
        data = self._call("GET", f"/repos/{repository}/issues/{number}", repository, None)
        return _issue(repository, data)

    def add_comment(self, *, repository: str, number: int, body: str) -> Comment:
        """POST /repos/{owner}/{repo}/issues/{number}/comments (201 with the comment)."""
        data = self._call("POST", f"/repos/{repository}/issues/{number}/comments", repository, {"body": body})
        try:
            return Comment(id=int(data["id"]), url=str(data.get("html_url", "")))
        except (KeyError, TypeError, ValueError):
            raise GithubError("GitHub's answer has no comment id.") from None

    def close_issue(self, *, repository: str, number: int) -> Issue:
        """PATCH /repos/{owner}/{repo}/issues/{number} with state closed, as completed."""
        data = self._call("PATCH", f"/repos/{repository}/issues/{number}", repository,
                          {"state": "closed", "state_reason": "completed"})
        return _issue(repository, data)

    def get_repository(self, *, repository: str) -> dict[str, Any]:
        """GET /repos/{owner}/{repo}: the repository as this token sees it (``permissions`` says what it may do)."""
        return self._call("GET", f"/repos/{repository}", repository, None)

    def find_issue(self, *, repository: str, marker: str) -> Issue | None:
        """The newest issue whose body carries ``marker``, among the 50 last created (pull requests skipped)."""
        data = self._request("GET", f"/repos/{repository}/issues?state=all&sort=created&direction=desc"
                                    "&per_page=50", repository, None)
        if not isinstance(data, list):
            raise GithubError("GitHub answered the issue list with JSON that is not a list.")
        for item in data:
            if isinstance(item, dict) and "pull_request" not in item and marker in str(item.get("body") or ""):
                return _issue(repository, item)
        return None

    def _call(self, method: str, path: str, repository: str, payload: dict[str, Any] | None) -> dict[str, Any]:
        data = self._request(method, path, repository, payload)
        if not isinstance(data, dict):
            raise GithubError("GitHub answered with JSON that is not an object.")
        return data

    def _request(self, method: str, path: str, repository: str, payload: dict[str, Any] | None) -> Any:
        if not self.token:
            raise GithubError("No GitHub token is configured; set WARROOM_GITHUB_TOKEN.", permanent=True)
        headers = {"authorization": f"Bearer {self.token}", "accept": "application/vnd.github+json",
                   "x-github-api-version": API_VERSION, "user-agent": "Warroom"}
        url = self.api_url.rstrip("/") + path
        try:
            response = http.client().request(method, url, json=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise GithubError(f"GitHub could not be reached at {self.api_url}: {type(error).__name__}") from error
        if response.status_code >= 300:
            raise _error(response, repository)
        try:
            data = response.json()
        except ValueError:
            raise GithubError(f"GitHub answered HTTP {response.status_code} with a body that is not JSON.") from None
        return data


def _issue(repository: str, data: dict[str, Any]) -> Issue:
    try:
        return Issue(repository=repository, number=int(data["number"]), url=str(data["html_url"]),
                     title=str(data.get("title", "")), state=str(data.get("state", "open")))
    except (KeyError, TypeError, ValueError):
        raise GithubError("GitHub's answer has no issue number or html_url.") from None


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    text = str(data.get("message", ""))
    errors = data.get("errors")
    if isinstance(errors, list):
        details = [str(e.get("message") or f"{e.get('field', '?')} {e.get('code', 'invalid')}")
                   for e in errors if isinstance(e, dict)]
        if details:
            text += " (" + "; ".join(details) + ")"
    return text


def _error(response: httpx.Response, repository: str) -> GithubError:
    status = response.status_code
    said = _message(response)
    retry_after = _retry_after(response)
    if status in (403, 429) and (retry_after is not None or response.headers.get("x-ratelimit-remaining") == "0"):
        wait = f"; retrying in {int(retry_after)} s" if retry_after is not None else ""
        return GithubError(f"GitHub's rate limit is reached{wait}.", status=status, retry_after=retry_after)
    if status == 401:
        return GithubError("GitHub refused the token (401); check WARROOM_GITHUB_TOKEN.", status=status,
                           permanent=True)
    if status == 403:
        return GithubError(f"The GitHub token may not do this in {repository} (403): {said}", status=status,
                           permanent=True)
    if status == 404:
        return GithubError(f"GitHub knows no repository or issue {repository} that this token can see (404).",
                           status=status, permanent=True)
    if status in (410, 422):
        return GithubError(f"GitHub refused the request (HTTP {status}): {said}", status=status, permanent=True)
    if status >= 500 or status in (408, 409):
        return GithubError(f"GitHub is failing (HTTP {status}); will retry.", status=status)
    return GithubError(f"GitHub answered HTTP {status}: {said}", status=status, permanent=True)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            try:
                return max((parsedate_to_datetime(value).timestamp() - time.time()), 0.0)
            except (TypeError, ValueError):
                return None
    reset = response.headers.get("x-ratelimit-reset")
    if response.headers.get("x-ratelimit-remaining") == "0" and reset and reset.isdigit():
        return max(float(reset) - time.time(), 0.0)
    return None
