"""Checker passes 7-10: exceptions, cycles, the depth of named conditions, rule effects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import attrs

from ..language import nodes as n
from ..language.diagnostics import Report, did_you_mean
from .model import Law, Rule
from .state import State, texts

# ---------------------------------------------------------------- pass 7: exceptions


def resolve_exceptions(state: State, report: Report) -> None:
    """Resolve exception targets (local name first, then a full id) and build rules."""
    targets: dict[str, list[str]] = {}
    for rule_id, (law_id, decl) in state.rule_decls.items():
        resolved: list[str] = []
        for target in decl.excepts:
            local = f"{law_id}.{target.text}"
            if local in state.rule_decls:
                resolved.append(local)
            elif target.text in state.rule_decls:
                resolved.append(target.text)
            else:
                local_names = [r.split(".")[-1] for r in state.rule_decls
                               if r.startswith(f"{law_id}.")]
                report.error("unknown-exception-target",
                             f"exception `{rule_id}`: no rule `{target.text}` to except",
                             target.span,
                             did_you_mean(target.text, local_names)
                             or did_you_mean(target.text, state.rule_decls))
        targets[rule_id] = resolved
    inverse: dict[str, list[str]] = {rule_id: [] for rule_id in state.rule_decls}
    for rule_id, excepted in targets.items():
        for target_id in excepted:
            inverse[target_id].append(rule_id)
    for law_id, declared in list(state.laws.items()):
        state.laws[law_id] = attrs.evolve(declared, reach=_reach(declared, state))
    for rule_id, (law_id, decl) in state.rule_decls.items():
        effect = decl.effect
        stated = decl.when or n.Const(True, decl.span)
        law = state.laws.get(law_id)
        binding = law.reach if law is not None else None
        state.rules[rule_id] = Rule(
            id=rule_id, law_id=law_id, name=decl.name,
            effect=effect.kind if effect else None,
            duty=effect.duty.text if effect and effect.duty else None,
            upon_receipt=effect.upon_receipt if effect else False,
            scope=frozenset(s.text for s in effect.scope) if effect else frozenset(),
            excepts=tuple(targets[rule_id]),
            exceptions=tuple(inverse[rule_id]),
            # A rule holds only where its law binds: the holder's function and place.
            when=stated if binding is None else n.And((binding, stated), stated.span),
            stated=None if binding is None else stated,
            cites=tuple(c.text for c in decl.cites),
            summary=decl.summary.text if decl.summary else None,
            span=decl.span,
            texts=texts(summary=decl.summary, duty=effect.duty if effect else None),
        )


def _reach(law: Law, state: State) -> n.Condition | None:
    """Where a law binds, as a condition: its county and city (when the vocabulary has
    those facts, so a holder whose place is not given leaves the law open, not dropped)
    and its ``binds ... when`` condition."""
    places: list[n.Condition] = [
        n.Compare(f"holder.{level}", "=", n.Literal(name, False, law.span), law.span)
        for level, name in law.places
        if level in ("county", "city") and f"holder.{level}" in state.facts]
    parts = [*places, *([law.binding] if law.binding is not None else [])]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else n.And(tuple(parts), law.span)


def _find_cycle(graph: Mapping[str, Sequence[str]]) -> Iterator[list[str]]:
    """Yield each cycle once (as the path that closes it), depth first."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph.get(start, ())))]
        on_path = [start]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.pop()
                done.add(node)
            elif child in on_path:
                yield [*on_path[on_path.index(child):], child]
            elif child not in done:
                stack.append((child, iter(graph.get(child, ()))))
                on_path.append(child)


def check_cycles(state: State, report: Report) -> None:
    """No rule may be, through exceptions, an exception to itself; no define may use itself."""
    rule_graph = {rule.id: rule.excepts for rule in state.rules.values()}
    for cycle in _find_cycle(rule_graph):
        rule = state.rules[cycle[0]]
        report.error("exception-cycle", "exceptions form a cycle: "
                     + " -> ".join(f"`{r}`" for r in cycle), rule.span,
                     "an exception cannot, directly or through others, except itself")
    define_graph = {name: list(_refs(define.when, state)) for name, define in
                    state.defines.items()}
    for cycle in _find_cycle(define_graph):
        define = state.defines[cycle[0]]
        report.error("condition-cycle", "named conditions use each other in a cycle: "
                     + " -> ".join(f"`{d}`" for d in cycle), define.span)


