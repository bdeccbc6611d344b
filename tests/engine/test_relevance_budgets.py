"""The explainer's case-analysis budgets at the edge (issue 19): ``SEARCH_BUDGET`` (what one
decision's missing facts and settled outcomes may cost) and ``CHANGE_BUDGET`` (what all
candidate changes of "would be permitted if" may cost). Counted in rule evaluations, not
timed: exactly the work needed gives the unbounded answer, one less stops.

The compiled decision form answers most requests without drawing on either budget, so these
tests use the case analysis it falls back to (``Relevance(compiled=False)``, the oracle of
test_compiled.py) on the engine law set."""

from __future__ import annotations

from typing import Any

import pytest

import ordinance
from ordinance.engine import relevance
from ordinance.engine.relevance import CHANGE_BUDGET, SEARCH_BUDGET, Budget, Relevance
from ordinance.outputs.render import CHANGES_NOT_EXACT, MISSING_NOT_EXACT, to_markdown, to_text

from ..conftest import FIXTURES

REQUEST: dict[str, Any] = {
    "date": "2024-05-01", "holder": {"kind": "police", "state": "IL"},
    "requester": {"kind": "immigration"}, "data": ["status"]}
"""Undetermined: status goes to immigration unless a ground excuses it or there is a warrant."""


@pytest.fixture(scope="module")
def laws() -> ordinance.OrdinanceSet:
    laws = ordinance.load(FIXTURES / "engine", cache=False)
    laws.explainer.relevance = Relevance(laws.engine, compiled=False)
    return laws


def _search_work(laws: ordinance.OrdinanceSet, data: dict[str, Any]) -> int:
    """Rule evaluations ``laws.decide(data, would_change=False)`` makes, counted as
    :meth:`Explainer.decide` counts them."""
    explainer, request = laws.explainer, laws.request(data)
    budget = Budget(SEARCH_BUDGET)
    evaluation = explainer.relevance.settle(laws.engine.evaluate(request.facts), budget)
    explainer.explain(request, evaluation, would_change=False, budget=budget)
    assert not budget.exhausted
    return SEARCH_BUDGET - budget.left


def test_a_search_budget_of_exactly_the_work_finishes_and_one_less_is_not_exact(
        laws: ordinance.OrdinanceSet) -> None:
    whole = laws.decide(REQUEST, would_change=False).to_dict()
    assert whole["outcome"] == "undetermined" and whole["missing_facts_exact"] is True
    needed = _search_work(laws, REQUEST)
    assert needed > 1
    assert laws.decide(REQUEST, would_change=False, search_budget=needed).to_dict() == whole
    short = laws.decide(REQUEST, would_change=False, search_budget=needed - 1).to_dict()
    assert short["missing_facts_exact"] is False  # in the JSON of check, batch and HTTP
    assert short["outcome"] == "undetermined"  # conservative: never permitted for want of search
    facts = {m["fact"] for m in short["missing_facts"]}
    assert {m["fact"] for m in whole["missing_facts"]} <= facts  # none dropped, some extra
    # ... and the text and Markdown reports say so (they used to list the facts as exact)
    cut = laws.decide(REQUEST, would_change=False, search_budget=needed - 1)
    assert _flat(MISSING_NOT_EXACT) in _flat(to_text(cut))
    assert _flat(MISSING_NOT_EXACT) not in _flat(to_text(laws.decide(REQUEST, would_change=False)))
    assert _flat(MISSING_NOT_EXACT) in _flat(to_markdown(cut))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _changes(found: list[tuple[str, Any, Any]]) -> list[tuple[str, Any]]:
    return [(fact, value) for fact, value, _after in found]


CHANGE_REQUEST = {**REQUEST, "warrant": False}
"""Undetermined (the grounds are open); a warrant would permit it."""


def _change_work(laws: ordinance.OrdinanceSet) -> tuple[int, list[tuple[str, Any]], Any]:
    found = laws.explainer.relevance
    evaluation = found.settle(laws.engine.evaluate(laws.request(CHANGE_REQUEST).facts))
    budget = Budget(CHANGE_BUDGET)
    changes = _changes(found.would_change(evaluation, budget))
    assert not budget.exhausted
    return CHANGE_BUDGET - budget.left, changes, evaluation


def test_a_change_budget_of_exactly_the_work_finishes_and_one_less_stops(
        laws: ordinance.OrdinanceSet) -> None:
    needed, everything, evaluation = _change_work(laws)
    assert evaluation.outcome == "undetermined" and everything == [("warrant", True)]
    enough = Budget(needed)
    assert _changes(laws.explainer.relevance.would_change(evaluation, enough)) == everything
    assert not enough.exhausted and enough.left == 0
    short = Budget(needed - 1)
    found = _changes(laws.explainer.relevance.would_change(evaluation, short))
    assert short.exhausted
    assert found == []  # the change whose case analysis was cut is left out: never a wrong one


def test_a_decision_says_when_would_change_stopped_at_its_budget(
        laws: ordinance.OrdinanceSet, monkeypatch: pytest.MonkeyPatch) -> None:
    needed, _, _ = _change_work(laws)
    whole = laws.decide(CHANGE_REQUEST).to_dict()
    monkeypatch.setattr(relevance, "CHANGE_BUDGET", needed - 1)
    short = laws.decide(CHANGE_REQUEST).to_dict()
    assert short["would_change"] != whole["would_change"]  # the change was lost ...
    told = {key for key in whole if short.get(key) != whole[key]} - {"would_change"}
    assert told == {"would_change_exact"}, "... and the decision says so"
    assert whole["would_change_exact"] is True and short["would_change_exact"] is False
    cut = laws.decide(CHANGE_REQUEST)
    assert _flat(CHANGES_NOT_EXACT) in _flat(to_text(cut))
    assert _flat(CHANGES_NOT_EXACT) in _flat(to_markdown(cut))
    monkeypatch.setattr(relevance, "CHANGE_BUDGET", needed)
    assert _flat(CHANGES_NOT_EXACT) not in _flat(to_text(laws.decide(CHANGE_REQUEST)))
