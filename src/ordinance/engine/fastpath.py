"""Outcomes of complete requests, by straight-line code generated from the checked law.

A request that gives every fact its rules read needs no three-valued logic, no
reasons and no case analysis: each condition is true or false. For each set of
laws that reach a holder (a plan's ``active`` laws) and each data item, this module
writes one Python function that reads those facts once, works out every rule's
condition, the standing of each rule under its exceptions (exceptions first), and
returns whether some prohibition stands. It is compiled once and kept.

The generated text holds only names this module makes up (``f0``, ``c3``, ``k2``);
every value from a law file (a literal, a set of names, a date) is passed to the
function as a constant, never written into its source.

A request that leaves a fact out (a ``KeyError`` on reading it) gets ``None``, and
the caller evaluates it the ordinary way (:meth:`Engine.evaluate` and the case
analysis): the fast path answers only where it gives the same outcome, which
``tests/engine/test_fastpath.py`` checks against the evaluator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

import attrs

from ..checker.model import Rule
from ..language import nodes as n
from .conditions import Env, facts_used, has_values
from .evaluator import (
    NOT_COVERED,
    PERMITTED,
    PROHIBITED,
    Engine,
    Evaluation,
)

ItemTest = Callable[[Env], bool | None]
"""A generated function: whether some prohibition stands for its item (None: a fact
it reads is not given)."""

MAX_FUNCTIONS = 8192
"""Generated functions kept (one per set of applying laws and data item)."""

_LOCK = threading.Lock()


@attrs.frozen
class Verdict:
    """The outcome of a request and of each requested data item, without explanation."""

    outcome: str
    items: tuple[tuple[str, str], ...]  # (data item, its outcome), in the plan's order

    @classmethod
    def of(cls, evaluation: Evaluation) -> Verdict:
        """The verdict of an evaluation; a request no law covers has no item outcome
        but *not covered*."""
        if evaluation.outcome == NOT_COVERED:
            return cls(NOT_COVERED, tuple((i.data, NOT_COVERED) for i in evaluation.items))
        return cls(evaluation.outcome, tuple((i.data, i.outcome) for i in evaluation.items))


class Unsupported(Exception):
    """A condition the generator does not write (the caller then evaluates)."""


class FastPath:
    """Generated per-item functions of one engine, made on first use and kept."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.model = engine.model
        self._made: dict[tuple[frozenset[str], str], ItemTest | None] = {}

    @property
    def generated(self) -> int:
        """How many item functions are kept."""
        return len(self._made)

    def verdict(self, env: Env) -> Verdict | None:
        """The outcomes of a request that gives every fact its rules read; None when
        some fact they read is not given (or the law uses what the generator does not
        write)."""
        data = env.get("data")
        if not isinstance(data, frozenset) or not data:
            return None
        active = self.engine.active(env)
        requested = sorted(data)
        if not active:
            return Verdict(NOT_COVERED, tuple((item, NOT_COVERED) for item in requested))
        items: list[tuple[str, str]] = []
        prohibited = False
        for item in requested:
            test = self._made.get((active, item)) or self.item_test(active, item)
            found = None if test is None else test(env)
            if found is None:
                return None
            prohibited = prohibited or found
            items.append((item, PROHIBITED if found else PERMITTED))
        if not self._covered(active, env):
            return Verdict(NOT_COVERED, tuple((item, NOT_COVERED) for item, _ in items))
        return Verdict(PROHIBITED if prohibited else PERMITTED, tuple(items))

    def _covered(self, active: frozenset[str], env: Env) -> bool:
        """Whether some law still applies once laws binding by function are judged."""
        bindings = self.engine.bindings
        if not active <= bindings.keys():
            return True  # a law that binds outright applies
        return any(bindings[law_id](env) is not False for law_id in active)

    def item_test(self, active: frozenset[str], item: str) -> ItemTest | None:
        """The generated function for ``item`` when exactly the laws ``active`` reach the
        holder (None when the law uses what the generator does not write)."""
        key = (active, item)
        try:
            return self._made[key]
        except KeyError:
            pass
        try:
            test: ItemTest | None = ItemWriter(self.engine, active, item).function()
        except Unsupported:
            test = None
        with _LOCK:
            if len(self._made) >= MAX_FUNCTIONS:
                del self._made[next(iter(self._made))]
            self._made[key] = test
        return test


