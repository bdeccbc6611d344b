"""Law analysis: rules that conflict, can never stand, or never change a decision.

Each finding comes with a *witness*: a concrete request, found by exhaustive
search of the request space (:mod:`ordinance.analysis.space`), that ``ordinance check``
decides to show the problem. A rule that can never stand has no request on which
it stands; its witness is the nearest one (its condition holds and an exception
defeats it, or its law applies and the condition fails), and the finding says
how the whole space was searched.

Findings are lint warnings (``ordinance lint``); they are computed on demand,
never when a law set is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import attrs

from ..checker.model import OrdinanceModel, Rule
from ..engine.compiled import CompiledLaw
from ..engine.conditions import TruthValue, facts_used, kleene_and, kleene_or
from ..engine.evaluator import APPLICABILITY_FACTS, Engine, Evaluation
from ..engine.relevance import representatives
from ..language.diagnostics import Diagnostic, Severity
from .space import Context, Found, SearchStats, Space, focused, size_phrase, witness_request


class _Undecided(Exception):
    """The compiled form cannot answer a question of the analysis; the search must."""


class _OutOfDiagrams(Exception):
    """The compiled conflict check used up its budget (:data:`CONFLICT_BUDGET`)."""


QUESTION_BUDGET = 2_000
"""Partial requests one question of the analysis may evaluate (a few seconds here) before it
stops and says so (``SearchStats.stopped``, printed by ``ordinance lint``). Counted, not timed,
so the analysis is the same on any machine; what a stopped search did not find is unknown."""

CONFLICT_BUDGET = 30_000
"""Classes of requests (holder context, data item, other data requested) the compiled conflict
check may read off the compiled decision form, over all pairs of one analysis, before it stops
(a few seconds here). The pairs of a permission and a prohibition it has not finished are then
named (``SearchStats.unchecked``, printed by ``ordinance lint``): whether they conflict is
unknown, never taken as "no conflict". Counted, not timed, like :data:`QUESTION_BUDGET`."""

ANALYSIS_CODES = ("conflicting-rules", "unreachable-rule", "dead-exception", "shadowed-rule",
                  "unused-fact")
"""The warning codes the analysis adds to lint's."""


@attrs.frozen
class Analysis:
    """The findings of one analysis run and how it searched."""

    findings: tuple[Diagnostic, ...]
    stats: SearchStats
    questions: int  # searches made: one per rule and per candidate pair of rules