def _refs(cond: n.Condition, state: State) -> Iterable[str]:
    if isinstance(cond, n.Ref) and cond.name in state.defines:
        yield cond.name
    elif isinstance(cond, n.And | n.Or):
        for operand in cond.operands:
            yield from _refs(operand, state)
    elif isinstance(cond, n.Not):
        yield from _refs(cond.operand, state)


MAX_EXPANDED_DEPTH = 160
"""How deeply a condition may nest once named conditions are expanded into it."""


def _depth(cond: n.Condition, state: State, memo: dict[str, int]) -> int:
    if isinstance(cond, n.And | n.Or):
        return 1 + max(_depth(c, state, memo) for c in cond.operands)
    if isinstance(cond, n.Not):
        return 1 + _depth(cond.operand, state, memo)
    if isinstance(cond, n.Ref) and cond.name in state.defines:
        return 1 + memo.get(cond.name, 0)
    return 1


def check_depth(state: State, report: Report) -> None:
    """Named conditions may use each other, but not in chains too long to evaluate."""
    memo: dict[str, int] = {}
    remaining = dict(state.defines)
    # Definitions in dependency order (cycles were reported by check_cycles; skip them).
    while remaining:
        ready = [name for name, define in remaining.items()
                 if all(r not in remaining or r == name for r in _refs(define.when, state))]
        if not ready:
            break
        for name in ready:
            when = remaining.pop(name).when
            memo[name] = _depth(when, state, memo)
            inherited = any(memo.get(r, 0) > MAX_EXPANDED_DEPTH for r in _refs(when, state))
            if memo[name] > MAX_EXPANDED_DEPTH and not inherited:
                report.error("condition-too-deep", f"condition `{name}` nests {memo[name]} "
                             "levels deep through the named conditions it uses; the limit is "
                             f"{MAX_EXPANDED_DEPTH}", state.defines[name].span,
                             "shorten the chain of named conditions")


def check_rules(state: State, report: Report) -> None:
    """A rule (not an exception) needs an effect; an exception cannot be a warning; a gap
    names rules of the law set or data categories."""
    for rule in state.rules.values():
        declared_as_exception = state.rule_decls[rule.id][1].is_exception
        if not declared_as_exception and rule.effect is None:
            report.error("missing-effect", f"rule `{rule.id}` has no effect", rule.span)
        if declared_as_exception and rule.effect == "warn":
            report.error("warning-exception", f"exception `{rule.id}` cannot be a `warn`",
                         rule.span, "write the warning as a rule of its own")
    for module in state.modules:
        law = state.laws.get(module.law.id) if module.law is not None else None
        if module.law is None or law is None or law.path != module.path:
            continue
        rules: list[tuple[str, ...]] = []
        data: list[tuple[str, ...]] = []
        for decl in module.declarations:
            if isinstance(decl, n.Gap):
                found = [_gap_subject(state, module.law.id, name, report) for name in decl.rules]
                rules.append(tuple(f[1] for f in found if f is not None and f[0] == "rule"))
                data.append(tuple(f[1] for f in found if f is not None and f[0] == "data"))
        state.laws[law.id] = attrs.evolve(law, gap_rules=tuple(rules), gap_data=tuple(data))


def _gap_subject(state: State, law_id: str, name: n.Name, report: Report
                 ) -> tuple[str, str] | None:
    """What a name after `gap ... for` is: a rule (local name, then full id) or a category."""
    for candidate in (f"{law_id}.{name.text}", name.text):
        if candidate in state.rules:
            return ("rule", candidate)
    if name.text in state.categories:
        return ("data", name.text)
    local = [r.split(".")[-1] for r in state.rules if r.startswith(f"{law_id}.")]
    report.error("unknown-rule", f"gap: no rule `{name.text}` in law `{law_id}` or the law "
                 "set, and no data category of that name", name.span,
                 did_you_mean(name.text, [*local, *state.categories])
                 or did_you_mean(name.text, state.rules))
    return None
