"""AST modules -> checked :class:`~ordinance.model.OrdinanceModel`.

The checker is an ordered list of named passes, each ``(state, report) -> None``.
Every pass records diagnostics instead of raising; the caller fails once at the
end with all of them, sorted by file and line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from . import nodes as n
from .diagnostics import Report, did_you_mean
from .model import (
    Category,
    Define,
    Fact,
    FactValue,
    Hierarchy,
    Law,
    OrdinanceModel,
    Review,
    Rule,
    SectionText,
)
from .source import Span

JURISDICTION_FACTS = {"state": "holder.state", "county": "holder.county", "city": "holder.city"}
"""Which request fact each jurisdiction level is matched against."""

REVIEWABLE_CODES = ("conflicting-rules", "unreachable-rule", "dead-exception", "shadowed-rule",
                    "unused-fact", "uncited-section", "rule-without-citation")
"""The lint warnings a ``reviewed`` declaration may explain (a ``gap`` note never needs one)."""

_GLOB = frozenset("*?[")


@attrs.define
class _State:
    """What the passes build up, declaration by declaration."""

    modules: list[n.Module]
    digest: str
    facts: dict[str, Fact] = attrs.field(factory=dict)
    categories: dict[str, Category] = attrs.field(factory=dict)
    defines: dict[str, Define] = attrs.field(factory=dict)
    laws: dict[str, Law] = attrs.field(factory=dict)
    sections: dict[str, SectionText] = attrs.field(factory=dict)
    rule_decls: dict[str, tuple[str, n.RuleDecl]] = attrs.field(factory=dict)
    rules: dict[str, Rule] = attrs.field(factory=dict)
    hierarchy: Hierarchy = attrs.field(factory=lambda: Hierarchy.build({}))
    define_decls: list[n.Define] = attrs.field(factory=list)
    reviews: list[Review] = attrs.field(factory=list)

    def law_of(self, module: n.Module) -> str | None:
        return module.law.id if module.law else None


def _texts(**fields: n.Words | None) -> dict[str, n.Words]:
    """The given people-facing fields, with their translations."""
    return {key: words for key, words in fields.items() if words is not None}


def _label(name: str) -> str:
    return name.rsplit(".", 1)[-1].replace("_", " ")


# ---------------------------------------------------------------- pass 1: declarations


def collect_declarations(state: _State, report: Report) -> None:
    """Register every declaration, reporting duplicates and misplaced ones."""
    for module in state.modules:
        law_id = state.law_of(module)
        if module.law is not None:
            _register_law(state, module, report)
        for decl in module.declarations:
            if law_id is None and isinstance(decl, n.Section | n.RuleDecl | n.Gap):
                report.error("outside-law",
                             f"a {type(decl).__name__.lower().replace('decl', '')} "
                             "outside any law",
                             decl.span, "add a `law id { ... }` header to this file")
                if not isinstance(decl, n.Section):
                    continue  # a section is still registered, so citations of it resolve
            if isinstance(decl, n.Section):
                _register_section(state, law_id or "", decl, report)
            elif isinstance(decl, n.FactDecl):
                _register_fact(state, decl, report)
            elif isinstance(decl, n.CategoryDecl):
                _register_category(state, decl, report)
            elif isinstance(decl, n.Define):
                _register_define(state, decl, report)
            elif isinstance(decl, n.RuleDecl):
                rule_id = f"{law_id}.{decl.name}"
                if rule_id in state.rule_decls:
                    first = state.rule_decls[rule_id][1].span.location()
                    report.error("duplicate-id", f"rule `{rule_id}` is declared twice",
                                 decl.span, f"first declared at {first}")
                else:
                    state.rule_decls[rule_id] = (law_id or "", decl)


def _duplicate(table: Mapping[str, Any], key: str, what: str, span: Span,
               report: Report) -> bool:
    """Report ``key`` if ``table`` already has it; return whether it did."""
    if key not in table:
        return False
    report.error("duplicate-id", f"{what} `{key}` is declared twice", span,
                 f"first declared at {table[key].span.location()}")
    return True


def _register_law(state: _State, module: n.Module, report: Report) -> None:
    header = module.law
    assert header is not None
    if _duplicate(state.laws, header.id, "law", header.span, report):
        return
    gaps = tuple(d.text for d in module.declarations if isinstance(d, n.Gap))
    levels: dict[str, str] = {}
    for place in header.jurisdiction:
        if place.level in levels:
            report.error("duplicate-jurisdiction-level", f"law `{header.id}`: two places at "
                         f"the {place.level} level", place.span,
                         f"a law holds in one {place.level}; write one law per {place.level}")
        levels[place.level] = place.name
    if not header.jurisdiction:
        report.error("missing-jurisdiction", f"law `{header.id}` has no `jurisdiction`",
                     header.span, 'add e.g. `jurisdiction state "CA"`, or for a city '
                     '`jurisdiction state "CA", county "Alameda", city "Oakland"`')
    if not header.binds:
        report.error("missing-binds", f"law `{header.id}` does not say whom it binds",
                     header.span, "add e.g. `binds law_enforcement, sheriff`")
    state.laws[header.id] = Law(
        id=header.id,
        title=header.title.text if header.title else header.id,
        version=header.version or "",
        texts=_texts(title=header.title),
        places=tuple((level, levels[level]) for level in JURISDICTION_FACTS if level in levels),
        binds=frozenset(b.text for b in header.binds),
        in_force_from=header.in_force_from,
        in_force_until=header.in_force_until,
        source_url=header.source_url,
        notes=header.notes,
        gaps=gaps,
        path=module.path,
        span=header.span,
    )


def _register_section(state: _State, law_id: str, decl: n.Section, report: Report) -> None:
    if _duplicate(state.sections, decl.citation, "section", decl.span, report):
        return
    if not decl.text.strip():
        report.error("empty-section", f"section `{decl.citation}` has no text", decl.span,
                     "quote the section's verbatim text, or write a `gap` note instead")
    state.sections[decl.citation] = SectionText(decl.citation, decl.text, law_id, decl.span)


def _register_fact(state: _State, decl: n.FactDecl, report: Report) -> None:
    if _duplicate(state.facts, decl.path, "fact", decl.span, report):
        return
    values = tuple(v.text for v in decl.type.values)
    seen: set[str] = set()
    for value in decl.type.values:
        if value.text in seen:
            report.error("duplicate-id", f"fact `{decl.path}`: value `{value.text}` is listed "
                         "twice", value.span)
        seen.add(value.text)
    for other in state.facts:
        if other.startswith(decl.path + ".") or decl.path.startswith(other + "."):
            report.error("conflicting-fact-paths",
                         f"fact `{decl.path}` and fact `{other}` cannot both be keys",
                         decl.span, "a fact cannot also be a group of facts")
    if not decl.question:
        report.error("missing-question", f"fact `{decl.path}` has no question", decl.span,
                     'add `question "..."` in plain language for intake forms')
    state.facts[decl.path] = Fact(
        path=decl.path, kind=decl.type.kind, values=values,
        question=decl.question.text if decl.question else "",
        label=decl.label.text if decl.label else _label(decl.path),
        required=decl.required, default=None,
        cites=tuple(c.text for c in decl.cites), span=decl.span,
        texts=_texts(question=decl.question, label=decl.label),
        value_texts={name.text: words for name, words in decl.value_labels},
    )
    for name, _words in decl.value_labels:
        if name.text not in values:
            report.error("unknown-value", f"fact `{decl.path}`: a label for `{name.text}`, "
                         "which is not one of its values", name.span,
                         did_you_mean(name.text, values) or "allowed: " + ", ".join(values))


def _register_category(state: _State, decl: n.CategoryDecl, report: Report) -> None:
    if _duplicate(state.categories, decl.name, "category", decl.span, report):
        return
    state.categories[decl.name] = Category(
        decl.name, decl.parent.text if decl.parent else None,
        decl.label.text if decl.label else _label(decl.name),
        tuple(c.text for c in decl.cites), decl.span, _texts(label=decl.label))


def _register_define(state: _State, decl: n.Define, report: Report) -> None:
    if _duplicate(state.defines, decl.name, "condition", decl.span, report):
        return
    if decl.when is None:
        report.error("missing-condition", f"condition `{decl.name}` has no `when`", decl.span,
                     "add `when` and the condition it names")
    state.defines[decl.name] = Define(
        decl.name, decl.when or n.Const(False, decl.span),
        decl.label.text if decl.label else _label(decl.name),
        tuple(c.text for c in decl.cites), decl.span, _texts(label=decl.label))
    state.define_decls.append(decl)


# ---------------------------------------------------------------- pass 2: categories


def resolve_categories(state: _State, report: Report) -> None:
    """Check category parents exist and the hierarchy has no cycle."""
    for category in state.categories.values():
        if category.parent is not None and category.parent not in state.categories:
            decl_parent = category.parent
            report.error("unknown-category", f"category `{category.name}`: unknown parent "
                         f"`{decl_parent}`", category.span,
                         did_you_mean(decl_parent, state.categories))
    for category in state.categories.values():
        seen = {category.name}
        parent = category.parent
        while parent is not None and parent in state.categories:
            if parent in seen:
                report.error("category-cycle",
                             f"category `{category.name}` is, through its parents, a kind of "
                             "itself", category.span, "the hierarchy must be a tree")
                break
            seen.add(parent)
            parent = state.categories[parent].parent
    state.hierarchy = Hierarchy.build(state.categories)


# ---------------------------------------------------------------- pass 3: facts


def check_facts(state: _State, report: Report) -> None:
    """Check each fact's default against its type (after categories are known)."""
    for module in state.modules:
        for decl in module.declarations:
            if not isinstance(decl, n.FactDecl) or decl.path not in state.facts:
                continue
            fact = state.facts[decl.path]
            if decl.type.kind == "categories" and not state.categories:
                report.error("no-categories", f"fact `{fact.path}` is a set of categories, but "
                             "no category is declared", decl.span)
            if decl.default is not None:
                value = _literal_value(state, fact, decl.default, "default", report)
                if value is not None:
                    state.facts[fact.path] = attrs.evolve(fact, default=value)


