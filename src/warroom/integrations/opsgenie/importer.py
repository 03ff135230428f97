"""The Opsgenie importer now lives in ``warroom.importers`` (one shape for Opsgenie, PagerDuty, Grafana OnCall)."""

from warroom.importers.core import ExportProblem, ImportReport, restrictions_of, slugify, week_span
from warroom.importers.opsgenie import SECTIONS, import_export, load_export

__all__ = ["SECTIONS", "ExportProblem", "ImportReport", "import_export", "load_export", "restrictions_of",
           "slugify", "week_span"]
