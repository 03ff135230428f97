"""Playbooks shipped with Warroom, loaded into a new installation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).parent / "builtin"


@dataclass(frozen=True)
class PlaybookFile:
    slug: str
    title: str
    services: list[str]
    keywords: list[str]
    body_md: str


def parse_playbook_file(slug: str, text: str) -> PlaybookFile:
    """A Markdown file with a small ``key: a, b`` front matter between ``---`` lines."""
    meta: dict[str, str] = {}
    body = text
    if text.startswith("---\n"):
        head, _, body = text[4:].partition("\n---\n")
        for line in head.splitlines():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()

    def listed(key: str) -> list[str]:
        return [v.strip() for v in meta.get(key, "").split(",") if v.strip()]

    return PlaybookFile(slug, meta.get("title", slug), listed("services"), listed("keywords"), body.strip() + "\n")


def builtin_playbooks() -> list[PlaybookFile]:
    return [parse_playbook_file(p.stem, p.read_text()) for p in sorted(FOLDER.glob("*.md"))]
