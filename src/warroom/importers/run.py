"""One import: read a source (live or from a folder), turn it into the common shape, apply it in one
transaction, or roll it back when it is a dry run."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.core.errors import ValidationFailed
from warroom.db.engine import Database
from warroom.importers import core, grafana_oncall, opsgenie, pagerduty
from warroom.importers.core import ImportReport, Progress
from warroom.importers.fetch import Api, Folder


class Source(enum.StrEnum):
    opsgenie = "opsgenie"
    pagerduty = "pagerduty"
    grafana_oncall = "grafana-oncall"


@dataclass(frozen=True)
class Where:
    """Where to read: a folder of saved answers, or a base URL and key (with an Api to reuse, in tests)."""

    folder: Path | None = None
    base_url: str = ""
    key: str = ""
    api: Api | None = None


def read(source: Source, where: Where, now: Any, progress: Progress | None = None) -> dict[str, Any]:
    """The source's answers, as its module's ``to_plan`` takes them."""
    if where.folder is not None:
        folder = Folder(where.folder)
        if source is Source.opsgenie:
            return opsgenie.load_export(where.folder)
        if source is Source.pagerduty:
            return pagerduty.read_folder(folder)
        return grafana_oncall.read_folder(folder)
    if not where.key and where.api is None:
        raise ValidationFailed("Give a folder of saved API answers (--from), or the API's key (--key, or "
                               "WARROOM_IMPORT_KEY) to read it live.", field="key")
    with _api(source, where) as api:
        if source is Source.opsgenie:
            return opsgenie.read_live(api, progress)
        if source is Source.pagerduty:
            return pagerduty.read_live(api, now, progress)
        return grafana_oncall.read_live(api, progress)


@contextmanager
def _api(source: Source, where: Where) -> Iterator[Api]:
    if where.api is not None:
        yield where.api
        return
    if source is Source.grafana_oncall and not where.base_url:
        raise ValidationFailed("Give Grafana OnCall's API URL (--url), e.g. https://oncall.example.com.",
                               field="url")
    make = {Source.opsgenie: opsgenie.api, Source.pagerduty: pagerduty.api,
            Source.grafana_oncall: grafana_oncall.api}[source]
    api = make(where.base_url, where.key)
    try:
        yield api
    finally:
        api.close()


def plan(source: Source, data: Any, report: ImportReport) -> dict[str, Any]:
    if source is Source.opsgenie:
        return opsgenie.to_plan(data, report)
    if source is Source.pagerduty:
        return pagerduty.to_plan(data, report)
    return grafana_oncall.to_plan(data, report)


def apply(source: Source, data: Any, *, db: Session, actor: Actor, progress: Progress | None = None) -> ImportReport:
    """Apply what was read in the caller's transaction. Admins only."""
    report = ImportReport()
    return core.apply(db=db, actor=actor, plan=plan(source, data, report), source=source.value, report=report,
                      progress=progress)


class _DryRun(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


def import_into(database: Database, source: Source, data: Any, *, actor: Actor, dry_run: bool = False,
                progress: Progress | None = None) -> ImportReport:
    """Apply in one transaction of ``database``: committed, or (dry run) rolled back after the report is made."""
    try:
        with database.writing() as db:
            report = apply(source, data, db=db, actor=actor, progress=progress)
            if dry_run:
                raise _DryRun(report)
    except _DryRun as done:
        return done.report
    return report
