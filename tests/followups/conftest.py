"""A local fake GitHub that speaks the documented REST shapes, and Warroom settings pointing at it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from warroom.config import Settings

from ..support import Reply as Answer  # what GitHub answers: status, JSON body, headers
from ..support import Request, http_server

TOKEN = "ghp_test-token"
WEBHOOK_SECRET = "webhook-secret"
REPO = "acme/search"


@dataclass
class FakeGithub:
    url: str = ""
    repositories: set[str] = field(default_factory=lambda: {REPO})
    issues: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)  # every comment made, with its repo and issue
    # Answers given before the real one, one per request (outages, rate limits).
    scripted: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Create the next issue, then answer 502 as if the answer were lost on the way back.
    lose_next_create: bool = False

    def add_issue(self, repo: str, number: int, title: str, state: str = "open") -> None:
        self.issues[(repo, number)] = self._issue(repo, number, title, "", state, [])

    def _issue(self, repo: str, number: int, title: str, body: str, state: str, labels: list[str]) -> dict[str, Any]:
        return {"id": 1000 + number, "number": number, "title": title, "body": body, "state": state,
                "html_url": f"https://github.example/{repo}/issues/{number}",
                "url": f"{self.url}/repos/{repo}/issues/{number}",
                "labels": [{"name": name} for name in labels]}

    def created(self) -> list[dict[str, Any]]:
        return [issue for issue in self.issues.values() if issue["id"] >= 5000]

    def respond(self, request: Request) -> Answer:
        return self.answer(request.method, request.path, request.headers, request.json())

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        with self.lock:
            self.requests.append((method, path, headers, body))
            if self.scripted:
                return self.scripted.pop(0)
            if headers.get("authorization") != f"Bearer {TOKEN}":
                return Answer(401, {"message": "Bad credentials",
                                    "documentation_url": "https://docs.github.com/rest"})
            match = re.fullmatch(r"/api/v3/repos/([^/]+/[^/]+)/issues(?:/(\d+))?(/comments)?",
                                 path.partition("?")[0])
            if match is None or match.group(1) not in self.repositories:
                return Answer(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
            repo = match.group(1)
            if match.group(3) or method == "PATCH":
                return self._change(method, repo, int(match.group(2) or 0), bool(match.group(3)), body)
            if method == "GET" and match.group(2):
                issue = self.issues.get((repo, int(match.group(2))))
                return Answer(200, issue) if issue else Answer(404, {"message": "Not Found"})
            if method == "GET" and not match.group(2):  # newest first, as asked with sort=created&direction=desc
                return Answer(200, [i for (r, _), i in sorted(self.issues.items(), key=lambda kv: -kv[0][1])
                                    if r == repo])  # type: ignore[arg-type]
            if method == "POST" and not match.group(2):
                if not isinstance(body, dict) or not body.get("title"):
                    return Answer(422, {"message": "Validation Failed", "errors": [
                        {"resource": "Issue", "code": "missing_field", "field": "title"}]})
                number = max([n for r, n in self.issues if r == repo], default=0) + 1
                issue = self._issue(repo, number, body["title"], body.get("body", ""), "open",
                                    body.get("labels", []))
                issue["id"] = 5000 + len(self.issues)
                self.issues[(repo, number)] = issue
                if self.lose_next_create:
                    self.lose_next_create = False
                    return Answer(502, {"message": "Server Error"})
                return Answer(201, issue)
            return Answer(404, {"message": "Not Found"})


    def _change(self, method: str, repo: str, number: int, comments: bool, body: Any) -> Answer:
        """POST …/issues/{n}/comments (201, the comment) and PATCH …/issues/{n} (200, the issue)."""
        issue = self.issues.get((repo, number))
        if issue is None:
            return Answer(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        if comments and method == "POST":
            if not isinstance(body, dict) or not str(body.get("body", "")).strip():
                return Answer(422, {"message": "Validation Failed", "errors": [
                    {"resource": "IssueComment", "code": "missing_field", "field": "body"}]})
            comment_id = 9_000_000_000 + len(self.comments) + 1  # GitHub's comment ids pass 2**31
            comment = {"id": comment_id, "body": body["body"], "repo": repo, "issue": number,
                       "html_url": f"https://github.example/{repo}/issues/{number}#issuecomment-{comment_id}"}
            self.comments.append(comment)
            return Answer(201, comment)
        if not comments and method == "PATCH" and isinstance(body, dict):
            if body.get("state") not in (None, "open", "closed"):
                return Answer(422, {"message": "Validation Failed"})
            issue["state"] = body.get("state", issue["state"])
            issue["state_reason"] = body.get("state_reason")
            return Answer(200, issue)
        return Answer(404, {"message": "Not Found"})


@pytest.fixture
def github() -> Iterator[FakeGithub]:
    fake = FakeGithub()
    with http_server(fake.respond, path="/api/v3") as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def settings(settings: Settings, github: FakeGithub) -> Settings:
    return settings.model_copy(update={"github_token": TOKEN, "github_api_url": github.url,
                                       "github_repository": REPO, "github_webhook_secret": WEBHOOK_SECRET})


from ..api.conftest import team  # noqa: E402, F401  (the API test team: alice, bob, carol, vic)
