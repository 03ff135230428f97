"""Admin routes for the compatibility surfaces: integration keys, and importing an Opsgenie export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import Team
from warroom.api.deps import Principal, admin, get_runtime
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, problems, window
from warroom.core.bounds import RowId
from warroom.core.errors import ValidationFailed
from warroom.importers import opsgenie as importer
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import IntegrationKey
from warroom.oncall.keys.schemas import HOW_TO_SEND, KeyCreatedOut, KeyIn, KeyOut, KeyPage, ingest_url
from warroom.runtime import Runtime

router = APIRouter(tags=["integration keys"], route_class=JsonBodyRoute)


def _names(db: Session, key: IntegrationKey) -> tuple[str | None, str | None]:
    team = db.get(Team, key.team_id) if key.team_id else None
    policy = db.get(EscalationPolicy, key.escalation_policy_id) if key.escalation_policy_id else None
    return (team.slug if team else None), (policy.slug if policy else None)


def _out(db: Session, key: IntegrationKey) -> KeyOut:
    team, policy = _names(db, key)
    return KeyOut.of(key, team=team, policy=policy, warning=keys.route_warning(db, key))


@router.get("/integration-keys", summary="List integration keys (admins)", response_model=KeyPage,
            responses=problems(401, 403, 422))
def list_integration_keys(limit: Limit = 50, offset: Offset = 0, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(admin)) -> KeyPage:
    with runtime.database.reading() as db:
        found = keys.list_keys(db=db)
        return KeyPage(items=[_out(db, k) for k in window(found, limit, offset)], total=len(found), limit=limit,
                       offset=offset)


@router.post("/integration-keys", status_code=201, response_model=KeyCreatedOut, responses=WRITES,
             summary="Create an integration key for a monitoring tool (admins; the key is shown once)")
def create_integration_key(body: KeyIn, runtime: Runtime = Depends(get_runtime),
                           principal: Principal = Depends(admin)) -> KeyCreatedOut:
    with runtime.database.writing() as db:
        team = None
        if body.team:
            team = accounts.find_team(db=db, name=body.team)
            if team is None:
                raise ValidationFailed(f"No team '{body.team}'.", field="team")
        policy = keys.find_policy(db=db, ref=body.escalation_policy) if body.escalation_policy else None
        made = keys.create_key(db=db, actor=principal.actor, name=body.name, kind=body.kind, team=team,
                               escalation_policy=policy, dedup_per_alert=body.dedup_per_alert)
        out = _out(db, made.key)
    return KeyCreatedOut(**out.model_dump(), key=made.secret, url=ingest_url(runtime.settings.base_url, body.kind),
                         how_to_send=HOW_TO_SEND[body.kind])


@router.delete("/integration-keys/{key_id}", summary="Revoke an integration key (admins)", response_model=KeyOut,
               responses=WRITES)
def revoke_integration_key(key_id: RowId, runtime: Runtime = Depends(get_runtime),
                           principal: Principal = Depends(admin)) -> KeyOut:
    with runtime.database.writing() as db:
        return _out(db, keys.revoke_key(db=db, actor=principal.actor, key_id=key_id))


class OpsgenieExportIn(BaseModel):
    """Opsgenie API responses, by section (each with or without its {"data": …} envelope)."""

    model_config = ConfigDict(extra="forbid")

    users: Any = None
    teams: Any = None
    schedules: Any = None
    overrides: Any = Field(None, description="{<schedule id or name>: List schedule overrides response}")
    escalations: Any = None
    heartbeats: Any = None
    integrations: Any = Field(None, description="Get integration responses (their apiKey is kept as the key)")
    contacts: Any = Field(None, description="{<user id or email>: List contacts response}")
    notification_rules: Any = Field(None, alias="notification-rules",
                                    description="{<user id or email>: [Get notification rule response]}")


class ImportReportOut(BaseModel):
    created: dict[str, int]
    reused: dict[str, int]
    skipped: dict[str, int]
    warnings: list[str]
    not_carried: dict[str, int] = Field(default_factory=dict,
                                        description="'<section>.<field>' Warroom has no place for: how many")


@router.post("/integrations/opsgenie/import", response_model=ImportReportOut, responses=WRITES,
             summary="Import users, teams, schedules, overrides, escalations and heartbeats from Opsgenie (admins)")
def import_opsgenie(body: OpsgenieExportIn, runtime: Runtime = Depends(get_runtime),
                    principal: Principal = Depends(admin)) -> ImportReportOut:
    export = {k: v for k, v in body.model_dump(by_alias=True).items() if v is not None}
    with runtime.database.writing() as db:
        report = importer.import_export(db=db, actor=principal.actor, export=export)
    return ImportReportOut(created=report.created, reused=report.reused, skipped=report.skipped,
                           warnings=report.warnings, not_carried=report.uncarried)
