"""The engine's semantics on a small synthetic law set (tests/fixtures/engine).

Each test states the rule of design.md section 3 it checks.
"""

from __future__ import annotations

from typing import Any

import pytest

import ordinance
from ordinance.engine.vocabulary import nested


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[object]:
    """Wrap ``owner.name`` so each call's first argument is recorded; return the record."""
    calls: list[object] = []
    original = getattr(owner, name)

    def counting(argument: object, *rest: object) -> object:
        calls.append(argument)
        return original(argument, *rest)

    monkeypatch.setattr(owner, name, counting)
    return calls


OUTSIDE_CITY = {"state": "IL", "county": "Cook"}
"""A holder of the state law only: in a county the city law is not in."""


def req(**facts: Any) -> dict[str, Any]:
    """A request to a police department in Springfield, XS, on 2024-01-01."""
    base: dict[str, Any] = {
        "date": "2024-01-01",
        "holder": {"kind": "police", "state": "IL", "city": "Springfield"},
        "requester": {"kind": "immigration"},
        "data": ["address"],
    }
    base.update(facts)
    return base


def outcome(laws: ordinance.OrdinanceSet, **facts: Any) -> str:
    return laws.decide(req(**facts)).outcome


# ---------------------------------------------------------------- applicability


def test_no_law_applies_outside_the_jurisdiction(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(holder={"kind": "police", "state": "NV"}))
    assert decision.outcome == "not_covered"
    assert decision.laws == ()
    assert "not in state `IL`" in decision.summary


def test_law_binds_only_the_kinds_it_names(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(holder={"kind": "clinic", **OUTSIDE_CITY}))
    assert decision.outcome == "not_covered"
    reasons = [r for law in decision.considered for r in law.reasons]
    assert any("does not bind a holder of kind `clinic`" in r for r in reasons)


@pytest.mark.parametrize(("date", "expected"), [
    ("2019-12-31", "not_covered"),  # before in_force from
    ("2020-01-01", "prohibited"),  # first day in force
    ("2030-12-31", "prohibited"),  # last day in force
    ("2031-01-01", "not_covered"),  # after in_force until
])
def test_in_force_dates(engine_laws: ordinance.OrdinanceSet, date: str, expected: str) -> None:
    request = req(date=date, holder={"kind": "sheriff", **OUTSIDE_CITY}, public=False)
    assert engine_laws.decide(request).outcome == expected


def test_city_law_layers_on_state_law(engine_laws: ordinance.OrdinanceSet) -> None:
    facts = {"data": ["status"], "warrant": False, "ground_a": True, "blocker": False,
             "tag": ["red"]}
    in_city = engine_laws.decide(req(**facts))
    assert [law.id for law in in_city.laws] == ["ct.ordinance", "st.act"]
    # The state permits status (§ 2(a), § 3(b)); the city prohibits it for red tags (§ 10):
    # the stricter local prohibition wins, and both citations are shown.
    assert in_city.outcome == "prohibited"
    cites = {step.citation for step in in_city.items[0].rules}
    assert {"City Code § 10", "St. Code § 2(a)"} <= cites
    elsewhere = engine_laws.decide(req(**facts, holder={"kind": "police", **OUTSIDE_CITY}))
    assert [law.id for law in elsewhere.laws] == ["st.act"]
    assert elsewhere.outcome == "permitted"


def test_city_match_is_case_insensitive(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(holder={"kind": "police", "state": "il",
                                              "city": "SPRINGFIELD"}))
    assert {law.id for law in decision.laws} == {"st.act", "ct.ordinance"}


def test_city_law_needs_its_state_too(engine_laws: ordinance.OrdinanceSet) -> None:
    # `jurisdiction state "IL", city "Springfield"`: a Springfield in another state is not it.
    decision = engine_laws.decide(req(holder={"kind": "police", "state": "IN",
                                              "city": "Springfield"}))
    assert decision.outcome == "not_covered"
    reasons = [r for law in decision.considered for r in law.reasons]
    assert "the holder is not in state `IL` (holder.state = IN)" in reasons


