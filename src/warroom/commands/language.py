"""The chat-command language: ``/incident …`` parsed once, run by every transport.

Free text is never split with shell rules (people type apostrophes at 3 a.m.): words are
taken as they come, and only the flags a command knows are pulled out.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from warroom.core.bounds import is_count
from warroom.core.errors import ValidationFailed


@dataclass(frozen=True)
class Spec:
    name: str
    usage: str
    about: str
    positional: str  # "none", "text", "optional-text", "user", "role-user", "word", "word-text", "id"
    bool_flags: tuple[str, ...] = ()
    value_flags: tuple[str, ...] = ()  # one word
    text_flags: tuple[str, ...] = ()  # the words up to the next flag
    needs_incident: bool = True


SPECS: dict[str, Spec] = {s.name: s for s in [
    Spec("declare", "/incident declare <description> --severity critical|major [--customer-impact] "
         "[--security] [--suspected] [--services a,b] [--reporter <who reported it>]",
         "Start a new incident with its own room.", "text",
         bool_flags=("customer-impact", "security", "suspected", "critical", "major"),
         value_flags=("severity", "services"), text_flags=("reporter",), needs_incident=False),
    Spec("lead", "/incident lead @user", "Assign the incident lead.", "user"),
    Spec("messenger", "/incident messenger @user",
         "Assign the messenger (customer support, for customer-impact incidents).", "user"),
    Spec("role", "/incident role <role name> @user", "Assign any other role, e.g. scribe.", "role-user"),
    Spec("ack", "/incident ack [role]", "Acknowledge your role: “I'm on it”.", "optional-text"),
    Spec("status", "/incident status investigating|identified|monitoring|resolved|closed [text]",
         "Change the status, with an optional note.", "word-text"),
    Spec("summary", "/incident summary <text>", "Replace the summary with what is known now.", "text"),
    Spec("update", "/incident update <text>", "Post a status update.", "text"),
    Spec("plan", "/incident plan <what you plan to do>", "Say your intended next steps: “I plan to …”.",
         "text"),
    Spec("tried", "/incident tried <what> --result <what happened>",
         "Record an attempt: “We tried … which resulted in …”.", "text", text_flags=("result",)),
    Spec("severity", "/incident severity critical|major", "Change the severity.", "word"),
    Spec("resolve", "/incident resolve [--false-positive] [text]",
         "Resolve; a false positive still counts and is kept.", "optional-text",
         bool_flags=("false-positive",)),
    Spec("close", "/incident close [--false-positive <why it was not an incident>] "
         "[--reason <why, for admins closing with open steps>]",
         "Close after the post-resolution checklist; archives the room. A false positive skips the postmortem, "
         "follow-up and GitHub steps with its why.", "none", text_flags=("false-positive", "reason")),
    Spec("pin", "/incident pin <entry number>", "Mark a room entry as a key event for the postmortem.", "id"),
    Spec("unpin", "/incident unpin <entry number>", "Unmark a key event.", "id"),
    Spec("tick", "/incident tick <checklist key> [note]", "Tick a checklist step.", "word-text"),
    Spec("skip", "/incident skip <checklist key> <why it does not apply>", "Skip a checklist step.",
         "word-text"),
    Spec("untick", "/incident untick <checklist key>", "Reopen a checklist step.", "word"),
    Spec("playbook", "/incident playbook <slug>", "Attach a playbook; its steps join the checklist.", "word"),
    Spec("security", "/incident security",
         "Flag as a security incident: adds the security team, makes the incident private (participants, the "
         "security team and admins only) and attaches the security-disclosure playbook.", "none"),
    Spec("invite", "/incident invite @user",
         "Add someone to this incident; a private security incident is visible only to those taking part.", "user"),
    Spec("followup", "/incident followup <text> [@owner] [--due YYYY-MM-DD] [--priority low|medium|high]",
         "Add a follow-up (an action item for after the incident), owned by the person named last.", "text",
         value_flags=("due", "priority")),
    Spec("postmortem", "/incident postmortem",
         "Generate the postmortem draft (after resolving) if there is none, and link to it.", "none"),
    Spec("retrospective", "/incident retrospective <YYYY-MM-DD HH:MM> [minutes] | --cancel",
         "Schedule (or move) the retrospective, in UTC; invites go to the participants by email.",
         "optional-text", bool_flags=("cancel",)),
    Spec("github", "/incident github owner/name#12 [--close]",
         "Link a public GitHub issue: on resolve, Warroom comments the resolution (and closes it with --close).",
         "text", bool_flags=("close",)),
    Spec("help", "/incident help [command]", "List the commands, or explain one.", "optional-text",
         needs_incident=False),
]}

PREFIXES = ("/incident", "incident", "!incident")
COMMAND_WORDS = ("/incident", "/genie")  # the words a line starts with to be a command, not chat
SLASH_WORD = re.compile(r"[/!][a-z][a-z_-]*", re.IGNORECASE)


class CommandError(ValidationFailed):
    status = 400
    title = "Invalid command"

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(f"{message} Usage: {usage}", hint=usage)
        self.usage = usage


@dataclass(frozen=True)
class Command:
    name: str
    text: str = ""
    word: str = ""
    user: str = ""
    flags: dict[str, Any] = field(default_factory=dict)
    incident: str | None = None

    @property
    def spec(self) -> Spec:
        return SPECS[self.name]


def help_text(name: str | None = None) -> str:
    if name and name in SPECS:
        spec = SPECS[name]
        return f"{spec.usage}\n{spec.about}"
    return "\n".join(f"{s.usage} — {s.about}" for s in SPECS.values())


def is_command(text: str) -> bool:
    first = text.strip().split(maxsplit=1)[0].lower() if text.strip() else ""
    return first in PREFIXES


def misspelt_command(text: str, *, escape: str = "", sign: str = "/") -> CommandError | None:
    """A line that starts like a command we do not know but one we do resembles (``/incdent lead @dan``,
    ``/lead @dan``): the error naming the closest command, so a typo is never said to the room as chat.
    ``escape`` tells how to say such a line after all, where there is a way; ``sign`` is what commands start
    with where the answer is read (``!`` in Matrix)."""
    first = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    if not SLASH_WORD.fullmatch(first) or first[1:].lower() in ("incident", "genie"):
        return None
    choices = {word[1:]: (word, f"{word} help") for word in COMMAND_WORDS}
    choices |= {name: (f"/incident {name}", spec.usage) for name, spec in SPECS.items()}
    close = difflib.get_close_matches(first[1:].lower(), choices, n=1)
    if not close:
        return None
    meant, usage = (_signed(words, sign) for words in choices[close[0]])
    return CommandError(f"Unknown command '{first}'. Did you mean '{meant}'?{escape}", usage)


def _signed(text: str, sign: str) -> str:
    for word in COMMAND_WORDS:
        text = text.replace(word, sign + word[1:])
    return text


def parse(text: str) -> Command:
    words = text.strip().split()
    if words and words[0].lower() in PREFIXES:
        words = words[1:]
    elif words and SLASH_WORD.fullmatch(words[0]):
        raise misspelt_command(text) or CommandError(
            f"Unknown command '{words[0]}'. The commands are /incident and /genie.", "/incident help")
    if not words:
        return Command("help")
    name = words[0].lower()
    if name not in SPECS:
        close = difflib.get_close_matches(name, SPECS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise CommandError(f"Unknown command '{words[0]}'.{hint}",
                           SPECS[close[0]].usage if close else "/incident help")
    spec = SPECS[name]
    rest, flags, incident = _pull_flags(spec, words[1:])
    return _bind(spec, rest, flags, incident)


def _pull_flags(spec: Spec, words: list[str]) -> tuple[list[str], dict[str, Any], str | None]:
    known = set(spec.bool_flags) | set(spec.value_flags) | set(spec.text_flags) | {"incident"}
    rest: list[str] = []
    flags: dict[str, Any] = {}
    incident = None
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("--") or len(word) == 2:
            rest.append(word)
            i += 1
            continue
        flag, _, inline = word[2:].partition("=")
        flag = flag.lower()
        if flag not in known:
            raise CommandError(f"'/incident {spec.name}' has no option --{flag}.", spec.usage)
        if flag in spec.bool_flags:
            flags[flag] = True
            i += 1
        elif flag in spec.value_flags or flag == "incident":
            value = inline or (words[i + 1] if i + 1 < len(words) else "")
            if not value or value.startswith("--"):
                raise CommandError(f"--{flag} needs a value.", spec.usage)
            if flag == "incident":
                incident = value
            else:
                flags[flag] = value
            i += 1 if inline else 2
        else:
            taken = [inline] if inline else []
            i += 1
            while i < len(words) and not (words[i].startswith("--") and words[i][2:].split("=")[0] in known):
                taken.append(words[i])
                i += 1
            if not taken:
                raise CommandError(f"--{flag} needs some text.", spec.usage)
            flags[flag] = " ".join(taken)
    return rest, flags, incident


def _bind(spec: Spec, rest: list[str], flags: dict[str, Any], incident: str | None) -> Command:
    text = _unquote(" ".join(rest))
    kind = spec.positional
    if kind == "none" and rest:
        raise CommandError(f"'/incident {spec.name}' takes no words; got '{text}'.", spec.usage)
    if kind in ("text", "word", "word-text", "user", "role-user", "id") and not rest:
        raise CommandError(f"'/incident {spec.name}' needs more.", spec.usage)
    if kind == "user":
        if len(rest) != 1:
            raise CommandError("Name exactly one person, e.g. @alice.", spec.usage)
        return Command(spec.name, user=rest[0], flags=flags, incident=incident)
    if kind == "role-user":
        if len(rest) < 2:
            raise CommandError("Give a role name and a person.", spec.usage)
        return Command(spec.name, word=" ".join(rest[:-1]), user=rest[-1], flags=flags, incident=incident)
    if kind == "word":
        if len(rest) != 1:
            raise CommandError(f"'/incident {spec.name}' takes one word.", spec.usage)
        return Command(spec.name, word=rest[0].lower(), flags=flags, incident=incident)
    if kind == "word-text":
        return Command(spec.name, word=rest[0].lower(), text=_unquote(" ".join(rest[1:])), flags=flags,
                       incident=incident)
    if kind == "id":
        if len(rest) != 1 or not is_count(rest[0].lstrip("#")):
            raise CommandError("Give the entry number shown beside it, e.g. 17.", spec.usage)
        return Command(spec.name, word=rest[0].lstrip("#"), flags=flags, incident=incident)
    return Command(spec.name, text=text, flags=flags, incident=incident)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“":
        return text[1:-1].strip()
    if len(text) >= 2 and text[0] == "“" and text[-1] == "”":
        return text[1:-1].strip()
    return text
