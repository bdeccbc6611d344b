"""The generated fast path gives the evaluator's verdict, or declines.

The oracle is the settled evaluation (``Engine.evaluate`` and the case analysis, as
``OrdinanceSet.evaluate`` runs them): on every request the fast path answers, its
outcome and each item's must be the oracle's; on a request that leaves out a fact
its rules read it must decline (``None``), never guess.
"""

from __future__ import annotations

import itertools
import random
import re
from typing import Any

import pytest

import ordinance
from ordinance.engine.fastpath import ItemWriter, Verdict
from ordinance.engine.vocabulary import nested

from ..conftest import ORDINANCES
from ..strategies_requests import random_request


@pytest.fixture(scope="module")
def laws() -> ordinance.OrdinanceSet:
    return ordinance.load(ORDINANCES)


def _oracle(laws: ordinance.OrdinanceSet, request: ordinance.Request) -> Verdict:
    return Verdict.of(laws.evaluate(request))


def _requests(laws: ordinance.OrdinanceSet, seed: str, known: float, count: int
              ) -> list[ordinance.Request]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        try:
            out.append(laws.request(random_request(laws, rng, known)))
        except ordinance.RequestError:
            continue  # an inconsistent place drawn: not a request
    return out


def test_complete_requests_get_the_evaluators_verdict(laws: ordinance.OrdinanceSet) -> None:
    """Every fact given, places and dates drawn over the bundled laws' reach (in force
    and not yet, other states, cities left out): the fast path answers where its rules'
    facts are all given, and agrees with the evaluator on every one."""
    answered = outcomes = 0
    seen: set[str] = set()
    for request in _requests(laws, "fast-complete", 1.0, 1500):
        found = laws.fastpath.verdict(request.facts)
        if found is None:
            continue
        answered += 1
        assert found == _oracle(laws, request), request.to_dict()
        seen.add(found.outcome)
        outcomes += len(found.items)
    assert answered >= 1200  # declined only where a place the laws read is not given
    assert seen == {"permitted", "prohibited", "not_covered"}


@pytest.mark.parametrize("known", [0.95, 0.8, 0.5])
def test_a_request_missing_a_fact_its_rules_read_is_declined_not_guessed(
        laws: ordinance.OrdinanceSet, known: float) -> None:
    declined = 0
    for request in _requests(laws, f"fast-partial-{known}", known, 400):
        found = laws.fastpath.verdict(request.facts)
        if found is None:
            declined += 1
            continue
        assert found == _oracle(laws, request), request.to_dict()
    assert declined >= 100


def test_every_holder_requester_purpose_and_process_agrees(laws: ordinance.OrdinanceSet
                                                            ) -> None:
    """Exhaustive over the enumerated facts that pick the laws' paths (holder kind ×
    requester kind × purpose × legal process), for an Oakland holder, each with a data
    item and the yes/no facts drawn at random."""
    facts = laws.model.facts
    categories = sorted(laws.model.hierarchy.categories)
    rng = random.Random("fast-exhaustive")
    bools = [path for path, fact in facts.items() if fact.kind == "bool"]
    compared = 0
    space = [facts[path].values for path in
             ("holder.kind", "requester.kind", "purpose", "legal_process")]
    for kind, requester, purpose, process in itertools.product(*space):
        flat: dict[str, Any] = {
            "date": "2025-03-01", "holder.kind": kind, "holder.state": "CA",
            "holder.county": "Alameda", "holder.city": "Oakland", "requester.kind": requester,
            "purpose": purpose, "legal_process": process, "data": [rng.choice(categories)],
            **{path: rng.random() < 0.4 for path in bools},
            **{path: rng.choice(fact.values) for path, fact in facts.items()
               if fact.kind == "one_of" and path not in (
                   "holder.kind", "requester.kind", "purpose", "legal_process")},
        }
        request = laws.request(nested(flat))
        found = laws.fastpath.verdict(request.facts)
        assert found is not None, flat
        assert found == _oracle(laws, request), flat
        compared += 1
    assert compared == len(list(itertools.product(*space))) > 3000


def test_verdict_falls_back_to_the_evaluation_where_the_fast_path_declines(
        laws: ordinance.OrdinanceSet) -> None:
    """Kern County sheriff, release date, nothing else: § 7284.6 and its exceptions read
    facts not given, so the evaluation (with its case analysis) gives the verdict."""
    request = laws.request({"date": "2025-03-01", "data": ["release_date"],
                            "holder": {"kind": "sheriff", "state": "CA", "county": "Kern"}})
    assert laws.fastpath.verdict(request.facts) is None
    assert laws.verdict(request) == _oracle(laws, request)
    assert laws.verdict(request).outcome == "undetermined"


def test_no_law_text_is_written_into_generated_source(laws: ordinance.OrdinanceSet) -> None:
    """Literals, sets of names and dates are passed as constants: the source holds only
    generated names, operators and keywords, whatever a law file says."""
    active = frozenset(laws.model.laws)
    for item in sorted(laws.model.hierarchy.categories):
        writer = ItemWriter(laws.engine, active, item)
        source = writer.source()
        assert not re.search(r"['\"#\\]", source), item
        words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", source))
        assert words <= {"def", "item_test", "env", "try", "except", "KeyError", "return",
                         "None", "True", "False", "and", "or", "not", "in", "bool", "pass",
                         "isdisjoint"} | {w for w in words if re.fullmatch(r"[fcdbsk]\d+", w)}
        assert writer.constants  # the law's values are there instead
