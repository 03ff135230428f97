"""Every REST router, registered under /api/v1."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from warroom.api.routers import (
    accounts,
    admin,
    alerts,
    announcement_days,
    changes,
    commands,
    config,
    dashboard,
    escalation,
    followups,
    health,
    incidents,
    insights,
    oncall,
    playbooks,
    postmortems,
    related_issues,
    reports,
    retrospectives,
    room,
    schedules,
    slack,
    statuspage,
    tokens,
)

API_PREFIX = "/api/v1"


def operation_id(route: APIRoute) -> str:
    """Name each operation after its handler (declare_incident), so generated clients read well."""
    return route.name


def register_api(app: FastAPI) -> None:
    for module in (health, incidents, room, commands, dashboard, playbooks, accounts, tokens, admin, alerts,
                   schedules, escalation, oncall, reports, announcement_days, statuspage,
                   followups, postmortems, retrospectives, related_issues, slack, insights, changes, config):
        app.include_router(module.router, prefix=API_PREFIX, generate_unique_id_function=operation_id)
