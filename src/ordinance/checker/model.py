"""The checked law set: resolved facts, categories, laws, sections and rules.

Built by :mod:`ordinance.checker` from the AST; everything here has been
validated, so later stages never re-check names or types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

import attrs

from ..language import nodes as n
from ..language.source import Span

FactValue = bool | str | dt.date | frozenset[str]
"""A fact's value in a request: bool, enum or text string, date, or a set of names."""


def _localized(owner: Any, field: str, lang: str) -> Any:
    """A people-facing field in ``lang``: its translation, else the English attribute."""
    words = owner.texts.get(field)
    return words.get(lang) if words else getattr(owner, field)


@attrs.frozen
class Fact:
    """A declared fact: a request key, its type and its question."""

    path: str
    kind: str  # bool | date | text | one_of | set_of | categories
    values: tuple[str, ...]
    question: str
    label: str
    required: bool
    default: FactValue | None
    cites: tuple[str, ...]
    span: Span = attrs.field(eq=False, repr=False)
    texts: Mapping[str, n.Words] = attrs.field(factory=dict, eq=False, repr=False)
    value_texts: Mapping[str, n.Words] = attrs.field(factory=dict, eq=False, repr=False)

    def text(self, field: str, lang: str = "en") -> str:
        """``question`` or ``label`` in ``lang`` (English when untranslated)."""
        return str(_localized(self, field, lang))

    def value_label(self, value: str, lang: str = "en") -> str:
        """A value's human label in ``lang``; its name with spaces when it has none."""
        words = self.value_texts.get(value)
        return words.get(lang) if words else value.replace("_", " ")


@attrs.frozen
class Category:
    """A data category and its parent in the hierarchy."""

    name: str
    parent: str | None
    label: str
    cites: tuple[str, ...]
    span: Span = attrs.field(eq=False, repr=False)
    texts: Mapping[str, n.Words] = attrs.field(factory=dict, eq=False, repr=False)

    def text(self, field: str = "label", lang: str = "en") -> str:
        """The label in ``lang`` (English when untranslated)."""
        return str(_localized(self, field, lang))


@attrs.frozen
class Hierarchy:
    """The data-category tree: who is a kind of whom."""

    categories: Mapping[str, Category]
    _ancestors: Mapping[str, frozenset[str]]
    _descendants: Mapping[str, frozenset[str]]

    @classmethod
    def build(cls, categories: Mapping[str, Category]) -> Hierarchy:
        """Compute ancestor and descendant sets (each includes the category itself)."""
        ancestors: dict[str, frozenset[str]] = {}
        for name in categories:
            chain = [name]
            parent = categories[name].parent
            while parent is not None and parent in categories and parent not in chain:
                chain.append(parent)
                parent = categories[parent].parent
            ancestors[name] = frozenset(chain)
        descendants: dict[str, set[str]] = {name: set() for name in categories}
        for name, above in ancestors.items():
            for ancestor in above:
                descendants[ancestor].add(name)
        return cls(dict(categories), ancestors,
                   {k: frozenset(v) for k, v in descendants.items()})

    def is_a(self, name: str, ancestor: str) -> bool:
        """Whether ``name`` is ``ancestor`` or a kind of it."""
        return ancestor in self._ancestors.get(name, frozenset((name,)))

    def descendants(self, name: str) -> frozenset[str]:
        """``name`` and every category below it."""
        return self._descendants.get(name, frozenset((name,)))

    def overlaps(self, a: str, b: str) -> bool:
        """Whether one category is a kind of the other (either way)."""
        return self.is_a(a, b) or self.is_a(b, a)

    def label(self, name: str, lang: str = "en") -> str:
        """The human label of a category, in ``lang`` when translated."""
        category = self.categories.get(name)
        return category.text("label", lang) if category else name.replace("_", " ")


@attrs.frozen
class SectionText:
    """A cited section: its citation, verbatim text and the law it belongs to."""

    citation: str
    text: str
    law_id: str
    span: Span = attrs.field(eq=False, repr=False)


@attrs.frozen
class Law:
    """A law's identity, reach and provenance."""

    id: str
    title: str
    version: str
    places: tuple[tuple[str, str], ...]  # (level, name): ("state", "CA"), ("city", "Oakland")
    binds: frozenset[str]
    in_force_from: dt.date | None
    in_force_until: dt.date | None
    source_url: str | None
    notes: tuple[str, ...]
    gaps: tuple[str, ...]
    path: str
    span: Span = attrs.field(eq=False, repr=False)
    texts: Mapping[str, n.Words] = attrs.field(factory=dict, eq=False, repr=False)
    binding: n.Condition | None = None  # `binds ... when C`: bound only where C holds
    reach: n.Condition | None = None  # the binding and, below the state, the holder's place
    gap_rules: tuple[tuple[str, ...], ...] = ()  # per gap, the rule ids it qualifies (or none)
    gap_data: tuple[tuple[str, ...], ...] = ()  # per gap, the data categories it qualifies

    def text(self, field: str = "title", lang: str = "en") -> str:
        """The title in ``lang`` (English when untranslated)."""
        return str(_localized(self, field, lang))

    def caveats_for(self, rule_ids: frozenset[str], data: frozenset[str]
                    ) -> tuple[tuple[str, str], ...]:
        """The caveats of this (applying) law for a decision, each as ``(kind, text)``.

        ``rule_ids`` are the law's rules that took part (none: the law took no part);
        ``data`` the requested categories with everything above and below them. A law that
        took part carries every ``note`` and every ``gap`` about the whole law; a gap ``for``
        rules travels when one of them took part, a gap ``for`` data when that data is
        requested (whether or not a rule took part: it may be what no rule says).
        """
        rules_of = self.gap_rules or ((),) * len(self.gaps)
        data_of = self.gap_data or ((),) * len(self.gaps)
        out = [("note", note) for note in self.notes] if rule_ids else []
        for gap, rules, categories in zip(self.gaps, rules_of, data_of, strict=True):
            if ((rule_ids and not rules and not categories)
                    or rule_ids.intersection(rules) or data.intersection(categories)):
                out.append(("gap", gap))
        return tuple(out)

    @property
    def level(self) -> str:
        """The most local level the law names: ``city``, else ``county``, else ``state``."""
        return self.places[-1][0] if self.places else "state"

    @property
    def place(self) -> str:
        """The name of the most local place the law names (``Oakland``, ``CA``)."""
        return self.places[-1][1] if self.places else ""


