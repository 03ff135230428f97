"""Admin: integration keys for monitoring tools (PagerDuty, Opsgenie, Alertmanager, heartbeats).

A key's secret is shown once, on the page that answers its creation; only its hash is kept.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team
from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import RowId
from warroom.core.errors import ValidationFailed
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.schemas import HOW_TO_SEND, ingest_url
from warroom.runtime import Runtime
from warroom.web.auth import reading_as, web_principal
from warroom.web.forms import FormError, act_in_pool, post_form, read_form
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)


def _integrations_page(runtime: Runtime, request: Request, status: int = 200, **extra: Any) -> Response:
    with reading_as(request, AccessRole.admin) as (db, principal):
        found = keys.list_keys(db=db)
        teams = accounts.list_teams(db=db)
        found_policies = policies.list_policies(db=db)
        warnings = {k.id: w for k in found if k.revoked_at is None and (w := keys.route_warning(db, k))}
    context: dict[str, Any] = {
        "principal": principal, "keys": found, "teams": teams, "policies": found_policies,
        "team_slugs": {t.id: t.slug for t in teams}, "policy_slugs": {p.id: p.slug for p in found_policies},
        "kinds": list(KeyKind), "how": {k.value: v for k, v in HOW_TO_SEND.items()},
        "urls": {k.value: ingest_url(runtime.settings.base_url, k) for k in KeyKind},
        "warnings": warnings,
        "created": None, "values": {"kind": KeyKind.alertmanager.value}, "form_error": None,
        "nav": "admin", "section": "integrations",
    }
    context.update(extra)
    return page(runtime, request, "oncall_integrations.html", context, status)


@router.get("/admin/integrations")
def integrations(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _integrations_page(runtime, request)


def _team(db: Session, slug: str) -> Team | None:
    if not slug.strip():
        return None
    team = accounts.find_team(db=db, name=slug.strip())
    if team is None:
        raise ValidationFailed(f"No team '{slug.strip()}'.", field="team")
    return team


def _policy(db: Session, ref: str) -> EscalationPolicy | None:
    return keys.find_policy(db=db, ref=ref) if ref.strip() else None


@router.post("/admin/integrations")
async def create_key(request: Request, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> dict[str, str | None]:
        principal.actor.require(AccessRole.admin)
        kind = keys.parse_kind(values.get("kind", ""))
        made = keys.create_key(db=db, actor=principal.actor, name=values.get("name", ""), kind=kind,
                               team=_team(db, values.get("team", "")),
                               escalation_policy=_policy(db, values.get("escalation_policy", "")),
                               dedup_per_alert=bool(values.get("dedup_per_alert")))
        return {"secret": made.secret, "name": made.key.name, "kind": kind.value,
                "url": ingest_url(runtime.settings.base_url, kind), "how": HOW_TO_SEND[kind],
                "warning": keys.route_warning(db, made.key)}

    return await act_in_pool(
        request, runtime, principal, values, change,
        done=lambda shown: _integrations_page(runtime, request, 201, created=shown),
        refused=lambda error: _integrations_page(runtime, request, error.status, values=values,
                                                 form_error=FormError("key", error.message, values, error.status)))


@router.post("/admin/integrations/{key_id}/revoke")
async def revoke_key(request: Request, key_id: RowId, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        key = keys.revoke_key(db=db, actor=principal.actor, key_id=key_id)
        return f"Revoked key “{key.name}” ({key.prefix}…): it is refused from now on"

    return await post_form(
        request, runtime, principal, f"revoke:{key_id}", values, change, then="/admin/integrations",
        on_error=lambda error: _integrations_page(runtime, request, error.status, form_error=error))
