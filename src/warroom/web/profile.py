"""Your profile: how you are reached when paged (contact methods and notification rules), and your
on-call shifts for the coming weeks, with their calendar feed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.api.deps import SESSION_COOKIE, Principal, get_runtime
from warroom.core.bounds import RowId, is_count
from warroom.core.errors import ValidationFailed
from warroom.notifications import service as notifications
from warroom.notifications.models import ContactKind
from warroom.oncall.schedules import feeds
from warroom.oncall.schedules import service as schedules
from warroom.runtime import Runtime
from warroom.web.auth import client_address, reading_as, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)

SHIFT_DAYS = 28
ADDRESS_HINTS = {
    ContactKind.email: "bob@example.com",
    ContactKind.webhook: "https://hooks.example.com/warroom",
    ContactKind.chat: "@bob, a Slack member id (U012AB3CD) or a Matrix id (@bob:example.org)",
    ContactKind.sms: "+14155550123",
    ContactKind.voice: "+14155550123",
}


def _profile_page(runtime: Runtime, request: Request, *, values: dict[str, str] | None = None,
                  error: FormError | None = None) -> Response:
    now = runtime.clock.now()
    with reading_as(request) as (db, principal):
        user = principal.user
        methods = notifications.list_contact_methods(db=db, user=user)
        rules = notifications.list_rules(db=db, user=user)
        shifts = schedules.shifts_of_user(db=db, user=user, start=now, days=SHIFT_DAYS)
        feed_url = feeds.user_feed_url(db=db, user=user, key=runtime.secret_key, base_url=runtime.settings.base_url)
    context: dict[str, Any] = {
        "principal": principal, "user": user, "methods": methods, "rules": rules, "shifts": shifts,
        "shift_days": SHIFT_DAYS, "kinds": list(ContactKind), "hints": {k.value: v for k, v in ADDRESS_HINTS.items()},
        "max_delay": notifications.MAX_DELAY_MINUTES, "values": values or {}, "form_error": error, "nav": "profile",
        "feed_url": feed_url,
    }
    return page(runtime, request, "profile.html", context, error.status if error else 200)


@router.get("/profile")
def profile(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _profile_page(runtime, request)


def _delay(text: str) -> int:
    value = text.strip() or "0"
    if not is_count(value):
        raise ValidationFailed(f"The delay is a whole number of minutes from 0 to {notifications.MAX_DELAY_MINUTES}.",
                               field="delay_minutes")
    return int(value)


def _method_id(text: str) -> int:
    if not is_count(text.strip()):
        raise ValidationFailed("Choose one of your contact methods; add one first if you have none.",
                               field="contact_method")
    return int(text)


@router.post("/profile/contact-methods")
async def add_contact_method(request: Request, runtime: Runtime = Depends(get_runtime),
                             principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        method = notifications.add_contact_method(db=db, actor=principal.actor, user=principal.user,
                                                  kind=values.get("kind", ""), address=values.get("address", ""),
                                                  label=values.get("label", ""), outbound=runtime.outbound)
        return f"Added {method.kind.value} {method.address}. Add a rule to say when it is used."

    return await post_form(
        request, runtime, principal, "method", values, change, then="/profile",
        on_error=lambda error: _profile_page(runtime, request, values=values, error=error))


@router.post("/profile/contact-methods/{method_id}/remove")
async def remove_contact_method(request: Request, method_id: RowId, runtime: Runtime = Depends(get_runtime),
                                principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        method = notifications.remove_contact_method(db=db, actor=principal.actor, method_id=method_id)
        return f"Removed {method.kind.value} {method.address} and the rules that used it"

    return await post_form(
        request, runtime, principal, f"remove-method:{method_id}", values, change, then="/profile",
        on_error=lambda error: _profile_page(runtime, request, error=error))


@router.post("/profile/calendar-feed")
async def renew_calendar_feed(request: Request, runtime: Runtime = Depends(get_runtime),
                              principal: Principal = Depends(web_principal)) -> Response:
    """A new secret URL for your shifts' calendar; calendars subscribed to the old one stop updating."""
    values = await read_form(request)

    def change(db: Session) -> str:
        feeds.renew_user_feed(db=db, actor=principal.actor, user=principal.user)
        return "Your calendar has a new URL: calendars subscribed to the old one stop updating."

    return await post_form(
        request, runtime, principal, "calendar-feed", values, change, then="/profile",
        on_error=lambda error: _profile_page(runtime, request, error=error))


@router.post("/profile/rules")
async def add_rule(request: Request, runtime: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        rule = notifications.add_rule(db=db, actor=principal.actor, user=principal.user,
                                      contact_method_id=_method_id(values.get("contact_method", "")),
                                      delay_minutes=_delay(values.get("delay_minutes", "")))
        when = "at once" if rule.delay_minutes == 0 else f"after {rule.delay_minutes} minutes if unacknowledged"
        return f"Added a rule: you are notified {when}"

    return await post_form(
        request, runtime, principal, "rule", values, change, then="/profile",
        on_error=lambda error: _profile_page(runtime, request, values=values, error=error))


@router.post("/profile/rules/{rule_id}/remove")
async def remove_rule(request: Request, rule_id: RowId, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        notifications.remove_rule(db=db, actor=principal.actor, rule_id=rule_id)
        return "Removed the rule"

    return await post_form(
        request, runtime, principal, f"remove-rule:{rule_id}", values, change, then="/profile",
        on_error=lambda error: _profile_page(runtime, request, error=error))


@router.post("/profile/password")
async def change_password(request: Request, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    """Change your own password: this browser stays signed in, every other one is signed out."""
    values = await read_form(request)
    throttle, address, now = runtime.sign_in_throttle, client_address(request, runtime), runtime.clock.now()
    wrong_guesses: list[str] = []  # counted by the throttle after this transaction (its count is a write of its own)

    def change(db: Session) -> str:
        if values.get("new_password", "") != values.get("confirm_password", ""):
            raise ValidationFailed("The new password and its confirmation differ; type the same one twice.",
                                   field="confirm_password")
        user = accounts.get_user(db=db, user_id=principal.user.id)
        current = accounts.find_session(db=db, cookie_value=request.cookies.get(SESSION_COOKIE, ""), now=now)
        if user is None or current is None:
            raise ValidationFailed("Your session has ended; sign in again.")
        throttle.check(login=user.handle, address=address, now=now)  # the current password is a guess too
        try:
            changed = accounts.change_own_password(
                db=db, actor=principal.actor, user=user, current=values.get("current_password", ""),
                new=values.get("new_password", ""), keep_session_id=current[0].id)
        except accounts.WrongPassword:
            wrong_guesses.append(user.handle)
            raise
        others = changed.sessions_ended
        return ("Password changed" + (f"; signed out {others} other session{'s' if others != 1 else ''}"
                                      if others else ""))

    answer = await post_form(
        request, runtime, principal, "password", {k: v for k, v in values.items() if "password" not in k},
        change, then="/profile", on_error=lambda error: _profile_page(runtime, request, error=error))
    for handle in wrong_guesses:
        throttle.failed(login=handle, address=address, now=now)
    return answer
