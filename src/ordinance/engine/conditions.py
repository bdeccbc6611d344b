"""Conditions -> fast three-valued callables, and the reasons behind a value.

Three-valued (Kleene) logic: ``True``, ``False`` or ``None`` for *unknown*.
A fact absent from the environment is unknown, never false.
"""

from __future__ import annotations

import datetime as dt
import operator
import threading
from collections.abc import Callable, Iterator, Mapping

from ..checker.model import FactValue, OrdinanceModel
from ..language import nodes as n

TruthValue = bool | None
"""``True``, ``False``, or ``None`` for unknown."""

Env = Mapping[str, FactValue]
"""A request's facts by path; a missing path is unknown."""

Test = Callable[[Env], TruthValue]
"""A compiled condition."""

_DATE_OPS: dict[str, Callable[[dt.date, dt.date], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def kleene_and(values: Iterator[TruthValue]) -> TruthValue:
    """Kleene conjunction: false wins, then unknown, then true.

    >>> kleene_and(iter([True, None])), kleene_and(iter([None, False]))
    (None, False)
    """
    result: TruthValue = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def kleene_or(values: Iterator[TruthValue]) -> TruthValue:
    """Kleene disjunction: true wins, then unknown, then false.

    >>> kleene_or(iter([False, None])), kleene_or(iter([None, True]))
    (None, True)
    """
    result: TruthValue = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def _remembering(test: Test) -> Test:
    """A named condition's test that remembers its value on the last environment it was
    asked about: a definition used twice in one condition (or by another definition used
    twice) is worked out once per request, so a chain of definitions each using the one
    before twice costs time linear in its length, not exponential.

    The slot holds the environment itself, so an identity match cannot be a different
    request; environments are never changed once they are evaluated.
    """
    slot: list[tuple[Env, TruthValue] | None] = [None]

    def remembered(env: Env) -> TruthValue:
        last = slot[0]
        if last is not None and last[0] is env:
            return last[1]
        value = test(env)
        slot[0] = (env, value)
        return value
    return remembered


def _junction(parts: tuple[Test, ...], decisive: bool) -> Test:
    """Kleene ``and`` (``decisive`` False: a false part decides) or ``or`` (True: a true
    part decides), as one loop: no generator per call on the evaluator's hot path."""
    def junction(env: Env) -> TruthValue:
        result: TruthValue = not decisive
        for part in parts:
            value = part(env)
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result
    return junction


class Compiler:
    """Compiles conditions of one checked model, caching named conditions."""

    def __init__(self, model: OrdinanceModel) -> None:
        self.model = model
        self._defines: dict[str, Test] = {}
        self._cache: dict[int, tuple[n.Condition, Test]] = {}

    def compile(self, cond: n.Condition) -> Test:
        """Return a callable computing ``cond``'s truth value on an environment."""
        cached = self._cache.get(id(cond))
        if cached is not None and cached[0] is cond:
            return cached[1]
        test = self._build(cond)
        self._cache[id(cond)] = (cond, test)
        return test

    def _build(self, cond: n.Condition) -> Test:
        if isinstance(cond, n.Const):
            value = cond.value
            return lambda env: value
        if isinstance(cond, n.Not):
            inner = self.compile(cond.operand)

            def negate(env: Env) -> TruthValue:
                value = inner(env)
                return None if value is None else not value
            return negate
        if isinstance(cond, n.And | n.Or):
            return _junction(tuple(self.compile(c) for c in cond.operands),
                             decisive=isinstance(cond, n.Or))
        if isinstance(cond, n.Ref):
            return self._ref(cond.name)
        if isinstance(cond, n.Has):
            return self._has(cond)
        if isinstance(cond, n.Member):
            return self._member(cond)
        return self._compare(cond)

    def _ref(self, name: str) -> Test:
        if name in self.model.defines:
            if name not in self._defines:
                # Compile lazily through a cell so that definitions may use each other.
                cell: list[Test] = []
                self._defines[name] = lambda env: cell[0](env)
                cell.append(self.compile(self.model.defines[name].when))
                self._defines[name] = _remembering(cell[0])
            return self._defines[name]

        def fact_is_true(env: Env) -> TruthValue:
            value = env.get(name)
            return None if value is None else bool(value)
        return fact_is_true

    def _has(self, cond: n.Has) -> Test:
        wanted = has_values(cond, self.model)
        path = cond.fact

        def has(env: Env) -> TruthValue:
            value = env.get(path)
            if value is None:
                return None
            assert isinstance(value, frozenset)
            return not wanted.isdisjoint(value)
        return has

    def _member(self, cond: n.Member) -> Test:
        allowed = frozenset(literal.value for literal in cond.values)
        path, negated = cond.fact, cond.negated

        def member(env: Env) -> TruthValue:
            value = env.get(path)
            if value is None:
                return None
            return (value in allowed) != negated
        return member

    def _compare(self, cond: n.Compare) -> Test:
        path, expected = cond.fact, cond.value.value
        if cond.op in _DATE_OPS:
            compare = _DATE_OPS[cond.op]
            assert isinstance(expected, dt.date)

            def dated(env: Env) -> TruthValue:
                value = env.get(path)
                if value is None:
                    return None
                assert isinstance(value, dt.date)
                return compare(value, expected)
            return dated
        negated = cond.op == "!="

        def equals(env: Env) -> TruthValue:
            value = env.get(path)
            if value is None:
                return None
            return (value == expected) != negated
        return equals


def has_values(cond: n.Has, model: OrdinanceModel) -> frozenset[str]:
    """The values any one of which makes ``fact has ...`` true: the named values, and
    for data categories every category below them too."""
    categories = model.facts[cond.fact].kind == "categories"
    wanted: frozenset[str] = frozenset()
    for literal in cond.values:
        name = str(literal.value)
        wanted |= model.hierarchy.descendants(name) if categories else {name}
    return wanted


def leaves(cond: n.Condition, model: OrdinanceModel) -> Iterator[n.Condition]:
    """Every atom of a condition and every named-condition reference, each define expanded once.

    Yields ``Ref`` nodes (facts and named conditions alike), ``Compare``,
    ``Member``, ``Has`` and ``Const``; the body of each named condition is
    walked the first time it is met.
    """
    seen: set[str] = set()
    stack = [cond]
    while stack:
        node = stack.pop()
        if isinstance(node, n.And | n.Or):
            stack.extend(node.operands)
        elif isinstance(node, n.Not):
            stack.append(node.operand)
        else:
            yield node
            if isinstance(node, n.Ref) and node.name in model.defines and node.name not in seen:
                seen.add(node.name)
                stack.append(model.defines[node.name].when)


def facts_used(cond: n.Condition, model: OrdinanceModel) -> Iterator[str]:
    """Every fact path a condition reads, through named conditions too."""
    for node in leaves(cond, model):
        if isinstance(node, n.Ref) and node.name not in model.defines:
            yield node.name
        elif isinstance(node, n.Compare | n.Member | n.Has):
            yield node.fact


def defines_used(cond: n.Condition, model: OrdinanceModel) -> Iterator[str]:
    """Every named condition a condition uses, directly or through others."""
    return iter(dict.fromkeys(node.name for node in leaves(cond, model)
                              if isinstance(node, n.Ref) and node.name in model.defines))


def literals_used(cond: n.Condition, model: OrdinanceModel) -> Iterator[tuple[str, FactValue]]:
    """Every ``(fact, literal)`` pair a condition compares against."""
    for node in leaves(cond, model):
        if isinstance(node, n.Compare):
            yield node.fact, node.value.value
        elif isinstance(node, n.Member | n.Has):
            for literal in node.values:
                yield node.fact, literal.value


def literals_by_fact(model: OrdinanceModel) -> dict[str, list[FactValue]]:
    """Every literal each declared fact is compared with by some rule, in first-use order
    (named conditions are walked through the rules that use them)."""
    mentioned: dict[str, list[FactValue]] = {path: [] for path in model.facts}
    for rule in model.rules.values():
        for path, value in literals_used(rule.when, model):
            if path in mentioned and value not in mentioned[path]:
                mentioned[path].append(value)
    return mentioned


MAX_REMEMBERED_REASONS = 16384
"""Conditions' reasons a :class:`ReasonsMemo` keeps."""


class ReasonsMemo:
    """:func:`reasons` of whole conditions (a rule's, a law's binding), remembered by the
    values of the facts each reads.

    A condition's value, and which of its operands decide it, depend on nothing but
    those values. Requests share most of them: a rule reads a handful of facts,
    so a stream of different requests asks the same few questions of each rule. At
    most :data:`MAX_REMEMBERED_REASONS` are kept, the oldest dropped first.
    """

    def __init__(self, model: OrdinanceModel, compiler: Compiler,
                 size: int = MAX_REMEMBERED_REASONS) -> None:
        self.model = model
        self.compiler = compiler
        self.size = size
        self._reads: dict[int, tuple[n.Condition, tuple[str, ...]]] = {}
        self._kept: dict[tuple[int, tuple[FactValue | None, ...]],
                         tuple[TruthValue, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def __call__(self, cond: n.Condition, env: Env) -> tuple[TruthValue, tuple[str, ...]]:
        """The condition's value and its reasons, each line once, in order."""
        read = self._reads.get(id(cond))
        if read is None or read[0] is not cond:
            read = (cond, tuple(dict.fromkeys(facts_used(cond, self.model))))
            self._reads[id(cond)] = read
        key = (id(cond), tuple(map(env.get, read[1])))
        try:
            found = self._kept.get(key)
        except TypeError:  # a value that cannot be a key (none of the vocabulary's kinds)
            value, lines = reasons(cond, env, self.model, self.compiler)
            return value, tuple(dict.fromkeys(lines))
        if found is None:
            value, lines = reasons(cond, env, self.model, self.compiler)
            found = (value, tuple(dict.fromkeys(lines)))
            with self._lock:
                if len(self._kept) >= self.size:
                    del self._kept[next(iter(self._kept))]
                self._kept[key] = found
        return found


def describe_value(value: FactValue | None) -> str:
    """A fact value as a reader sees it.

    >>> describe_value(frozenset({"b", "a"})), describe_value(True), describe_value(None)
    ('[a, b]', 'true', 'unknown')
    """
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]"
    return str(value)


def reasons(cond: n.Condition, env: Env, model: OrdinanceModel, compiler: Compiler,
            defined: dict[str, tuple[TruthValue, list[str]]] | None = None
            ) -> tuple[TruthValue, list[str]]:
    """A condition's value and the facts that decide it, as ``fact = value`` lines (each
    once).

    For a true ``and`` every operand counts; for a false one, the first false
    operand; for ``or`` the reverse. Unknown results name the unknown facts. Each named
    condition is explained once per call (``defined`` keeps them), so shared definitions
    cost linear time.
    """
    defined = {} if defined is None else defined
    value = compiler.compile(cond)(env)
    if isinstance(cond, n.Const):
        return value, []
    if isinstance(cond, n.Not):
        return value, reasons(cond.operand, env, model, compiler, defined)[1]
    if isinstance(cond, n.And | n.Or):
        decisive = False if isinstance(cond, n.And) else True
        if value is decisive:
            for operand in cond.operands:
                found, lines = reasons(operand, env, model, compiler, defined)
                if found is decisive:
                    return value, lines
        parts = [reasons(c, env, model, compiler, defined) for c in cond.operands]
        if value is None:
            return value, list(dict.fromkeys(line for v, r in parts if v is None for line in r))
        return value, list(dict.fromkeys(line for _v, r in parts for line in r))
    if isinstance(cond, n.Ref) and cond.name in model.defines:
        if cond.name not in defined:
            defined[cond.name] = (value, reasons(model.defines[cond.name].when, env, model,
                                                 compiler, defined)[1])
        return value, defined[cond.name][1]
    path = cond.name if isinstance(cond, n.Ref) else cond.fact
    actual = env.get(path)
    if actual is None:
        return value, [f"{path} is unknown"]
    return value, [f"{path} = {describe_value(actual)}"]
