"""The engine: applicability, rule standing per data item, and the combining rule.

Pure: takes a validated request, returns an :class:`Evaluation` (data, no text).
Explanations are built from the evaluation elsewhere (:mod:`ordinance.engine.explainer`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import attrs

from ..checker.model import FactValue, Law, OrdinanceModel, Rule
from ..language import nodes as n
from .conditions import (
    Compiler,
    Env,
    ReasonsMemo,
    Test,
    TruthValue,
    kleene_and,
    kleene_or,
)

PERMITTED = "permitted"
PROHIBITED = "prohibited"
UNDETERMINED = "undetermined"
NOT_COVERED = "not_covered"

OUTCOMES = (PERMITTED, PROHIBITED, UNDETERMINED, NOT_COVERED)
"""Every outcome a decision can have."""

MAX_PLANS = 4096
"""Plans an engine remembers (see :meth:`Engine.plan`)."""

_RESTRICTIVENESS = {PROHIBITED: 4, UNDETERMINED: 3, NOT_COVERED: 2, PERMITTED: 1}


def most_restrictive(outcomes: list[str]) -> str:
    """The most restrictive outcome: prohibited > undetermined > not covered > permitted.

    >>> most_restrictive(["permitted", "undetermined", "permitted"])
    'undetermined'
    """
    return max(outcomes, key=_RESTRICTIVENESS.__getitem__, default=NOT_COVERED)


def combine(prohibitions: list[TruthValue]) -> str:
    """The combining rule for one data item (deny overrides, default permit).

    ========================================  ==============
    standing of the in-scope prohibitions     item outcome
    ========================================  ==============
    at least one stands (true)                prohibited
    none true, at least one unknown           undetermined
    all certainly not standing (or none)      permitted
    ========================================  ==============

    Permissions never override a standing prohibition; they are named in the
    explanation of a permitted item (or it says that no applicable rule
    prohibits it). A state prohibition is never overridden by a local
    permission, and a stricter local law only adds prohibitions. Only a
    request to which no law applies is ``not_covered``.

    >>> combine([False, True]), combine([False, None]), combine([])
    ('prohibited', 'undetermined', 'permitted')
    """
    verdict = kleene_or(iter(prohibitions))
    if verdict is True:
        return PROHIBITED
    if verdict is None:
        return UNDETERMINED
    return PERMITTED


@attrs.frozen
class Applicability:
    """Whether one law applies to a request, and why (not)."""

    law: Law
    applies: bool
    reasons: tuple[str, ...]
    why_not: tuple[str, ...] = ()  # of the reasons, those that keep the law from applying
    place_open: bool = False  # a local law, and the holder's county or city is not given


REQUESTER_FACT = "requester.kind"
"""The fact rules are indexed by, besides jurisdiction and data."""


def requester_kinds(cond: n.Condition, model: OrdinanceModel,
                    defined: dict[str, frozenset[str] | None] | None = None
                    ) -> frozenset[str] | None:
    """The requester kinds a condition can hold for, if it constrains them; else None.

    Read from the condition's shape: ``requester.kind = x`` / ``in {..}`` / ``!=``
    / ``not in``, through named conditions, intersected over ``and`` and
    united over ``or``. A rule whose set excludes a request's requester can
    never hold, so it is not evaluated (its condition is false). Each named condition
    is read once (``defined`` keeps them), so shared definitions cost linear time.
    """
    defined = {} if defined is None else defined
    fact = model.facts.get(REQUESTER_FACT)
    if fact is None:
        return None
    every = frozenset(fact.values)
    if isinstance(cond, n.Compare) and cond.fact == REQUESTER_FACT and cond.op in ("=", "!="):
        named = frozenset({str(cond.value.value)})
        return named if cond.op == "=" else every - named
    if isinstance(cond, n.Member) and cond.fact == REQUESTER_FACT:
        named = frozenset(str(lit.value) for lit in cond.values)
        return every - named if cond.negated else named
    if isinstance(cond, n.Ref) and cond.name in model.defines:
        if cond.name not in defined:
            defined[cond.name] = requester_kinds(model.defines[cond.name].when, model, defined)
        return defined[cond.name]
    if isinstance(cond, n.And):
        found = [k for k in (requester_kinds(c, model, defined) for c in cond.operands)
                 if k is not None]
        return frozenset.intersection(*found) if found else None
    if isinstance(cond, n.Or):
        parts = [requester_kinds(c, model, defined) for c in cond.operands]
        if any(p is None for p in parts):
            return None
        return frozenset().union(*(p for p in parts if p is not None))
    return None


APPLICABILITY_FACTS = frozenset({"date", "data", "holder.kind", "holder.state", "holder.county",
                                 "holder.city"})
"""The facts a :class:`Plan` depends on: which laws apply and which rules speak to what."""
LOCAL_AGENCY_FACT = "holder.california_local_agency"
"""A holder known not to be a local agency (this fact false) and whose county or city is
not given is bound by no county's or city's law: a state agency has no city to name.
A holder that names its county or city is taken to be that place's agency."""


