"""Evaluation -> :class:`~ordinance.engine.decision.Decision`: steps, quotes, reasons, summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..checker.model import FactValue, Rule
from . import relevance
from .conditions import defines_used, describe_value
from .decision import (
    Caveat,
    Change,
    Decision,
    Deferred,
    ExceptionStep,
    ItemDecision,
    LawApplicability,
    MissingFact,
    Obligation,
    RuleStep,
    Warning,
)
from .evaluator import NOT_COVERED, PERMITTED, PROHIBITED, UNDETERMINED, Engine, Evaluation
from .relevance import SEARCH_BUDGET, Budget, Relevance, changed_standing
from .vocabulary import Request, holder_places, place_name


def _status(value: bool | None, own: bool | None) -> str:
    if value is True:
        return "stands"
    if value is None:
        return "undetermined"
    return "defeated" if own is not False else "does not apply"


class Explainer:
    """Builds decisions for one engine (and its relevance search)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.model = engine.model
        self.relevance = Relevance(engine)
        self.order = {rule_id: index for index, rule_id in enumerate(self.model.rules)}
        self._place_names = {law_id: place_name(self.model, law.places)
                             for law_id, law in self.model.laws.items() if law.places}
        self._definition_cites: dict[str, tuple[str, ...]] = {}

    def quote(self, citation: str) -> str:
        """The verbatim text of a cited section (``""`` when none is cited)."""
        section = self.model.sections.get(citation)
        return section.text if section else ""

    def definition_cites(self, rule_id: str) -> tuple[str, ...]:
        """Where the law defines the named conditions a rule uses (worked out once a rule)."""
        found = self._definition_cites.get(rule_id)
        if found is None:
            rule = self.model.rules[rule_id]
            found = self._definition_cites[rule_id] = tuple(
                c for name in defines_used(rule.when, self.model)
                for c in self.model.defines[name].cites)
        return found

    def because(self, rule: Rule, evaluation: Evaluation) -> tuple[str, ...]:
        """The facts that decided a rule's own condition (remembered by
        :class:`~ordinance.engine.conditions.ReasonsMemo`)."""
        return self.engine.reasons(rule.when, evaluation.env)[1]

    def decide(self, request: Request, *, would_change: bool = True,
               search_budget: int = SEARCH_BUDGET) -> Decision:
        """Evaluate a request and explain the result; ``search_budget`` bounds the case
        analysis (a smaller one answers sooner, and more often conservatively)."""
        budget = Budget(search_budget)
        evaluation = self.relevance.settle(
            self.engine.evaluate(request.facts), budget)
        return self.explain(request, evaluation, would_change=would_change, budget=budget)

    def explain(self, request: Request, evaluation: Evaluation, *,
                would_change: bool = True, budget: Budget | None = None) -> Decision:
        """Turn an evaluation into a decision with steps, quotes and reasons.

        ``budget`` bounds the case analysis behind the missing facts of the whole
        decision (a fresh one by default).
        """
        budget = budget if budget is not None else Budget(SEARCH_BUDGET)
        env = evaluation.env
        items = []
        every_exact = True  # an item's facts to ask are as exact as the request's
        for index, item in enumerate(evaluation.items):
            missing, item_exact = self.relevance.missing(evaluation, index, budget)
            every_exact &= item_exact
            items.append(self._item(item.data, item.outcome, item.standing, evaluation,
                                    self._missing(missing, evaluation), item.settled,
                                    item.addressed))
        missing_paths, exact = self.relevance.missing(evaluation, None, budget)
        exact &= every_exact
        missing_facts = self._missing(missing_paths, evaluation)
        obligations = self._obligations(evaluation)
        changes: Deferred[tuple[tuple[Change, ...], bool]] = Deferred(
            (lambda: self._changes(evaluation)) if would_change else lambda: ((), True))
        citations = _unique(
            [c for item in items for step in item.rules if step.status != "does not apply"
             for c in (*step.citations, *self.definition_cites(step.rule))]
            + [c for item in items for step in item.exceptions
               if step.condition_held is not False
               for c in (*step.citations, *self.definition_cites(step.rule))]
            + [o.citation for o in obligations]
            + [a for m in missing_facts for a in m.asked_by]
        )
        holder_state = env.get("holder.state")
        considered = tuple(
            LawApplicability(a.law.id, a.law.title, a.law.version, a.applies, a.reasons,
                             a.why_not, self._place_names.get(a.law.id, ""),
                             dict(a.law.places).get("state") in (None, holder_state))
            for a in self.engine.applicability(env))
        decision_items = tuple(items)
        return Decision(
            request_id=request.id,
            outcome=evaluation.outcome,
            summary=self._summary(evaluation.outcome, decision_items, missing_facts,
                                  considered),
            items=decision_items,
            obligations=obligations,
            missing_facts=missing_facts,
            changes=changes,
            citations=citations,
            laws=tuple(law for law in considered if law.applies),
            considered=considered,
            ordinance_set=self.model.digest,
            request=echo(request),
            missing_facts_exact=exact,
            warnings=self._warnings(evaluation),
            caveats=self._caveats(evaluation),
            jurisdiction=holder_places(self.model, env),
        )

    # ---------------------------------------------------------------- items

    def _item(self, data: str, outcome: str, standing: Any, evaluation: Evaluation,
              missing: tuple[MissingFact, ...], settled: bool,
              addressed: bool) -> ItemDecision:
        rules = []
        exceptions = []
        for rule_id, value in standing.items():
            rule = self.model.rules[rule_id]
            own = evaluation.conditions[rule_id]
            if rule.is_exception:
                if all(evaluation.conditions.get(t, False) is False for t in rule.excepts):
                    continue  # what it excepts does not apply (or is not in play), so it
                    # cannot matter
                because = list(self.because(rule, evaluation))
                because += self._defeats(rule, standing)
                if value is None and outcome != UNDETERMINED and not settled:
                    continue  # an open question that cannot change this item's outcome
                exceptions.append(ExceptionStep(
                    rule=rule.id, excepts=rule.excepts, citation=rule.citation,
                    citations=rule.cites, quote=self.quote(rule.citation), applied=value,
                    because=tuple(because), effect=rule.effect, condition_held=own))
                continue
            if own is False or rule.effect in ("require", "warn"):
                continue
            rules.append(RuleStep(
                rule=rule.id, effect=rule.effect, citation=rule.citation, citations=rule.cites,
                quote=self.quote(rule.citation),
                because=self.because(rule, evaluation),
                status=_status(value, own),
                defeated_by=tuple(e for e in rule.exceptions if standing.get(e) is True),
                summary=rule.summary))
        exceptions.sort(key=lambda step: self.order[step.rule])
        return ItemDecision(data, self.model.hierarchy.label(data), outcome, tuple(rules),
                            tuple(exceptions), missing, settled, addressed)

    def _defeats(self, rule: Rule, standing: Any) -> list[str]:
        out = []
        for exception_id in rule.exceptions:
            value = standing.get(exception_id)
            exception = self.model.rules[exception_id]
            if value is True:
                out.append(f"defeated by `{exception_id}` ({exception.citation})")
            elif value is None:
                out.append(f"may be defeated by `{exception_id}` ({exception.citation})")
        return out

    # ---------------------------------------------------------------- the rest

    def _missing(self, paths: Iterable[str], evaluation: Evaluation) -> tuple[MissingFact, ...]:
        out = []
        for path in paths:
            fact = self.model.facts[path]
            asked_by = _unique(
                rule.citation
                for item in evaluation.items for rule_id in item.standing
                for rule in (self.model.rules[rule_id],)
                if path in self.relevance.reads[rule_id] and rule.citation)
            allowed = fact.values if fact.kind in ("one_of", "set_of") else (
                ("true", "false") if fact.kind == "bool" else ())
            out.append(MissingFact(path, fact.question, asked_by, fact.label, allowed))
        return tuple(out)

    def _warnings(self, evaluation: Evaluation) -> tuple[Warning, ...]:
        """The ``warn`` rules that stand: readings the law imposes on the request."""
        return tuple(
            Warning(rule.duty or "", rule.citation, rule.id, self.quote(rule.citation))
            for rule_id, value in evaluation.obligations.items()
            for rule in (self.model.rules[rule_id],)
            if value is True and rule.effect == "warn")

    def _caveats(self, evaluation: Evaluation) -> tuple[Caveat, ...]:
        """The notes and gaps of every law that took part, and the gaps for requested data
        of every law that applies.

        A rule took part when it spoke to a requested item and stands, or when it could
        still decide it: a prohibition, or an exception beneath one, whose standing is open
        (an exception only where the condition of one of its targets may hold). A permission
        or a duty whose condition is open decides nothing, so it brings no caveats.
        """
        took_part: dict[str, set[str]] = {}
        decisive = self.relevance.decisive
        for item in evaluation.items:
            for rule_id, value in item.standing.items():
                rule = self.model.rules[rule_id]
                if value is False or (value is None and rule_id not in decisive) or (
                        rule.excepts and all(evaluation.conditions.get(t, False) is False
                                             for t in rule.excepts)):
                    continue
                took_part.setdefault(rule.law_id, set()).add(rule_id)
        hierarchy = self.model.hierarchy
        data = frozenset(c for item in evaluation.items for c in hierarchy.categories
                         if hierarchy.overlaps(c, item.data))
        return tuple(
            Caveat(law.id, kind, text)
            for law in sorted(evaluation.active_laws, key=lambda law: law.id)
            for kind, text in law.caveats_for(frozenset(took_part.get(law.id, ())), data))

    def _obligations(self, evaluation: Evaluation) -> tuple[Obligation, ...]:
        out = []
        for rule_id, value in evaluation.obligations.items():
            rule = self.model.rules[rule_id]
            if value is False or rule.effect != "require":
                continue
            data = tuple(item.data for item in evaluation.items
                         if item.standing.get(rule_id) is not False and rule_id in item.standing
                         and (item.outcome != PROHIBITED or rule.upon_receipt))
            depends_on = () if value else tuple(sorted(
                f for f in self.relevance.reads[rule_id] if f not in evaluation.env))
            out.append(Obligation(rule.duty or "", rule.citation, rule.id,
                                  self.quote(rule.citation), value, data, depends_on,
                                  rule.upon_receipt))
        return tuple(out)

    def _changes(self, evaluation: Evaluation) -> tuple[tuple[Change, ...], bool]:
        """The single changes that would permit the request, and whether the list is
        whole (False when the case analysis stopped at :data:`relevance.CHANGE_BUDGET`
        before every candidate was settled: those it left open are not listed)."""
        budget = Budget(relevance.CHANGE_BUDGET)
        out = []
        for fact, value, after in self.relevance.would_change(evaluation, budget):
            changed = [self.model.rules[r] for r in changed_standing(evaluation, after)]
            deciding = [r for r in changed if r.effect not in ("require", "warn")]
            cites = _unique(c for rule in deciding or changed for c in rule.cites[:1])
            out.append(Change({fact: _plain(value)}, after.outcome,
                              cites[0] if cites else "", cites))
        return tuple(out), not budget.exhausted

    def _summary(self, outcome: str, items: tuple[ItemDecision, ...],
                 missing: tuple[MissingFact, ...],
                 considered: tuple[LawApplicability, ...]) -> str:
        if not any(law.applies for law in considered):
            why = "; ".join(dict.fromkeys(r for law in considered for r in law.reasons[:1]))
            why = why or "no law loaded"
            return f"Not covered: no law in the set applies to this holder ({why})."
        parts = []
        for item in items:
            if item.settled:
                parts.append(f"{item.label} is {item.outcome} whatever the open facts turn out "
                             "to be (every answer leads to the same outcome)")
                continue
            standing = [r for r in item.rules if r.status == "stands"]
            if item.outcome == PROHIBITED:
                cites = ", ".join(_unique(r.citation for r in standing
                                          if r.effect == "prohibit"))
                parts.append(f"{item.label} is prohibited ({cites})")
            elif item.outcome == PERMITTED:
                cites = ", ".join(_unique(
                    [r.citation for r in standing if r.effect == "permit"]
                    + [e.citation for e in item.exceptions if e.applied is True]))
                parts.append(f"{item.label} is permitted (" + (
                    cites or ("no applicable rule prohibits it" if item.addressed else
                              "no law that applies says anything about this data")) + ")")
            else:
                facts = ", ".join(m.fact for m in item.missing_facts)
                parts.append(f"{item.label} depends on {facts or 'unknown facts'}")
        head = {PROHIBITED: "Prohibited", PERMITTED: "Permitted",
                UNDETERMINED: "Undetermined", NOT_COVERED: "Not covered"}[outcome]
        text = f"{head}: " + "; ".join(parts) + "."
        if outcome == UNDETERMINED and missing:
            text += f" {len(missing)} fact{'s' if len(missing) != 1 else ''} to ask."
        return text


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def echo(request: Request) -> dict[str, Any]:
    """The request as a decision repeats it (``Decision.request``): its facts, with the
    date it was decided for."""
    return request.to_dict() | {"date": _iso(request.facts.get("date"))}


def _iso(value: FactValue | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None


def _plain(value: FactValue) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | str):
        return value
    return describe_value(value)
