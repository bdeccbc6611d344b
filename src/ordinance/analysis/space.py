"""The finite space of requests a law set can tell apart, and exhaustive search over it.

Every condition compares a fact with literals written in the law, so two values
of a fact that no literal separates are decided alike. The space is therefore
finite: for each fact, one value per class the law draws (:func:`exact_values`);
for the holder, one *context* per combination of place, kind of agency and date
that changes which laws apply (:func:`contexts`); for the data, one item at a
time (a rule stands per data item), with the other requested categories only
where a condition reads ``data``.

:func:`explore` walks that space depth first. At each partial request it asks a
*judge* for an answer; three-valued logic guarantees that once the judge can
answer with some facts still unknown, every completion of them gets the same
answer (Kleene logic is monotone), so the whole subtree is one *class* and is
never enumerated. The result is exact, and usually tiny next to the full product.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Generic, TypeVar

import attrs

from ..checker.model import FactValue, OrdinanceModel
from ..checker.places import county_outside
from ..engine.conditions import Env, facts_used, literals_by_fact, literals_used
from ..engine.evaluator import APPLICABILITY_FACTS, Engine, Evaluation, Plan

R = TypeVar("R")

CONTEXT_FACTS = ("holder.state", "holder.county", "holder.city", "holder.kind", "date")
"""The facts a context fixes: where the holder is, what kind of agency it is, and when."""

FAR_PAST = dt.date(1900, 1, 1)
"""A date before any law's force, used when no law or condition names one."""


class AnalysisError(Exception):
    """The space could not be searched exactly (a condition reads a fact it cannot vary)."""


def exact_values(model: OrdinanceModel) -> dict[str, list[FactValue]]:
    """For each fact the search varies, one value per class of values the law tells apart.

    Booleans: both. Enumerations: every declared value. Text: every literal the law
    compares with, and one it never mentions. Sets: every subset of the names the
    law tests for (with ``has``); an item's place in the category tree is covered
    because a category is tested exactly when one of its ancestors is named.
    Dates are part of a context (see :func:`contexts`).
    """
    mentioned = literals_by_fact(model)
    values: dict[str, list[FactValue]] = {}
    for path, fact in model.facts.items():
        used = mentioned[path]
        if fact.kind == "bool":
            values[path] = [True, False]
        elif fact.kind == "one_of":
            values[path] = list(fact.values)
        elif fact.kind == "text":
            values[path] = [*used, OTHER_TEXT]
        elif fact.kind == "date":  # the day before, of and after each date compared with
            values[path] = sorted({d + dt.timedelta(days=shift) for d in used
                                   if isinstance(d, dt.date) for shift in (-1, 0, 1)})
        else:
            names = sorted({str(v) for v in used})
            values[path] = [frozenset(c) for size in range(len(names) + 1)
                            for c in itertools.combinations(names, size)]
    return values


OTHER_TEXT = "(any other text)"
"""The value standing for every text a law never mentions."""

ANY_STATE = "(any state)"
"""The holder's state in the context of laws that name no place."""


@attrs.frozen
class Context:
    """One class of holders and dates: the same laws apply and conditions see alike.

    ``facts`` is a representative (the values a witness request uses); ``kinds``
    and ``dates`` list every holder kind and date range the class stands for.
    """

    facts: Mapping[str, FactValue]
    active: tuple[frozenset[str], ...]  # per engine: the ids of the laws that apply
    kinds: tuple[str, ...]
    dates: tuple[tuple[dt.date | None, dt.date | None], ...]  # [from, until) ranges
    where: Mapping[str, str] = attrs.field(factory=dict)  # the place as the laws name it

    @property
    def place(self) -> str:
        """Where the holder is, most local level first: ``city Oakland, state CA``.
        A state-wide context's witness also names a county no law names (so no local
        law is left open); the place is still the state."""
        parts = [f"{level} {self.where[level]}"
                 for level in ("city", "county", "state") if level in self.where]
        return ", ".join(parts)


