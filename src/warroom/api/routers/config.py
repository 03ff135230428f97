"""Config as code over the API (admin): the set-up as YAML, a file's plan, a file applied in one transaction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from warroom.api.deps import Principal, admin, get_runtime
from warroom.api.routers.common import WRITES, problems
from warroom.config_as_code import service as config
from warroom.config_as_code.planning import Action, Plan
from warroom.core.errors import ValidationFailed
from warroom.runtime import Runtime

router = APIRouter(tags=["config"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
PRUNE = Query(False, description="Also delete what the file's sections leave out (docs/config-as-code.md).")
BODY = {"requestBody": {"required": True, "content": {t: {"schema": {"type": "string"}} for t in YAML_TYPES[:1]}}}


class StepOut(BaseModel):
    action: str
    section: str
    key: str
    details: list[str]
    notes: list[str]


class PlanOut(BaseModel):
    changes: int
    summary: str
    steps: list[StepOut]

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(changes=plan.changes, summary=plan.summary(),
                   steps=[StepOut(**config.as_json(s)) for s in plan.steps if s.action is not Action.same])


class NewKeyOut(BaseModel):
    kind: str
    name: str
    secret: str


class AppliedOut(PlanOut):
    new_keys: list[NewKeyOut]


async def _file(request: Request) -> str:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in YAML_TYPES:
        raise ValidationFailed("Send the config file as YAML (Content-Type: application/yaml), not "
                               f"'{kind or 'none'}'.", field="body")
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("The config file is not UTF-8 text.", field="body") from None


@router.get("/config", summary="The set-up as the YAML file `warroom config apply` reads (admin)",
            response_class=Response, responses={200: {"content": {"application/yaml": {}}}, **problems(401, 403)})
def export_config(runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(admin)) -> Response:
    with runtime.database.reading() as db:
        text = config.export_text(db=db, now=runtime.clock.now())
    return Response(text, media_type="application/yaml; charset=utf-8")


@router.post("/config/plan", summary="What applying a config file would change (admin)", response_model=PlanOut,
             responses=problems(401, 403, 413, 422), openapi_extra=BODY)
async def plan_config(request: Request, prune: bool = PRUNE, runtime: Runtime = Depends(get_runtime),
                      _principal: Principal = Depends(admin)) -> PlanOut:
    text = await _file(request)

    def planned() -> PlanOut:
        with runtime.database.reading() as db:
            return PlanOut.of(config.plan(db=db, text=text, now=runtime.clock.now(), prune=prune).plan)
    return await run_in_threadpool(planned)


@router.post("/config/apply", summary="Apply a config file in one transaction (admin)", response_model=AppliedOut,
             responses=WRITES, openapi_extra=BODY)
async def apply_config(request: Request, prune: bool = PRUNE, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(admin)) -> AppliedOut:
    text = await _file(request)

    def applied_file() -> config.Applied:
        with runtime.database.writing() as db:
            return config.apply(db=db, actor=principal.actor, text=text, outbound=runtime.outbound, prune=prune)
    applied = await run_in_threadpool(applied_file)
    plan: dict[str, Any] = PlanOut.of(applied.plan).model_dump()
    return AppliedOut(**plan, new_keys=[NewKeyOut(kind=s.kind, name=s.name, secret=s.secret)
                                        for s in applied.secrets])
