"""SCIM 2.0 over HTTP at /scim/v2: Users and Groups, bearer token WARROOM_SCIM_TOKEN, SCIM's JSON and errors."""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from warroom.api.deps import get_runtime
from warroom.runtime import Runtime
from warroom.sso import scim
from warroom.sso.scim import GROUP_SCHEMA, LIST_SCHEMA, USER_SCHEMA, ScimError

MEDIA_TYPE = "application/scim+json"
MAX_PAGE = 200

router = APIRouter(prefix="/scim/v2", include_in_schema=False)


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def scim_client(request: Request, runtime: Runtime = Depends(get_runtime)) -> Runtime:
    """Only the SCIM client holding WARROOM_SCIM_TOKEN gets in."""
    token = runtime.settings.scim_token
    if not token:
        raise ScimError(401, "SCIM is turned off here: set WARROOM_SCIM_TOKEN on the server and give the client "
                        "that token.")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ScimError(401, "Send the SCIM token as 'Authorization: Bearer <WARROOM_SCIM_TOKEN>'.")
    return runtime


async def scim_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError as error:
        raise ScimError(400, f"The body is not JSON: {error}.", "invalidSyntax") from error


def _base(runtime: Runtime) -> str:
    return f"{runtime.settings.base_url.rstrip('/')}/scim/v2"


def _number(value: str, name: str) -> int:
    if not (value.isascii() and value.lstrip("-").isdigit()) or len(value) > 9:
        raise ScimError(400, f"{name} is a whole number, not {value[:40]!r}.", "invalidValue")
    return int(value)


def _page(resources: list[dict[str, Any]], start: str, count: str) -> dict[str, Any]:
    first = max(_number(start, "startIndex"), 1)
    size = MAX_PAGE if not count else max(0, min(_number(count, "count"), MAX_PAGE))
    shown = resources[first - 1:first - 1 + size]
    return {"schemas": [LIST_SCHEMA], "totalResults": len(resources), "startIndex": first,
            "itemsPerPage": len(shown), "Resources": shown}


# Users ----------------------------------------------------------------------------------------------------


@router.get("/Users")
def list_users(filter: str = "", startIndex: str = "1", count: str = "",  # noqa: N803 (SCIM's names)
               runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.reading() as db:
        found = [scim.user_resource(db, u, i, _base(runtime)) for u, i in scim.list_users(db, filter)]
    return reply(_page(found, startIndex, count))


@router.post("/Users")
def create_user(body: Any = Depends(scim_body), runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.writing() as db:
        user, identity = scim.create_user(db, body, runtime.clock)
        resource = scim.user_resource(db, user, identity, _base(runtime))
    return reply(resource, 201, {"Location": resource["meta"]["location"]})


@router.get("/Users/{resource_id}")
def get_user(resource_id: str, runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.reading() as db:
        user, identity = scim.find_user(db, resource_id)
        return reply(scim.user_resource(db, user, identity, _base(runtime)))


@router.put("/Users/{resource_id}")
def replace_user(resource_id: str, body: Any = Depends(scim_body),
                 runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.writing() as db:
        done = scim.replace_user(db, resource_id, body, runtime.clock)
        user, identity = scim.find_user(db, resource_id)
        return reply(scim.user_resource(db, user, identity, _base(runtime), done))


@router.patch("/Users/{resource_id}")
def patch_user(resource_id: str, body: Any = Depends(scim_body),
               runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.writing() as db:
        done = scim.patch_user(db, resource_id, body, runtime.clock)
        user, identity = scim.find_user(db, resource_id)
        return reply(scim.user_resource(db, user, identity, _base(runtime), done))


@router.delete("/Users/{resource_id}")
def delete_user(resource_id: str, runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.writing() as db:
        scim.delete_user(db, resource_id, runtime.clock)
    return Response(status_code=204)


# Groups ---------------------------------------------------------------------------------------------------


@router.get("/Groups")
def list_groups(filter: str = "", startIndex: str = "1", count: str = "",  # noqa: N803 (SCIM's names)
                runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.reading() as db:
        found = [scim.group_resource(db, t, _base(runtime)) for t in scim.list_groups(db, filter)]
    return reply(_page(found, startIndex, count))


@router.post("/Groups")
def create_group(body: Any = Depends(scim_body), runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.writing() as db:
        resource = scim.group_resource(db, scim.create_group(db, body, runtime.clock), _base(runtime))
    return reply(resource, 201, {"Location": resource["meta"]["location"]})


@router.get("/Groups/{resource_id}")
def get_group(resource_id: str, runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.reading() as db:
        return reply(scim.group_resource(db, scim.find_group(db, resource_id), _base(runtime)))


@router.put("/Groups/{resource_id}")
def replace_group(resource_id: str, body: Any = Depends(scim_body),
                  runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.writing() as db:
        team = scim.replace_group(db, resource_id, body, runtime.clock)
        return reply(scim.group_resource(db, team, _base(runtime)))


@router.patch("/Groups/{resource_id}")
def patch_group(resource_id: str, body: Any = Depends(scim_body),
                runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.writing() as db:
        team = scim.patch_group(db, resource_id, body, runtime.clock)
        return reply(scim.group_resource(db, team, _base(runtime)))


@router.delete("/Groups/{resource_id}")
def delete_group(resource_id: str, runtime: Runtime = Depends(scim_client)) -> Response:
    with runtime.database.writing() as db:
        scim.delete_group(db, resource_id, runtime.clock)
    return Response(status_code=204)


@router.get("/ServiceProviderConfig")
def service_provider_config(runtime: Runtime = Depends(scim_client)) -> Response:
    unsupported = {"supported": False}
    return reply({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True}, "bulk": {**unsupported, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_PAGE}, "changePassword": unsupported,
        "sort": unsupported, "etag": unsupported,
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer token",
                                   "description": "The token set in WARROOM_SCIM_TOKEN."}],
        "resourceTypes": [USER_SCHEMA, GROUP_SCHEMA],
    })


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def elsewhere(rest: str, request: Request, runtime: Runtime = Depends(scim_client)) -> Response:
    """Anything else under /scim/v2: a SCIM 404 that says what is served (after the token check)."""
    raise ScimError(404, f"{request.method} /scim/v2/{rest[:100]} is not served here; Warroom's SCIM serves /Users, "
                    "/Users/<id>, /Groups, /Groups/<id> and /ServiceProviderConfig.")


def register_scim(app: FastAPI) -> None:
    app.include_router(router)

    @app.exception_handler(ScimError)
    async def _scim_error(request: Request, error: ScimError) -> Response:
        return reply(error.body(), error.status)