def test_city_law_not_yet_in_force(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(date="2021-05-31"))
    assert [law.id for law in decision.laws] == ["st.act"]


# ---------------------------------------------------------------- rules and exceptions


def test_prohibition_stands_when_no_exception_stands(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(public=False))
    assert decision.outcome == "prohibited"
    step = decision.items[0].rules[0]
    assert (step.rule, step.status, step.citation) == ("st.act.personal_info", "stands",
                                                       "St. Code § 1(a)")
    assert step.quote.startswith("No agency shall share")
    assert step.because == ("requester.kind = immigration",)
    (exception,) = decision.items[0].exceptions
    assert exception.applied is False and exception.because == ("public = false",)


def test_standing_exception_defeats_the_rule(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(public=True))
    assert decision.outcome == "permitted"
    step = decision.items[0].rules[0]
    assert step.status == "defeated"
    assert step.defeated_by == ("st.act.public_info",)
    assert "St. Code § 1(b)" in decision.summary


def test_exception_to_an_exception(engine_laws: ordinance.OrdinanceSet) -> None:
    # ground_a defeats `release`, unless `blocked` defeats ground_a.
    base = {"data": ["status"], "warrant": False, "holder": {"kind": "police", **OUTSIDE_CITY}}
    assert outcome(engine_laws, **base, ground_a=True, ground_b=False, blocker=False) == \
        "permitted"
    assert outcome(engine_laws, **base, ground_a=True, ground_b=False, blocker=True) == \
        "prohibited"
    assert outcome(engine_laws, **base, ground_a=False, ground_b=False, blocker=False) == \
        "prohibited"


def test_exception_in_another_file_defeats_a_state_permission(
        engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(data=["status"], warrant=True, tag=["green"],
                                      requester={"kind": "police"}))
    steps = {step.rule: step for step in decision.items[0].rules}
    assert steps["st.act.status_ok"].status == "defeated"
    assert steps["st.act.status_ok"].defeated_by == ("ct.ordinance.green_tag",)


def test_item_without_rules_is_permitted_and_says_so(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(data=["status"], requester={"kind": "public"}))
    assert decision.outcome == "permitted"
    assert "no applicable rule prohibits it" in decision.summary


# ---------------------------------------------------------------- items and hierarchy


def test_each_item_decided_on_its_own(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(data=["address", "status"], public=False, warrant=True,
                                      holder={"kind": "police", **OUTSIDE_CITY}))
    assert {i.data: i.outcome for i in decision.items} == {"address": "prohibited",
                                                           "status": "permitted"}
    assert decision.outcome == "prohibited"


def test_rule_on_a_parent_category_covers_its_children(
        engine_laws: ordinance.OrdinanceSet) -> None:
    for data in ("address", "phone", "personal"):
        assert outcome(engine_laws, data=[data], public=False) == "prohibited", data


def test_has_respects_the_hierarchy_and_sets(engine_laws: ordinance.OrdinanceSet) -> None:
    red = req(data=["status"], warrant=False, tag=["red"], ground_a=True, blocker=False)
    assert engine_laws.decide(red).outcome == "prohibited"  # city § 10 via `has any`
    green = {**red, "tag": ["green"]}
    assert engine_laws.decide(green).outcome == "permitted"


def test_not_equal_on_other_values(engine_laws: ordinance.OrdinanceSet) -> None:
    assert outcome(engine_laws, data=["plates"], requester={"kind": "police"},
                   warrant=False) == "prohibited"
    assert outcome(engine_laws, data=["plates"], requester={"kind": "public"}) == "permitted"


# ---------------------------------------------------------------- unknown facts


def test_unknown_fact_gives_undetermined_with_exact_missing_facts(
        engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req())  # `public` unknown
    assert decision.outcome == "undetermined"
    assert [m.fact for m in decision.missing_facts] == ["public"]
    (missing,) = decision.missing_facts
    assert missing.question == "Public?"
    assert missing.asked_by == ("St. Code § 1(b)",)


