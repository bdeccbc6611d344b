"""Safety properties of the bundled law, proven over the whole finite request space.

A wrong "permitted" is the worst answer this product can give. For the requests the statutes
guard most closely, these tests walk every class of request the law set can tell apart (every
holder context, data item and fact value the law distinguishes; :mod:`ordinance.analysis.space`) and
check that none is *permitted* unless a cited exception or an express permission decides it:
"permitted because no rule spoke" must be impossible there.

- Cal. Gov. Code § 7284.6(a)(1): a holder the Values Act binds, asked for anything for
  immigration enforcement (by function, § 7284.4(f)).
- Cal. Penal Code § 13778.2(b): a California public agency asked by another state's agency for
  information regarding an abortion lawful in and performed in California.

Each test prints the number of request classes it checked (``pytest -s`` shows it).
"""

from __future__ import annotations

from collections.abc import Sequence

import ordinance
from ordinance.analysis.space import Context, SearchStats, Space, witness_request
from ordinance.engine.conditions import kleene_and, literals_used
from ordinance.engine.evaluator import Evaluation
from ordinance.language import nodes as n


def _holds(laws: ordinance.OrdinanceSet, define: str) -> object:
    test = laws.engine.compiler.compile(n.Ref(define, laws.model.defines[define].span))
    return test


def _kind_tests(cond: n.Condition, model: object) -> list[n.Compare | n.Member]:
    """Every comparison of holder.kind in a condition, through named conditions."""
    found: list[n.Compare | n.Member] = []
    stack = [cond]
    while stack:
        node = stack.pop()
        if isinstance(node, n.Compare | n.Member) and node.fact == "holder.kind":
            found.append(node)
        elif isinstance(node, n.And | n.Or):
            stack.extend(node.operands)
        elif isinstance(node, n.Not):
            stack.append(node.operand)
        elif isinstance(node, n.Ref) and node.name in model.defines:  # type: ignore[attr-defined]
            stack.append(model.defines[node.name].when)  # type: ignore[attr-defined]
    return found


def _kind_matches(node: n.Compare | n.Member, kind: str) -> bool:
    if isinstance(node, n.Compare):
        return (kind == node.value.value) == (node.op == "=")
    return (kind in {lit.value for lit in node.values}) != node.negated


def _check(laws: ordinance.OrdinanceSet, guards: Sequence[str], in_class: object
           ) -> tuple[int, list[dict[str, object]]]:
    """Walk the space, branching on what ``guards`` (prohibitions) and their exceptions read.

    In every class of request where ``in_class`` holds and a guard's law applies, a guard must
    stand (the item is prohibited, whatever else applies) or be defeated by an exception that
    stands (a cited rule that says so). Returns the number of such classes, and violations:
    classes where the guard neither stands nor is defeated (it did not speak).
    """
    engine = laws.engine
    rules = laws.model.rules
    focus: list[str] = []
    for guard in guards:
        stack = [guard]
        while stack:
            rule_id = stack.pop(0)
            if rule_id not in focus:
                focus.append(rule_id)
                stack += rules[rule_id].exceptions
    law_ids = {rules[g].law_id for g in guards}
    assert not any(path == "date" for r in focus for path, _v in literals_used(rules[r].when,
                                                                                laws.model))
    space = Space([engine])
    stats = SearchStats()

    def judge(evaluations: Sequence[Evaluation]) -> object | None:
        evaluation = evaluations[0]
        if not any(a.applies and a.law.id in law_ids for a in evaluation.laws):
            return "outside"
        membership = in_class(evaluation.env)  # type: ignore[operator]
        if membership is False:
            return "outside"
        item = evaluation.items[0].data
        active = frozenset(a.law.id for a in evaluation.laws if a.applies)
        open_question = False
        excepted = False
        for guard in guards:
            if guard not in evaluation.conditions or item not in engine.scope[guard]:
                continue  # silent on this item
            standing: dict[str, object] = {}
            value = engine.stands(rules[guard], item, evaluation.conditions, active,
                                  standing)  # type: ignore[arg-type]
            if value is True:
                return "prohibited"  # whatever else holds, the item is prohibited
            if value is None:
                open_question = True
            elif any(standing.get(e) is True for e in rules[guard].exceptions):
                excepted = True  # a cited exception decides: in the class or not, no harm
        if open_question:
            return None
        if excepted:
            return "excepted"
        # No guard stands or is defeated: it did not speak. Harmless only outside the class.
        return None if membership is None else "violation"

    # Only the guards' own laws can defeat them (exceptions name their targets), and their rules
    # compare no dates. So two holder contexts decide the guards alike when the guards' laws
    # apply alike and every test of holder.kind in those rules treats their kinds alike; and two
    # data items are alike when the same guards and exceptions speak to them. One of each
    # class of contexts and items is searched.
    kind_tests = [node for r in focus for node in _kind_tests(rules[r].when, laws.model)]

    def kind_class(kind: str) -> tuple[bool, ...]:
        return tuple(_kind_matches(node, kind) for node in kind_tests)

    representative: dict[tuple[object, ...], tuple[object, str]] = {}

    def where(context: Context, item: str) -> bool:
        key = (context.active[0] & law_ids, tuple(kind_class(k) for k in context.kinds),
               frozenset(r for r in focus if item in engine.scope[r]))
        return representative.setdefault(key, (context, item)) == (context, item)

    guarded = 0
    violations = []
    for found in space.explore(judge, stats=stats, focus=focus, where=where):
        if found.answer != "outside":
            guarded += 1
        if found.answer == "violation":
            violations.append(witness_request(found, laws.model))
    assert stats.classes > 0 and not stats.stopped
    return guarded, violations


def test_values_act_never_permits_immigration_enforcement_unless_a_cited_rule_says_so(
        bundled: ordinance.OrdinanceSet) -> None:
    """Cal. Gov. Code § 7284.6(a)(1), (a)(1)(A)-(G), (a)(4), (b), (e)."""
    in_class = _holds(bundled, "immigration_enforcement_purpose")
    guarded, violations = _check(bundled, ["ca.values_act.immigration_enforcement_assistance"],
                                 in_class)
    print(f"\nValues Act: {guarded} classes of immigration-enforcement requests checked")
    assert guarded > 1000
    assert violations == [], violations[:3]


def test_abortion_shield_never_permits_out_of_state_requests_unless_a_cited_rule_says_so(
        bundled: ordinance.OrdinanceSet) -> None:
    """Cal. Penal Code § 13778.2(b): another state's agencies, about a lawful California
    abortion."""
    matter = _holds(bundled, "lawful_california_abortion_matter")

    def in_class(env: dict[str, object]) -> object:
        kind = env.get("requester.kind")
        other_state = None if kind is None else kind in ("out_of_state_law_enforcement",
                                                         "out_of_state_public_agency")
        return kleene_and(iter([other_state, matter(env)]))  # type: ignore[operator]

    guarded, violations = _check(bundled, ["ca.abortion_shield.other_state_agencies"], in_class)
    print(f"\nAbortion shield: {guarded} classes of out-of-state requests checked")
    assert guarded > 10
    assert violations == [], violations[:3]
