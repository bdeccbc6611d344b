"""The law catalogue (`ordinance laws`) and docs/laws.md, which is generated from it."""

from __future__ import annotations

import json

from click.testing import CliRunner

import ordinance
from ordinance.cli import main
from ordinance.outputs.catalog import catalog, catalog_markdown

from ..conftest import ORDINANCES, ROOT


def test_docs_laws_md_is_current(bundled: ordinance.OrdinanceSet) -> None:
    expected = catalog_markdown(bundled)
    actual = (ROOT / "docs" / "laws.md").read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/laws.md is stale: run `ordinance laws --ordinances ordinances --format markdown "
        "> docs/laws.md`")


def test_catalog_lists_every_law_with_provenance(bundled: ordinance.OrdinanceSet) -> None:
    entries = {e["id"]: e for e in catalog(bundled)}
    assert set(entries) == set(bundled.model.laws)
    values_act = entries["ca.values_act"]
    assert values_act["jurisdiction"] == [{"level": "state", "name": "CA"}]
    assert values_act["in_force_from"] == "2018-01-01"
    assert values_act["source"].startswith("https://leginfo.legislature.ca.gov/")
    assert values_act["file"] == "us/ca/values-act.ord"
    assert any("7284.6" in gap for gap in values_act["gaps"])
    for entry in entries.values():
        assert entry["version"] and entry["source"], entry["id"]


def test_laws_command_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["laws", "--ordinances", str(ORDINANCES), "--format", "json"])
    assert result.exit_code == 0
    assert "ca.values_act" in {e["id"] for e in json.loads(result.stdout)}