# ---------------------------------------------------------------- pass 4: laws


def check_laws(state: _State, report: Report) -> None:
    """Check each law's reach: bound holder kinds, jurisdiction level, dates."""
    holder_kind = state.facts.get("holder.kind")
    for law in state.laws.values():
        if law.in_force_from and law.in_force_until and law.in_force_until < law.in_force_from:
            report.error("invalid-dates", f"law `{law.id}` ends before it begins", law.span,
                         f"`in_force from {law.in_force_from.isoformat()} until "
                         f"{law.in_force_until.isoformat()}`: the second date must not be "
                         "earlier than the first")
        for level, _name in law.places:
            if JURISDICTION_FACTS[level] not in state.facts:
                report.error("unknown-fact", f"law `{law.id}`: jurisdiction needs the fact "
                             f"`{JURISDICTION_FACTS[level]}`", law.span,
                             "declare it in the vocabulary")
    for module in state.modules:
        if module.law is None or holder_kind is None:
            continue
        for bound in module.law.binds:
            if bound.text not in holder_kind.values:
                report.error("unknown-value",
                             f"law `{module.law.id}`: `{bound.text}` is not a kind of holder",
                             bound.span, did_you_mean(bound.text, holder_kind.values)
                             or "allowed: " + ", ".join(dict.fromkeys(holder_kind.values)))