@attrs.frozen
class Define:
    """A named condition, checked."""

    name: str
    when: n.Condition
    label: str
    cites: tuple[str, ...]
    span: Span = attrs.field(eq=False, repr=False)
    texts: Mapping[str, n.Words] = attrs.field(factory=dict, eq=False, repr=False)

    def text(self, field: str = "label", lang: str = "en") -> str:
        """The label in ``lang`` (English when untranslated)."""
        return str(_localized(self, field, lang))


@attrs.frozen
class Rule:
    """A checked rule or exception with resolved targets and citations."""

    id: str
    law_id: str
    name: str
    effect: str | None  # permit | prohibit | require | warn | None (an exception that only defeats)
    duty: str | None  # the duty of a `require`, the text of a `warn`
    upon_receipt: bool  # for `require`: owed on receiving the request, even if sharing is refused
    scope: frozenset[str]  # data categories; empty = every item
    excepts: tuple[str, ...]  # rule ids this one is an exception to
    exceptions: tuple[str, ...]  # rule ids that are exceptions to this one
    when: n.Condition
    cites: tuple[str, ...]
    summary: str | None
    span: Span = attrs.field(eq=False, repr=False)
    texts: Mapping[str, n.Words] = attrs.field(factory=dict, eq=False, repr=False)
    stated: n.Condition | None = attrs.field(default=None, eq=False, repr=False)
    """The condition as written, when ``when`` adds the law's binding condition to it."""

    @property
    def written(self) -> n.Condition:
        """The condition as the law file writes it (without the law's binding condition)."""
        return self.when if self.stated is None else self.stated

    def text(self, field: str, lang: str = "en") -> str | None:
        """``summary`` or ``duty`` in ``lang`` (English when untranslated), if written."""
        found = _localized(self, field, lang)
        return None if found is None else str(found)

    @property
    def citation(self) -> str:
        """The primary citation (the first one written), or ``""``."""
        return self.cites[0] if self.cites else ""

    @property
    def is_exception(self) -> bool:
        """Whether this rule is an exception to others."""
        return bool(self.excepts)


@attrs.frozen
class Review:
    """A ``reviewed`` declaration: a lint warning a law author read and accepted, and why.

    ``subjects`` are shell-style patterns (:func:`fnmatch.fnmatchcase`: ``*``, ``?``,
    ``[...]``; ``*`` also matches dots) for the subjects of the warning: rule ids, fact
    paths or section citations. ``law_id`` is None for a review in the vocabulary file.
    """

    code: str
    subjects: tuple[str, ...]
    reason: str
    law_id: str | None
    path: str
    span: Span = attrs.field(eq=False, repr=False)
    texts: Mapping[str, n.Words] = attrs.field(factory=dict, eq=False, repr=False)

    def text(self, field: str = "reason", lang: str = "en") -> str:
        """The reason in ``lang`` (English when untranslated)."""
        return str(_localized(self, field, lang))

    def matches(self, code: str, subjects: Sequence[str]) -> bool:
        """Whether this review explains a warning with ``code`` about ``subjects``.

        The codes must be equal, every subject of the warning must match one of the
        review's patterns, and every pattern must match one of the subjects (so a
        review names the whole warning, and nothing more). A warning with no
        subjects is never matched.

        >>> from ordinance.language.source import SourceFile
        >>> span = Span.whole_file(SourceFile("laws.ord", ""))
        >>> review = Review("conflicting-rules", ("sf.ch12h.*", "ca.values_act.*"),
        ...                 "the city's prohibition decides, as intended", "sf.ch12h",
        ...                 "laws.ord", span)
        >>> review.matches("conflicting-rules", ["ca.values_act.release_dates",
        ...                                      "sf.ch12h.release_status"])
        True
        >>> review.matches("conflicting-rules", ["ca.values_act.release_dates",
        ...                                      "ca.values_act.public_information"])
        False
        >>> review.matches("shadowed-rule", ["ca.values_act.release_dates",
        ...                                  "sf.ch12h.release_status"])
        False
        """
        if code != self.code or not subjects:
            return False
        return (all(any(fnmatchcase(s, p) for p in self.subjects) for s in subjects)
                and all(any(fnmatchcase(s, p) for s in subjects) for p in self.subjects))


@attrs.frozen
class OrdinanceModel:
    """Everything the checker resolved, ready to compile."""

    facts: Mapping[str, Fact]
    hierarchy: Hierarchy
    defines: Mapping[str, Define]
    laws: Mapping[str, Law]
    sections: Mapping[str, SectionText]
    rules: Mapping[str, Rule]
    digest: str
    reviews: tuple[Review, ...] = ()  # `reviewed` declarations, in file order
