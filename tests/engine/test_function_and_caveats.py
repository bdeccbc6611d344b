"""Binding by function, warnings, caveats and exception scopes (docs/language.md §§ 2, 7, 8, 10,
12.9), each on a small law set written for the test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ordinance

VOCABULARY = """
fact date: date question "When?"
fact holder.kind: one of police, jail_department, clinic question "Holder kind?" required
fact holder.state: text question "State?" required
fact holder.runs_jail: bool question "Does it run a jail?"
fact requester.kind: one of immigration, police question "Requester?"
fact purpose: one of immigration, crime question "Purpose?"
fact public: bool question "Public?"
fact data: set of categories question "Data?" required
category personal label "personal information"
category address is personal label "address"
category release is personal label "release date"
category weather label "weather"
"""

LAW = """
law st.act {
  jurisdiction state "IL"
  binds police, jail_department when bound_agency
  note "Encodes the 2020 text only."
}
section "St. § 1" "No law enforcement agency shall give personal information for immigration."
section "St. § 2" "Unless the release date is public."
section "St. § 3" "Immigration requests are immigration, whatever they say."

define bound_agency { when holder.kind = police or holder.runs_jail }

rule personal_info {
  prohibit personal
  when purpose = immigration or requester.kind = immigration
  cite "St. § 1"
}
exception public_release to personal_info {
  permit release
  when public
  cite "St. § 2"
}
rule relabelled {
  warn "an immigration authority's request is read as immigration"
  when requester.kind = immigration and purpose != immigration
  cite "St. § 3"
}
gap "The public-records exception (St. § 2(b)) was not found." for public_release
gap "Later amendments were not checked."
gap "A ban on sharing weather reports (St. § 9) was not found." for weather
"""

OTHER_LAW = """
law other.act {
  jurisdiction state "IL"
  binds clinic
}
section "Other § 1" "Clinics keep weather reports."
rule weather { permit weather cite "Other § 1" }
gap "Other § 2 was not found." for weather
"""


@pytest.fixture(scope="module")
def laws(tmp_path_factory: pytest.TempPathFactory) -> ordinance.OrdinanceSet:
    root: Path = tmp_path_factory.mktemp("laws")
    (root / "vocabulary.ord").write_text(VOCABULARY, encoding="utf-8")
    (root / "act.ord").write_text(LAW, encoding="utf-8")
    (root / "other.ord").write_text(OTHER_LAW, encoding="utf-8")
    return ordinance.load(root)


def req(**facts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"date": "2024-01-01", "holder": {"kind": "police", "state": "IL"},
                            "requester": {"kind": "immigration"}, "purpose": "immigration",
                            "data": ["address"]}
    base.update(facts)
    return base


def test_a_kind_the_law_binds_outright_is_bound(laws: ordinance.OrdinanceSet) -> None:
    decision = laws.decide(req())
    assert decision.outcome == "prohibited"
    assert [law.id for law in decision.laws] == ["st.act"]


def test_binding_by_function_reaches_a_holder_whatever_its_label(
        laws: ordinance.OrdinanceSet) -> None:
    holder = {"kind": "jail_department", "state": "IL", "runs_jail": True}
    assert laws.decide(req(holder=holder)).outcome == "prohibited"


def test_a_holder_without_the_function_is_not_bound_and_the_decision_says_why(
        laws: ordinance.OrdinanceSet) -> None:
    decision = laws.decide(req(holder={"kind": "jail_department", "state": "IL",
                                       "runs_jail": False}))
    assert decision.outcome == "not_covered"
    reasons = [r for law in decision.considered if law.id == "st.act" for r in law.reasons]
    assert any("does not bind this holder" in r and "holder.runs_jail = false" in r
               for r in reasons)


def test_an_unknown_function_is_a_missing_fact_never_a_silent_permit(
        laws: ordinance.OrdinanceSet) -> None:
    decision = laws.decide(req(holder={"kind": "jail_department", "state": "IL"}))
    assert decision.outcome == "undetermined"
    assert [m.fact for m in decision.missing_facts] == ["holder.runs_jail"]
    reasons = [r for law in decision.considered if law.id == "st.act" for r in law.reasons]
    assert any("whether the law binds this holder is open" in r for r in reasons)


def test_prose_shows_a_rule_as_written_without_the_binding(
        laws: ordinance.OrdinanceSet) -> None:
    rule = laws.model.rules["st.act.personal_info"]
    assert rule.written is not rule.when
    assert "runs_jail" not in repr(rule.written)


def test_a_warning_is_listed_whatever_the_outcome(laws: ordinance.OrdinanceSet) -> None:
    decision = laws.decide(req(purpose="crime"))
    assert decision.outcome == "prohibited"
    assert [w.rule for w in decision.warnings] == ["st.act.relabelled"]
    assert decision.warnings[0].citation == "St. § 3"
    assert decision.to_dict()["warnings"][0]["text"].startswith("an immigration authority")
    assert laws.decide(req()).warnings == ()


def test_caveats_of_a_law_that_took_part_travel_with_the_decision(
        laws: ordinance.OrdinanceSet) -> None:
    decision = laws.decide(req())
    texts = [(c.law, c.kind, c.text) for c in decision.caveats]
    assert ("st.act", "note", "Encodes the 2020 text only.") in texts
    assert ("st.act", "gap", "Later amendments were not checked.") in texts
    # The gap written `for public_release` qualifies only decisions that exception took part
    # in: it speaks to release dates, not to an address.
    assert not any("public-records" in text for _law, _kind, text in texts)
    release = laws.decide(req(data=["release"]))
    assert any("public-records" in c.text for c in release.caveats)
    assert {c["law"] for c in release.to_dict()["caveats"]} == {"st.act"}


def test_a_law_whose_rules_cannot_stand_carries_no_caveats(
        laws: ordinance.OrdinanceSet) -> None:
    decision = laws.decide(req(requester={"kind": "police"}, purpose="crime"))
    assert decision.outcome == "permitted"
    assert decision.caveats == ()


def test_a_gap_for_data_travels_even_where_no_rule_speaks(
        laws: ordinance.OrdinanceSet) -> None:
    decision = laws.decide(req(data=["weather"]))
    assert decision.outcome == "permitted"
    assert not decision.items[0].addressed
    assert [c.text for c in decision.caveats] == [
        "A ban on sharing weather reports (St. § 9) was not found."]
    assert laws.decide(req(data=["address"], requester={"kind": "police"},
                           purpose="crime")).caveats == ()


def test_caveats_and_warnings_are_rendered_in_text_and_memo(
        laws: ordinance.OrdinanceSet) -> None:
    from ordinance.outputs.render import to_markdown, to_text

    decision = laws.decide(req(purpose="crime", data=["release"]))
    text, memo = to_text(decision), to_markdown(decision)
    for out in (text, memo):
        assert "an immigration authority's request is read as immigration" in out
        assert "Encodes the 2020 text only." in out
        assert "The public-records exception" in out


def test_a_scoped_exception_never_opens_a_more_general_item(
        laws: ordinance.OrdinanceSet) -> None:
    # `permit release` when public: it defeats the prohibition for a release date ...
    assert laws.decide(req(data=["release"], public=True)).outcome == "permitted"
    # ... but not for personal information in general, which may hold more than the
    # release date the exception speaks of.
    general = laws.decide(req(data=["personal"], public=True))
    assert general.outcome == "prohibited"
    assert general.items[0].exceptions == ()


def test_gap_for_an_unknown_rule_and_warning_exceptions_are_errors(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.ord").write_text(VOCABULARY, encoding="utf-8")
    (tmp_path / "act.ord").write_text(LAW.replace("for public_release", "for public_relase")
                                      + 'exception w to personal_info { warn "x" cite "St. § 1" }',
                                      encoding="utf-8")
    with pytest.raises(ordinance.LawError) as caught:
        ordinance.load(tmp_path)
    codes = sorted(d.code for d in caught.value.diagnostics)
    assert codes == ["unknown-rule", "warning-exception"]
    assert "did you mean `public_release`?" in caught.value.render()


@pytest.mark.parametrize(("runs_jail", "outcome"), [(False, "not_covered"),
                                                     (True, "prohibited")])
def test_the_fast_path_judges_binding_by_function_as_the_evaluator(
        laws: ordinance.OrdinanceSet, runs_jail: bool, outcome: str) -> None:
    """A complete request to a holder whose only law binds by function: the generated
    path (engine/fastpath.py) finds the law not binding, or binding, as the evaluator."""
    from ordinance.engine.fastpath import Verdict

    request = laws.request(req(holder={"kind": "jail_department", "state": "IL",
                                       "runs_jail": runs_jail}, public=False))
    found = laws.fastpath.verdict(request.facts)
    assert found == Verdict.of(laws.evaluate(request))
    assert found is not None and found.outcome == outcome
    assert found.items == (("address", outcome),)