# ---------------------------------------------------------------- pass 5: citations


def _cited(state: _State) -> Iterator[tuple[str, n.Citation]]:
    for module in state.modules:
        law_id = state.law_of(module)
        for decl in module.declarations:
            if isinstance(decl, n.FactDecl):
                owner = f"fact `{decl.path}`"
            elif isinstance(decl, n.CategoryDecl):
                owner = f"category `{decl.name}`"
            elif isinstance(decl, n.Define):
                owner = f"condition `{decl.name}`"
            elif isinstance(decl, n.RuleDecl):
                kind = "exception" if decl.is_exception else "rule"
                owner = f"{kind} `{law_id}.{decl.name}`"
            else:
                continue
            for cite in decl.cites:
                yield owner, cite


def resolve_citations(state: _State, report: Report) -> None:
    """Every citation must name a declared section."""
    for owner, cite in _cited(state):
        if cite.text not in state.sections:
            report.error("unknown-citation", f"{owner}: no section `{cite.text}`", cite.span,
                         did_you_mean(cite.text, state.sections)
                         or "declare the section with its verbatim text, or cite one that is")


# ---------------------------------------------------------------- pass 6: conditions


def _literal_value(state: _State, fact: Fact, literal: n.Literal, owner: str,
                   report: Report) -> FactValue | None:
    """Check a literal against a fact's type; return its value if it fits."""
    value = literal.value
    kind = fact.kind
    where = (f"fact `{fact.path}`: its default" if owner == "default"
             else f"{owner}: fact `{fact.path}`")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        report.error("type-mismatch", f"{where} is true or false, not `{value}`", literal.span,
                     "write `true` or `false`" if owner == "default"
                     else "compare with `true` or `false`, or write the fact alone")
    elif kind == "date":
        if isinstance(value, dt.date):
            return value
        report.error("type-mismatch", f"{where} is a date, not `{value}`", literal.span,
                     "write a date as YYYY-MM-DD")
    elif kind == "text":
        if isinstance(value, str) and not literal.is_name:
            return value
        report.error("type-mismatch", f"{where} is text; `{value}` must be quoted",
                     literal.span, f'write `"{value}"`')
    elif kind in ("one_of", "set_of", "categories"):
        allowed = state.categories if kind == "categories" else fact.values
        if isinstance(value, str) and literal.is_name:
            if value in allowed:
                return value
            code = "unknown-category" if kind == "categories" else "unknown-value"
            report.error(code, f"{where} has no value `{value}`", literal.span,
                         did_you_mean(value, allowed)
                         or "allowed: " + ", ".join(sorted(set(allowed))))
        else:
            report.error("type-mismatch", f"{where} takes one of its names, not `{value}`",
                         literal.span, "allowed: " + ", ".join(sorted(set(allowed))))
    return None


