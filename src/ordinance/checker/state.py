"""What the checker's passes build up, declaration by declaration, and small shared helpers."""

from __future__ import annotations

import attrs

from ..language import nodes as n
from .model import Category, Define, Fact, Hierarchy, Law, Review, Rule, SectionText

JURISDICTION_FACTS = {"state": "holder.state", "county": "holder.county", "city": "holder.city"}
"""Which request fact each jurisdiction level is matched against."""

@attrs.define
class State:
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
        """The id of the law a module declares, if it declares one."""
        return module.law.id if module.law else None


def texts(**fields: n.Words | None) -> dict[str, n.Words]:
    """The given people-facing fields, with their translations."""
    return {key: words for key, words in fields.items() if words is not None}


def label_of(name: str) -> str:
    """A default label from a dotted name: its last part, with spaces."""
    return name.rsplit(".", 1)[-1].replace("_", " ")