def date_cuts(engines: Sequence[Engine]) -> list[dt.date]:
    """The first days of the intervals that law dates and dated conditions cut the calendar
    into, in order: two dates between the same cuts are decided alike."""
    cuts: set[dt.date] = set()
    for engine in engines:
        for law in engine.model.laws.values():
            if law.in_force_from:
                cuts.add(law.in_force_from)
            if law.in_force_until:
                cuts.add(law.in_force_until + dt.timedelta(days=1))
        for rule in engine.model.rules.values():
            for path, value in literals_used(rule.when, engine.model):
                if path == "date" and isinstance(value, dt.date):
                    cuts |= {value, value + dt.timedelta(days=1)}
    return sorted(cuts)


def _date_points(engines: Sequence[Engine]) -> list[dt.date]:
    """A date in each interval that law dates and dated conditions cut the calendar into."""
    ordered = date_cuts(engines)
    if not ordered:
        return [FAR_PAST]
    return [ordered[0] - dt.timedelta(days=1), *ordered]


def _outside(state: str, places: list[tuple[tuple[str, str], ...]],
             engines: Sequence[Engine]) -> dict[str, str]:
    """A county of ``state`` that no law names, so a state-wide context is not left
    open on the county (a law of a county or city binds only there)."""
    if not any("holder.county" in engine.model.facts for engine in engines):
        return {}
    named = {dict(p).get("county") for p in places if dict(p).get("state") == state}
    if named == {None}:
        return {}
    free = county_outside(state, named)
    return {"county": free} if free else {}


def contexts(engines: Sequence[Engine]) -> list[Context]:
    """Every class of holder and date under which some law of some engine applies.

    Places are those the laws name (a holder in a city is also in the county and
    state its laws name); kinds are every declared holder kind; dates one per
    interval between law and condition dates. Two combinations fall in one class
    when the same laws apply and no condition reads what tells them apart.
    """
    places: list[tuple[tuple[str, str], ...]] = []
    kinds: list[str] = []
    read: set[str] = set()
    for engine in engines:
        model = engine.model
        for law in model.laws.values():
            if law.places and law.places not in places:
                places.append(law.places)
        fact = model.facts.get("holder.kind")
        declared = list(fact.values) if fact is not None else sorted(
            {k for law in model.laws.values() for k in law.binds})
        kinds += [k for k in declared if k not in kinds]
        for cond in [r.when for r in model.rules.values()]:
            read |= set(facts_used(cond, model))
    holders = [dict(named) for named in places]  # laws name every level of their place
    if any(not law.places for engine in engines for law in engine.model.laws.values()):
        holders.append({"state": ANY_STATE})
    points = _date_points(engines)
    classes: dict[tuple[object, ...], _Class] = {}
    for where, kind, date in itertools.product(holders, kinds, points):
        # a state-wide context's witness sits outside every named county
        stand_in = _outside(where["state"], places, engines) if set(where) == {"state"} else {}
        env: dict[str, FactValue] = {f"holder.{level}": name
                                     for level, name in {**where, **stand_in}.items()}
        env["holder.kind"] = kind
        env["date"] = date
        active = tuple(frozenset(a.law.id for a in engine.applicability(
            env, engine.candidates(env)) if a.applies) for engine in engines)
        if not any(active):
            continue
        key = (tuple(sorted(where.items())), active,
               kind if "holder.kind" in read else None, date if "date" in read else None)
        found = classes.setdefault(key, _Class(where, {**where, **stand_in}, active))
        found.dates.setdefault(kind, []).append(date)
    return [context for c in classes.values() for context in c.products(points)]