def _names_in_scope(state: _State) -> list[str]:
    return [*state.facts, *state.defines]


MAX_CONDITION_DEPTH = 32
"""How deeply conditions may nest (parentheses and `not`); deeper ones are refused."""


def check_condition(state: _State, cond: n.Condition, owner: str, report: Report,
                    depth: int = 1) -> None:
    """Check names and types in one condition, recursively."""
    if depth > MAX_CONDITION_DEPTH:
        report.error("condition-too-deep", f"{owner}: the condition nests deeper than "
                     f"{MAX_CONDITION_DEPTH} levels", cond.span,
                     "name parts of it with `define` and use the names")
        return
    if isinstance(cond, n.And | n.Or):
        for operand in cond.operands:
            check_condition(state, operand, owner, report, depth + 1)
    elif isinstance(cond, n.Not):
        check_condition(state, cond.operand, owner, report, depth + 1)
    elif isinstance(cond, n.Ref):
        if cond.name in state.defines:
            return
        fact = state.facts.get(cond.name)
        if fact is None:
            report.error("unknown-name", f"{owner}: unknown fact or condition `{cond.name}`",
                         cond.span, did_you_mean(cond.name, _names_in_scope(state)))
        elif fact.kind != "bool":
            report.error("type-mismatch", f"{owner}: fact `{cond.name}` is not true or false",
                         cond.span, _operator_help(fact))
    elif isinstance(cond, n.Compare | n.Member | n.Has):
        fact = state.facts.get(cond.fact)
        if fact is None:
            report.error("unknown-fact", f"{owner}: unknown fact `{cond.fact}`", cond.span,
                         did_you_mean(cond.fact, state.facts))
            return
        _check_operator(state, cond, fact, owner, report)


