"""The decision: what a request gets back, as data (design.md section 5).

Field names of :meth:`Decision.to_dict` are a contract with intake systems;
fields may be added, never renamed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

from ..checker.places import Place


@attrs.frozen
class RuleStep:
    """A rule that spoke to a data item: its effect, citation, quote and why."""

    rule: str
    effect: str | None
    citation: str
    citations: tuple[str, ...]
    quote: str
    because: tuple[str, ...]
    status: str  # stands | defeated | undetermined
    defeated_by: tuple[str, ...] = ()
    summary: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"rule": self.rule, "effect": self.effect, "citation": self.citation,
                "citations": list(self.citations), "quote": self.quote,
                "because": list(self.because), "status": self.status,
                "defeated_by": list(self.defeated_by), "summary": self.summary}


@attrs.frozen
class ExceptionStep:
    """An exception considered for a data item: whether it applied, and why."""

    rule: str
    excepts: tuple[str, ...]
    citation: str
    citations: tuple[str, ...]
    quote: str
    applied: bool | None  # None: depends on unknown facts
    because: tuple[str, ...]
    effect: str | None = None
    condition_held: bool | None = None  # its own condition, before its own exceptions

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"rule": self.rule, "excepts": list(self.excepts), "citation": self.citation,
                "citations": list(self.citations), "quote": self.quote,
                "applied": self.applied, "because": list(self.because), "effect": self.effect,
                "condition_held": self.condition_held}


@attrs.frozen
class MissingFact:
    """A fact the request leaves unknown that could change the outcome."""

    fact: str
    question: str
    asked_by: tuple[str, ...]
    label: str = ""
    allowed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"fact": self.fact, "question": self.question, "asked_by": list(self.asked_by),
                "label": self.label, "allowed": list(self.allowed)}


@attrs.frozen
class ItemDecision:
    """The decision for one requested data category."""

    data: str
    label: str
    outcome: str
    rules: tuple[RuleStep, ...]
    exceptions: tuple[ExceptionStep, ...]
    missing_facts: tuple[MissingFact, ...] = ()
    settled: bool = False  # the same outcome on every answer to the unknown facts
    addressed: bool = True  # some permit/prohibit rule of an applying law speaks to this data


    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"data": self.data, "label": self.label, "outcome": self.outcome,
                "rules": [r.to_dict() for r in self.rules],
                "exceptions": [e.to_dict() for e in self.exceptions],
                "missing_facts": [m.to_dict() for m in self.missing_facts],
                "settled": self.settled, "addressed": self.addressed}


@attrs.frozen
class Obligation:
    """A duty that attaches to the permitted sharing."""

    duty: str
    citation: str
    rule: str
    quote: str
    applies: bool | None  # None: applies if unknown facts turn out so
    data: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()  # the unknown facts it turns on, when `applies` is None
    upon_receipt: bool = False  # owed on receiving the request, even if sharing is refused

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"duty": self.duty, "citation": self.citation, "rule": self.rule,
                "quote": self.quote, "applies": self.applies, "data": list(self.data),
                "depends_on": list(self.depends_on), "upon_receipt": self.upon_receipt}


@attrs.frozen
class Warning:
    """A reading the law requires that the request's own words do not show: fields that
    contradict each other, or a label the law looks through."""

    text: str
    citation: str
    rule: str
    quote: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"text": self.text, "citation": self.citation, "rule": self.rule,
                "quote": self.quote}


@attrs.frozen
class Caveat:
    """What a law that took part in the decision says about its own reliability: a
    ``note`` of its header or a ``gap`` in its encoding."""

    law: str
    kind: str  # note | gap
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"law": self.law, "kind": self.kind, "text": self.text}


@attrs.frozen
class Change:
    """A single change to the request after which it would be permitted."""

    set: dict[str, Any]
    outcome: str
    citation: str
    citations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"set": dict(self.set), "outcome": self.outcome, "citation": self.citation,
                "citations": list(self.citations)}


@attrs.frozen
class LawApplicability:
    """A law of the set and whether it applied to the request, with the reasons."""

    id: str
    title: str
    version: str
    applies: bool
    reasons: tuple[str, ...]
    why_not: tuple[str, ...] = ()  # of the reasons, those that keep it from applying
    place: str = ""  # the official name of the place whose law it is ("City of Oakland")
    same_state: bool = True  # the law is of the holder's state (or of none)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "version": self.version,
                "applies": self.applies, "reasons": list(self.reasons),
                "why_not": list(self.why_not), "place": self.place}


T = TypeVar("T")


class Deferred(Generic[T]):
    """A value computed on first use and kept (computing twice, if two threads race, is
    harmless: the computation is pure)."""

    def __init__(self, compute: Callable[[], T]) -> None:
        self._compute: Callable[[], T] | None = compute
        self._value: T | None = None

    def get(self) -> T:
        """The value, computing it the first time."""
        compute = self._compute
        if compute is not None:
            self._value = compute()
            self._compute = None
        return self._value  # type: ignore[return-value]


@attrs.frozen
class Decision:
    """The answer to one request, with everything it rests on."""

    request_id: str | None
    outcome: str
    summary: str
    items: tuple[ItemDecision, ...]
    obligations: tuple[Obligation, ...]
    missing_facts: tuple[MissingFact, ...]
    changes: Deferred[tuple[tuple[Change, ...], bool]] = attrs.field(eq=False, repr=False)
    citations: tuple[str, ...]
    laws: tuple[LawApplicability, ...]  # the laws that apply
    considered: tuple[LawApplicability, ...]  # every law of the set, applying or not
    ordinance_set: str
    request: dict[str, Any]
    missing_facts_exact: bool = True
    warnings: tuple[Warning, ...] = ()
    caveats: tuple[Caveat, ...] = ()
    jurisdiction: tuple[Place, ...] = ()  # where the holder was resolved to, widest first

    @property
    def would_change(self) -> tuple[Change, ...]:
        """Single changes after which the request would be permitted.

        Worked out the first time it is read (``to_dict`` reads it), so a caller
        that only wants the outcome never pays for it.
        """
        return self.changes.get()[0]

    @property
    def would_change_exact(self) -> bool:
        """Whether :attr:`would_change` lists every such change: False when the search
        for them stopped at its budget, so a change it did not settle is not listed."""
        return self.changes.get()[1]

    def to_dict(self) -> dict[str, Any]:
        """The decision contract of design.md section 5 (plus added fields)."""
        return {
            "request_id": self.request_id,
            "outcome": self.outcome,
            "summary": self.summary,
            "items": [i.to_dict() for i in self.items],
            "obligations": [o.to_dict() for o in self.obligations],
            "missing_facts": [m.to_dict() for m in self.missing_facts],
            "missing_facts_exact": self.missing_facts_exact,
            "warnings": [w.to_dict() for w in self.warnings],
            "caveats": [c.to_dict() for c in self.caveats],
            "would_change": [c.to_dict() for c in self.would_change],
            "would_change_exact": self.would_change_exact,
            "citations": list(self.citations),
            "laws": [{"id": law.id, "title": law.title, "version": law.version}
                     for law in self.laws],
            "laws_considered": [law.to_dict() for law in self.considered],
            "jurisdiction": [place.to_dict() for place in self.jurisdiction],
            "ordinance_set": self.ordinance_set,
            "request": self.request,
        }
