"""The compiled conflict check's budget (``CONFLICT_BUDGET``, issue 19): counted in classes of
requests read off the compiled form, never timed; a pair it did not finish is named as
unknown, never reported as "no conflict"."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.analysis import conflicts
from ordinance.analysis.conflicts import CONFLICT_BUDGET, Analyzer
from ordinance.cli import main

from ..conftest import FIXTURES

PLANTED = FIXTURES / "analysis"


@pytest.fixture(scope="module")
def laws() -> ordinance.OrdinanceSet:
    return ordinance.load(PLANTED)


def _pairs(analyzer: Analyzer) -> set[tuple[str, ...]]:
    return {d.subjects for d in analyzer.conflicts()}


def test_a_budget_of_exactly_the_work_finishes_and_one_less_names_the_pair_left(
        laws: ordinance.OrdinanceSet) -> None:
    whole = Analyzer(laws.engine)
    everything = _pairs(whole)
    needed = whole.stats.diagrams  # classes read, over every pair
    assert everything and whole.stats.unchecked == []

    enough = Analyzer(laws.engine, conflict_budget=needed)
    assert _pairs(enough) == everything
    assert enough.stats.unchecked == [] and enough.stats.diagrams == needed

    short = Analyzer(laws.engine, conflict_budget=needed - 1)
    found = _pairs(short)
    assert short.stats.diagrams == needed - 1
    assert len(short.stats.unchecked) == 1  # only the last class read was missing
    prohibit, permit = short.stats.unchecked[0]
    assert found == everything - {tuple(sorted((prohibit, permit)))}  # the rest unchanged
    summary = short.stats.summary()
    assert f"budget of {needed - 1} classes" in summary
    assert f"`{prohibit}` and `{permit}`" in summary and "unknown, not absent" in summary


def test_with_no_budget_left_every_pair_is_named_and_none_reported_clean(
        laws: ordinance.OrdinanceSet) -> None:
    whole = Analyzer(laws.engine)
    everything = _pairs(whole)
    none = Analyzer(laws.engine, conflict_budget=0)
    assert _pairs(none) == set()
    assert {tuple(sorted(pair)) for pair in none.stats.unchecked} >= everything


def test_lint_prints_the_pairs_the_conflict_check_did_not_finish(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conflicts, "CONFLICT_BUDGET", 0)
    result = CliRunner().invoke(main, ["lint", str(PLANTED)])
    assert result.exit_code == 0, result.output
    assert "conflicting-rules" not in result.output  # unknown, so not claimed either way
    assert ("the conflict check stopped at its budget of 0 classes read off the compiled "
            "form") in result.output
    assert "`pl.act.status_only_public` and `pl.act.status_to_police`" in result.output


@pytest.mark.parametrize("fmt", ["json", "gnu"])
def test_lint_for_tools_says_on_stderr_what_it_did_not_finish(
        fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tools read stdout in its usual shape; that the check stopped reaches stderr."""
    monkeypatch.setattr(conflicts, "CONFLICT_BUDGET", 0)
    result = CliRunner().invoke(main, ["lint", str(PLANTED), "--format", fmt])
    assert result.exit_code == 0
    assert result.stderr.startswith("analysis incomplete: ")
    assert "the conflict check stopped at its budget of 0" in result.stderr
    assert "analysis incomplete" not in result.stdout
    if fmt == "json":
        json.loads(result.stdout)


def test_the_bundled_law_is_checked_well_within_the_budget(
        bundled: ordinance.OrdinanceSet) -> None:
    """So `ordinance lint`'s output on the bundled law is that of an unbounded check."""
    analyzer = Analyzer(bundled.engine)
    assert len(analyzer.conflicts()) > 600
    assert analyzer.stats.unchecked == []
    assert analyzer.stats.diagrams <= CONFLICT_BUDGET // 3