@attrs.frozen
class Plan:
    """What a request's holder, date and data fix: the laws that apply, the rules in scope."""

    laws: tuple[Applicability, ...]  # the laws of the holder's state (and those naming none)
    active: frozenset[str]
    rules: tuple[Rule, ...]  # active rules in scope of some requested item
    items: tuple[tuple[str, tuple[Rule, ...]], ...]  # each item with the rules in its scope
    ruled_out: frozenset[str] = frozenset()  # rules whose condition excludes the requester

    def stale(self, assignment: Mapping[str, object]) -> bool:
        """Whether facts set beyond those the plan was made from may change it: the
        applicability facts, or whether the holder is a local agency where a local law
        was left open on a place not given."""
        return bool(APPLICABILITY_FACTS.intersection(assignment)) or (
            LOCAL_AGENCY_FACT in assignment and any(a.place_open for a in self.laws))


@attrs.frozen
class ItemEvaluation:
    """The standing of every in-scope rule for one data item, and its outcome."""

    data: str
    outcome: str
    standing: Mapping[str, TruthValue]  # rule id -> stands? (in-scope, active rules only)
    settled: bool = False  # outcome found by case analysis over unknown facts
    addressed: bool = True  # some permit/prohibit rule of an applying law speaks to this data


@attrs.frozen
class Evaluation:
    """The raw result of evaluating one request."""

    env: Env
    laws: tuple[Applicability, ...]
    conditions: Mapping[str, TruthValue]  # rule id -> its own condition's value
    items: tuple[ItemEvaluation, ...]
    obligations: Mapping[str, TruthValue]  # require/warn rule id -> stands for some item
    outcome: str
    settled: bool = False  # outcome found by case analysis over unknown facts
    plan: Plan | None = attrs.field(default=None, eq=False, repr=False)  # what it was made on

    @property
    def active_laws(self) -> tuple[Law, ...]:
        """The laws that apply to the request."""
        return tuple(a.law for a in self.laws if a.applies)


