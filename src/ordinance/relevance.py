"""Which unknown facts matter, and which single changes would permit a request.

A fact *matters* to an outcome when two completions of the request that differ
only in that fact get different outcomes. The search is exact over each
fact's representative values (every literal the law compares it with, plus
one value it never mentions), pruned by Kleene monotonicity: once a partial
request's outcome is determined, every completion shares it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from .conditions import Env, facts_used, literals_used
from .evaluator import PERMITTED, UNDETERMINED, Engine, Evaluation
from .model import FactValue, OrdinanceModel

SEARCH_BUDGET = 20000
"""Evaluations one relevance question may use before it answers conservatively."""

_OTHER_TEXT = "\u2063other"  # a text value no law compares with
_MAX_SET_VALUES = 6

NOT_CHANGEABLE = frozenset({"date", "data", "action", "requester.agency"})
"""Facts ``would_change`` never proposes changing: they restate the question itself."""
NOT_CHANGEABLE_GROUPS = ("holder.",)
"""Groups of facts ``would_change`` never proposes changing (who holds the data)."""


def representatives(model: OrdinanceModel) -> dict[str, list[FactValue]]:
    """For each fact, values that between them reach every distinction the law draws."""
    mentioned: dict[str, list[FactValue]] = {path: [] for path in model.facts}
    for rule in model.rules.values():
        for path, value in literals_used(rule.when, model):
            if value not in mentioned[path]:
                mentioned[path].append(value)
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
class _Budget:
    left: int
    exhausted: bool = False

    def spend(self) -> bool:
        self.left -= 1
        if self.left < 0:
            self.exhausted = True
        return not self.exhausted


class Relevance:
    """Answers "which facts matter" and "what would change it" for one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reps = representatives(engine.model)
        self.reads: dict[str, frozenset[str]] = {
            rule_id: frozenset(facts_used(rule.when, engine.model))
            for rule_id, rule in engine.model.rules.items()
        }
        self.decisive = _decisive_rules(engine.model)

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
        """Facts that active rules read and the request leaves unknown, sorted."""
        return sorted(p for p in self.facts_read(evaluation) if p not in evaluation.env)

    def missing(self, evaluation: Evaluation,
                outcome_of: Callable[[Evaluation], str]) -> tuple[list[str], bool]:
        """The unknown facts that can change ``outcome_of``; and whether the answer is exact.

        Only an undetermined outcome has missing facts: a determined one stays
        the same whatever the unknown facts turn out to be.
        """
        if outcome_of(evaluation) != UNDETERMINED:
            return [], True
        unknown = self.unknown_facts(evaluation)
        budget = _Budget(SEARCH_BUDGET)
        relevant = []
        for fact in unknown:
            others = [f for f in unknown if f != fact]
            if self._witness(fact, dict(evaluation.env), others, outcome_of, budget):
                relevant.append(fact)
            elif budget.exhausted:
                relevant.append(fact)  # conservative: could not rule it out
        return relevant, not budget.exhausted

    def _outcome(self, env: Env, outcome_of: Callable[[Evaluation], str],
                 budget: _Budget) -> str | None:
        if not budget.spend():
            return None
        return outcome_of(self.engine.evaluate(env))

    def _witness(self, fact: str, env: dict[str, FactValue], others: list[str],
                 outcome_of: Callable[[Evaluation], str], budget: _Budget) -> bool:
        """Is there a completion of ``others`` where ``fact``'s value changes the outcome?"""
        here = self._outcome(env, outcome_of, budget)
        if here is None or here != UNDETERMINED:
            return False  # determined already: no value of `fact` can change it
        outcomes = set()
        for value in self.reps[fact]:
            result = self._outcome({**env, fact: value}, outcome_of, budget)
            if result is None:
                return False
            outcomes.add(result)
        if UNDETERMINED not in outcomes:
            return len(outcomes) > 1
        if not others:
            return False
        other, rest = others[0], others[1:]  # branch on the next unknown fact
        return any(self._witness(fact, {**env, other: value}, rest, outcome_of, budget)
                   for value in self.reps[other])

    def _possible(self, env: dict[str, FactValue], unknown: list[str],
                  outcome_of: Callable[[Evaluation], str], budget: _Budget) -> set[str]:
        """Every outcome some completion of ``unknown`` facts gives (pruned by Kleene)."""
        here = self._outcome(env, outcome_of, budget)
        if here is None:
            return {UNDETERMINED}
        if here != UNDETERMINED or not unknown:
            return {here}
        first, rest = unknown[0], unknown[1:]
        found: set[str] = set()
        for value in self.reps[first]:
            found |= self._possible({**env, first: value}, rest, outcome_of, budget)
            if len(found) > 1:
                break
        return found

    def settle(self, evaluation: Evaluation) -> Evaluation:
        """Decide by case analysis what one pass of Kleene logic left undetermined.

        An item (or the request) is undetermined only if two completions of its
        unknown facts give different outcomes; if they all agree, that outcome
        is the answer, marked ``settled``.
        """
        if evaluation.outcome != UNDETERMINED and all(
                item.outcome != UNDETERMINED for item in evaluation.items):
            return evaluation
        unknown = self.unknown_facts(evaluation)
        env = dict(evaluation.env)
        items = []
        for index, item in enumerate(evaluation.items):
            if item.outcome == UNDETERMINED:
                found = self._possible(env, unknown, item_outcome(index),
                                       _Budget(SEARCH_BUDGET))
                if len(found) == 1 and UNDETERMINED not in found:
                    item = attrs.evolve(item, outcome=found.pop(), settled=True)
            items.append(item)
        outcome, settled = evaluation.outcome, False
        if outcome == UNDETERMINED:
            found = self._possible(env, unknown, _overall, _Budget(SEARCH_BUDGET))
            if len(found) == 1 and UNDETERMINED not in found:
                outcome, settled = found.pop(), True
        return attrs.evolve(evaluation, items=tuple(items), outcome=outcome, settled=settled)

    def would_change(self, evaluation: Evaluation) -> list[tuple[str, FactValue, Evaluation]]:
        """Single-fact changes after which the request would be permitted."""
        if evaluation.outcome == PERMITTED:
            return []
        changes = []
        for fact in sorted(self.facts_read(evaluation)):
            if fact in NOT_CHANGEABLE or fact.startswith(NOT_CHANGEABLE_GROUPS):
                continue
            current = evaluation.env.get(fact)
            for value in self.reps[fact]:
                if value == current or value == _OTHER_TEXT:
                    continue
                changed = self.settle(self.engine.evaluate({**evaluation.env, fact: value}))
                if changed.outcome == PERMITTED:
                    changes.append((fact, value, changed))
        return changes


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
    """Rule ids whose standing changed: first those that now stand, then those that stopped."""
    now_stand: dict[str, None] = {}
    stopped: dict[str, None] = {}
    for old, new in zip(before.items, after.items, strict=False):
        for rule_id, value in new.standing.items():
            if value is True and old.standing.get(rule_id) is not True:
                now_stand[rule_id] = None
        for rule_id, value in old.standing.items():
            if value is True and new.standing.get(rule_id) is not True:
                stopped[rule_id] = None
    return [*now_stand, *(r for r in stopped if r not in now_stand)]
