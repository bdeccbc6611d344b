"""Conditions and rules in plain words, English or Spanish, generated from the AST.

The words are built from the rules themselves, so generated documentation can
never drift from what the engine decides. Labels come from the vocabulary
(``label``/``value`` with translations); the connecting phrases are below.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ..checker.model import OrdinanceModel, Rule
from ..language import nodes as n
from .sitetext import LANGUAGES

__all__ = ["LANGUAGES", "PHRASES", "Clause", "Prose", "anchor"]


PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "is": "{fact} is {value}",
        "is_not": "{fact} is not {value}",
        "one_of": "{fact} is {values}",
        "none_of": "{fact} is none of: {values}",
        "has": "{fact} include {values}",
        "yes": "“{fact}”: yes",
        "no": "“{fact}”: no",
        "<": "{fact} is before {value}",
        "<=": "{fact} is on or before {value}",
        ">": "{fact} is after {value}",
        ">=": "{fact} is on or after {value}",
        "always": "always",
        "never": "never",
        "or": "or",
        "and": "and",
        "all": "all of the following",
        "any": "at least one of the following",
        "not": "it is not so that",
        "every_item": "any data",
    },
    "es": {
        "is": "{fact} es {value}",
        "is_not": "{fact} no es {value}",
        "one_of": "{fact} es {values}",
        "none_of": "{fact} no es ninguno de estos: {values}",
        "has": "{fact} incluyen {values}",
        "yes": "«{fact}»: sí",
        "no": "«{fact}»: no",
        "<": "{fact} es anterior al {value}",
        "<=": "{fact} es el {value} o antes",
        ">": "{fact} es posterior al {value}",
        ">=": "{fact} es el {value} o después",
        "always": "siempre",
        "never": "nunca",
        "or": "o",
        "and": "y",
        "all": "todo lo siguiente",
        "any": "al menos una de estas condiciones",
        "not": "no se da que",
        "every_item": "cualquier dato",
    },
}
"""The connecting words of generated conditions, per language."""


@attrs.frozen
class Clause:
    """A condition in words: a sentence, or ``all``/``any``/``not`` of clauses."""

    kind: str  # text | all | any | not
    text: str = ""
    parts: tuple[Clause, ...] = ()

    def flat(self, lang: str) -> str:
        """The clause as one line: ``a and (b or c)``."""
        words = PHRASES[lang]
        if self.kind == "text":
            return self.text
        if self.kind == "not":
            return f"{words['not']} {self.parts[0].flat(lang)}"
        joiner = f" {words['and' if self.kind == 'all' else 'or']} "
        return joiner.join(p.flat(lang) if p.kind in ("text", "not") else f"({p.flat(lang)})"
                           for p in self.parts)

    def to_dict(self, lang: str) -> dict[str, Any]:
        """A template-ready tree: ``{"kind", "text", "heading", "parts"}``."""
        heading = PHRASES[lang].get(self.kind, "") if self.kind in ("all", "any") else ""
        return {"kind": self.kind, "text": self.text if self.kind == "text" else self.flat(lang),
                "heading": heading, "parts": [p.to_dict(lang) for p in self.parts]}


class Prose:
    """Writes one model's conditions and rules in one language."""

    def __init__(self, model: OrdinanceModel, lang: str = "en") -> None:
        if lang not in PHRASES:
            raise ValueError(f"no phrases for language `{lang}`")
        self.model = model
        self.lang = lang
        self.words = PHRASES[lang]

    # ---------------------------------------------------------------- labels

    def fact(self, path: str) -> str:
        """A fact's label (``the purpose``-style words come from the vocabulary)."""
        fact = self.model.facts.get(path)
        return fact.text("label", self.lang) if fact else path

    def value(self, path: str, value: Any) -> str:
        """A value as a reader says it: its label, a category's label, a date, a quote."""
        fact = self.model.facts.get(path)
        if isinstance(value, bool):
            return {"en": ("yes", "no"), "es": ("sí", "no")}[self.lang][0 if value else 1]
        if isinstance(value, dt.date):
            return value.isoformat()
        if fact is not None and fact.kind == "categories":
            return self.model.hierarchy.label(str(value), self.lang)
        if fact is not None and fact.kind in ("one_of", "set_of"):
            return fact.value_label(str(value), self.lang)
        return f"“{value}”"

    def category(self, name: str) -> str:
        """A data category's label."""
        return self.model.hierarchy.label(name, self.lang)

    def listing(self, items: list[str]) -> str:
        """``a, b or c`` in the language."""
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {self.words['or']} " + items[-1]

    # ---------------------------------------------------------------- conditions

    def condition(self, cond: n.Condition) -> Clause:
        """A condition as a clause tree; named conditions are shown by their label."""
        w = self.words
        if isinstance(cond, n.Const):
            return Clause("text", w["always" if cond.value else "never"])
        if isinstance(cond, n.And | n.Or):
            return Clause("all" if isinstance(cond, n.And) else "any",
                          parts=tuple(self.condition(c) for c in cond.operands))
        if isinstance(cond, n.Not):
            inner = cond.operand
            if isinstance(inner, n.Ref) and inner.name not in self.model.defines:
                return Clause("text", w["no"].format(fact=self.fact(inner.name)))
            return Clause("not", parts=(self.condition(inner),))
        if isinstance(cond, n.Ref):
            define = self.model.defines.get(cond.name)
            if define is not None:
                return Clause("text", define.text("label", self.lang))
            return Clause("text", w["yes"].format(fact=self.fact(cond.name)))
        fact = self.fact(cond.fact)
        if isinstance(cond, n.Has):
            values = [self.value(cond.fact, lit.value) for lit in cond.values]
            return Clause("text", w["has"].format(fact=fact, values=self.listing(values)))
        if isinstance(cond, n.Member):
            values = [self.value(cond.fact, lit.value) for lit in cond.values]
            key = "none_of" if cond.negated else "one_of"
            joined = ", ".join(values) if cond.negated else self.listing(values)
            return Clause("text", w[key].format(fact=fact, values=joined))
        value = cond.value.value
        if cond.op in ("=", "!=") and isinstance(value, bool):
            positive = value == (cond.op == "=")
            return Clause("text", w["yes" if positive else "no"].format(fact=fact))
        key = {"=": "is", "!=": "is_not"}.get(cond.op, cond.op)
        return Clause("text", w[key].format(fact=fact, value=self.value(cond.fact, value)))

    # ---------------------------------------------------------------- rules

    def scope(self, rule: Rule) -> list[str]:
        """The data a rule speaks to, as labels (its targets' for an exception)."""
        names = sorted(rule.scope)
        if not names and rule.excepts:
            names = sorted({c for t in rule.excepts for c in self.model.rules[t].scope})
        return [self.category(c) for c in names] or [self.words["every_item"]]

    def rule(self, rule: Rule) -> dict[str, Any]:
        """A rule as template data: effect, data, condition in words, summary, duty."""
        return {
            "id": rule.id,
            "anchor": anchor(rule.id),
            "effect": rule.effect or "defeats",
            "data": self.scope(rule),
            "condition": self.condition(rule.written).to_dict(self.lang),
            "condition_line": self.condition(rule.written).flat(self.lang),
            "summary": rule.text("summary", self.lang),
            "duty": rule.text("duty", self.lang),
            "upon_receipt": rule.upon_receipt,
            "citation": rule.citation,
            "citations": list(rule.cites),
        }


def anchor(rule_id: str) -> str:
    """A stable HTML id for a rule.

    >>> anchor("ca.values_act.release_dates")
    'rule-ca-values_act-release_dates'
    """
    return "rule-" + rule_id.replace(".", "-")
