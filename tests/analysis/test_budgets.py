"""The analyses' work budgets at the edge (issue 19): ``QUESTION_BUDGET`` (lint's searches),
``GAPS_BUDGET`` (``ordinance coverage-gaps``) and ``CELL_BUDGET`` (the tables of
``ordinance docs``). Like ``CONFLICT_BUDGET`` (test_conflict_budget.py), each is counted,
not timed: a budget of exactly the work needed gives the unbounded result, and one less stops
and says so where the user reads the result."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.analysis import conflicts, gaps, matrix
from ordinance.analysis.conflicts import Analyzer
from ordinance.analysis.gaps import coverage_gaps, gaps_markdown, gaps_text
from ordinance.analysis.space import Found, Space
from ordinance.cli import main
from ordinance.engine.relevance import Budget, Relevance
from ordinance.outputs import sitetext

from ..conftest import FIXTURES

PLANTED = FIXTURES / "analysis"


@pytest.fixture(scope="module")
def laws() -> ordinance.OrdinanceSet:
    return ordinance.load(PLANTED)


# ---------------------------------------------------------------- QUESTION_BUDGET (lint)


class _Measured(Analyzer):
    """An analyzer that records the partial requests each question's search made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts: list[int] = []

    def _search(self, *args: Any, **kwargs: Any) -> Iterator[Found[object]]:
        self.starts.append(self.stats.partial_requests)  # the last one has finished
        return super()._search(*args, **kwargs)

    def most(self) -> int:
        """The work of the costliest question (each question's search runs to its end or
        is abandoned before the next begins)."""
        ends = [*self.starts[1:], self.stats.partial_requests]
        return max(end - start for start, end in zip(self.starts, ends, strict=True))


def _findings(analyzer: Analyzer) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in analyzer.run().findings]


def test_a_question_budget_of_exactly_the_work_finishes_and_one_less_is_named(
        laws: ordinance.OrdinanceSet) -> None:
    whole = _Measured(laws.engine)
    everything = _findings(whole)
    needed = whole.most()  # the budget is per question: the costliest one decides
    assert whole.stats.stopped == [] and needed > 1
    assert {"unreachable-rule", "dead-exception", "shadowed-rule"} <= {c for c, _ in everything}

    enough = Analyzer(laws.engine, question_budget=needed)
    assert _findings(enough) == everything and enough.stats.stopped == []

    short = Analyzer(laws.engine, question_budget=needed - 1)
    found = _findings(short)
    assert short.stats.stopped  # the costliest question(s), each named
    assert set(found) <= set(everything)  # nothing claimed that the whole analysis refutes
    summary = short.stats.summary()
    assert f"stopped at the budget of {needed - 1} partial requests" in summary
    assert "unknown, not absent" in summary
    for label in short.stats.stopped:
        assert label in summary and "`pl.act." in label  # the question and its rules


def test_lint_names_the_searches_that_stopped_at_the_question_budget(
        laws: ordinance.OrdinanceSet, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _Measured(laws.engine)
    whole.run()
    full = CliRunner().invoke(main, ["lint", str(PLANTED)])
    monkeypatch.setattr(conflicts, "QUESTION_BUDGET", whole.most())
    assert CliRunner().invoke(main, ["lint", str(PLANTED)]).output == full.output
    monkeypatch.setattr(conflicts, "QUESTION_BUDGET", whole.most() - 1)
    short = CliRunner().invoke(main, ["lint", str(PLANTED)])
    assert short.exit_code == 0, short.output
    analysis_line = next(line for line in short.output.splitlines()
                         if line.startswith("analysis:"))
    assert f"stopped at the budget of {whole.most() - 1} partial requests" in analysis_line
    assert "unknown, not absent" in analysis_line


# ---------------------------------------------------------------- GAPS_BUDGET (coverage-gaps)


@pytest.fixture(scope="module")
def gaps_needed(laws: ordinance.OrdinanceSet) -> int:
    """The partial requests of the costliest data item's search (the budget is per item)."""
    work: list[int] = []
    plain = Space.explore

    def measured(self: Space, *args: Any, **kwargs: Any) -> Iterator[Found[Any]]:
        yield from plain(self, *args, **kwargs)
        work.append(kwargs["stats"].partial_requests)  # a fresh SearchStats per item

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Space, "explore", measured)
        coverage_gaps(laws)
    return max(work)


