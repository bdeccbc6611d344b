"""The AST: frozen attrs classes, one per DSL construct, each with a span.

Spans are excluded from equality so that two parses of equivalent text
compare equal wherever they sit in a file.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

import attrs

from .source import Span

Value: TypeAlias = str | bool | dt.date
"""A literal in a condition: an enum name, a text string, a boolean or a date."""


def _span() -> Span:
    return attrs.field(eq=False, repr=False)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- conditions


@attrs.frozen
class Literal:
    """A literal value with its place (``immigration_enforcement``, ``2018-01-01``)."""

    value: Value
    is_name: bool
    span: Span = _span()


@attrs.frozen
class Ref:
    """A bare name: a boolean fact (``data_public``) or a named condition."""

    name: str
    span: Span = _span()


@attrs.frozen
class Compare:
    """``fact = v``, ``fact != v``, ``fact < date`` (and ``<=``, ``>``, ``>=``)."""

    fact: str
    op: str
    value: Literal
    span: Span = _span()


@attrs.frozen
class Member:
    """``fact in {a, b}`` (or ``not in``) for a one-of, text or bool fact."""

    fact: str
    values: tuple[Literal, ...]
    negated: bool
    span: Span = _span()


@attrs.frozen
class Has:
    """``set_fact has x`` / ``has any {x, y}``: set membership, respecting categories."""

    fact: str
    values: tuple[Literal, ...]
    span: Span = _span()


@attrs.frozen
class Const:
    """``true`` or ``false``."""

    value: bool
    span: Span = _span()


@attrs.frozen
class Not:
    """``not c``."""

    operand: Condition
    span: Span = _span()


@attrs.frozen
class And:
    """``a and b and ...``."""

    operands: tuple[Condition, ...]
    span: Span = _span()


@attrs.frozen
class Or:
    """``a or b or ...``."""

    operands: tuple[Condition, ...]
    span: Span = _span()


Condition: TypeAlias = Ref | Compare | Member | Has | Const | Not | And | Or
"""Any condition node."""


# ---------------------------------------------------------------- declarations


@attrs.frozen
class Words:
    """Text for people in English, with translations: ``label "purpose" es "finalidad"``."""

    text: str
    translations: tuple[tuple[str, str], ...] = ()

    def get(self, lang: str = "en") -> str:
        """The text in ``lang``, or the English text when there is no translation.

        >>> Words("purpose", (("es", "finalidad"),)).get("es")
        'finalidad'
        """
        return dict(self.translations).get(lang, self.text)

    def languages(self) -> tuple[str, ...]:
        """``en`` and every language it is translated into."""
        return ("en", *(lang for lang, _ in self.translations))


@attrs.frozen
class Citation:
    """A citation string as written, with its place (``Cal. Gov. Code § 7284.6(e)``)."""

    text: str
    span: Span = _span()


@attrs.frozen
class Name:
    """A name as written, with its place."""

    text: str
    span: Span = _span()


@attrs.frozen
class Jurisdiction:
    """One level of where a law holds: ``state``, ``county`` or ``city``, and a place name."""

    level: str
    name: str
    span: Span = _span()


@attrs.frozen
class LawHeader:
    """The ``law`` block: identity, reach and provenance of one law."""

    id: str
    title: Words | None
    version: str | None
    jurisdiction: tuple[Jurisdiction, ...]  # e.g. state "CA", county "Alameda", city "Oakland"
    binds: tuple[Name, ...]
    in_force_from: dt.date | None
    in_force_until: dt.date | None
    source_url: str | None
    notes: tuple[str, ...]
    span: Span = _span()
    binds_when: Condition | None = None  # `binds ... when C`: bound only where C holds


@attrs.frozen
class Section:
    """A citation and its verbatim text."""

    citation: str
    text: str
    span: Span = _span()


@attrs.frozen
class FactType:
    """A fact's type: ``bool``, ``date``, ``text``, ``one_of``, ``set_of`` or ``categories``."""

    kind: str
    values: tuple[Name, ...] = ()


@attrs.frozen
class FactDecl:
    """``fact path: type`` with its question, label, default and citations."""

    path: str
    type: FactType
    question: Words | None
    label: Words | None
    required: bool
    default: Literal | None
    cites: tuple[Citation, ...]
    span: Span = _span()
    value_labels: tuple[tuple[Name, Words], ...] = ()


@attrs.frozen
class CategoryDecl:
    """``category name [is parent]``: a data category in the hierarchy."""

    name: str
    parent: Name | None
    label: Words | None
    cites: tuple[Citation, ...]
    span: Span = _span()


@attrs.frozen
class Define:
    """A named, reusable condition citing where the law defines it."""

    name: str
    when: Condition | None
    label: Words | None
    cites: tuple[Citation, ...]
    span: Span = _span()


@attrs.frozen
class Effect:
    """``permit``, ``prohibit``, ``require "duty"`` or ``warn "text"``, with the data it is
    about (``duty`` holds the text of a duty or of a warning)."""

    kind: str
    scope: tuple[Name, ...]
    duty: Words | None
    span: Span = _span()
    upon_receipt: bool = False  # a duty owed on receiving the request, whatever the outcome


@attrs.frozen
class RuleDecl:
    """A rule, or an exception to other rules (``excepts`` non-empty)."""

    name: str
    effect: Effect | None
    excepts: tuple[Name, ...]
    when: Condition | None
    cites: tuple[Citation, ...]
    summary: Words | None
    span: Span = _span()

    @property
    def is_exception(self) -> bool:
        """Whether this declaration was written as ``exception ... to ...``."""
        return bool(self.excepts)


@attrs.frozen
class Gap:
    """A visible note that some of the law's text could not be found verbatim; ``rules``
    names the rules it qualifies (none: the whole law)."""

    text: str
    span: Span = _span()
    rules: tuple[Name, ...] = ()


@attrs.frozen
class Review:
    """``reviewed "CODE" for "SUBJECT", ... because "REASON"``: a lint warning accepted.

    ``subjects`` are shell-style patterns (``ca.values_act.*``) for the rule ids, fact
    paths or section citations the warning is about.
    """

    code: str
    subjects: tuple[str, ...]
    reason: Words
    span: Span = _span()
    code_span: Span | None = attrs.field(default=None, eq=False, repr=False)
    subject_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)
    reason_span: Span | None = attrs.field(default=None, eq=False, repr=False)


Declaration: TypeAlias = Section | FactDecl | CategoryDecl | Define | RuleDecl | Gap | Review
"""Anything but the law header at the top level of a file."""


@attrs.frozen
class Module:
    """One parsed file: its optional law header and its declarations, in order."""

    path: str
    law: LawHeader | None
    declarations: tuple[Declaration, ...]
    span: Span = _span()
