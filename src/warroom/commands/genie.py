"""`/genie …`: the handbook's paging commands, run by every transport.

    /genie whoisoncall [team|schedule] [--at 2026-12-01T09:00]
    /genie alert <description> for <@team | team-name | user@email | @user> [--priority P1]
    /genie ack <alert>      /genie unack <alert>      /genie close <alert> [note]
    /genie note <alert> <text>      /genie help
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from warroom.commands.language import CommandError

PREFIXES = ("/genie", "genie", "!genie")

USAGE = {
    "whoisoncall": "/genie whoisoncall [team or schedule] [--at YYYY-MM-DDTHH:MM[+hh:mm]]",
    "alert": "/genie alert <description of incident and link> for <@team | team-name | user@email | @user> "
             "[--priority P1..P5]",
    "ack": "/genie ack <alert number>",
    "unack": "/genie unack <alert number>",
    "close": "/genie close <alert number> [note]",
    "note": "/genie note <alert number> <text>",
    "help": "/genie help",
}
ABOUT = {
    "whoisoncall": "Who is on call now (or at a time), for a team, a schedule or everyone.",
    "alert": "Page a team or a person; escalates until someone acknowledges.",
    "ack": "Acknowledge an alert: stops its escalation.",
    "unack": "Hand an alert back: escalation starts again.",
    "close": "Close an alert.",
    "note": "Add a note to an alert.",
    "help": "List the /genie commands.",
}
FOR_RE = re.compile(r"\s+for\s+", re.IGNORECASE)


@dataclass(frozen=True)
class GenieCommand:
    name: str
    text: str = ""
    target: str = ""
    alert: str = ""
    at: datetime | None = None
    flags: dict[str, str] = field(default_factory=dict)


def is_genie(text: str) -> bool:
    words = text.strip().split(maxsplit=1)
    return bool(words) and words[0].lower() in PREFIXES


def genie_help(name: str | None = None) -> str:
    if name in USAGE:
        return f"{USAGE[name]}\n{ABOUT[name]}"
    return "\n".join(f"{USAGE[n]} — {ABOUT[n]}" for n in USAGE)


def parse_genie(text: str) -> GenieCommand:
    words = text.strip().split()
    if words and words[0].lower() in PREFIXES:
        words = words[1:]
    if not words:
        return GenieCommand("help")
    name = words[0].lower()
    rest = words[1:]
    if name not in USAGE:
        close = difflib.get_close_matches(name, USAGE, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise CommandError(f"Unknown command '/genie {words[0]}'.{hint}", USAGE[close[0]] if close else USAGE["help"])
    rest, flags = _flags(name, rest)
    if name == "help":
        return GenieCommand("help", text=" ".join(rest).lower())
    if name == "whoisoncall":
        return GenieCommand(name, target=" ".join(rest).strip(), at=_time(flags.get("at")))
    if name == "alert":
        return _alert(rest, flags)
    if not rest:
        raise CommandError("Name the alert by its number.", USAGE[name])
    if name == "note" and len(rest) < 2:
        raise CommandError("Add the note's text after the alert number.", USAGE[name])
    return GenieCommand(name, alert=rest[0].lstrip("#"), text=" ".join(rest[1:]))


def _flags(name: str, words: list[str]) -> tuple[list[str], dict[str, str]]:
    allowed = {"whoisoncall": {"at"}, "alert": {"priority"}}.get(name, set())
    rest: list[str] = []
    flags: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--") and len(word) > 2:
            flag, _, inline = word[2:].partition("=")
            if flag.lower() not in allowed:
                raise CommandError(f"'/genie {name}' has no option --{flag}.", USAGE[name])
            value = inline or (words[i + 1] if i + 1 < len(words) else "")
            if not value:
                raise CommandError(f"--{flag} needs a value.", USAGE[name])
            flags[flag.lower()] = value
            i += 1 if inline else 2
            continue
        rest.append(word)
        i += 1
    return rest, flags


def _alert(words: list[str], flags: dict[str, str]) -> GenieCommand:
    text = " ".join(words)
    parts = FOR_RE.split(text)
    if len(parts) < 2 or not parts[-1].strip() or not " for ".join(parts[:-1]).strip():
        raise CommandError("Say who to page after 'for', e.g. '/genie alert search is down for delivery'.",
                           USAGE["alert"])
    target = parts[-1].strip()
    if " " in target:
        raise CommandError(f"Page one team or person after 'for' (got '{target}').", USAGE["alert"])
    return GenieCommand("alert", text=" for ".join(parts[:-1]).strip(), target=target, flags=flags)


def _time(value: str | None) -> datetime | None:
    if value is None or value.lower() == "now":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a time; use YYYY-MM-DDTHH:MM, optionally with +hh:mm (UTC if none).",
                           USAGE["whoisoncall"]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
