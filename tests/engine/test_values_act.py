"""The California Values Act as bundled: its cases, and the issue's worked examples.

Each test names the section of the Government Code it rests on.
"""

from __future__ import annotations

from pathlib import Path

import yaml

import ordinance
from ordinance.service.testing import load_cases

from ..conftest import EXAMPLES, ORDINANCES, sheriff_to_ice

CASE_FILE = ORDINANCES / "us" / "ca" / "values-act.cases.yaml"
GROUNDS = [
    "subject.federal_aggravated_felony_or_felony_warrant",
    "subject.listed_offense_conviction_in_window",
    "subject.magistrate_probable_cause_serious_felony",
    "subject.prop47_reduced_misdemeanor",
    "subject.serious_or_violent_felony_conviction",
    "subject.sex_or_arson_registrant",
    "subject.state_prison_felony_conviction",
]


def _example(name: str) -> dict[str, object]:
    return yaml.safe_load(Path(EXAMPLES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_state_prison_felony_permits_release_date(bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7282.5(a)(2): cooperation by notification where the person has a
    felony conviction punishable by imprisonment in the state prison."""
    decision = bundled.decide(_example("release-date-state-prison-felony.yaml"))
    assert decision.outcome == "permitted"
    (item,) = decision.items
    applied = [e for e in item.exceptions if e.applied]
    assert [e.citation for e in applied] == ["Cal. Gov. Code § 7282.5(a)(2)"]
    assert "Cal. Gov. Code § 7282.5(a)(2)" in decision.summary
    by_citation = {r.citation: r for r in item.rules}
    rule = by_citation["Cal. Gov. Code § 7284.6(a)(1)(C)"]
    assert rule.status == "defeated"
    assert rule.quote.startswith("Providing information regarding a person’s release date")
    # The § 7284.6(a)(1) class rule is defeated by the same § 7282.5 ground.
    assert by_citation["Cal. Gov. Code § 7284.6(a)(1)"].status == "defeated"


def test_unknown_convictions_ask_exactly_the_7282_5_facts(
        bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7282.5(a)(1)-(6), (b): with convictions unknown, the release date is
    undetermined and exactly the § 7282.5 facts are asked, each citing its paragraph."""
    decision = bundled.decide(_example("release-date-convictions-unknown.yaml"))
    assert decision.outcome == "undetermined"
    assert [m.fact for m in decision.missing_facts] == GROUNDS
    asked = {m.fact: m.asked_by for m in decision.missing_facts}
    assert asked["subject.prop47_reduced_misdemeanor"] == ("Cal. Gov. Code § 7282.5(a)(6)",)
    assert asked["subject.magistrate_probable_cause_serious_felony"] == (
        "Cal. Gov. Code § 7282.5(b)",)
    assert decision.missing_facts_exact


def test_home_address_on_hold_request_is_prohibited(bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7284.6(a)(1)(D): no personal information, such as a home address,
    unless available to the public."""
    decision = bundled.decide(_example("home-address-hold-request.yaml"))
    assert decision.outcome == "prohibited"
    (item,) = decision.items
    by_citation = {r.citation: r for r in item.rules}
    rule = by_citation["Cal. Gov. Code § 7284.6(a)(1)(D)"]
    assert rule.status == "stands"
    assert "home address" in rule.quote
    assert by_citation["Cal. Gov. Code § 7284.6(a)(1)"].status == "stands"
    changes = [c.set for c in decision.would_change]
    assert {"data_public": True} in changes
    assert {"action": "access"} not in changes  # access provides the data as surely


def test_status_allowed_address_refused(bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7284.6(e) leaves status exchange untouched; § 7284.6(a)(1)(D) still bars
    the home address: the item outcomes differ and the overall is the stricter."""
    decision = bundled.decide(_example("status-and-address.yaml"))
    assert {i.data: i.outcome for i in decision.items} == {
        "home_address": "prohibited", "immigration_status": "permitted"}
    assert decision.outcome == "prohibited"
    assert {"Cal. Gov. Code § 7284.6(e)", "Cal. Gov. Code § 7284.6(a)(1)(D)"} <= set(
        decision.citations)


def test_public_release_date_may_be_given(bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7284.6(a)(1)(C): "unless that information is available to the public"."""
    decision = bundled.decide(sheriff_to_ice(data_public=True))
    assert decision.outcome == "permitted"


def _applies(decision: ordinance.Decision) -> set[str]:
    return {law.id for law in decision.laws}


def test_request_before_operative_date_is_not_judged_by_it(
        bundled: ordinance.OrdinanceSet) -> None:
    """SB 54 is operative January 1, 2018: a 2017 request is not judged by it."""
    assert "ca.values_act" not in _applies(bundled.decide(sheriff_to_ice(date="2017-12-31")))
    assert "ca.values_act" in _applies(bundled.decide(sheriff_to_ice(date="2018-01-01")))
    assert bundled.decide(sheriff_to_ice(date="2015-06-01")).outcome == "not_covered"


def test_cdcr_is_not_bound(bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7284.4(a): the Department of Corrections and Rehabilitation is not a
    "California law enforcement agency"; § 7284.10 binds it instead."""
    decision = bundled.decide(sheriff_to_ice(holder={"kind": "state_agency", "agency": "CDCR",
                                                     "county": None, "is_cdcr": True}))
    assert "ca.values_act" not in _applies(decision)
    assert "ca.values_act_cdcr" in _applies(decision)


def test_a_state_agency_is_asked_whether_it_does_law_enforcement(
        bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7284.4(a): "a state or local law enforcement agency" — by function; the
    California Highway Patrol entered as a state agency is bound."""
    holder = {"kind": "state_agency", "agency": "California Highway Patrol", "county": None}
    open_question = bundled.decide(sheriff_to_ice(holder=holder, data=["home_address"]))
    assert open_question.outcome == "undetermined"
    assert "holder.law_enforcement_function" in [m.fact for m in open_question.missing_facts]
    chp = bundled.decide(sheriff_to_ice(holder={**holder, "law_enforcement_function": True,
                                                "is_cdcr": False}, data=["home_address"]))
    assert chp.outcome == "prohibited"


def test_school_police_are_bound(bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7284.4(a): school police are California law enforcement agencies."""
    decision = bundled.decide(sheriff_to_ice(holder={"kind": "school_police"},
                                             data=["home_address"]))
    assert decision.outcome == "prohibited"


def test_every_decision_citation_is_a_quoted_section(bundled: ordinance.OrdinanceSet) -> None:
    for case in load_cases(CASE_FILE):
        decision = bundled.decide(case.request)
        for citation in decision.citations:
            assert bundled.model.sections[citation].text.strip(), citation
