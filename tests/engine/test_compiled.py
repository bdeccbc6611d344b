"""The compiled decision form answers exactly what the case analysis answers.

The case analysis (``Relevance(engine, compiled=False)``) is the oracle: every decision --
outcome, settled items, missing facts per item and per request, would-change with its
citations, the summary -- is compared whole, as JSON, wherever the oracle finished within
its budget (where it did not, its answer is conservative and the compiled one exact).
"""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import pytest

import ordinance
from ordinance.engine.compiled import CompiledLaw
from ordinance.engine.explainer import Explainer
from ordinance.engine.relevance import Relevance, representatives
from ordinance.engine.vocabulary import nested

from ..conftest import ORDINANCES
from ..strategies_requests import random_request


@pytest.fixture(scope="module")
def laws() -> ordinance.OrdinanceSet:
    return ordinance.load(ORDINANCES)


@pytest.fixture(scope="module")
def oracle(laws: ordinance.OrdinanceSet) -> Explainer:
    explainer = Explainer(laws.engine)
    explainer.relevance = Relevance(laws.engine, compiled=False)
    return explainer


def _json(decision: ordinance.Decision) -> str:
    return json.dumps(decision.to_dict(), sort_keys=True, default=str)


def _agree(laws: ordinance.OrdinanceSet, oracle: Explainer, data: dict[str, Any]) -> bool:
    """Compare one request's decisions; False when the oracle ran out of budget."""
    request = laws.request(data)
    expected = oracle.decide(request)
    if not expected.missing_facts_exact:
        return False
    assert _json(laws.explainer.decide(request)) == _json(expected), data
    return True


@pytest.mark.parametrize("known", [1.0, 0.9, 0.7, 0.5, 0.35])
def test_random_requests_decide_as_the_case_analysis(
        laws: ordinance.OrdinanceSet, oracle: Explainer, known: float) -> None:
    rng = random.Random(f"compiled-{known}")
    compared = 0
    for _ in range(24):
        try:
            data = random_request(laws, rng, known)
            laws.request(data)
        except ordinance.RequestError:
            continue  # an inconsistent place drawn: not a request
        compared += _agree(laws, oracle, data)
    assert compared >= 12


_BASE: dict[str, Any] = {
    "date": "2024-05-01",
    "holder": {"kind": "sheriff", "state": "CA", "county": "Alameda"},
    "requester": {"kind": "federal_immigration"},
    "purpose": "immigration_enforcement",
    "legal_process": "notification_request",
}
_OPEN = [("data_public", "data_public"),
         ("subject", "serious_or_violent_felony_conviction"),
         ("subject", "prop47_reduced_misdemeanor"),
         ("subject", "state_prison_felony_conviction")]


@pytest.mark.parametrize("data", ["release_date", "home_address", "custody_status"])
def test_every_answer_to_the_gov_code_7282_5_facts(
        laws: ordinance.OrdinanceSet, oracle: Explainer, data: str) -> None:
    """Exhaustive: each of four facts the Values Act and TRUST Act turn on (Cal. Gov. Code
    § 7284.6(a)(1)(C), (D); § 7282.5(a)(1), (a)(3)) true, false or unknown -- 81 requests per
    item, every one decided alike."""
    compared = 0
    for values in itertools.product([True, False, None], repeat=len(_OPEN)):
        request: dict[str, Any] = json.loads(json.dumps(_BASE)) | {"data": [data]}
        for (group, name), value in zip(_OPEN, values, strict=True):
            if value is not None:
                if group == name:
                    request[name] = value
                else:
                    request.setdefault(group, {})[name] = value
        compared += _agree(laws, oracle, request)
    assert compared == 81


def test_half_filled_requests_take_the_compiled_form(laws: ordinance.OrdinanceSet) -> None:
    """Each holder kind x each data category, nothing else known but a county without a law
    of its own: answered exactly from the compiled form, never by the bounded search."""
    relevance = laws.explainer.relevance
    for kind in laws.model.facts["holder.kind"].values:
        for category in sorted(laws.model.hierarchy.categories):
            request = laws.request({"holder": {"kind": kind, "state": "CA",
                                               "county": "Kern"}, "data": [category]})
            evaluation = laws.engine.evaluate(request.facts)
            if evaluation.outcome == "undetermined":
                assert relevance.view(evaluation) is not None, (kind, category)
            assert laws.decide(request).missing_facts_exact


def test_value_classes_keep_every_distinction_the_law_draws(
        laws: ordinance.OrdinanceSet) -> None:
    """Values in one class answer every comparison of the law alike; values in two differ
    in at least one (so a fact's bits number exactly what the law can tell apart)."""
    compiled = CompiledLaw(laws.engine, representatives(laws.model))
    for path, coding in compiled.codings.items():
        answers = [tuple(atom({path: value}) for atom in coding.atoms)
                   for value in coding.classes]
        assert len(set(answers)) == len(answers), path
        for value in representatives(laws.model)[path]:
            klass = coding.class_of(value)
            assert klass is not None
            assert answers[klass] == tuple(atom({path: value}) for atom in coding.atoms)


