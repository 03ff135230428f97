"""Insights on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from warroom.insights.service import Chart, Insights


class SeriesOut(BaseModel):
    name: str
    values: list[float | None] = Field(description="One value per category; null where nothing was measured.")


class ChartOut(BaseModel):
    key: str = Field(examples=["mtta"])
    title: str
    kind: str = Field(description="bar, stacked or line.")
    x_label: str
    y_label: str
    unit: str
    categories: list[str] = Field(description="Week starts (YYYY-MM-DD, UTC), statuses or services.")
    series: list[SeriesOut]

    @classmethod
    def of(cls, chart: Chart) -> ChartOut:
        return cls(key=chart.key, title=chart.title, kind=chart.kind, x_label=chart.x_label, y_label=chart.y_label,
                   unit=chart.unit, categories=chart.categories,
                   series=[SeriesOut(name=s.name, values=list(s.values)) for s in chart.series])


class WindowOut(BaseModel):
    start: datetime = Field(description="Monday 00:00 UTC of the first week.")
    end: datetime = Field(description="Now.")
    weeks: int


class FiltersOut(BaseModel):
    team: str | None
    severity: str | None


class InsightsOut(BaseModel):
    window: WindowOut
    filters: FiltersOut
    definitions: dict[str, str]
    summary: dict[str, float | int | None] = Field(
        description="incidents, mtta_hours_mean, mttr_hours_mean, false_positive_rate, followups_created, "
                    "followups_done, followup_completion, followups_overdue_now.")
    charts: dict[str, ChartOut]

    @classmethod
    def of(cls, result: Insights) -> InsightsOut:
        return cls.model_validate(result.as_dict())


class OneChartOut(BaseModel):
    window: WindowOut
    chart: ChartOut

    @classmethod
    def of(cls, result: Insights, key: str) -> OneChartOut:
        return cls(window=WindowOut(start=result.start, end=result.end, weeks=result.filters.weeks),
                   chart=ChartOut.of(result.charts[key]))
