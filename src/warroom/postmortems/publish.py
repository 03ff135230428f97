"""Where published postmortems go: a ``Publisher`` writes the exports; the folder publisher is built in."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from warroom.config import Settings

SLUG_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Document:
    """One postmortem, exported: its folder name and the three files' contents."""

    ref: str
    title: str
    markdown: str
    html: str
    pdf: bytes

    @property
    def folder_name(self) -> str:
        """<INC-n>-<slug of the title>, without the reference twice when the title starts with it."""
        named = slug(self.title)
        prefix = f"{self.ref.lower()}-"
        return f"{self.ref}-{named.removeprefix(prefix) if named != prefix.rstrip('-') else named}"


class PublishFailed(Exception):
    """The publisher could not deliver; the message says where and why."""


class Publisher(Protocol):
    def publish(self, document: Document) -> str:
        """Deliver the document; returns where it went (shown to people). Raises PublishFailed."""
        ...


def slug(title: str, limit: int = 60) -> str:
    text = SLUG_CHARS.sub("-", title.lower()).strip("-")
    return text[:limit].rstrip("-") or "postmortem"


@dataclass(frozen=True)
class FolderPublisher:
    """Writes <root>/<INC-n>-<slug>/postmortem.md, .html and .pdf (each file replaced atomically)."""

    root: Path

    def publish(self, document: Document) -> str:
        folder = self.root / document.folder_name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write(folder / "postmortem.md", document.markdown.encode())
            _write(folder / "postmortem.html", document.html.encode())
            _write(folder / "postmortem.pdf", document.pdf)
        except OSError as error:
            raise PublishFailed(f"Could not write the postmortem to {folder}: {error.strerror or error}. "
                                "Check that WARROOM_POSTMORTEM_DIR names a folder Warroom can write to.") from None
        return str(folder)


def _write(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".postmortem-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publisher_for(settings: Settings) -> Publisher:
    """The configured publish target: the folder WARROOM_POSTMORTEM_DIR (default: <data dir>/postmortems)."""
    return FolderPublisher(settings.resolved_postmortem_dir())
