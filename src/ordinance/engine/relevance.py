"""Which unknown facts matter, and which single changes would permit a request.

A fact *matters* to an outcome when two completions of the request that differ
only in that fact get different outcomes. The answer is read off the compiled
decision form (:mod:`ordinance.engine.compiled`) where it agrees with the case
analysis below, which stays as the fallback and as the oracle tests compare it
with: a search exact over each fact's representative values (every literal the
law compares it with, plus one value it never mentions), pruned by Kleene
monotonicity: once a partial request's outcome is determined, every completion
shares it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from ..checker.model import FactValue, OrdinanceModel
from .conditions import Env, facts_used, literals_by_fact
from .evaluator import (
    APPLICABILITY_FACTS,
    LOCAL_AGENCY_FACT,
    PERMITTED,
    UNDETERMINED,
    Engine,
    Evaluation,
    Plan,
)

if TYPE_CHECKING:
    from .compiled import CompiledLaw, View

SEARCH_BUDGET = 600_000
"""Rule-condition evaluations one decision's case analysis may make in all (up to about
eight seconds of one core on the bundled law, December 2026) before it answers
conservatively: its missing facts then include every fact it could not rule out, and are
flagged not exact. Counted, not timed, so a decision
is the same on any machine."""
CHANGE_BUDGET = 600_000
"""Rule-condition evaluations all candidate changes of one ``would_change`` may make."""

_OTHER_TEXT = "\u2063other"  # a text value no law compares with
_MAX_SET_VALUES = 6

FIXED_BY_PLAN = APPLICABILITY_FACTS - {"holder.county", "holder.city"}
"""Unknown facts the compiled form cannot leave open: they decide which laws' rules are
in play at all (the holder's county and city only decide whether they can stand)."""

NOT_CHANGEABLE = frozenset({"date", "data", "action", "purpose"})
"""Facts ``would_change`` never proposes changing: they restate the question itself. The
purpose is what the request is for; proposing another would invite relabelling a request
whose other fields (the requester, the legal process) fix what the law reads it as."""
NOT_CHANGEABLE_GROUPS = ("holder.", "requester.")
"""Groups of facts ``would_change`` never proposes changing: who holds the data and who
asks for it."""


def representatives(model: OrdinanceModel) -> dict[str, list[FactValue]]:
    """For each fact, values that between them reach every distinction the law draws."""
    mentioned = literals_by_fact(model)
    reps: dict[str, list[FactValue]] = {}
    for path, fact in model.facts.items():
        used = mentioned[path]
        if fact.kind == "bool":
            reps[path] = [True, False]
        elif fact.kind == "one_of":
            others = [v for v in fact.values if v not in used]
            reps[path] = [*(v for v in fact.values if v in used), *others[:1]]
        elif fact.kind == "text":
            reps[path] = [*used, _OTHER_TEXT]
        elif fact.kind == "date":
            days = sorted({d for d in used if isinstance(d, dt.date)})
            points: list[FactValue] = []
            for day in days:
                for candidate in (day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)):
                    if candidate not in points:
                        points.append(candidate)
            reps[path] = points or [dt.date(2000, 1, 1)]
        else:
            names = sorted({str(v) for v in used})[:_MAX_SET_VALUES]
            subsets: list[FactValue] = []
            for mask in range(1 << len(names)):
                subsets.append(frozenset(n for i, n in enumerate(names) if mask >> i & 1))
            reps[path] = subsets
    return reps


@attrs.define
class Budget:
    """How many evaluations a search may still make; shared by the searches of a decision."""

    left: int
    exhausted: bool = False

    def spend(self, cost: int = 1) -> bool:
        """Use ``cost`` evaluations; False once the budget is exhausted."""
        self.left -= cost
        if self.left < 0:
            self.exhausted = True
        return not self.exhausted