@attrs.define
class _Class:
    """Holder kinds and dates under which the same laws apply, by kind."""

    where: dict[str, str]  # the place as the laws name it
    witness: dict[str, str]  # ... and as a witness request names it
    active: tuple[frozenset[str], ...]
    dates: dict[str, list[dt.date]] = attrs.Factory(dict)  # kind -> its dates, in order

    def products(self, points: list[dt.date]) -> list[Context]:
        """One context per set of kinds sharing the same dates, so that a context's
        ``kinds`` x ``dates`` is exactly the combinations it stands for."""
        by_dates: dict[tuple[dt.date, ...], list[str]] = {}
        for kind, dates in self.dates.items():
            by_dates.setdefault(tuple(dates), []).append(kind)
        out = []
        for shared, kinds in by_dates.items():
            env: dict[str, FactValue] = {f"holder.{level}": name
                                         for level, name in self.witness.items()}
            env["holder.kind"] = kinds[0]
            env["date"] = shared[0]
            out.append(Context(env, self.active, tuple(kinds), _ranges(list(shared), points),
                               self.where))
        return out


def _ranges(dates: list[dt.date], points: list[dt.date]
            ) -> tuple[tuple[dt.date | None, dt.date | None], ...]:
    """The [from, until) ranges that the chosen interval points stand for."""
    ranges: list[tuple[dt.date | None, dt.date | None]] = []
    for index, point in enumerate(points):
        if point not in dates:
            continue
        start = None if index == 0 else point
        end = points[index + 1] if index + 1 < len(points) else None
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], end)
        else:
            ranges.append((start, end))
    return tuple(ranges)


@attrs.define
class SearchStats:
    """How a search went: what it looked at, for the "how it searched" line of a report."""

    contexts: int = 0
    items: int = 0
    partial_requests: int = 0  # evaluations made (each a class of requests, or a branch)
    classes: int = 0  # leaves: classes of requests each decided alike
    diagrams: int = 0  # (context, data requested) classes answered on the compiled form
    stopped: list[str] = attrs.Factory(list)  # searches that reached their budget, named
    budget: int | None = None  # the budget each of those had, in partial requests
    unchecked: list[tuple[str, str]] = attrs.Factory(list)  # (prohibition, permission) pairs
    # the compiled conflict check did not finish within its budget, of ...
    diagram_budget: int | None = None  # ... classes read off the compiled form

    def summary(self) -> str:
        """One sentence for people."""
        whole = not self.stopped and not self.unchecked
        text = (f"searched {size_phrase(self.contexts, self.items)}: "
                f"{self.partial_requests} partial requests evaluated, {self.classes} classes "
                "of requests decided ("
                + ("exhaustive over every value the law tells apart)" if whole else
                   "over every value the law tells apart, except what is named unknown here)"))
        if self.diagrams:
            text += (f"; {self.diagrams} holder contexts and data requested answered exactly "
                     "on the compiled decision form")
        if self.stopped:
            text += (f"; {len(self.stopped)} search{'es' if len(self.stopped) != 1 else ''} "
                     f"stopped at the budget of {self.budget} partial requests, so what they "
                     "did not reach is unknown, not absent: " + "; ".join(self.stopped))
        if self.unchecked:
            text += "; " + unchecked_phrase(self.unchecked, self.diagram_budget)
        return text


UNCHECKED_NAMED = 20
"""Pairs the summary names when the compiled conflict check stops (the rest are counted)."""


def unchecked_phrase(pairs: Sequence[tuple[str, str]], budget: int | None) -> str:
    """What the compiled conflict check left unchecked, for the "how it searched" line.

    >>> unchecked_phrase([("no", "yes")], 10)[-61:]
    'a permission conflicts is unknown, not absent: `no` and `yes`'
    """
    named = "; ".join(f"`{q}` and `{p}`" for q, p in pairs[:UNCHECKED_NAMED])
    more = len(pairs) - UNCHECKED_NAMED
    return (f"the conflict check stopped at its budget of {budget} classes read off the "
            f"compiled form, so whether {len(pairs)} pair{'s' if len(pairs) != 1 else ''} "
            f"of a prohibition and a permission conflict{'' if len(pairs) != 1 else 's'} is "
            f"unknown, not absent: {named}" + (f"; and {more} more" if more > 0 else ""))


