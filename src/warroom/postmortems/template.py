"""The postmortem template: Markdown with ``{{placeholders}}`` filled from the incident when a draft is generated."""

from __future__ import annotations

import re
from collections.abc import Mapping

from warroom.core.errors import ValidationFailed

MAX_TEMPLATE = 50_000
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

PLACEHOLDERS: dict[str, str] = {
    "ref": "The incident's reference, e.g. INC-42.",
    "title": "The incident's title.",
    "severity": "critical or major.",
    "status": "The incident's status when the draft was generated.",
    "declared_at": "When it was declared (UTC).",
    "resolved_at": "When it was resolved (UTC), or 'not resolved'.",
    "duration": "From declared to resolved, e.g. 2 h 05 min.",
    "customer_impact": "Yes or No.",
    "affected_services": "The affected services, comma-separated.",
    "resolution": "Fixed, or False positive.",
    "lead": "The incident lead (@handle).",
    "messenger": "The messenger (@handle).",
    "roles": "Everyone who held a role, one per line.",
    "summary": "The incident's summary.",
    "description": "The incident's description.",
    "timeline": "The key events (pinned entries and the incident's milestones), one per line, in time order.",
    "followups": "The follow-ups, one per line.",
}

BUILTIN_TEMPLATE = """# Postmortem {{ref}}: {{title}}

## Summary

{{summary}}

## Impact

- Severity: {{severity}}
- Declared: {{declared_at}}
- Resolved: {{resolved_at}}
- Duration: {{duration}}
- Customer impact: {{customer_impact}}
- Affected services: {{affected_services}}
- Resolution: {{resolution}}

## Timeline

{{timeline}}

## Roles

{{roles}}

## What went well


## What went badly


## Root causes


## Lessons


## Follow-ups

{{followups}}
"""


def check_template(body: str) -> str:
    """A template a person saved: not empty, not huge, and only placeholders generation knows."""
    text = body.replace("\r\n", "\n")
    if not text.strip():
        raise ValidationFailed("The template cannot be empty; write the postmortem's sections in Markdown.",
                               field="body")
    if len(text) > MAX_TEMPLATE:
        raise ValidationFailed(f"A template is at most {MAX_TEMPLATE} characters (this one has {len(text)}).",
                               field="body")
    unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(text)} - set(PLACEHOLDERS))
    if unknown:
        known = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
        raise ValidationFailed(f"Unknown placeholder {', '.join('{{' + u + '}}' for u in unknown)}. "
                               f"Use: {known}.", field="body")
    return text


def fill(template: str, facts: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), template)
