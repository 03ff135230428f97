"""Slack Block Kit: the declare modal, buttons under a message, and reading a submitted modal back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warroom.ports.chat import Action, DeclareForm, DeclareSubmitted

DECLARE_CALLBACK = "warroom_declare"
DESCRIPTION, SEVERITY, FLAGS = "description", "severity", "flags"
VALUE = "value"


def _text(text: str, kind: str = "plain_text") -> dict[str, Any]:
    return {"type": kind, "text": text}


def declare_modal(form: DeclareForm, room_id: str) -> dict[str, Any]:
    severities = [{"text": _text(label), "value": value, "description": _text(meaning[:150])}
                  for value, label, meaning in form.severities]
    flags = [
        {"text": _text("Customer impact"), "value": "customer_impact",
         "description": _text("Customers notice it: customer support joins as messenger.")},
        {"text": _text("Security issue"), "value": "security",
         "description": _text("The incident becomes private and the security team is looped in.")},
    ]
    return {
        "type": "modal",
        "callback_id": DECLARE_CALLBACK,
        "private_metadata": room_id,
        "title": _text("Declare an incident"),
        "submit": _text("Declare"),
        "close": _text("Cancel"),
        "blocks": [
            {"type": "input", "block_id": DESCRIPTION, "label": _text("What is happening?"),
             "element": {"type": "plain_text_input", "action_id": VALUE, "multiline": True, "max_length": 3000,
                         "placeholder": _text("The first line becomes the title")}},
            {"type": "input", "block_id": SEVERITY, "label": _text("Severity"),
             "element": {"type": "radio_buttons", "action_id": VALUE, "options": severities}},
            {"type": "input", "block_id": FLAGS, "optional": True, "label": _text("This incident has"),
             "element": {"type": "checkboxes", "action_id": VALUE, "options": flags}},
        ],
    }


def declared_modal(text: str) -> dict[str, Any]:
    """What the form turns into once the incident is declared."""
    return {"type": "modal", "title": _text("Incident declared"), "close": _text("Close"),
            "blocks": [{"type": "section", "text": _text(
                f"{text}\nIts channel, pinned summary and announcement follow in a moment.", "mrkdwn")}]}


def _element(values: dict[str, Any], block: str) -> dict[str, Any]:
    block_values = values.get(block)
    if not isinstance(block_values, dict):
        return {}
    element = block_values.get(VALUE)
    return element if isinstance(element, dict) else {}


def read_declare(person_id: str, view: dict[str, Any]) -> DeclareSubmitted:
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}
    description = _element(values, DESCRIPTION).get("value") or ""
    selected = _element(values, SEVERITY).get("selected_option")
    severity = selected.get("value", "") if isinstance(selected, dict) else ""
    chosen = _element(values, FLAGS).get("selected_options")
    flags = {o.get("value") for o in chosen if isinstance(o, dict)} if isinstance(chosen, list) else set()
    return DeclareSubmitted(person_id=person_id, description=str(description), severity=str(severity),
                            customer_impact="customer_impact" in flags, security="security" in flags,
                            room_id=str(view.get("private_metadata") or ""))


def message_with_actions(text: str, actions: Sequence[Action]) -> list[dict[str, Any]]:
    buttons = []
    for action in actions:
        button: dict[str, Any] = {"type": "button", "text": _text(action.label), "action_id": action.action,
                                  "value": action.value}
        if action.style:
            button["style"] = action.style
        buttons.append(button)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": _text(text[:3000], "mrkdwn")}]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks
