"""The compiled decision form: rule conditions and outcomes as binary decision diagrams.

Each fact's values fall into a few classes that no condition of the law set tells apart
(the same answer from every comparison the law makes with that fact); a fact becomes a
handful of bits numbering its class. Every rule condition, law reach (place and
``binds ... when``) and, per
:class:`~ordinance.engine.evaluator.Plan`, every item's "prohibited" and the request's
"covered" become reduced ordered BDDs over those bits (the ``dd`` package, on CUDD when
its binding is installed). A request's known facts restrict them; then

- the facts that can still change an outcome are the support of the restricted diagram,
- the outcomes still possible are read off which restricted diagrams are constant,

each in time proportional to the diagram, not to the number of completions.

The semantics is that of *completions*: every unknown fact takes every value.
:mod:`ordinance.engine.relevance` says when that agrees with its case analysis (which
leaves facts no rule in question reads unknown), and falls back to the case analysis
where it does not. ``dd`` is imported on first use only, so a
command that never meets an open question does not load it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..checker.model import FactValue
from ..language import nodes as n
from ..language.source import SourceFile, Span
from .conditions import Env, Test, TruthValue, facts_used, leaves
from .evaluator import LOCAL_AGENCY_FACT, NOT_COVERED, PERMITTED, PROHIBITED, Engine, Plan

Function = Any
"""A node of the ``dd`` BDD manager (``dd.cudd.Function`` or ``dd.autoref.Function``)."""

_LOCK = threading.RLock()
"""CUDD is not thread-safe: every use of a manager holds this lock."""


_MAX_REMEMBERED = 1024
"""Values per fact whose class is remembered (free text could otherwise grow it without end)."""
MAX_PLANS = 512
"""Plans whose diagrams are kept (least recently used dropped): a long batch over many
holders and data combinations stays within bounded memory."""


_LOCAL_AGENCY = n.Ref(LOCAL_AGENCY_FACT, Span.whole_file(SourceFile("(engine)", "")))
"""The condition "the holder is a local agency": what a law left open on its place asks."""


def _manager() -> Any:
    """A new BDD manager: CUDD's when its binding is installed, dd's pure Python one else."""
    # dd imports networkx, when it can, only to draw diagrams; that import alone takes
    # ~0.2 s. Hiding it while dd loads keeps a command's first open question fast.
    hidden = "networkx" not in sys.modules
    if hidden:
        sys.modules["networkx"] = None  # type: ignore[assignment]
    try:
        try:
            from dd import cudd as backend
        except ImportError:  # pragma: no cover - dd's wheels carry CUDD on common platforms
            from dd import autoref as backend
    finally:
        if hidden:
            del sys.modules["networkx"]
    return backend.BDD()


class FactCoding:
    """One fact's value classes and the bits that number them.

    ``values`` (the relevance search's representatives, in its order) are grouped by how
    every atom of the law (``atoms``: tests of this fact) answers on them; the first value
    of each group stands for its class.
    """

    def __init__(self, path: str, index: int, values: list[FactValue], atoms: list[Test]
                 ) -> None:
        self.path = path
        self.atoms = atoms
        self.classes: list[FactValue] = []  # one value per class
        self.signatures: dict[tuple[TruthValue, ...], int] = {}  # atoms' answers -> class
        for value in values:
            signature = self._signature(value)
            if signature not in self.signatures:
                self.signatures[signature] = len(self.classes)
                self.classes.append(value)
        self._classes: dict[FactValue, int | None] = {}
        width = max(1, (len(self.classes) - 1).bit_length())
        self.bits = [f"f{index}b{bit}" for bit in range(width)] if len(self.classes) > 1 else []

    def _signature(self, value: FactValue) -> tuple[TruthValue, ...]:
        return tuple(atom({self.path: value}) for atom in self.atoms)

    def class_of(self, value: FactValue) -> int | None:
        """The class of a value, or None if it answers the law's comparisons in a way no
        representative value does (the compiled form then cannot take this request)."""
        try:
            return self._classes[value]
        except KeyError:
            klass = self.signatures.get(self._signature(value))
            if len(self._classes) < _MAX_REMEMBERED:
                self._classes[value] = klass
            return klass

    def cube(self, code: int) -> dict[str, bool]:
        """The bit assignment of a code (a class's number, or any pattern of the bits)."""
        return {bit: bool(code >> i & 1) for i, bit in enumerate(self.bits)}

    def klass(self, code: int) -> int:
        """The class a bit pattern stands for (patterns past the last class repeat the
        last one, so every pattern is a value)."""
        return min(code, len(self.classes) - 1)

    def codes(self) -> Iterable[tuple[int, int]]:
        """Every bit pattern with the class it stands for."""
        for code in range(1 << len(self.bits)):
            yield code, self.klass(code)


class CompiledLaw:
    """The law set of one engine as BDDs: built lazily, kept for the engine's lifetime."""

    def __init__(self, engine: Engine, representatives: Mapping[str, list[FactValue]]) -> None:
        self.engine = engine
        self.model = engine.model
        self.bdd = _manager()
        atoms: dict[str, dict[int, n.Condition]] = {path: {} for path in self.model.facts}
        for cond in self._roots():
            for node in leaves(cond, self.model):
                path = _fact_of(node, self.model.defines)
                if path in atoms:
                    atoms[path].setdefault(id(node), node)
        self.codings: dict[str, FactCoding] = {}
        for index, (path, values) in enumerate(representatives.items()):
            coding = FactCoding(path, index, values, [
                engine.compiler.compile(a) for a in atoms.get(path, {}).values()])
            self.codings[path] = coding
            if coding.bits:
                self.bdd.declare(*coding.bits)
        self.fact_of_bit = {bit: c.path for c in self.codings.values() for bit in c.bits}
        self._memo: dict[int, tuple[n.Condition, Function]] = {}
        self._defines: dict[str, Function] = {}
        self._plans: dict[tuple[Any, ...], PlanForm] = {}

    def _roots(self) -> Iterable[n.Condition]:
        yield from (rule.when for rule in self.model.rules.values())
        yield from (law.reach for law in self.model.laws.values() if law.reach is not None)

    # ------------------------------------------------------------ conditions

    def condition(self, cond: n.Condition) -> Function:
        """A condition as a BDD over the fact bits (named conditions shared, never
        re-expanded)."""
        found = self._memo.get(id(cond))
        if found is not None and found[0] is cond:
            return found[1]
        bdd = self.bdd
        if isinstance(cond, n.Const):
            value = bdd.true if cond.value else bdd.false
        elif isinstance(cond, n.Not):
            value = ~self.condition(cond.operand)
        elif isinstance(cond, n.And):
            value = bdd.true
            for part in cond.operands:
                value &= self.condition(part)
        elif isinstance(cond, n.Or):
            value = bdd.false
            for part in cond.operands:
                value |= self.condition(part)
        elif isinstance(cond, n.Ref) and cond.name in self.model.defines:
            value = self._define(cond.name)
        else:
            value = self._atom(cond)
        self._memo[id(cond)] = (cond, value)
        return value

    def _define(self, name: str) -> Function:
        if name not in self._defines:
            self._defines[name] = self.condition(self.model.defines[name].when)
        return self._defines[name]

    def _atom(self, cond: n.Condition) -> Function:
        """An atom reads one fact: true on the codes of the classes where its test is."""
        path = _fact_of(cond, self.model.defines)
        assert path is not None
        coding = self.codings[path]
        test = self.engine.compiler.compile(cond)
        value = self.bdd.false
        for code, klass in coding.codes():
            if test({path: coding.classes[klass]}):
                value |= self.bdd.cube(coding.cube(code))
        return value

    # ------------------------------------------------------------ requests

    def encode(self, env: Env, only: frozenset[str] | None = None) -> dict[str, bool] | None:
        """The bits of every known fact (of those ``only`` names, if given), or None when
        a value has no class."""
        bits: dict[str, bool] = {}
        for path, value in env.items():
            if only is not None and path not in only:
                continue
            coding = self.codings.get(path)
            if coding is None or not coding.bits:
                continue
            found = self.bits(path, value)
            if found is None:
                return None
            bits.update(found)
        return bits

    def plan_form(self, plan: Plan, bound: frozenset[str] = frozenset(),
                  local: frozenset[str] = frozenset()) -> PlanForm:
        """The diagrams of one plan (its laws, items and their rules), built once;
        ``bound``: laws taken to reach the holder whatever their reach says; ``local``:
        laws taken to reach it if it is a local agency (a place of theirs not given)."""
        key = (plan.active, bound, local, tuple((item, tuple(r.id for r in rules))
                                         for item, rules in plan.items))
        with _LOCK:
            form = self._plans.pop(key, None)
            if form is None:
                form = PlanForm(self, plan, bound, local)
                if len(self._plans) >= MAX_PLANS:
                    del self._plans[next(iter(self._plans))]  # the least recently used
            self._plans[key] = form
            return form

    def view(self, env: Env, plan: Plan, bound: frozenset[str] = frozenset(),
             local: frozenset[str] = frozenset()) -> View | None:
        """The plan's diagrams restricted by a request's known facts (None when a known
        value cannot be coded); ``bound`` and ``local`` as for :meth:`plan_form`."""
        with _LOCK:
            form = self.plan_form(plan, bound, local)
            # Only the facts the diagrams read: CUDD's `let` costs by the size of its map.
            bits = self.encode(env, form.reads)
            if bits is None:
                return None
            return View(self, plan, form.items, form.covered,
                        {law_id: form.reaches[law_id] for law_id in form.matters},
                        bound, form.reads).restrict(bits)

    def bits(self, path: str, value: FactValue) -> dict[str, bool] | None:
        """The bits of one fact's value (None when the value has no class)."""
        coding = self.codings[path]
        klass = coding.class_of(value)
        return None if klass is None else coding.cube(klass)

    def answers(self, path: str) -> list[dict[str, bool]]:
        """The bits of each class of a fact's values: every answer the law tells apart."""
        coding = self.codings[path]
        return [coding.cube(klass) for klass in range(len(coding.classes))]

    def all_stand(self, form: PlanForm, item: str, rule_ids: Iterable[str],
                  bits: Mapping[str, bool]) -> dict[str, FactValue] | None:
        """Values of the facts that, with the known ``bits``, make every rule stand for
        ``item`` in ``form`` whatever the other facts are (one class's value each, facts
        that do not matter left out); None when no request does."""
        with _LOCK:
            both = self.bdd.true
            for rule_id in rule_ids:
                both &= form.stands(item, rule_id)
            both = self.bdd.let(bits, both) if bits else both
            if both == self.bdd.false:
                return None
            pick = self.bdd.pick(both)
        codes: dict[str, int] = {}
        for bit, value in pick.items():
            coding = self.codings[self.fact_of_bit[bit]]
            codes[coding.path] = codes.get(coding.path, 0) | (
                int(value) << coding.bits.index(bit))
        return {path: self.codings[path].classes[self.codings[path].klass(code)]
                for path, code in codes.items()}

    def facts(self, u: Function) -> set[str]:
        """The facts a diagram depends on."""
        with _LOCK:
            return {self.fact_of_bit[bit] for bit in self.bdd.support(u)}


class PlanForm:
    """For one plan: each item's "prohibited" and the request's "covered", as BDDs."""

    def __init__(self, law: CompiledLaw, plan: Plan, bound: frozenset[str],
                 local: frozenset[str] = frozenset()) -> None:
        bdd = law.bdd
        model = law.model
        # A law's reach: its county and city, and its `binds ... when` condition.
        self.reaches: dict[str, Function] = {
            law_id: law.condition(_LOCAL_AGENCY) if law_id in local
            else bdd.true if law_id in bound
            else law.condition(model.laws[law_id].reach)  # type: ignore[arg-type]
            for law_id in sorted(plan.active) if model.laws[law_id].reach is not None}
        covered = bdd.false
        for law_id in plan.active:
            covered |= self.reaches.get(law_id, bdd.true)
        self.covered = covered if plan.items else bdd.false
        # Where a law's reach counts: whether anything is covered, unless a law that
        # reaches every holder of the plan applies; and its exceptions to other laws'
        # rules (a rule carries its own law's reach in its condition, so an exception of
        # the same law needs no guard of its own).
        matters = set() if any(law_id not in self.reaches for law_id in plan.active) \
            else set(self.reaches)
        scope = law.engine.scope
        reads: set[str] = set()
        items = []
        self._stands: dict[str, Callable[[str], Function]] = {}
        for item, rules in plan.items:
            memo: dict[str, Function] = {}

            def stands(rule_id: str, item: str = item, memo: dict[str, Function] = memo
                       ) -> Function:
                if rule_id not in memo:
                    rule = model.rules[rule_id]
                    defeated = bdd.false
                    for exc in rule.exceptions:
                        exc_law = model.rules[exc].law_id
                        if exc_law not in plan.active or item not in scope[exc]:
                            continue
                        if exc_law != rule.law_id and exc_law in self.reaches:
                            matters.add(exc_law)
                            defeated |= self.reaches[exc_law] & stands(exc)
                        else:
                            defeated |= stands(exc)
                    memo[rule_id] = law.condition(rule.when) & ~defeated
                    reads.update(facts_used(rule.when, model))
                return memo[rule_id]

            self._stands[item] = stands
            prohibited = bdd.false
            for rule in rules:
                if rule.effect == "prohibit":
                    prohibited |= stands(rule.id)
            items.append(prohibited)
        self.items = tuple(items)
        self.matters = frozenset(matters)  # the laws whose reach counts here
        for law_id in matters:
            reads.update(facts_used(model.laws[law_id].reach, model))  # type: ignore[arg-type]
        self.reads = frozenset(reads)  # every fact the diagrams are made from reads

    def stands(self, item: str, rule_id: str) -> Function:
        """Where a rule in scope of ``item`` stands for it: its condition holds and no
        exception of a law in play, in scope of the item, stands."""
        with _LOCK:
            return self._stands[item](rule_id)


class View:
    """A plan's diagrams restricted by one request's known facts."""

    def __init__(self, law: CompiledLaw, plan: Plan, items: tuple[Function, ...],
                 covered: Function, reaches: dict[str, Function],
                 bound: frozenset[str] = frozenset(), reads: frozenset[str] = frozenset()
                 ) -> None:
        self.law = law
        self.plan = plan
        self.items = items
        self.covered = covered
        self.reaches = reaches  # of the laws whose reach counts in the plan
        self.bound = bound  # laws taken to reach the holder whatever their reach says
        self.reads = reads  # the facts the plan's diagrams are made from

    def restrict(self, bits: Mapping[str, bool]) -> View:
        """This view with more facts known (``bits``, as :meth:`CompiledLaw.bits` gives)."""
        if not bits:
            return self  # nothing more known (dd warns on an empty `let`)
        with _LOCK:
            let = self.law.bdd.let
            return View(self.law, self.plan, tuple(let(bits, u) for u in self.items),
                        let(bits, self.covered),
                        {law_id: let(bits, u) for law_id, u in self.reaches.items()},
                        self.bound, self.reads)

    def item_outcomes(self, index: int) -> set[str]:
        """The outcomes some completion gives item ``index``."""
        return _outcomes(self.law, self.items[index], self.law.bdd.true)

    def outcomes(self) -> set[str]:
        """The outcomes some completion gives the request."""
        return _outcomes(self.law, self._prohibited(), self.covered)

    def _prohibited(self) -> Function:
        """Some item is prohibited."""
        prohibited = self.law.bdd.false
        with _LOCK:
            for u in self.items:
                prohibited |= u
        return prohibited

    def item_facts(self, index: int) -> set[str]:
        """The unknown facts that can change item ``index``'s outcome."""
        return self.law.facts(self.items[index])

    def facts(self) -> set[str]:
        """The unknown facts that can change the request's outcome."""
        prohibited, covered = self._prohibited(), self.covered
        with _LOCK:
            return self.law.facts(covered) | self.law.facts(covered & prohibited)


def _outcomes(law: CompiledLaw, prohibited: Function, covered: Function) -> set[str]:
    bdd = law.bdd
    found = set()
    with _LOCK:
        if covered != bdd.true:
            found.add(NOT_COVERED)
        if (covered & prohibited) != bdd.false:
            found.add(PROHIBITED)
        if (covered & ~prohibited) != bdd.false:
            found.add(PERMITTED)
    return found


def _fact_of(node: n.Condition, defines: Mapping[str, Any]) -> str | None:
    """The fact an atom tests (None for a connective, a constant or a named condition)."""
    if isinstance(node, n.Compare | n.Member | n.Has):
        return node.fact
    if isinstance(node, n.Ref) and node.name not in defines:
        return node.name
    return None