def _operator_help(fact: Fact) -> str:
    if fact.kind in ("set_of", "categories"):
        return f"test membership with `{fact.path} has ...`"
    if fact.kind == "date":
        return f"compare it with a date, e.g. `{fact.path} >= 2018-01-01`"
    return f"compare it with `=` or `in`, e.g. `{fact.path} = ...`"


def _check_operator(state: _State, cond: n.Compare | n.Member | n.Has, fact: Fact,
                    owner: str, report: Report) -> None:
    is_set = fact.kind in ("set_of", "categories")
    if isinstance(cond, n.Has):
        if not is_set:
            report.error("type-mismatch", f"{owner}: `has` needs a set fact; `{fact.path}` is "
                         "not one", cond.span, _operator_help(fact))
            return
        values: tuple[n.Literal, ...] = cond.values
    elif isinstance(cond, n.Compare) and cond.op in ("<", "<=", ">", ">="):
        if fact.kind != "date":
            report.error("type-mismatch", f"{owner}: `{cond.op}` compares dates; `{fact.path}` "
                         "is not a date", cond.span, _operator_help(fact))
            return
        values = (cond.value,)
    else:
        if is_set:
            report.error("type-mismatch", f"{owner}: `{fact.path}` is a set",
                         cond.span, _operator_help(fact))
            return
        values = (cond.value,) if isinstance(cond, n.Compare) else cond.values
    for literal in values:
        _literal_value(state, fact, literal, owner, report)


def check_conditions(state: _State, report: Report) -> None:
    """Check every condition in defines and rules, and every rule's data scope."""
    for decl in state.define_decls:
        if decl.when is not None:
            check_condition(state, decl.when, f"condition `{decl.name}`", report)
    for rule_id, (_law, rule_decl) in state.rule_decls.items():
        owner = f"rule `{rule_id}`"
        if rule_decl.when is not None:
            check_condition(state, rule_decl.when, owner, report)
        if rule_decl.effect is not None:
            for name in rule_decl.effect.scope:
                if name.text not in state.categories:
                    report.error("unknown-category", f"{owner}: unknown data category "
                                 f"`{name.text}`", name.span,
                                 did_you_mean(name.text, state.categories))


# ---------------------------------------------------------------- pass 7: exceptions


def resolve_exceptions(state: _State, report: Report) -> None:
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
    for rule_id, (law_id, decl) in state.rule_decls.items():
        effect = decl.effect
        state.rules[rule_id] = Rule(
            id=rule_id, law_id=law_id, name=decl.name,
            effect=effect.kind if effect else None,
            duty=effect.duty.text if effect and effect.duty else None,
            upon_receipt=effect.upon_receipt if effect else False,
            scope=frozenset(s.text for s in effect.scope) if effect else frozenset(),
            excepts=tuple(targets[rule_id]),
            exceptions=tuple(inverse[rule_id]),
            when=decl.when or n.Const(True, decl.span),
            cites=tuple(c.text for c in decl.cites),
            summary=decl.summary.text if decl.summary else None,
            span=decl.span,
            texts=_texts(summary=decl.summary, duty=effect.duty if effect else None),
        )


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


def check_cycles(state: _State, report: Report) -> None:
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


def _refs(cond: n.Condition, state: _State) -> Iterable[str]:
    if isinstance(cond, n.Ref) and cond.name in state.defines:
        yield cond.name
    elif isinstance(cond, n.And | n.Or):
        for operand in cond.operands:
            yield from _refs(operand, state)
    elif isinstance(cond, n.Not):
        yield from _refs(cond.operand, state)


MAX_EXPANDED_DEPTH = 64
"""How deeply a condition may nest once named conditions are expanded into it."""