@attrs.frozen
class Found(Generic[R]):
    """One class of requests and the judge's answer for it."""

    context: Context
    item: str
    assignment: Mapping[str, FactValue]  # the facts fixed for this class; the rest do not matter
    answer: R

    def env(self) -> dict[str, FactValue]:
        """The witness request's facts (context, data and the class's assignment)."""
        return {**self.context.facts, "data": frozenset({self.item}), **self.assignment}


Judge = Callable[[Sequence[Evaluation]], "R | None"]
"""Answers for a partial request (one evaluation per engine, whose first item is the data item
searched), or None to look deeper."""


class _OutOfBudget(Exception):
    """A search used up its budget of partial requests."""


class Space:
    """The request space of one or more law sets (several for a diff), ready to search."""

    def __init__(self, engines: Sequence[Engine]) -> None:
        self.engines = tuple(engines)
        self.values: dict[str, list[FactValue]] = {}
        for engine in self.engines:
            for path, vals in exact_values(engine.model).items():
                merged = self.values.setdefault(path, [])
                merged += [v for v in vals if v not in merged]
        for vals in self.values.values():
            if OTHER_TEXT in vals:  # keep the stand-in for "anything else" last
                vals.remove(OTHER_TEXT)
                vals.append(OTHER_TEXT)
        self.reads = [{rule_id: tuple(dict.fromkeys(facts_used(rule.when, engine.model)))
                       for rule_id, rule in engine.model.rules.items()}
                      for engine in self.engines]
        self.contexts = contexts(self.engines)
        categories: list[str] = []
        for engine in self.engines:
            categories += [c for c in engine.model.hierarchy.categories if c not in categories]
        self.items = categories

    def explore(self, judge: Judge[R], *, items: Sequence[str] | None = None,
                where: Callable[[Context, str], bool] | None = None,
                stats: SearchStats | None = None, focus: Sequence[str] | None = None,
                budget: int | None = None, label: str = "a search",
                reads: Collection[str] | None = None) -> Iterator[Found[R]]:
        """Every class of requests (per context and data item) with the judge's answer.

        ``where`` skips (context, item) pairs that cannot matter. ``focus`` names the
        rules the judge's answer depends on, most decisive first: only the facts they
        read are branched on, in that order (by default every rule's, in file order).
        Stop iterating to stop the search. With a ``budget``, the search stops after that
        many partial requests and records ``label`` in ``stats.stopped``: what it has
        not yielded by then is unknown, not absent. ``reads``: the only rules whose
        conditions and standing the judge reads (with every exception beneath them, and
        every rule of ``focus``); only they are evaluated (:func:`focused`), not the law.
        """
        stats = stats if stats is not None else SearchStats()
        stats.contexts = max(stats.contexts, len(self.contexts))
        stats.items = max(stats.items, len(items if items is not None else self.items))
        limit = None if budget is None else stats.partial_requests + budget
        try:
            for context in self.contexts:
                for item in items if items is not None else self.items:
                    if where is not None and not where(context, item):
                        continue
                    yield from self._classes(context, item, judge, stats, focus, limit,
                                             reads)
        except _OutOfBudget:
            stats.stopped.append(label)
            stats.budget = budget

    def _classes(self, context: Context, item: str, judge: Judge[R], stats: SearchStats,
                 focus: Sequence[str] | None, limit: int | None = None,
                 reads: Collection[str] | None = None) -> Iterator[Found[R]]:
        base: dict[str, FactValue] = {**context.facts, "data": frozenset({item})}
        plans = [engine.plan(base) for engine in self.engines]
        if reads is not None:
            plans = [focused(plan, reads) for plan in plans]
        stack: list[dict[str, FactValue]] = [{}]
        if self._reads_data(plans, focus):
            # `data` is always known (it holds the item), so Kleene logic never asks for it:
            # branch on what else is requested first, whenever a condition tests it.
            stack = [{"data": value} for value in reversed(self._values_of("data", item))]
        while stack:
            if limit is not None and stats.partial_requests >= limit:
                raise _OutOfBudget
            assignment = stack.pop()
            env = {**base, **assignment}
            evaluations = [engine.evaluate(env, None if plan.stale(assignment) else plan)
                           for engine, plan in zip(self.engines, plans, strict=True)]
            if "data" in assignment:  # other items requested too: the searched one first
                evaluations = [_item_first(e, item) for e in evaluations]
            stats.partial_requests += 1
            answer = judge(evaluations)
            if answer is not None:
                stats.classes += 1
                yield Found(context, item, dict(assignment), answer)
                continue
            fact = self._next_fact(evaluations, assignment, env, focus)
            if fact is None:
                raise AnalysisError(f"cannot decide a class of requests for `{item}` in "
                                    f"{context.place}: every fact read is already set")
            stack.extend({**assignment, fact: value}
                         for value in reversed(self._values_of(fact, item)))

    def _reads_data(self, plans: Sequence[Plan], focus: Sequence[str] | None) -> bool:
        if len(self.values.get("data", ())) < 2:
            return False
        for reads, plan in zip(self.reads, plans, strict=True):
            rule_ids = [r.id for r in plan.rules] if focus is None else focus
            if any("data" in reads.get(rule_id, ()) for rule_id in rule_ids):
                return True
        return False

    def data_values(self, item: str) -> list[frozenset[str]]:
        """What may be requested with ``item``: the item with each combination of the
        category names conditions test."""
        values = self._values_of("data", item) if "data" in self.values else []
        return [v for v in values if isinstance(v, frozenset)] or [frozenset({item})]

    def _values_of(self, fact: str, item: str) -> list[FactValue]:
        if fact == "data":  # the item itself, with each combination of the names tested
            return [frozenset({item}) | extra for extra in self.values["data"]
                    if isinstance(extra, frozenset)]
        return self.values[fact]

    def _next_fact(self, evaluations: Sequence[Evaluation], assignment: Mapping[str, FactValue],
                   env: Env, focus: Sequence[str] | None) -> str | None:
        """An unset fact read by a (focused) rule whose condition is still unknown.

        The context's facts are never branched on; ``data`` (always the item) is, once,
        when a condition tests which other categories are requested with it.
        """
        varied_data = len(self.values.get("data", ())) > 1 and "data" not in assignment
        for reads, evaluation in zip(self.reads, evaluations, strict=True):
            conditions = evaluation.conditions
            for rule_id in conditions if focus is None else focus:
                if conditions.get(rule_id, False) is not None:
                    continue
                for fact in reads[rule_id]:
                    if (fact == "data" and varied_data) or (
                            fact not in env and fact not in APPLICABILITY_FACTS):
                        return fact
        return None


