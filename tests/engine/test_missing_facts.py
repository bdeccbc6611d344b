"""Missing facts are exact: a brute-force oracle over every completion agrees.

The oracle is independent of the engine's pruned search: it enumerates every
value of every unknown fact the law reads (all values, not representatives),
evaluates each complete request, and calls a fact relevant when two
completions differing only in that fact get different outcomes.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ordinance
from ordinance.engine.conditions import facts_used, literals_by_fact
from ordinance.engine.evaluator import LOCAL_AGENCY_FACT
from ordinance.service.testing import case_files, load_cases

from ..conftest import ORDINANCES

MAX_COMPLETIONS = 3000


@functools.cache
def _bundled() -> ordinance.OrdinanceSet:
    return ordinance.load(ORDINANCES)


def _domain(laws: ordinance.OrdinanceSet, path: str) -> list[Any]:
    fact = laws.model.facts[path]
    if fact.kind == "bool":
        return [True, False]
    if fact.kind == "one_of":
        return list(fact.values)
    if fact.kind == "text":  # the names the law compares with, and one it never names
        return [*literals_by_fact(laws.model)[path], "(a place no law names)"]
    raise AssertionError(f"the oracle enumerates bool, one-of and text facts only, not {path}")


def _read(laws: ordinance.OrdinanceSet, request: ordinance.Request) -> set[str]:
    """Facts read by the rules an outcome can turn on: prohibitions and exceptions of the
    laws that apply, in scope of a requested item (permissions and duties cannot change
    an outcome), and the facts that say whether a local law binds the holder (its county
    and city, whether it is a local agency at all); scope depends only on ``data``."""
    evaluation = laws.engine.evaluate(request.facts)
    active = {law.id for law in evaluation.active_laws}
    data = request.facts["data"]
    assert isinstance(data, frozenset)
    local = any(level != "state" and f"holder.{level}" not in request.facts
                for law in evaluation.active_laws for level, _ in law.places)
    return {f for rule in laws.model.rules.values()
            if rule.law_id in active and (rule.effect == "prohibit" or rule.is_exception)
            and not data.isdisjoint(laws.engine.scope[rule.id])
            for f in facts_used(rule.when, laws.model)} | (
                {LOCAL_AGENCY_FACT} & set(laws.model.facts) if local else set())


def oracle(laws: ordinance.OrdinanceSet, request: ordinance.Request) -> tuple[set[str],
                                                                              set[str]]:
    """(possible outcomes, relevant facts) by enumerating every completion."""
    unknown = sorted(f for f in _read(laws, request) if f not in request.facts)
    domains = [_domain(laws, f) for f in unknown]
    outcomes: dict[tuple[Any, ...], str] = {}
    for values in itertools.product(*domains):
        env = {**request.facts, **dict(zip(unknown, values, strict=True))}
        outcomes[values] = laws.engine.evaluate(env).outcome
    relevant = set()
    for index, fact in enumerate(unknown):
        for values, result in outcomes.items():
            if any(outcomes[values[:index] + (other,) + values[index + 1:]] != result
                   for other in domains[index]):
                relevant.add(fact)
                break
    return set(outcomes.values()), relevant


def completions(laws: ordinance.OrdinanceSet, request: ordinance.Request) -> int:
    count = 1
    for fact in _read(laws, request) - set(request.facts):
        count *= len(_domain(laws, fact))
    return count


def assert_exact(laws: ordinance.OrdinanceSet, request: ordinance.Request) -> None:
    decision = laws.decide(request, would_change=False)
    possible, relevant = oracle(laws, request)
    if len(possible) == 1:
        assert decision.outcome == possible.pop()
        assert decision.missing_facts == ()
    else:
        assert decision.outcome == "undetermined"
        assert {m.fact for m in decision.missing_facts} == relevant
        assert decision.missing_facts_exact


def test_every_bundled_case_has_exact_missing_facts(bundled: ordinance.OrdinanceSet) -> None:
    cases = [case for path in case_files(ORDINANCES) for case in load_cases(path)]
    checked = 0
    for case in cases:
        request = bundled.request(case.request)
        if completions(bundled, request) <= MAX_COMPLETIONS:
            assert_exact(bundled, request)
            checked += 1
    # The oracle enumerates every completion, so cases that leave many facts open are skipped;
    # since the law set grew (December 2026: the Values Act class rule, binding by function,
    # new local laws) about two thirds of the bundled cases are within its reach.
    assert checked >= 0.6 * len(cases)


_FULL: dict[str, Any] = {
    "date": "2024-05-01",
    "holder": {"kind": "sheriff", "state": "CA", "county": "Alameda"},
    "requester": {"kind": "federal_immigration"},
    "data_public": False,
    "purpose": "immigration_enforcement",
    "legal_process": "notification_request",
    "subject": {},
}
_SUBJECT = ["serious_or_violent_felony_conviction", "state_prison_felony_conviction",
            "listed_offense_conviction_in_window", "sex_or_arson_registrant",
            "federal_aggravated_felony_or_felony_warrant",
            "magistrate_probable_cause_serious_felony", "prop47_reduced_misdemeanor"]
_DATA = ["release_date", "custody_status", "home_address", "immigration_status",
         "criminal_history", "booking_photo"]


@st.composite
def partial_requests(draw: st.DrawFn, laws: ordinance.OrdinanceSet) -> dict[str, Any]:
    request = {**_FULL, "subject": {}, "requester": {}}
    request["data"] = draw(st.lists(st.sampled_from(_DATA), min_size=1, max_size=3,
                                    unique=True))
    for name in _SUBJECT:
        value = draw(st.sampled_from([True, False, None]))
        if value is not None:
            request["subject"][name] = value
    for key, path in (("purpose", "purpose"), ("legal_process", "legal_process")):
        value = draw(st.sampled_from([None, *laws.model.facts[path].values]))
        request[key] = value
    request["requester"]["kind"] = draw(st.sampled_from(
        [None, *laws.model.facts["requester.kind"].values]))
    request["data_public"] = draw(st.sampled_from([True, False, None]))
    return request


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(st.data())
def test_generated_requests_have_exact_missing_facts(data: st.DataObject) -> None:
    laws = _bundled()
    raw = data.draw(partial_requests(laws))
    request = laws.request(raw)
    assume(completions(laws, request) <= MAX_COMPLETIONS)
    assert_exact(laws, request)