def _gaps(report: gaps.CoverageGaps) -> list[dict[str, Any]]:
    return [f.to_dict() for f in report.findings]


def test_a_gaps_budget_of_exactly_the_work_finishes_and_one_less_names_the_item(
        laws: ordinance.OrdinanceSet, gaps_needed: int) -> None:
    whole = coverage_gaps(laws)
    assert whole.findings and "stopped" not in whole.search
    enough = coverage_gaps(laws, budget=gaps_needed)
    assert _gaps(enough) == _gaps(whole) and enough.search == whole.search

    short = coverage_gaps(laws, budget=gaps_needed - 1)
    assert f"stopped at the budget of {gaps_needed - 1} partial requests" in short.search
    assert "unknown, not absent" in short.search
    stopped = short.search.split("unknown, not absent: ", 1)[1].split(";")[0]
    assert stopped.startswith("`") and stopped.strip("`") in laws.model.hierarchy.categories
    assert short.to_dict()["search"] == short.search  # --format json
    assert f"How it searched: {short.search}" in gaps_text(short)  # the text report


def test_coverage_gaps_says_which_item_it_did_not_finish(
        gaps_needed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gaps, "GAPS_BUDGET", gaps_needed - 1)
    result = CliRunner().invoke(main, ["coverage-gaps", "--ordinances", str(PLANTED)])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("How it searched: ")
    assert f"stopped at the budget of {gaps_needed - 1} partial requests" in last


def test_a_stopped_item_makes_the_report_say_it_is_incomplete(
        laws: ordinance.OrdinanceSet, gaps_needed: int) -> None:
    """The heading and the JSON, not only the last line, say which items were not
    finished and that gaps there are unknown, not absent."""
    whole = coverage_gaps(laws)
    assert whole.complete and whole.stopped == () and whole.to_dict()["complete"] is True
    assert "INCOMPLETE" not in gaps_text(whole) and "incomplete" not in gaps_markdown(whole)

    short = coverage_gaps(laws, budget=gaps_needed - 1)
    assert not short.complete and short.budget == gaps_needed - 1
    assert short.stopped and set(short.stopped) <= set(laws.model.hierarchy.categories)
    payload = short.to_dict()
    assert payload["complete"] is False and payload["stopped_items"] == list(short.stopped)
    assert payload["search"] == short.search  # the existing fields stay
    heading = gaps_text(short).splitlines()[1]
    assert heading.startswith(f"INCOMPLETE: the search of {len(short.stopped)} of "
                              f"{short.items} data items stopped at its budget of "
                              f"{gaps_needed - 1} partial requests")
    assert all(f"`{item}`" in heading for item in short.stopped)
    assert heading.endswith("unknown, not absent")
    assert gaps_text(short).splitlines()[2].endswith(", among the requests searched")
    assert f"**This report is {short.incomplete()}.**" in gaps_markdown(short)