def test_facts_that_cannot_change_the_outcome_are_not_asked(
        engine_laws: ordinance.OrdinanceSet) -> None:
    # ground_a is true and nothing blocks it: ground_b cannot matter any more.
    decision = engine_laws.decide(req(data=["status"], warrant=False, ground_a=True,
                                      holder={"kind": "police", **OUTSIDE_CITY}))
    assert decision.outcome == "undetermined"
    # If the blocker applies, both grounds fall; if not, ground_a suffices: ground_b is moot.
    assert [m.fact for m in decision.missing_facts] == ["blocker"]
    decided = engine_laws.decide(req(data=["status"], warrant=False, ground_a=True,
                                     blocker=False, holder={"kind": "police", **OUTSIDE_CITY}))
    assert decided.outcome == "permitted" and decided.missing_facts == ()


def test_determined_outcome_lists_no_missing_facts(engine_laws: ordinance.OrdinanceSet) -> None:
    # address is prohibited whatever `public` is? No: public matters. Status is unknown but
    # the address alone makes the overall outcome prohibited when public is false.
    decision = engine_laws.decide(req(data=["address", "status"], public=False))
    assert decision.outcome == "prohibited"
    assert decision.missing_facts == ()
    status = next(i for i in decision.items if i.data == "status")
    assert status.outcome == "undetermined"
    assert {m.fact for m in status.missing_facts} == {"warrant", "ground_a", "ground_b",
                                                      "blocker", "tag"}


def test_outcome_settled_when_every_answer_agrees(engine_laws: ordinance.OrdinanceSet) -> None:
    # requester.kind is read by the rule (!= public) and by its exception (!= public and
    # warrant): one pass of three-valued logic cannot decide, but every answer permits.
    decision = engine_laws.decide(req(data=["plates"], requester={}, warrant=True))
    assert decision.outcome == "permitted"
    assert decision.items[0].settled
    assert decision.missing_facts == ()
    assert "whatever the open facts turn out to be" in decision.summary
    # Without the warrant the kind matters, and it is the one fact asked.
    open_question = engine_laws.decide(req(data=["plates"], requester={}, warrant=False))
    assert open_question.outcome == "undetermined"
    assert [m.fact for m in open_question.missing_facts] == ["requester.kind"]


# ---------------------------------------------------------------- obligations, changes


def test_obligation_listed_when_it_stands(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(data=["status"], requester={"kind": "police"},
                                      consent=False, holder={"kind": "police", **OUTSIDE_CITY}))
    assert decision.outcome == "permitted"
    (duty,) = decision.obligations
    assert (duty.duty, duty.citation, duty.applies) == ("Tell the person.", "St. Code § 4", True)
    assert duty.data == ("status",)
    assert engine_laws.decide(req(data=["status"], requester={"kind": "police"}, consent=True,
                                  holder={"kind": "police", **OUTSIDE_CITY})).obligations == ()


def test_no_obligation_for_a_prohibited_item(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(data=["status"], warrant=False, ground_a=False,
                                      ground_b=False, consent=False,
                                      holder={"kind": "police", **OUTSIDE_CITY}))
    assert decision.outcome == "prohibited"
    # The duty to tell the person goes with sharing: none for a refused item. The duty
    # owed on receiving the request (`upon receipt`) stays.
    assert [d.rule for d in decision.obligations] == ["st.act.tell_on_receipt"]
    assert decision.obligations[0].upon_receipt


def test_item_no_applying_law_speaks_to_is_permitted_and_says_so(
        engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(data=["weather"]))
    assert decision.outcome == "permitted"
    assert decision.laws != ()  # laws apply to the holder, but none speaks to the data
    assert not decision.items[0].addressed
    assert "no law that applies says anything about this data" in decision.summary
    spoken = engine_laws.decide(req(data=["status"], requester={"kind": "public"}))
    assert spoken.items[0].addressed
    assert "no applicable rule prohibits it" in spoken.summary


