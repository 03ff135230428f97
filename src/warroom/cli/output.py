"""How the CLI speaks: Rich lines and tables for people, plain JSON for machines, one red line on error."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text


def _console(*, stderr: bool = False) -> Console:
    # Built per call so COLUMNS and the current sys.stdout (CliRunner swaps it) are honoured.
    return Console(stderr=stderr, highlight=False, markup=False)


def say(text: str, style: str | None = None) -> None:
    """One line, never re-wrapped, never read as Rich markup (people type brackets)."""
    _console().print(Text(text, style=style or ""), soft_wrap=True)


def warn(text: str) -> None:
    say(f"! {text}", "yellow")


def show_table(table: Table) -> None:
    _console().print(table)


def show_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def fail(message: str, usage: str | None = None) -> NoReturn:
    """The CLI's rendering of a domain error: one red line on stderr, exit code 1."""
    line = message.strip()
    if usage and usage not in line:
        line = f"{line} Usage: {usage}"
    _console(stderr=True).print(Text(line, style="bold red"), soft_wrap=True)
    raise typer.Exit(1)


def table(*columns: str, title: str | None = None) -> Table:
    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    return grid