def test_coverage_gaps_json_and_help_do_not_claim_exhaustiveness(
        gaps_needed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    helped = CliRunner().invoke(main, ["coverage-gaps", "--help"])
    assert "exhaustive" not in helped.output and "budget" in helped.output
    monkeypatch.setattr(gaps, "GAPS_BUDGET", gaps_needed - 1)
    result = CliRunner().invoke(main, ["coverage-gaps", "--ordinances", str(PLANTED),
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["complete"] is False and payload["stopped_items"]
    assert payload["budget"] == gaps_needed - 1
    text = CliRunner().invoke(main, ["coverage-gaps", "--ordinances", str(PLANTED)]).output
    assert text.splitlines()[1].startswith("INCOMPLETE: ")


# ---------------------------------------------------------------- the reason of a verdict


def test_a_reason_whose_search_stopped_is_not_given_as_settled(tmp_path: Path) -> None:
    """`_never_stands`: "can it stand" finishes (the exception stands in every context), but
    "does its condition hold" (3 partial requests: {}, warrant, not warrant, then consent)
    stops: the verdict stands, its reason is said to be unknown."""
    (tmp_path / "vocabulary.ord").write_text(
        (PLANTED / "vocabulary.ord").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "law.ord").write_text(
        'law t.act { title "T" version "1" jurisdiction state "IL" binds police }\n'
        'section "T § 1" "No plate reads without a warrant, with consent."\n'
        'section "T § 2" "Except in Illinois."\n'
        'rule plates { prohibit plates when not warrant and consent cite "T § 1" }\n'
        'exception in_illinois to plates { permit when holder.state = "IL" cite "T § 2" }\n',
        encoding="utf-8")
    laws = ordinance.load(tmp_path, cache=False)
    (whole,) = Analyzer(laws.engine).unreachable()
    assert whole.message == ("rule `t.act.plates` can never stand: whenever its condition "
                             "holds, exception `t.act.in_illinois` stands")
    for budget in (1, 2, 3):  # "can it stand" needs 1; "does its condition hold" needs 4
        analyzer = Analyzer(laws.engine, question_budget=budget)
        (found,) = analyzer.unreachable()
        assert analyzer.stats.stopped == ["does its condition hold (`t.act.plates`)"]
        assert found.code == "unreachable-rule"
        assert found.message == (
            "rule `t.act.plates` can never stand; whether its own condition can hold was not "
            f"settled within the budget of {budget} partial requests")
        assert "unknown, not absent" in found.notes[0]
        if found.witness is not None:  # a request where the condition fails
            evaluation = laws.evaluate(found.witness)
            assert evaluation.conditions["t.act.plates"] is False
    (enough,) = Analyzer(laws.engine, question_budget=4).unreachable()
    assert enough.message == whole.message


# ---------------------------------------------------------------- CELL_BUDGET (docs tables)


@pytest.fixture(scope="module")
def searched_laws() -> ordinance.OrdinanceSet:
    """The engine law set with its explainer answering by case analysis alone. Every cell of
    the bundled law's tables (and of this one's) is answered on the compiled decision form,
    which draws nothing on the budget; the case analysis, its fallback, is what it bounds."""
    laws = ordinance.load(FIXTURES / "engine", cache=False)
    laws.explainer.relevance = Relevance(laws.engine, compiled=False)
    return laws


def _work(laws: ordinance.OrdinanceSet, request: dict[str, Any]) -> int:
    """Rule evaluations ``laws.decide(request, would_change=False)`` makes, as
    :meth:`Explainer.decide` counts them."""
    budget = Budget(matrix.CELL_BUDGET)
    explainer = laws.explainer
    evaluation = explainer.relevance.settle(
        laws.engine.evaluate(laws.request(request).facts), budget)
    explainer.explain(laws.request(request), evaluation, would_change=False, budget=budget)
    assert not budget.exhausted
    return matrix.CELL_BUDGET - budget.left


def test_a_cell_budget_of_exactly_the_work_finishes_and_one_less_is_marked(
        searched_laws: ordinance.OrdinanceSet) -> None:
    request = matrix.cell_request(searched_laws, {"kind": "police", "state": "IL"},
                                  "immigration", "status", None, dt.date(2024, 5, 1))
    whole = matrix.decide_cell(searched_laws, request)
    assert whole.outcome == "undetermined" and whole.exact and whole.depends_on
    needed = _work(searched_laws, request)
    assert needed > 1
    assert matrix.decide_cell(searched_laws, request, budget=needed) == whole
    short = matrix.decide_cell(searched_laws, request, budget=needed - 1)
    assert not short.exact
    assert short.outcome == "undetermined"  # conservative: never permitted for want of search
    assert set(whole.depends_on) <= set(short.depends_on)
    # what the docs site prints in a cell that is not exact (docsite.py: `depends`)
    assert "the search stopped at its budget" in sitetext.UI["en"]["depends_on_at_most"]


def test_the_bundled_law_tables_never_draw_on_the_cell_budget(
        bundled: ordinance.OrdinanceSet) -> None:
    """Cells of a state's table are answered on the compiled decision form: a budget of 0
    gives the same cells (the bound matters only where that form does not apply)."""
    state = next(j for j in matrix.jurisdictions(bundled) if j.level == "state")
    holder = matrix.holder_for(state, bundled)
    for data in sorted(bundled.model.hierarchy.categories)[:6]:
        for requester in matrix.table_requesters(bundled):
            request = matrix.cell_request(bundled, holder, requester, data, None,
                                          dt.date(2024, 5, 1))
            assert matrix.decide_cell(bundled, request, budget=0) == matrix.decide_cell(
                bundled, request)