def focused(plan: Plan, rule_ids: Collection[str]) -> Plan:
    """``plan`` with only the rules ``rule_ids`` names: evaluated on it, those rules'
    conditions and standing are what the whole plan gives them, provided every exception
    beneath them is named too (a rule's standing reads its exceptions' only)."""
    keep = set(rule_ids)
    return attrs.evolve(plan, rules=tuple(r for r in plan.rules if r.id in keep),
                        items=tuple((item, tuple(r for r in rules if r.id in keep))
                                    for item, rules in plan.items))


def size_phrase(contexts: int, items: int) -> str:
    """``75 holder contexts x 21 data items`` (singular where one)."""
    return (f"{contexts} holder context{'' if contexts == 1 else 's'} x "
            f"{items} data item{'' if items == 1 else 's'}")


def _item_first(evaluation: Evaluation, item: str) -> Evaluation:
    """The evaluation with ``item``'s result first among its items (judges read ``items[0]``)."""
    ordered = sorted(evaluation.items, key=lambda i: i.data != item)
    return attrs.evolve(evaluation, items=tuple(ordered))


def witness_request(found: Found[object], model: OrdinanceModel) -> dict[str, object]:
    """The class's representative as a request (nested keys, ISO dates, sorted lists),
    keeping only facts ``model`` declares; an unmentioned text is shown as written."""
    from ..engine.vocabulary import Request

    facts = {path: value for path, value in found.env().items() if path in model.facts}
    return Request(facts).to_dict()