def test_would_change_names_single_changes_that_permit(
        engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(public=False, holder={"kind": "police", **OUTSIDE_CITY}))
    changes = {tuple(c.set.items())[0]: c for c in decision.would_change}
    assert (("public", True)) in changes
    assert changes[("public", True)].citation == "St. Code § 1(b)"
    # Who asks is the question itself: a change of requester is never proposed, so that
    # no answer invites relabelling a request (design.md; issue 13).
    assert not any(fact.startswith("requester.") for fact, _value in changes)
    for change in decision.would_change:
        assert change.outcome == "permitted"
        changed = engine_laws.decide(req(public=False, holder={"kind": "police", **OUTSIDE_CITY})
                                     | nested(change.set))
        assert changed.outcome == "permitted"


def test_decision_records_provenance(engine_laws: ordinance.OrdinanceSet) -> None:
    decision = engine_laws.decide(req(public=False))
    data = decision.to_dict()
    assert data["ordinance_set"].startswith("sha256:") and len(data["ordinance_set"]) == 71
    assert data["laws"] == [{"id": "ct.ordinance", "title": "City Ordinance", "version": "2024"},
                            {"id": "st.act", "title": "State Act", "version": "v1"}]
    assert set(data) >= {"request_id", "outcome", "summary", "items", "obligations",
                         "missing_facts", "would_change", "citations", "laws", "ordinance_set"}


def test_decisions_are_deterministic(engine_laws: ordinance.OrdinanceSet) -> None:
    first = engine_laws.decide(req()).to_dict()
    reordered = dict(reversed(list(req().items())))
    assert engine_laws.decide(reordered).to_dict() == first


def test_reasons_are_remembered_by_the_facts_a_condition_reads(
        engine_laws: ordinance.OrdinanceSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Explaining a rule asks again which of its facts decided it; the answer depends only
    on the values of the facts it reads, so a second request with those values is
    explained without evaluating any condition again, with the same lines."""
    first = engine_laws.decide(req(data=["status", "address"], public=False, warrant=False,
                                   ground_a=True, blocker=True), would_change=False)
    calls = count_calls(monkeypatch, engine_laws.engine.compiler, "compile")
    again = engine_laws.decide({**req(data=["status", "address"], public=False, warrant=False,
                                      ground_a=True, blocker=True), "id": "another"},
                               would_change=False)
    for decision in (first, again):
        steps = {s.rule: s for item in decision.items for s in item.rules}
        assert steps["st.act.personal_info"].because == ("requester.kind = immigration",)
        assert steps["st.act.release"].because == ("requester.kind = immigration",
                                                   "warrant = false")
    assert calls == []  # every `because` came from the memo


def test_would_change_is_worked_out_only_when_read(engine_laws: ordinance.OrdinanceSet,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_calls(monkeypatch, engine_laws.explainer.relevance, "would_change")
    decision = engine_laws.decide(req(public=False))
    assert decision.outcome == "prohibited" and calls == []
    assert decision.would_change  # read now: worked out once
    assert decision.to_dict()["would_change"] and len(calls) == 1


def test_rules_are_indexed_by_requester(engine_laws: ordinance.OrdinanceSet) -> None:
    from ordinance.engine.evaluator import requester_kinds

    model = engine_laws.model
    assert requester_kinds(model.rules["st.act.personal_info"].when, model) == {"immigration"}
    assert requester_kinds(model.rules["st.act.status_ok"].when, model) == {"immigration",
                                                                           "police"}
    assert requester_kinds(model.rules["st.act.plates_public_only"].when, model) == {
        "immigration", "police"}  # `!= public`
    assert requester_kinds(model.rules["st.act.ground_a"].when, model) is None
    env = engine_laws.request(req(requester={"kind": "public"}, data=["address", "status"])).facts
    plan = engine_laws.engine.plan(env)
    assert {"st.act.personal_info", "st.act.status_ok"} <= plan.ruled_out
    # Ruled out means false, exactly as evaluating it would say.
    evaluation = engine_laws.engine.evaluate(env, plan)
    for rule_id in plan.ruled_out:
        assert engine_laws.engine.tests[rule_id](env) is False
        assert evaluation.conditions[rule_id] is False
