"""Every REST router, registered under /api/v1."""

from __future__ import annotations

from fastapi import FastAPI


def register_api(app: FastAPI) -> None:
    # Routers are added here as their modules land (incidents, commands, accounts, …).
    return None