class ItemWriter:
    """Writes the source of one item's function."""

    def __init__(self, engine: Engine, active: frozenset[str], item: str) -> None:
        self.engine = engine
        self.model = engine.model
        self.active = active
        self.item = item
        self.constants: dict[str, object] = {}
        self.facts: dict[str, str] = {}  # fact path -> local name
        self.defines: dict[str, str] = {}  # named condition -> local name
        self.lines: list[str] = []

    def function(self) -> ItemTest:
        """Compile the function (the source is made of generated names only)."""
        source = self.source()
        scope: dict[str, object] = dict(self.constants)
        exec(compile(source, f"<ordinance fast path: {self.item}>", "exec"), scope)  # noqa: S102
        test = scope["item_test"]
        assert callable(test)
        return test

    def source(self) -> str:
        """The function's text; the law's values are in :attr:`constants`."""
        rules = [rule for law_id in sorted(self.active)
                 for rule in self.engine.rules_by_law.get(law_id, ())
                 if self.item in self.engine.scope[rule.id]]
        in_scope = {rule.id: rule for rule in rules}
        bound = sorted(law_id for law_id in self.active if law_id in self.engine.bindings)
        for rule in rules:
            for path in facts_used(rule.when, self.model):
                self._fact(path)
        for law_id in bound:
            binding = self.model.laws[law_id].binding
            assert binding is not None
            for path in facts_used(binding, self.model):
                self._fact(path)
        body: list[str] = []
        binds = {law_id: f"b{i}" for i, law_id in enumerate(bound)}
        for law_id, name in binds.items():
            binding = self.model.laws[law_id].binding
            assert binding is not None
            body.append(f"{name} = {self._expr(binding)}")
        conditions = {rule_id: f"c{i}" for i, rule_id in enumerate(in_scope)}
        for rule_id, name in conditions.items():
            body.append(f"{name} = {self._expr(in_scope[rule_id].when)}")
        standing: dict[str, str] = {}
        for rule in rules:
            self._stands(rule, in_scope, conditions, binds, standing, body)
        prohibitions = [standing[r.id] for r in rules if r.effect == "prohibit"]
        reads = [f"    {local} = env[{self._constant(path)}]"
                 for path, local in self.facts.items()]
        return "\n".join([
            "def item_test(env):",
            "    try:",
            *(f"    {line}" for line in reads or ["    pass"]),
            "    except KeyError:",
            "        return None",
            *(f"    {line}" for line in self.lines + body),
            f"    return {' or '.join(prohibitions) or 'False'}",
        ])

    def _stands(self, rule: Rule, in_scope: Mapping[str, Rule], conditions: Mapping[str, str],
                binds: Mapping[str, str], standing: dict[str, str], body: list[str]) -> str:
        """The local holding whether ``rule`` stands for the item, written after those of
        its exceptions (as :meth:`Engine.stands`: an exception counts when its law
        applies and the item is in its scope)."""
        if rule.id in standing:
            return standing[rule.id]
        defeats = []
        for exception_id in rule.exceptions:
            exception = self.model.rules[exception_id]
            if exception.law_id not in self.active or exception_id not in in_scope:
                continue
            stands = self._stands(exception, in_scope, conditions, binds, standing, body)
            law_binds = binds.get(exception.law_id)
            defeats.append(f"({law_binds} and {stands})" if law_binds else stands)
        name = f"s{len(standing)}"
        own = conditions[rule.id]
        body.append(f"{name} = {own} and not ({' or '.join(defeats)})" if defeats
                    else f"{name} = {own}")
        standing[rule.id] = name
        return name

    def _constant(self, value: object) -> str:
        name = f"k{len(self.constants)}"
        self.constants[name] = value
        return name

    def _fact(self, path: str) -> str:
        if path not in self.facts:
            self.facts[path] = f"f{len(self.facts)}"
        return self.facts[path]

    def _define(self, name: str) -> str:
        """The local holding a named condition, written once, before its first use."""
        if name not in self.defines:
            value = self._expr(self.model.defines[name].when)
            local = f"d{len(self.defines)}"
            self.lines.append(f"{local} = {value}")
            self.defines[name] = local
        return self.defines[name]

    def _expr(self, cond: n.Condition) -> str:
        """An expression of generated names giving the condition's (two-valued) value."""
        if isinstance(cond, n.Const):
            if not isinstance(cond.value, bool):
                raise Unsupported(cond)
            return "True" if cond.value else "False"
        if isinstance(cond, n.Not):
            return f"(not {self._expr(cond.operand)})"
        if isinstance(cond, n.And | n.Or):
            joiner = " and " if isinstance(cond, n.And) else " or "
            return "(" + joiner.join(self._expr(c) for c in cond.operands) + ")"
        if isinstance(cond, n.Ref):
            if cond.name in self.model.defines:
                return self._define(cond.name)
            local = self._fact(cond.name)
            fact = self.model.facts.get(cond.name)
            return local if fact is not None and fact.kind == "bool" else f"bool({local})"
        local = self._fact(cond.fact)
        if isinstance(cond, n.Has):
            wanted = has_values(cond, self.model)
            return f"(not {self._constant(wanted)}.isdisjoint({local}))"
        if isinstance(cond, n.Member):
            allowed = self._constant(frozenset(lit.value for lit in cond.values))
            return f"({local} {'not in' if cond.negated else 'in'} {allowed})"
        op = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}.get(cond.op)
        if op is None:
            raise Unsupported(cond)
        return f"({local} {op} {self._constant(cond.value.value)})"
