"""The server-rendered web UI."""

from __future__ import annotations

from fastapi import FastAPI


def register_web(app: FastAPI) -> None:
    # Web routes are added here (sign-in, dashboard, incident room, …).
    return None