class Engine:
    """A checked law set compiled to callables, ready to evaluate requests."""

    def __init__(self, model: OrdinanceModel) -> None:
        self.model = model
        self.compiler = Compiler(model)
        self.tests: dict[str, Test] = {
            rule_id: self.compiler.compile(rule.when) for rule_id, rule in model.rules.items()
        }
        self.reasons = ReasonsMemo(model, self.compiler)
        self.rules_by_law: dict[str, list[Rule]] = {law_id: [] for law_id in model.laws}
        for rule in model.rules.values():
            self.rules_by_law.setdefault(rule.law_id, []).append(rule)
        self.by_state: dict[str, list[Law]] = {}
        self.stateless: list[Law] = []
        for law in model.laws.values():
            state = dict(law.places).get("state")
            if state is None:
                self.stateless.append(law)
            else:
                self.by_state.setdefault(state.casefold(), []).append(law)
        self.bindings: dict[str, Test] = {
            law_id: self.compiler.compile(law.binding)
            for law_id, law in model.laws.items() if law.binding is not None}
        kinds_of: dict[str, frozenset[str] | None] = {}
        self.requesters = {rule_id: requester_kinds(rule.when, model, kinds_of)
                           for rule_id, rule in model.rules.items()}
        levels = {level for law in model.laws.values() for level, _ in law.places}
        self.plan_facts: tuple[str, ...] = (
            "date", "data", "holder.kind", "holder.state", REQUESTER_FACT, LOCAL_AGENCY_FACT,
            *sorted(f"holder.{level}" for level in levels - {"state"}))
        self._planned = functools.lru_cache(maxsize=MAX_PLANS)(self._plan_for)
        self.reach_facts: tuple[str, ...] = tuple(
            path for path in self.plan_facts if path not in ("data", REQUESTER_FACT))
        """The facts which laws reach a request depends on (:meth:`reach`)."""
        self._reached = functools.lru_cache(maxsize=MAX_PLANS)(self._reach_for)
        categories = list(model.hierarchy.categories)
        self.scope: dict[str, frozenset[str]] = {}
        for rule_id in model.rules:
            self._scope_of(rule_id, categories)

    def _scope_of(self, rule_id: str, categories: list[str]) -> frozenset[str]:
        """The data categories a rule speaks to (an exception inherits its targets')."""
        if rule_id in self.scope:
            return self.scope[rule_id]
        rule = self.model.rules[rule_id]
        hierarchy = self.model.hierarchy
        if rule.scope and rule.excepts:
            # An exception defeats its targets only for data inside its scope: one that
            # permits a release date says nothing of personal information in general.
            found = frozenset(c for c in categories
                              if any(hierarchy.is_a(c, s) for s in rule.scope))
        elif rule.scope:
            found = frozenset(c for c in categories
                              if any(hierarchy.overlaps(c, s) for s in rule.scope))
        elif rule.excepts:
            found = frozenset().union(*(self._scope_of(t, categories) for t in rule.excepts))
        else:
            found = frozenset(categories)
        self.scope[rule_id] = found
        return found

    def candidates(self, env: Env) -> list[Law]:
        """The laws whose state (if they name one) is the holder's: an index lookup, so a
        request never looks at the laws of other states."""
        state = env.get("holder.state")
        key = state.strip().casefold() if isinstance(state, str) else ""
        return [*self.by_state.get(key, ()), *self.stateless]

    def applicability(self, env: Env, laws: list[Law] | None = None
                      ) -> tuple[Applicability, ...]:
        """Which laws apply (of ``laws``, by default all): jurisdiction, kind, dates, and
        for a law that binds by function, whether its binding condition holds."""
        return self.bind(self._reach(env, laws) if laws is not None else self.reach_all(env),
                         env)

    def reach_all(self, env: Env) -> tuple[Applicability, ...]:
        """Every law of the set, each with whether it reaches the request by jurisdiction,
        holder kind and dates alone; remembered by :attr:`reach_facts`."""
        return self._reached_by(env)[0]

    def active(self, env: Env) -> frozenset[str]:
        """The ids of the laws that reach the request (a plan's ``active``: a law of
        another state never reaches it), remembered with :meth:`reach_all`."""
        return self._reached_by(env)[1]

    def _reached_by(self, env: Env) -> tuple[tuple[Applicability, ...], frozenset[str]]:
        key = tuple(map(env.get, self.reach_facts))
        try:
            return self._reached(key)
        except TypeError:  # a value that cannot be a key
            return self._reach_for(key)

    def _reach_for(self, key: tuple[FactValue | None, ...]
                   ) -> tuple[tuple[Applicability, ...], frozenset[str]]:
        laws = self._reach({path: value for path, value in zip(self.reach_facts, key,
                                                                strict=True)
                            if value is not None}, None)
        return laws, frozenset(a.law.id for a in laws if a.applies)

    def bind(self, laws: tuple[Applicability, ...], env: Env, *, explained: bool = True
             ) -> tuple[Applicability, ...]:
        """``laws`` with each law that binds by function (``binds ... when``) judged on the
        request: not applying where its condition is false; applying, with the open
        question in its reasons, where it is unknown (its rules carry the condition).
        Unless ``explained``, the reasons are left as they were (a search that wants
        outcomes only does not pay for their text)."""
        if not self.bindings:
            return laws
        out = []
        for found in laws:
            test = self.bindings.get(found.law.id)
            if test is None or not found.applies:
                out.append(found)
                continue
            if not explained:
                out.append(found if test(env) is not False
                           else attrs.evolve(found, applies=False))
                continue
            assert found.law.binding is not None
            value, why = self.reasons(found.law.binding, env)
            facts = "; ".join(why)
            if value is False:
                unbound = f"the law does not bind this holder ({facts})"
                out.append(attrs.evolve(found, applies=False,
                                        reasons=(*found.reasons, unbound),
                                        why_not=(*found.why_not, unbound)))
            elif value is None:
                out.append(attrs.evolve(found, reasons=(
                    *found.reasons, f"whether the law binds this holder is open ({facts})")))
            else:
                out.append(attrs.evolve(found, reasons=(*found.reasons, facts)))
        return tuple(out)

    def _reach(self, env: Env, laws: list[Law] | None) -> tuple[Applicability, ...]:
        """Which laws reach the request by jurisdiction, holder kind and dates alone."""
        date = env.get("date")
        kind = env.get("holder.kind")
        out = []
        for law in self.model.laws.values() if laws is None else laws:
            reasons: list[str] = []
            against: list[str] = []  # the reasons that keep the law from applying
            place_open = False
            for level, place in law.places:
                holder_place = env.get(f"holder.{level}")
                place_open |= holder_place is None and level != "state"
                if holder_place is None and level != "state" and (
                        env.get(LOCAL_AGENCY_FACT) is False):
                    against.append(f"the holder is not a local agency ({LOCAL_AGENCY_FACT} = "
                                   f"false), and a {level}'s law binds only its own agencies")
                    reasons.append(against[-1])
                    break
                if holder_place is None and level != "state" and (
                        f"holder.{level}" in self.model.facts):
                    reasons.append(f"holder.{level} is not given: the law binds only in "
                                   f"{level} `{place}`")
                    continue  # the law's reach condition leaves it open
                if not isinstance(holder_place, str) or (
                        holder_place.strip().casefold() != place.casefold()):
                    against.append(f"the holder is not in {level} `{place}` "
                                   f"(holder.{level} = {holder_place or 'not given'})")
                    reasons.append(against[-1])
                else:
                    reasons.append(f"holder.{level} = {holder_place}")
            if kind not in law.binds:
                against.append(f"the law does not bind a holder of kind `{kind}` (it binds "
                               + ", ".join(sorted(law.binds)) + ")")
                reasons.append(against[-1])
            else:
                reasons.append(f"holder.kind = {kind}")
            if isinstance(date, dt.date):
                if law.in_force_from and date < law.in_force_from:
                    against.append(f"the law is in force from {law.in_force_from.isoformat()}, "
                                   f"after the request date {date.isoformat()}")
                    reasons.append(against[-1])
                elif law.in_force_until and date > law.in_force_until:
                    against.append(f"the law was in force until "
                                   f"{law.in_force_until.isoformat()}, before the request date "
                                   f"{date.isoformat()}")
                    reasons.append(against[-1])
                else:
                    reasons.append(f"in force on {date.isoformat()}")
            out.append(Applicability(law, not against, tuple(reasons), tuple(against),
                                     place_open))
        return tuple(out)

    def plan(self, env: Env) -> Plan:
        """Which laws apply and which of their rules speak to each requested item.

        Plans are remembered (at most :data:`MAX_PLANS`, oldest dropped first) by the
        facts they are made from (``plan_facts``): a batch asks again and again about the
        same few holders and data."""
        key = tuple(map(env.get, self.plan_facts))
        try:
            return self._planned(key)
        except TypeError:  # a value that cannot be a key (none of the vocabulary's kinds)
            return self._plan(env)

    def _plan_for(self, key: tuple[FactValue | None, ...]) -> Plan:
        """The plan for the facts ``key`` gives (in the order of ``plan_facts``)."""
        return self._plan({path: value for path, value in zip(self.plan_facts, key, strict=True)
                           if value is not None})

    def reach(self, env: Env) -> tuple[Applicability, ...]:
        """The laws of the holder's state (and those naming none), each with whether it
        reaches the request by jurisdiction, holder kind and dates alone."""
        return self._reach(env, self.candidates(env))

    def _plan(self, env: Env) -> Plan:
        """:meth:`plan`, worked out."""
        laws = self.reach(env)
        active = frozenset(a.law.id for a in laws if a.applies)
        rules = [rule for a in laws if a.applies for rule in self.rules_by_law.get(a.law.id, ())]
        data = env.get("data")
        requested = sorted(data) if isinstance(data, frozenset) else []
        items = tuple((item, tuple(r for r in rules if item in self.scope[r.id]))
                      for item in requested)
        in_scope = {r.id for _item, scoped in items for r in scoped}
        requester = env.get(REQUESTER_FACT)
        ruled_out = frozenset(
            rule_id for rule_id in in_scope
            if requester is not None and self.requesters.get(rule_id) is not None
            and requester not in self.requesters[rule_id])  # type: ignore[operator]
        return Plan(laws, active, tuple(r for r in rules if r.id in in_scope), items, ruled_out)

    def evaluate(self, env: Env, plan: Plan | None = None, *,
                 explained: bool = True) -> Evaluation:
        """Evaluate a request's facts against every law that applies to it.

        This is one pass of Kleene logic: sound, but it may say *undetermined*
        where every completion of the unknown facts agrees (a fact read both by
        a rule and by its exception); :meth:`Relevance.settle` decides those.
        A ``plan`` made for a request with the same holder, date and data may be
        reused to skip working out applicability and scope again. One not
        ``explained`` leaves out the reasons a law binding by function adds
        (:meth:`bind`).
        """
        plan = plan or self.plan(env)
        laws = self.bind(plan.laws, env, explained=explained)
        active = plan.active if laws is plan.laws else frozenset(
            a.law.id for a in laws if a.applies)
        conditions = {rule.id: False if rule.id in plan.ruled_out
                      else self.tests[rule.id](env) for rule in plan.rules}
        items = []
        obligations: dict[str, list[TruthValue]] = {}
        for item, rules in plan.items:
            standing: dict[str, TruthValue] = {}
            prohibitions = []
            spoken_to = False
            for rule in rules:
                value = self.stands(rule, item, conditions, active, standing)
                if rule.effect == "prohibit":
                    prohibitions.append(value)
                spoken_to = spoken_to or rule.effect in ("permit", "prohibit")
            outcome = combine(prohibitions)
            for rule in rules:
                # A duty attaches to data that is shared, or (upon receipt) to the request;
                # a warning to the request, whatever its outcome.
                if rule.effect in ("require", "warn") and rule.id in standing and (
                        outcome != PROHIBITED or rule.upon_receipt or rule.effect == "warn"):
                    obligations.setdefault(rule.id, []).append(standing[rule.id])
            items.append(ItemEvaluation(item, outcome, standing, addressed=spoken_to))
        if not active:
            outcome = NOT_COVERED
        else:
            outcome = most_restrictive([i.outcome for i in items])
        return Evaluation(
            env=env, laws=laws, conditions=conditions, items=tuple(items),
            obligations={k: kleene_or(iter(v)) for k, v in obligations.items()},
            outcome=outcome,
            plan=plan,
        )

    def stands(self, rule: Rule, item: str, conditions: Mapping[str, TruthValue],
                active: frozenset[str], memo: dict[str, TruthValue]) -> TruthValue:
        """Whether ``rule`` stands for ``item``: its condition holds (``conditions``, by rule
        id) and none of its exceptions of an ``active`` law, in scope of the item, stands.
        ``memo`` collects every standing worked out on the way."""
        if rule.id in memo:
            return memo[rule.id]
        own = conditions[rule.id]
        if own is False:
            memo[rule.id] = False
            return False
        defeats = [
            self.stands(self.model.rules[e], item, conditions, active, memo)
            for e in rule.exceptions
            if self.model.rules[e].law_id in active and item in self.scope[e]
        ]
        defeated = kleene_or(iter(defeats))
        value = kleene_and(iter([own, None if defeated is None else not defeated]))
        memo[rule.id] = value
        return value