class Relevance:
    """Answers "which facts matter" and "what would change it" for one engine.

    ``compiled`` (the default) answers from the compiled decision form wherever it
    agrees with the case analysis; without it, every answer comes from the case
    analysis (the oracle the compiled form is tested against).
    """

    def __init__(self, engine: Engine, *, compiled: bool = True) -> None:
        self.engine = engine
        self.reps = representatives(engine.model)
        self.reads: dict[str, frozenset[str]] = {
            rule_id: frozenset(facts_used(rule.when, engine.model))
            for rule_id, rule in engine.model.rules.items()
        }
        self.decisive = _decisive_rules(engine.model)
        self.compiled = compiled
        self.reach_tests = {law_id: engine.compiler.compile(law.reach)
                            for law_id, law in engine.model.laws.items()
                            if law.reach is not None}
        self._law: CompiledLaw | None = None
        self._lock = threading.Lock()
        self._last = threading.local()  # the view of the request last asked about

    def compiled_law(self) -> CompiledLaw:
        """The compiled decision form, built on first use."""
        with self._lock:
            if self._law is None:
                from .compiled import CompiledLaw

                self._law = CompiledLaw(self.engine, self.reps)
            return self._law

    def view(self, evaluation: Evaluation) -> View | None:
        """The compiled form restricted by the evaluation's known facts, or None where its
        answers could differ from the case analysis (the caller then searches)."""
        if not self.compiled:
            return None
        env = evaluation.env
        last = getattr(self._last, "found", None)
        if last is not None and last[0] is env:
            return last[1]  # type: ignore[no-any-return]
        plan = evaluation.plan or self.engine.plan(env)
        view = self._agreeing_view(evaluation, plan)
        self._last.found = (env, view)
        return view

    def facts_read(self, evaluation: Evaluation) -> set[str]:
        """Facts that can bear on the outcome: those read by the prohibitions in scope of
        some item and by the exceptions beneath them. Permissions and duties never
        change an outcome, so what only they read is never asked."""
        read: set[str] = set()
        for item in evaluation.items:
            for rule_id in item.standing:
                if rule_id in self.decisive:
                    read |= self.reads[rule_id]
        return read

    def unknown_facts(self, evaluation: Evaluation) -> list[str]:
        """Unknown facts that can bear on the outcome, most-read first (the searches
        below then branch early on the facts that decide the most).

        Only rules whose own condition is still unknown count: a condition
        already true or false stays so whatever the unknown facts turn out to be
        (Kleene logic is monotone), so what only such rules read cannot matter.
        """
        weight: dict[str, int] = {}
        rules = self.engine.model.rules
        for item in evaluation.items:
            # Walk down from the prohibitions that may apply, through their exceptions.
            stack = [r for r in item.standing if rules[r].effect == "prohibit"]
            seen: set[str] = set()
            while stack:
                rule_id = stack.pop()
                condition = evaluation.conditions.get(rule_id)
                if rule_id in seen or rule_id not in item.standing or condition is False:
                    continue
                seen.add(rule_id)
                stack.extend(rules[rule_id].exceptions)
                if condition is None:
                    for fact in self.reads[rule_id]:
                        if fact not in evaluation.env:
                            weight[fact] = weight.get(fact, 0) + 1
        return sorted(weight, key=lambda p: (-weight[p], p))

    def _view_without(self, evaluation: Evaluation, fact: str, plan: Plan) -> View | None:
        """The agreeing view of the evaluation's request with ``fact`` unknown: every
        value of the fact then extends it (setting a fact only adds knowledge).

        A request that gives every fact the plan's rules and bindings read is complete:
        each change leaves it complete, one pass of Kleene logic decides it, and so do
        the diagrams, with nothing to agree on and no evaluation needed."""
        if fact not in evaluation.env:
            return self.view(evaluation)
        env = {path: value for path, value in evaluation.env.items() if path != fact}
        full = self.view(evaluation)
        if full is not None and full.reads <= evaluation.env.keys():
            return self.compiled_law().view(env, plan)
        return self._agreeing_view(self.engine.evaluate(env, plan, explained=False), plan)

    def _permits(self, view: View, env: Env, fact: str, value: FactValue) -> bool | None:
        """Whether the request ``view`` was made for, with ``fact`` set to ``value``
        (``env``), is permitted whatever its unknown facts, read off the compiled form;
        None where the answer could differ from the case analysis: a law binding by
        function that the view takes as binding is found not to, or one whose binding
        the view leaves to completions is still open (its facts may no longer be in
        question)."""
        bits = self.compiled_law().bits(fact, value)
        if bits is None:
            return None
        for law_id in view.reaches:
            binds = self.reach_tests[law_id](env)
            if (law_id in view.bound and binds is False) or (
                    law_id not in view.bound and binds is None):
                return None
        return view.restrict(bits).outcomes() == {PERMITTED}

    def _agreeing_view(self, evaluation: Evaluation, plan: Plan) -> View | None:
        """The compiled form's view where completions of every unknown fact give what the
        case analysis over the facts in question (:meth:`unknown_facts`) gives.

        That holds when no fact in question changes which laws and rules are in play
        (the plan), other than the holder's county and city (a rule carries its law's
        reach, so a law of another place has no rule that stands), and every law's reach
        one pass left open reads either only facts in question (completions settle it,
        as the search does) or none of them (it stays open, and an open reach binds, as
        in :meth:`Engine.bind` and for a place not given)."""
        unknown = set(self.unknown_facts(evaluation))
        if unknown & FIXED_BY_PLAN:
            return None
        law = self.compiled_law()
        env = evaluation.env
        view = law.view(env, plan)
        if view is None:
            return None
        bound, local = set(), set()
        for law_id in view.reaches:
            if self.reach_tests[law_id](env) is not None:
                continue
            reads = law.facts(view.reaches[law_id])
            if reads & unknown and not reads <= unknown:
                return None
            if not reads & unknown:
                bound.add(law_id)
                if LOCAL_AGENCY_FACT in unknown and self._place_left_open(law_id, env, unknown):
                    local.add(law_id)  # it binds only a local agency
        if LOCAL_AGENCY_FACT in unknown and any(
                a.place_open and a.applies and a.law.id in view.reaches
                and a.law.id not in local and self._place_left_open(a.law.id, env, unknown)
                for a in plan.laws):
            return None  # a law left open on its place, whose reach the view does not guard
        if not bound:
            return view
        return law.view(env, plan, frozenset(bound), frozenset(local))

    def _place_left_open(self, law_id: str, env: Env, unknown: set[str]) -> bool:
        """Whether a law names a county or city the request does not give and the case
        analysis leaves unknown: the law then binds only a local agency."""
        return any(f"holder.{level}" not in env and f"holder.{level}" not in unknown
                   for level, _place in self.engine.model.laws[law_id].places
                   if level != "state")

    def missing(self, evaluation: Evaluation, item: int | None = None,
                budget: Budget | None = None) -> tuple[list[str], bool]:
        """The unknown facts that can change the outcome of the request (or of its item
        ``item``); and whether the answer is exact.

        Only an undetermined outcome has missing facts: a determined one stays
        the same whatever the unknown facts turn out to be.
        """
        outcome_of = _overall if item is None else item_outcome(item)
        if outcome_of(evaluation) != UNDETERMINED:
            return [], True
        unknown = self.unknown_facts(evaluation)
        view = self.view(evaluation)
        if view is not None:
            matter = view.facts() if item is None else view.item_facts(item)
            return [fact for fact in unknown if fact in matter], True
        search = _Search(self.engine, evaluation.env, outcome_of, budget)
        relevant = []
        for fact in unknown:
            others = [f for f in unknown if f != fact]
            if search.witness(fact, self.reps, {}, others) or search.budget.exhausted:
                relevant.append(fact)  # when exhausted: could not rule it out
        return relevant, not search.budget.exhausted

    def settle(self, evaluation: Evaluation, budget: Budget | None = None) -> Evaluation:
        """Decide by case analysis what one pass of Kleene logic left undetermined.

        An item (or the request) is undetermined only if two completions of its
        unknown facts give different outcomes; if they all agree, that outcome
        is the answer, marked ``settled``.
        """
        if evaluation.outcome != UNDETERMINED and all(
                item.outcome != UNDETERMINED for item in evaluation.items):
            return evaluation
        view = self.view(evaluation)
        if view is not None:
            return _settled(evaluation, view.item_outcomes, view.outcomes())
        unknown = self.unknown_facts(evaluation)
        items = []
        for index, item in enumerate(evaluation.items):
            if item.outcome == UNDETERMINED:
                search = _Search(self.engine, evaluation.env, item_outcome(index), budget)
                found = search.possible(self.reps, {}, unknown)
                if len(found) == 1 and UNDETERMINED not in found:
                    item = attrs.evolve(item, outcome=found.pop(), settled=True)
            items.append(item)
        outcome, settled = evaluation.outcome, False
        if outcome == UNDETERMINED:
            search = _Search(self.engine, evaluation.env, _overall, budget)
            found = search.possible(self.reps, {}, unknown)
            if len(found) == 1 and UNDETERMINED not in found:
                outcome, settled = found.pop(), True
        return attrs.evolve(evaluation, items=tuple(items), outcome=outcome, settled=settled)

    def would_change(self, evaluation: Evaluation, budget: Budget | None = None
                     ) -> list[tuple[str, FactValue, Evaluation]]:
        """Single-fact changes after which the request would be permitted; ``budget`` (a
        fresh :data:`CHANGE_BUDGET` by default) bounds the case analysis of them all."""
        if evaluation.outcome == PERMITTED:
            return []
        changes = []
        # shared: a request with many facts stays bounded
        budget = budget if budget is not None else Budget(CHANGE_BUDGET)
        plan = evaluation.plan or self.engine.plan(evaluation.env)
        read = self.facts_read(evaluation)
        # A determined request's changes are mostly decided by one evaluation each; the
        # compiled form pays where they leave facts open, or once it is built anyway (a
        # one-off `check` of a determined request need not load it).
        compiled = self.compiled and not read <= evaluation.env.keys() and (
            self._law is not None or evaluation.outcome == UNDETERMINED)
        for fact in sorted(read):
            if fact in NOT_CHANGEABLE or fact.startswith(NOT_CHANGEABLE_GROUPS):
                continue
            current = evaluation.env.get(fact)
            view = self._view_without(evaluation, fact, plan) if compiled else None
            for value in self.reps[fact]:
                if value == current or value == _OTHER_TEXT:
                    continue
                env = {**evaluation.env, fact: value}
                if view is not None and self._permits(view, env, fact, value) is False:
                    continue
                changed = self.settle(self.engine.evaluate(env, plan, explained=False),
                                      budget)
                if changed.outcome == PERMITTED:
                    changes.append((fact, value, changed))
        return changes


