"""Checker passes 1-5: declarations, categories, facts, laws and citations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from ..language import nodes as n
from ..language.diagnostics import Report, did_you_mean
from ..language.source import Span
from .conditions import literal_value
from .model import (
    Category,
    Define,
    Fact,
    Hierarchy,
    Law,
    SectionText,
)
from .places import Gazetteer, Place, PlaceProblem
from .state import JURISDICTION_FACTS, State, label_of, texts

# ---------------------------------------------------------------- pass 1: declarations


def collect_declarations(state: State, report: Report) -> None:
    """Register every declaration, reporting duplicates and misplaced ones."""
    for module in state.modules:
        law_id = state.law_of(module)
        if module.law is not None:
            _register_law(state, module, report)
        for decl in module.declarations:
            # A section outside a law is a definition the law set shares (the vocabulary may
            # quote the statute that defines a category); rules and gaps belong to a law.
            if law_id is None and isinstance(decl, n.RuleDecl | n.Gap):
                report.error("outside-law",
                             f"a {type(decl).__name__.lower().replace('decl', '')} "
                             "outside any law",
                             decl.span, "add a `law id { ... }` header to this file")
                continue
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


def _check_places(header: n.LawHeader, levels: Mapping[str, str], report: Report) -> None:
    """Each place a law names must be canonical: a state's postal code, a county's Census
    name (without "County"); a city needs its county and state."""
    spans = {place.level: place.span for place in header.jurisdiction}
    places = Gazetteer()
    state = places.state(levels["state"]) if "state" in levels else None
    if isinstance(state, PlaceProblem) or (state is not None and state.name != levels["state"]):
        near = state.nearest if isinstance(state, PlaceProblem) else (state.name,)
        report.error("unknown-place", f"law `{header.id}`: state `{levels['state']}` is not a "
                     "state's postal code", spans["state"],
                     f"write {' or '.join(f'`{n}`' for n in near)}" if near else None)
        return
    if "county" in levels:
        county = places.county(state, levels["county"]) if state is not None else None
        if not isinstance(county, Place) or county.name != levels["county"]:
            near = (county.nearest if isinstance(county, PlaceProblem) else
                    (county.name,) if county is not None else ())
            report.error("unknown-place", f"law `{header.id}`: county `{levels['county']}` is "
                         "not the Census name of a county of its state", spans["county"],
                         f"write {' or '.join(f'`{n}`' for n in near)}" if near else
                         "a county needs its state: `state \"CA\", county \"Alameda\"`")
    if "city" in levels and not {"state", "county"} <= levels.keys():
        report.error("unknown-place", f"law `{header.id}`: city `{levels['city']}` without "
                     "its county and state", spans["city"],
                     'name all three: `state "CA", county "Alameda", city "Oakland"`')


def _register_law(state: State, module: n.Module, report: Report) -> None:
    header = module.law
    assert header is not None
    if _duplicate(state.laws, header.id, "law", header.span, report):
        return
    gap_decls = [d for d in module.declarations if isinstance(d, n.Gap)]
    levels: dict[str, str] = {}
    for place in header.jurisdiction:
        if place.level in levels:
            report.error("duplicate-jurisdiction-level", f"law `{header.id}`: two places at "
                         f"the {place.level} level", place.span,
                         f"a law holds in one {place.level}; write one law per {place.level}")
        levels[place.level] = place.name
    _check_places(header, levels, report)
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
        texts=texts(title=header.title),
        places=tuple((level, levels[level]) for level in JURISDICTION_FACTS if level in levels),
        binds=frozenset(b.text for b in header.binds),
        in_force_from=header.in_force_from,
        in_force_until=header.in_force_until,
        source_url=header.source_url,
        notes=header.notes,
        gaps=tuple(d.text for d in gap_decls),
        path=module.path,
        span=header.span,
        binding=header.binds_when,
    )


def _register_section(state: State, law_id: str, decl: n.Section, report: Report) -> None:
    if _duplicate(state.sections, decl.citation, "section", decl.span, report):
        return
    if not decl.text.strip():
        report.error("empty-section", f"section `{decl.citation}` has no text", decl.span,
                     "quote the section's verbatim text, or write a `gap` note instead")
    state.sections[decl.citation] = SectionText(decl.citation, decl.text, law_id, decl.span)


def _register_fact(state: State, decl: n.FactDecl, report: Report) -> None:
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
        label=decl.label.text if decl.label else label_of(decl.path),
        required=decl.required, default=None,
        cites=tuple(c.text for c in decl.cites), span=decl.span,
        texts=texts(question=decl.question, label=decl.label),
        value_texts={name.text: words for name, words in decl.value_labels},
    )
    for name, _words in decl.value_labels:
        if name.text not in values:
            report.error("unknown-value", f"fact `{decl.path}`: a label for `{name.text}`, "
                         "which is not one of its values", name.span,
                         did_you_mean(name.text, values) or "allowed: " + ", ".join(values))


def _register_category(state: State, decl: n.CategoryDecl, report: Report) -> None:
    if _duplicate(state.categories, decl.name, "category", decl.span, report):
        return
    state.categories[decl.name] = Category(
        decl.name, decl.parent.text if decl.parent else None,
        decl.label.text if decl.label else label_of(decl.name),
        tuple(c.text for c in decl.cites), decl.span, texts(label=decl.label))


def _register_define(state: State, decl: n.Define, report: Report) -> None:
    if _duplicate(state.defines, decl.name, "condition", decl.span, report):
        return
    if decl.when is None:
        report.error("missing-condition", f"condition `{decl.name}` has no `when`", decl.span,
                     "add `when` and the condition it names")
    state.defines[decl.name] = Define(
        decl.name, decl.when or n.Const(False, decl.span),
        decl.label.text if decl.label else label_of(decl.name),
        tuple(c.text for c in decl.cites), decl.span, texts(label=decl.label))
    state.define_decls.append(decl)


# ---------------------------------------------------------------- pass 2: categories


def resolve_categories(state: State, report: Report) -> None:
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


def check_facts(state: State, report: Report) -> None:
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
                value = literal_value(state, fact, decl.default, "default", report)
                if value is not None:
                    state.facts[fact.path] = attrs.evolve(fact, default=value)


# ---------------------------------------------------------------- pass 4: laws


def check_laws(state: State, report: Report) -> None:
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


def _cited(state: State) -> Iterator[tuple[str, n.Citation]]:
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


def resolve_citations(state: State, report: Report) -> None:
    """Every citation must name a declared section."""
    for owner, cite in _cited(state):
        if cite.text not in state.sections:
            report.error("unknown-citation", f"{owner}: no section `{cite.text}`", cite.span,
                         did_you_mean(cite.text, state.sections)
                         or "declare the section with its verbatim text, or cite one that is")
