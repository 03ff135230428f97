"""`warroom config …` as an operator runs it on the server's database; the schema editors read is the docs' file."""

from __future__ import annotations

import json

import yaml

from warroom.cli.main import app
from warroom.config_as_code.schema import schema_text

from .conftest import DOCS, documented_example


def test_apply_prints_the_plan_and_a_new_key_secret_once_then_nothing_to_change(cli, tmp_path):
    path = tmp_path / "warroom.yaml"
    path.write_text(documented_example(), encoding="utf-8")
    out = cli.ok("config", "apply", "-f", str(path))
    assert "+ create schedules platform-primary" in out
    assert "New alertmanager key 'prometheus-prod': wrk_" in out
    assert "14 to create, 0 to change, 0 to delete, 0 kept, 0 unchanged." in out

    again = cli.json("config", "apply", "-f", str(path))
    assert again == {"changes": 0, "steps": [], "new_keys": []}
    assert "Nothing to change" in cli.ok("config", "apply", "-f", str(path))


def test_plan_and_export_read_the_database_the_apply_wrote(cli, tmp_path):
    path = tmp_path / "warroom.yaml"
    path.write_text(documented_example(), encoding="utf-8")
    cli.ok("config", "apply", "-f", str(path))
    path.write_text(documented_example().replace("repeat: 1", "repeat: 3"), encoding="utf-8")
    out = cli.ok("config", "plan", "-f", str(path))
    assert "~ change escalation_policies engineering-default\n    repeat: 1 → 3\n" in out

    exported = tmp_path / "exported.yaml"
    cli.ok("config", "export", "-o", str(exported))
    assert yaml.safe_load(exported.read_text())["escalation_policies"][0]["repeat"] == 1
    assert cli.ok("config", "export") == exported.read_text()


def test_a_file_on_standard_input(cli):
    result = cli.runner.invoke(app, ["config", "plan", "-f", "-", "--json"], input=documented_example(),
                               prog_name="warroom")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changes"] == 14


def test_a_bad_file_is_one_red_line_naming_the_file_and_line(cli, tmp_path):
    path = tmp_path / "warroom.yaml"
    path.write_text("version: 1\nteams:\n  - slug: sre\n    lead: bob\n", encoding="utf-8")
    cli.fails("config", "apply", "-f", str(path), says=f"{path}: line 4 (teams[0]): unknown field 'lead'.")
    cli.fails("config", "apply", "-f", str(tmp_path / "missing.yaml"), says="Cannot read")


def test_the_schema_in_docs_is_the_one_the_files_are_checked_with(cli):
    assert (DOCS / "config.schema.json").read_text(encoding="utf-8") == schema_text(), (
        "docs/config.schema.json is stale: `warroom config schema > docs/config.schema.json`")
    assert cli.ok("config", "schema") == schema_text()
    assert json.loads(schema_text())["properties"]["schedules"]["items"]["additionalProperties"] is False
