"""Opsgenie's wire shapes: the GenieKey header, request ids, answers and errors.

Every answer carries ``took`` (seconds) and ``requestId``; errors are ``{"message", "took", "requestId"}``
with ``errors`` (field -> message) on a 422, as Opsgenie documents.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from warroom.core import json_input
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import IntegrationKey, KeyKind

INVALID_BODY = "Request body is not processable. Please check the errors."


class OpsgenieError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


def unprocessable(errors: dict[str, str]) -> OpsgenieError:
    return OpsgenieError(422, INVALID_BODY, errors)


@dataclass
class Call:
    """One request: its id, when it started (for ``took``) and the key it came with."""

    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.perf_counter)

    @property
    def took(self) -> float:
        return round(time.perf_counter() - self.started, 3)

    def answer(self, **body: Any) -> dict[str, Any]:
        return {**body, "took": self.took, "requestId": self.request_id}

    def error(self, error: OpsgenieError) -> dict[str, Any]:
        body: dict[str, Any] = {"message": error.message}
        if error.errors:
            body["errors"] = error.errors
        return self.answer(**body)

    def headers(self) -> dict[str, str]:
        return {"X-Request-ID": self.request_id, "X-Response-Time": str(self.took)}


def genie_key(header: str | None) -> str:
    """The key of ``Authorization: GenieKey <key>``, or a 401."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "geniekey" or not value.strip():
        raise OpsgenieError(401, "Could not authenticate: send the header 'Authorization: GenieKey <key>' with a "
                                 "Warroom opsgenie integration key.")
    return value.strip()


def authenticate(db: Session, header: str | None, kinds: Collection[KeyKind]) -> IntegrationKey:
    """The live key in the header, if it may be used here: unknown is 401, the wrong kind 403."""
    key = keys.authenticate_key(db=db, secret=genie_key(header))
    if key is None:
        raise OpsgenieError(401, "Could not authenticate: the key is unknown or revoked.")
    if key.kind not in kinds:
        allowed = " or ".join(k.value for k in kinds)
        raise OpsgenieError(403, f"The key is valid but not allowed for this request: it is a Warroom "
                                 f"{key.kind.value} integration key; this needs a {allowed} key.")
    return key


def same_team(key: IntegrationKey, team_id: int | None, what: str) -> None:
    """A team's key reaches only its team's alerts, heartbeats and schedules (Opsgenie's 40301)."""
    if key.team_id is not None and team_id is not None and team_id != key.team_id:
        raise OpsgenieError(403, f"The key belongs to another team than this {what}; it is not allowed to "
                                 "access it.")


def read_json(raw: bytes, *, empty_ok: bool = False) -> dict[str, Any]:
    """The request body as a JSON object; invalid JSON is Opsgenie's 400."""
    if not raw.strip():
        if empty_ok:
            return {}
        raise OpsgenieError(400, "Invalid JSON body: the request has no body; send a JSON object.")
    try:
        data = json_input.loads(raw)
    except json_input.InvalidJson as error:
        raise OpsgenieError(400, f"Invalid JSON body: the request body is not valid JSON: {error.msg}.") from None
    if not isinstance(data, dict):
        raise OpsgenieError(400, "Invalid JSON body: send a JSON object.")
    return data


def timestamp(value: datetime | None) -> str | None:
    """Opsgenie's time format: UTC with milliseconds, ``2017-05-24T12:49:46.089Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Fields:
    """Collects field problems of one body, to answer them all at once in a 422."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def text(self, name: str, *, limit: int, required: bool = False) -> str:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.errors[name] = f"{name} can not be empty."
            return ""
        if not isinstance(value, str):
            self.errors[name] = f"{name} must be a string."
            return ""
        if len(value.strip()) > limit:
            self.errors[name] = f"{name} can not be longer than {limit} characters."
            return ""
        return value.strip()

    def strings(self, name: str, *, most: int) -> list[str]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.errors[name] = f"{name} must be a list of strings."
            return []
        if len(value) > most:
            self.errors[name] = f"{name} can have at most {most} items."
            return []
        return [v for v in value if v.strip()]

    def check(self) -> None:
        if self.errors:
            raise unprocessable(self.errors)