class _Search:
    """Case analysis over unknown facts for one request and one outcome, memoised.

    Evaluations are cached by the partial assignment, so the questions asked
    about different facts share the work; a budget bounds the whole search.
    """

    def __init__(self, engine: Engine, env: Env, outcome_of: Callable[[Evaluation], str],
                 budget: Budget | None = None) -> None:
        self.engine = engine
        self.env = env
        self.outcome_of = outcome_of
        self.budget = budget if budget is not None else Budget(SEARCH_BUDGET)
        self.memo: dict[frozenset[tuple[str, FactValue]], str] = {}
        self.plan = engine.plan(env)

    def outcome(self, assignment: dict[str, FactValue]) -> str | None:
        key = frozenset(assignment.items())
        found = self.memo.get(key)
        if found is None:
            if not self.budget.spend(max(1, len(self.plan.rules))):
                return None
            plan = None if self.plan.stale(assignment) else self.plan
            found = self.outcome_of(self.engine.evaluate({**self.env, **assignment}, plan,
                                                         explained=False))
            self.memo[key] = found
        return found

    def witness(self, fact: str, reps: dict[str, list[FactValue]],
                assignment: dict[str, FactValue], others: list[str]) -> bool:
        """Is there a completion of ``others`` where ``fact``'s value changes the outcome?"""
        here = self.outcome(assignment)
        if here is None or here != UNDETERMINED:
            return False  # determined already: no value of `fact` can change it
        outcomes = set()
        for value in reps[fact]:
            result = self.outcome({**assignment, fact: value})
            if result is None:
                return False
            outcomes.add(result)
        if UNDETERMINED not in outcomes:
            return len(outcomes) > 1
        if not others:
            return False
        other, rest = others[0], others[1:]  # branch on the next unknown fact
        return any(self.witness(fact, reps, {**assignment, other: value}, rest)
                   for value in reps[other])

    def possible(self, reps: dict[str, list[FactValue]], assignment: dict[str, FactValue],
                 unknown: list[str]) -> set[str]:
        """Every outcome some completion of ``unknown`` facts gives (pruned by Kleene)."""
        here = self.outcome(assignment)
        if here is None:
            return {UNDETERMINED}
        if here != UNDETERMINED or not unknown:
            return {here}
        first, rest = unknown[0], unknown[1:]
        found: set[str] = set()
        for value in reps[first]:
            found |= self.possible(reps, {**assignment, first: value}, rest)
            if len(found) > 1:
                break
        return found


