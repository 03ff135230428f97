"""An incident's follow-ups page: the list, adding one, marking it done, attaching a GitHub issue."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import RowId
from warroom.core.errors import NotFound, ValidationFailed
from warroom.followups import service as followups
from warroom.followups.models import FollowUp
from warroom.incidents import service as incidents
from warroom.runtime import Runtime
from warroom.web.auth import can_act, reading_as, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)

BLANK = {"text": "", "owner": "", "due": "", "priority": "medium", "github": "", "issue": ""}
ISSUE = re.compile(r"(?P<repo>[^#\s]+)#(?P<number>[0-9]{1,10})")


def issue_choice(values: dict[str, str]) -> tuple[bool, str, int | None]:
    """The form's GitHub choice: ``none``, ``new`` (an issue created), or ``link`` the ``issue`` owner/name#N."""
    choice = values.get("github", "").strip().lower()
    if choice in ("", "none"):
        return False, "", None
    if choice == "new":
        return True, "", None
    if choice != "link":
        raise ValidationFailed(f"Unknown GitHub choice '{choice}': pick none, a new issue, or link one.",
                               field="github")
    text = values.get("issue", "").strip()
    match = ISSUE.fullmatch(text)
    if match is None:
        raise ValidationFailed(f"'{text}' is not a GitHub issue to link: write owner/name#123." if text else
                               "Write the GitHub issue to link as owner/name#123.", field="issue")
    return True, match["repo"], int(match["number"])


def add_from_form(db: Session, runtime: Runtime, principal: Principal, ref: str,
                  values: dict[str, str]) -> tuple[FollowUp, str]:
    """Add the form's follow-up and attach its GitHub issue if asked; returns it and the line to show."""
    followup = followups.create_followup(db=db, actor=principal.actor, ref=ref, text=values.get("text", ""),
                                         owner=values.get("owner", ""), due=values.get("due", ""),
                                         priority=values.get("priority", "medium"))
    attach, repository, number = issue_choice(values)
    if not attach:
        return followup, f"Added follow-up #{followup.id}"
    db.flush()
    followups.request_issue(db=db, actor=principal.actor, followup_id=followup.id, repository=repository,
                            number=number, default_repository=runtime.settings.github_repository)
    what = "a new GitHub issue" if number is None else f"{followup.github_repo}#{number}"
    return followup, f"Added follow-up #{followup.id}; attaching {what} (issue pending)"


def _github_missing(runtime: Runtime) -> list[str]:
    """The settings GitHub issues wait for: the page says why it offers no GitHub choice."""
    wanted = {"WARROOM_GITHUB_TOKEN": runtime.settings.github_token,
              "WARROOM_GITHUB_REPOSITORY": runtime.settings.github_repository}
    return [name for name, value in wanted.items() if not value]


def _page(runtime: Runtime, request: Request, ref: str, values: dict[str, str] | None = None,
          error: FormError | None = None) -> Response:
    with reading_as(request) as (db, principal):
        rows = followups.list_followups(db=db, actor=principal.actor, ref=ref)
        incident = incidents.get_incident(db=db, ref=ref)
        context = {"principal": principal, "incident": incident, "rows": rows, "values": values or BLANK,
                   "form_error": error, "can_act": can_act(principal),
                   "github_missing": _github_missing(runtime)}
    return page(runtime, request, "followups.html", context, error.status if error else 200)


@router.get("/incidents/{ref}/followups")
def followups_page(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _page(runtime, request, ref)


@router.post("/incidents/{ref}/followups")
async def add_followup(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        return add_from_form(db, runtime, principal, ref, values)[1]

    return await post_form(request, runtime, principal, "followup", values, change,
                                   then=f"/incidents/{ref}/followups",
                                   on_error=lambda error: _page(runtime, request, ref, values, error))


@router.post("/incidents/{ref}/followups/{followup_id}")
async def change_followup(request: Request, ref: str, followup_id: RowId, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    """``status`` (open/done), or ``github`` (new, or link with ``issue``) from the list's buttons."""
    values = await read_form(request)

    def change(db: Session) -> str:
        if values.get("github"):
            attach, repository, number = issue_choice(values)
            if attach:
                followups.request_issue(db=db, actor=principal.actor, followup_id=followup_id,
                                        repository=repository, number=number,
                                        default_repository=runtime.settings.github_repository)
                what = f"Linking {repository}#{number}" if number is not None else "Creating a GitHub issue"
                return f"{what} for follow-up #{followup_id}"
        followups.update_followup(db=db, actor=principal.actor, followup_id=followup_id,
                                  status=values.get("status", ""))
        return f"Follow-up #{followup_id} is {values.get('status', '').strip().lower()}"

    return await post_form(request, runtime, principal, f"f-{followup_id}", values, change,
                                   then=f"/incidents/{ref}/followups",
                                   on_error=lambda error: _page(runtime, request, ref, None, error))


@router.get("/followups/overdue")
def overdue_page(request: Request, team: str = "", runtime: Runtime = Depends(get_runtime)) -> Response:
    """Open follow-ups past their due date, for everyone or one team's members."""
    with reading_as(request) as (db, principal):
        teams = accounts.list_teams(db=db)
        try:
            rows = followups.overdue(db=db, actor=principal.actor, today=runtime.clock.now().date(), team=team)
            error = None
        except NotFound as missing:
            rows, error = [], missing.message
    return page(runtime, request, "followups_overdue.html", {
        "principal": principal, "rows": rows, "teams": teams, "team": team, "error": error},
        404 if error else 200)