def _complete(laws: ordinance.OrdinanceSet) -> dict[str, Any]:
    """The ICE notification request of ``_BASE`` with every other fact given: no, the
    first value, or an empty list."""
    flat: dict[str, Any] = {"date": _BASE["date"], "purpose": _BASE["purpose"],
                            "legal_process": _BASE["legal_process"],
                            "requester.kind": "federal_immigration",
                            **{f"holder.{k}": v for k, v in _BASE["holder"].items()}}
    for path, fact in laws.model.facts.items():
        if path in flat or path == "holder.city" or fact.kind in ("date", "categories"):
            continue
        flat[path] = {"bool": False, "text": "x", "set_of": []}.get(
            fact.kind, fact.values[0] if fact.values else None)
    return flat


@pytest.mark.parametrize("data", ["release_date", "home_address", "custody_status"])
def test_complete_requests_would_change_as_the_case_analysis(
        laws: ordinance.OrdinanceSet, oracle: Explainer, data: str) -> None:
    """Every fact given, the four of § 7284.6(a)(1)(C)/(D) and § 7282.5(a) each yes or no:
    the changes that would permit it (data made public, a § 7282.5(a) conviction) are the
    oracle's, with the same citations."""
    changes = 0
    for values in itertools.product([True, False], repeat=len(_OPEN)):
        flat = _complete(laws) | {"data": [data]}
        for (group, name), value in zip(_OPEN, values, strict=True):
            flat[name if group == name else f"{group}.{name}"] = value
        request = nested(flat)
        assert _agree(laws, oracle, request)
        changes += len(laws.decide(request).would_change)
    assert changes > 0


@pytest.mark.parametrize("requester", ["federal_immigration", "out_of_state_public_agency",
                                       "ca_law_enforcement"])
def test_a_city_not_given_is_left_to_the_diagrams(
        laws: ordinance.OrdinanceSet, oracle: Explainer, requester: str) -> None:
    """A local police department in Alameda County whose city is not given: Oakland's and
    Berkeley's ordinances may bind it (OMC ch. 9.64; BMC ch. 2.99), so the city is a fact to
    ask, and every data category is decided as the case analysis decides it."""
    relevance = laws.explainer.relevance
    city_open = 0
    for category in sorted(laws.model.hierarchy.categories):
        flat = _complete(laws) | {"data": [category], "requester.kind": requester,
                                  "holder.kind": "law_enforcement",
                                  "holder.california_local_agency": True}
        request = laws.request(nested(flat))
        evaluation = laws.evaluate(request)
        agreed = _agree(laws, oracle, nested(flat))
        if "holder.city" in relevance.unknown_facts(evaluation):
            assert relevance.view(evaluation) is not None, category
            city_open += agreed
    assert city_open > 0


def test_threads_share_the_compiled_form(laws: ordinance.OrdinanceSet) -> None:
    """Deciding is thread-safe: four threads deciding half-filled requests at once on a law
    set whose compiled form is not built yet (CUDD is not thread-safe; a lock guards it) give
    the decisions one thread gives."""
    from concurrent.futures import ThreadPoolExecutor

    requests = [{"holder": {"kind": kind, "state": "CA", "county": county}, "data": [category]}
                for kind in ("sheriff", "law_enforcement", "city_department")
                for county in ("Kern", "Alameda")
                for category in sorted(laws.model.hierarchy.categories)[:8]]
    expected = [_json(laws.decide(r)) for r in requests]
    fresh = ordinance.load(ORDINANCES)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda r: _json(fresh.decide(r)), requests * 2))
    assert got == expected * 2


def test_whether_the_holder_is_a_local_agency_is_left_to_the_diagrams(
        laws: ordinance.OrdinanceSet, oracle: Explainer) -> None:
    """An Alameda County holder, city not given, not said to be a local agency: a city's
    ordinance binds only that city's agencies, so whether the holder is one is a fact in
    question for some requests; they are decided as the case analysis decides them."""
    relevance = laws.explainer.relevance
    rng = random.Random("local-agency")
    categories = sorted(laws.model.hierarchy.categories)
    local_open = 0
    for kind in ("law_enforcement", "county_department", "city_department", "school_police"):
        for _ in range(12):
            data = {"date": "2024-05-01", "holder": {"kind": kind, "state": "CA",
                                                     "county": "Alameda"},
                    "requester": {"kind": rng.choice(
                        laws.model.facts["requester.kind"].values)},
                    "purpose": rng.choice(laws.model.facts["purpose"].values),
                    "legal_process": "notification_request", "data_public": False,
                    "data": rng.sample(categories, 2)}
            evaluation = laws.evaluate(data)
            open_here = "holder.california_local_agency" in relevance.unknown_facts(evaluation)
            if open_here:
                assert relevance.view(evaluation) is not None
            local_open += open_here and _agree(laws, oracle, data)
    assert local_open >= 3