def _settled(evaluation: Evaluation, item_outcomes: Callable[[int], set[str]],
             outcomes: set[str]) -> Evaluation:
    """The evaluation with each undetermined outcome that every completion shares settled."""
    items = []
    for index, item in enumerate(evaluation.items):
        if item.outcome == UNDETERMINED:
            found = item_outcomes(index)
            if len(found) == 1:
                item = attrs.evolve(item, outcome=found.pop(), settled=True)
        items.append(item)
    outcome, settled = evaluation.outcome, False
    if outcome == UNDETERMINED and len(outcomes) == 1:
        outcome, settled = outcomes.pop(), True
    return attrs.evolve(evaluation, items=tuple(items), outcome=outcome, settled=settled)


def _decisive_rules(model: OrdinanceModel) -> frozenset[str]:
    """Prohibitions and every exception beneath one, at any depth: the rules outcomes turn on."""
    found: set[str] = set()
    stack = [r.id for r in model.rules.values() if r.effect == "prohibit"]
    while stack:
        rule_id = stack.pop()
        if rule_id not in found:
            found.add(rule_id)
            stack.extend(model.rules[rule_id].exceptions)
    return frozenset(found)


def item_outcome(index: int) -> Callable[[Evaluation], str]:
    """The outcome of one item of an evaluation, as a function of the evaluation."""
    return lambda evaluation: evaluation.items[index].outcome


def _overall(evaluation: Evaluation) -> str:
    return evaluation.outcome


def changed_standing(before: Evaluation, after: Evaluation) -> list[str]:
    """Rule ids whose standing changed: first those that now stand, then those that stopped,
    then those that were open (undetermined) and are now settled: not standing, or no longer
    able to change the item's outcome (case analysis settled the item)."""
    now_stand: dict[str, None] = {}
    stopped: dict[str, None] = {}
    settled: dict[str, None] = {}
    for old, new in zip(before.items, after.items, strict=False):
        for rule_id, value in new.standing.items():
            if value is True and old.standing.get(rule_id) is not True:
                now_stand[rule_id] = None
        for rule_id, value in old.standing.items():
            if value is True and new.standing.get(rule_id) is not True:
                stopped[rule_id] = None
            elif value is None and (new.settled or after.settled
                                    or new.standing.get(rule_id, False) is False):
                settled[rule_id] = None
    changed = [*now_stand, *(r for r in stopped if r not in now_stand)]
    return changed + [r for r in settled if r not in changed]