class Analyzer:
    """Runs the analyses over one compiled law set.

    With ``compiled`` (the default) the question "do these two rules ever stand together"
    is answered exactly on the compiled decision form (:mod:`ordinance.engine.compiled`),
    reading at most ``conflict_budget`` classes of requests off it over all pairs; without
    it, by the search (the oracle the compiled answers are tested against). Each question
    the search answers may evaluate at most ``question_budget`` partial requests."""

    def __init__(self, engine: Engine, *, compiled: bool = True,
                 conflict_budget: int | None = None,
                 question_budget: int | None = None) -> None:
        self.engine = engine
        self.compiled = compiled
        self.conflict_budget = CONFLICT_BUDGET if conflict_budget is None else conflict_budget
        self.question_budget = QUESTION_BUDGET if question_budget is None else question_budget
        self._law: CompiledLaw | None = None
        self.model: OrdinanceModel = engine.model
        self.space = Space([engine])
        self.stats = SearchStats()
        self.questions = 0
        self.under = {rule_id: self._tree(rule_id) for rule_id in self.model.rules}

    # ------------------------------------------------------------ helpers
    def _tree(self, rule_id: str) -> tuple[str, ...]:
        """Every exception beneath a rule, at any depth, nearest first."""
        found: list[str] = []
        queue = list(self.model.rules[rule_id].exceptions)
        while queue:
            next_id = queue.pop(0)
            if next_id not in found and next_id != rule_id:
                found.append(next_id)
                queue += self.model.rules[next_id].exceptions
        return tuple(found)

    def related(self, a: str, b: str) -> bool:
        """Whether one rule is an exception (at any depth) to the other."""
        return b in self.under[a] or a in self.under[b]

    def standing(self, evaluation: Evaluation, rule_id: str) -> TruthValue:
        """Whether a rule stands for the evaluation's single data item."""
        return self._standing_for(evaluation, evaluation.items[0].data, rule_id)

    def _in_play(self, *rule_ids: str) -> Callable[[Context, str], bool]:
        """A filter: contexts where every rule's law applies, items in every rule's scope."""
        rules = [self.model.rules[r] for r in rule_ids]

        def where(context: Context, item: str) -> bool:
            return all(r.law_id in context.active[0] and item in self.engine.scope[r.id]
                       for r in rules)
        return where

    def _search(self, judge: Callable[[Sequence[Evaluation]], object | None],
                rule_ids: Sequence[str], focus: Sequence[str], question: str
                ) -> Iterator[Found[object]]:
        self.questions += 1
        return self.space.explore(judge, where=self._in_play(*rule_ids), stats=self.stats,
                                  focus=focus, budget=self.question_budget,
                                  reads=self._reads(*rule_ids, *focus),
                                  label=f"{question} ({', '.join(f'`{r}`' for r in rule_ids)})")

    def _reads(self, *rule_ids: str) -> set[str]:
        """The rules a judge about ``rule_ids`` reads: they, the rules they are exceptions
        to (a judge of an exception asks which of them are in play), and every exception
        beneath any of those."""
        rules = self.model.rules
        named = {*rule_ids, *(t for r in rule_ids for t in rules[r].excepts)}
        return {x for r in named for x in (r, *self.under[r])}

    def _witness(self, found: Found[object]) -> dict[str, object]:
        return witness_request(found, self.model)

    def _diagnostic(self, code: str, message: str, rule: Rule, subjects: Sequence[str],
                    notes: Sequence[str], help: str, found: Found[object] | None
                    ) -> Diagnostic:
        return Diagnostic(code, message, rule.span, help, Severity.WARNING, tuple(subjects),
                          tuple(notes), None if found is None else self._witness(found))

    def _where(self, rule: Rule) -> str:
        return f"`{rule.id}` ({rule.span.location()})"

    # ------------------------------------------------------------ analyses
    def unreachable(self) -> list[Diagnostic]:
        """Rules and exceptions that stand on no request at all."""
        out = []
        for rule in self.model.rules.values():
            focus = (rule.id, *self.under[rule.id])

            def stands(evs: Sequence[Evaluation], rule_id: str = rule.id) -> object | None:
                return self.standing(evs[0], rule_id)
            stopped = len(self.stats.stopped)
            if any(found.answer is True
                   for found in self._search(stands, [rule.id], focus, "can it stand")):
                continue
            if len(self.stats.stopped) == stopped:
                out.append(self._never_stands(rule, focus))
        return out

    def _never_stands(self, rule: Rule, focus: Sequence[str]) -> Diagnostic:
        code = "dead-exception" if rule.is_exception else "unreachable-rule"
        kind = "exception" if rule.is_exception else "rule"

        def condition(evs: Sequence[Evaluation], rule_id: str = rule.id) -> object | None:
            return evs[0].conditions.get(rule_id, False)
        holds: Found[object] | None = None
        first: Found[object] | None = None
        stopped = len(self.stats.stopped)
        for found in self._search(condition, [rule.id], focus, "does its condition hold"):
            first = first or found
            if found.answer is True:
                holds = found
                break
        if holds is None and len(self.stats.stopped) > stopped:
            # The verdict rests on "can it stand", which finished; this search, for the
            # reason only, did not: a condition it did not see hold may still hold.
            return self._diagnostic(
                code, f"{kind} `{rule.id}` can never stand; whether its own condition can "
                f"hold was not settled within the budget of {self.question_budget} partial "
                "requests", rule, [rule.id],
                [f"whether it can stand: {self.stats_note()}; whether its condition holds: "
                 "the search stopped at its budget, so unknown, not absent"],
                "check the condition and the exceptions beneath it; the witness, when there "
                "is one, is a request where the law applies and the condition fails", first)
        if holds is not None:
            defeaters = [e for e in self.under[rule.id]
                         if e in rule.exceptions and self._stands_on(holds, e)]
            because = ("whenever its condition holds, "
                       + ", ".join(f"exception `{e}`" for e in defeaters) + " stands"
                       if defeaters else "whenever its condition holds, an exception stands")
            return self._diagnostic(
                code, f"{kind} `{rule.id}` can never stand: {because}", rule, [rule.id],
                [self.stats_note()], "check the exceptions' conditions; the witness shows the "
                "condition holding and the rule defeated", holds)
        if first is None:
            reason = ("its law applies to no holder on any date, or no data category is in "
                      "its scope")
        else:
            reason = "its condition can never hold (its parts contradict each other, or " \
                     "contradict the vocabulary)"
        return self._diagnostic(code, f"{kind} `{rule.id}` can never stand: {reason}", rule,
                                [rule.id], [self.stats_note()],
                                "rewrite the condition; the witness is a request where the "
                                "law applies and the condition fails", first)

    def _stands_on(self, found: Found[object], rule_id: str) -> bool:
        evaluation = self.engine.evaluate(found.env())
        return self.standing(evaluation, rule_id) is True

    def conflicts(self) -> list[Diagnostic]:
        """A permission and a prohibition of the same data that stand together."""
        rules = self.model.rules
        permits = [r for r in rules.values() if r.effect == "permit"]
        prohibits = [r for r in rules.values() if r.effect == "prohibit"]
        out = []
        self._diagrams_left = self.conflict_budget
        for prohibit in prohibits:
            for permit in permits:
                if self.related(permit.id, prohibit.id) or not (
                        self.engine.scope[permit.id] & self.engine.scope[prohibit.id]):
                    continue

                def both(evs: Sequence[Evaluation], p: str = permit.id,
                         q: str = prohibit.id) -> object | None:
                    a, b = self.standing(evs[0], p), self.standing(evs[0], q)
                    if a is False or b is False:
                        return False
                    return True if a is True and b is True else None
                focus = (prohibit.id, *self.under[prohibit.id], permit.id,
                         *self.under[permit.id])
                try:
                    if not self.compiled:
                        raise _Undecided
                    found = self._together(permit.id, prohibit.id)
                except _OutOfDiagrams:  # unknown, not absent: named in the summary
                    self.stats.unchecked.append((prohibit.id, permit.id))
                    self.stats.diagram_budget = self.conflict_budget
                    continue
                except _Undecided:
                    found = next((f for f in self._search(both, [permit.id, prohibit.id],
                                                          focus, "do they conflict")
                                  if f.answer is True), None)
                if found is None:
                    continue
                first, second = sorted([permit, prohibit], key=lambda r: r.span.location())
                out.append(self._diagnostic(
                    "conflicting-rules",
                    f"permission `{permit.id}` and prohibition `{prohibit.id}` both stand for "
                    f"`{found.item}` on some requests; the prohibition decides",
                    second, sorted([permit.id, prohibit.id]),
                    [f"the other rule: {self._where(first)}", self.stats_note()],
                    "if the permission was meant to override, write it as an exception to the "
                    "prohibition; if not, record the review with `reviewed`", found))
        return out

    def compiled_law(self) -> CompiledLaw:
        """The law set's compiled decision form, built on first use."""
        if self._law is None:
            self._law = CompiledLaw(self.engine, representatives(self.model))
        return self._law

    def _together(self, *rule_ids: str) -> Found[object] | None:
        """A class of requests on which every rule stands for the same item, read off the
        compiled form in every (context, item, other data requested) in play; None when
        there is none.

        Raises:
            _Undecided: when a request cannot be coded, or a witness the diagrams give
                does not show it on one pass (the caller then searches).
            _OutOfDiagrams: when the conflict check's budget is spent before the pair
                is answered.
        """
        law = self.compiled_law()
        rules = [self.model.rules[r] for r in rule_ids]
        laws = {r.law_id for r in rules}
        # what `_in_play` says, worked out once per pair, not per (context, item)
        items = [i for i in self.space.items if all(i in self.engine.scope[r.id] for r in rules)]
        for context in self.space.contexts:
            if not items or not laws <= context.active[0]:
                continue
            for item in items:
                for data in self.space.data_values(item):
                    if self._diagrams_left <= 0:
                        raise _OutOfDiagrams
                    self._diagrams_left -= 1
                    env = {**context.facts, "data": data}
                    bits = law.encode(env)
                    if bits is None:
                        raise _Undecided
                    plan = self.engine.plan(env)
                    form = law.plan_form(plan)
                    self.stats.diagrams += 1
                    example = law.all_stand(form, item, rule_ids, bits)
                    if example is None:
                        continue
                    assignment = {path: value for path, value in example.items()
                                  if path not in env}
                    if data != frozenset({item}):
                        assignment["data"] = data
                    found: Found[object] = Found(context, item, assignment, True)
                    evaluation = self.engine.evaluate(
                        found.env(), None if plan.stale(assignment)
                        else focused(plan, self._reads(*rule_ids)), explained=False)
                    if not all(self._standing_for(evaluation, item, r) is True
                               for r in rule_ids):
                        raise _Undecided
                    return found
        return None

    def _standing_for(self, evaluation: Evaluation, item: str, rule_id: str) -> TruthValue:
        if rule_id not in evaluation.conditions:
            return False  # its law does not apply, or the item is outside its scope
        active = frozenset(a.law.id for a in evaluation.laws if a.applies)
        return self.engine.stands(self.model.rules[rule_id], item, evaluation.conditions,
                                  active, {})

    def shadowed(self) -> list[Diagnostic]:
        """Rules whose every firing is already decided the same way by other rules."""
        out = []
        for rule in self.model.rules.values():
            if rule.effect == "require":
                continue
            others = self._coverers(rule)
            if not others:
                continue
            judge = self._cover_judge(rule, others)
            focus = (rule.id, *self.under[rule.id],
                     *(x for o in others for x in (o, *self.under[o])))
            covered_by: dict[str, None] = {}
            witness: Found[object] | None = None
            alone = False
            stopped = len(self.stats.stopped)
            for found in self._search(judge, [rule.id], focus, "is it shadowed"):
                if found.answer == "alone":
                    alone = True
                    break
                if isinstance(found.answer, tuple):
                    covered_by.update(dict.fromkeys(found.answer))
                    witness = witness or found
            if alone or witness is None or len(self.stats.stopped) > stopped:
                continue  # it decides some request alone, it never stands (reported above),
                # or the search stopped before proving that it never decides alone
            names = ", ".join(f"`{r}`" for r in covered_by)
            what = ("another exception to the same rule" if rule.is_exception
                    else f"another {'prohibition' if rule.effect == 'prohibit' else 'permission'}")
            out.append(self._diagnostic(
                "shadowed-rule",
                f"{'exception' if rule.is_exception else 'rule'} `{rule.id}` never decides "
                f"a request alone: whenever it stands, {what} stands too ({names})",
                rule, [rule.id, *covered_by],
                [self.stats_note()],
                "it changes no decision; keep it only if it should be cited in explanations, "
                "and record that with `reviewed`", witness))
        return out

    def _coverers(self, rule: Rule) -> list[str]:
        """The rules that decide the same way as ``rule`` where it stands."""
        rules = self.model.rules
        scope = self.engine.scope[rule.id]
        if rule.is_exception:
            siblings = {e for target in rule.excepts for e in rules[target].exceptions}
            return sorted(siblings - {rule.id})
        return [r.id for r in rules.values() if r.id != rule.id and r.effect == rule.effect
                and not self.related(r.id, rule.id) and self.engine.scope[r.id] & scope]

    def _cover_judge(self, rule: Rule, others: list[str]
                     ) -> Callable[[Sequence[Evaluation]], object | None]:
        targets = rule.excepts

        def judge(evs: Sequence[Evaluation]) -> object | None:
            evaluation = evs[0]
            value = self.standing(evaluation, rule.id)
            if value is not True:
                return None if value is None else False
            standing = {o: self.standing(evaluation, o) for o in others}
            if targets:  # every target this exception defeats is defeated by a sibling too
                rules = self.model.rules
                parts = [kleene_or(iter(standing[e] for e in rules[t].exceptions
                                        if e in standing)) for t in targets
                         if t in evaluation.conditions]
                covered = kleene_and(iter(parts))
            else:
                covered = kleene_or(iter(standing.values()))
            if covered is None:
                return None
            if covered is False:
                return "alone"
            return tuple(o for o, v in standing.items() if v is True)
        return judge

    def unused_facts(self) -> list[Diagnostic]:
        """Facts no condition reads and applicability does not use."""
        read: set[str] = set(APPLICABILITY_FACTS)
        for rule in self.model.rules.values():
            read |= set(facts_used(rule.when, self.model))
        out = []
        for fact in self.model.facts.values():
            if fact.path not in read:
                out.append(Diagnostic(
                    "unused-fact", f"fact `{fact.path}` is read by no rule", fact.span,
                    "a request may state it, but no decision turns on it; use it in a "
                    "condition, remove it, or record why it stays with `reviewed`",
                    Severity.WARNING, (fact.path,)))
        return out

    def stats_note(self) -> str:
        """How the search went so far (a note on each finding)."""
        return ("exhaustive search over every holder context, data item and value the law "
                f"tells apart ({self.space_size()})")

    def space_size(self) -> str:
        """The size of the space, in words."""
        return size_phrase(len(self.space.contexts), len(self.space.items))

    def run(self) -> Analysis:
        """Every analysis, findings sorted by place."""
        findings = [*self.unreachable(), *self.conflicts(), *self.shadowed(),
                    *self.unused_facts()]
        findings.sort(key=Diagnostic.sort_key)
        return Analysis(tuple(findings), self.stats, self.questions)


def analyse(engine: Engine) -> Analysis:
    """Run every analysis on a compiled law set."""
    return Analyzer(engine).run()