def _depth(cond: n.Condition, state: _State, memo: dict[str, int]) -> int:
    if isinstance(cond, n.And | n.Or):
        return 1 + max(_depth(c, state, memo) for c in cond.operands)
    if isinstance(cond, n.Not):
        return 1 + _depth(cond.operand, state, memo)
    if isinstance(cond, n.Ref) and cond.name in state.defines:
        return 1 + memo.get(cond.name, 0)
    return 1


def check_depth(state: _State, report: Report) -> None:
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


def check_rules(state: _State, report: Report) -> None:
    """A rule (not an exception) needs an effect."""
    for rule in state.rules.values():
        declared_as_exception = state.rule_decls[rule.id][1].is_exception
        if not declared_as_exception and rule.effect is None:
            report.error("missing-effect", f"rule `{rule.id}` has no effect", rule.span)


# ---------------------------------------------------------------- pass 11: reviews


def check_reviews(state: _State, report: Report) -> None:
    """A review names a reviewable warning code, subjects that exist, and a reason."""
    subjects = [*state.rule_decls, *state.facts, *state.sections]
    known = set(subjects)
    for module in state.modules:
        law_id = state.law_of(module)
        for decl in module.declarations:
            if not isinstance(decl, n.Review):
                continue
            if decl.code not in REVIEWABLE_CODES:
                report.error("unknown-warning-code", f"review: no warning `{decl.code}` to "
                             "review", decl.code_span or decl.span,
                             "a `gap` note is itself the explanation; it needs no review"
                             if decl.code == "gap" else did_you_mean(decl.code, REVIEWABLE_CODES)
                             or "a review explains one of: " + ", ".join(REVIEWABLE_CODES))
            spans = decl.subject_spans or (decl.span,) * len(decl.subjects)
            for pattern, span in zip(decl.subjects, spans, strict=False):
                if _GLOB.isdisjoint(pattern) and pattern not in known:
                    local = f"{law_id}.{pattern}"
                    report.error("unknown-review-subject", f"review of `{decl.code}`: no rule, "
                                 f"fact or section `{pattern}`", span,
                                 f"write the rule's full id: `{local}`" if local in known
                                 else did_you_mean(pattern, subjects)
                                 or "name a rule by its full id (`law.rule`), a fact by its "
                                 "path, a section by its citation, or use a pattern with `*`")
            if not decl.reason.text.strip():
                report.error("missing-reason", f"review of `{decl.code}` gives no reason",
                             decl.reason_span or decl.span,
                             "say after `because` why the warning is acceptable")
            state.reviews.append(Review(
                code=decl.code, subjects=decl.subjects, reason=decl.reason.text,
                law_id=law_id, path=module.path, span=decl.span,
                texts=_texts(reason=decl.reason)))


PASSES: list[tuple[str, Callable[[_State, Report], None]]] = [
    ("collect-declarations", collect_declarations),
    ("resolve-categories", resolve_categories),  # needs: declarations
    ("check-facts", check_facts),  # needs: categories (category defaults)
    ("check-laws", check_laws),  # needs: facts (holder.kind values)
    ("resolve-citations", resolve_citations),  # needs: sections
    ("check-conditions", check_conditions),  # needs: facts, categories, defines
    ("resolve-exceptions", resolve_exceptions),  # needs: rule declarations
    ("check-cycles", check_cycles),  # needs: resolved exceptions
    ("check-depth", check_depth),  # needs: no define cycles reported (skips them)
    ("check-rules", check_rules),  # needs: resolved rules
    ("check-reviews", check_reviews),  # needs: declarations (rule ids, fact paths, citations)
]
"""The checker's passes, in order; each comment names what it relies on."""


def check(modules: list[n.Module], digest: str, report: Report) -> OrdinanceModel:
    """Run every pass over the modules; diagnostics go to ``report``."""
    state = _State(modules, digest)
    for _name, run in PASSES:
        run(state, report)
    return OrdinanceModel(
        facts=state.facts, hierarchy=state.hierarchy, defines=state.defines,
        laws=state.laws, sections=state.sections, rules=state.rules, digest=digest,
        reviews=tuple(state.reviews),
    )

