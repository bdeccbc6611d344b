"""Groups of requests in words: a condition with fact paths, and the same in plain words.

Labels come from the law set's vocabulary (facts, their values, data categories);
:mod:`ordinance.analysis.describe` does the merging this module words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from ..checker.model import FactValue, OrdinanceModel
from .describe import DateRange, Domain, Group, Holders, R, place_name
from .space import OTHER_TEXT


@attrs.frozen
class Described:
    """A group in words: the condition (with fact paths) and the same in plain words."""

    condition: str
    words: str


class Wording:
    """Puts groups into words, with the labels of a law set's vocabulary."""

    def __init__(self, model: OrdinanceModel, domain: Domain,
                 holder_kinds: Sequence[str] = ()) -> None:
        self.model = model
        self.domain = domain
        fact = model.facts.get("holder.kind")
        self.holder_kinds = frozenset(holder_kinds or (fact.values if fact else ()))

    def group(self, group: Group[R], order: Sequence[str] = ()) -> Described:
        """``holder.kind is sheriff in county X, from D; data includes a or b; f is v ...``."""
        item = group.items[0]
        facts = sorted(group.terms, key=_position(order))
        condition = [self.holders(group.holders), self.data(group.items)]
        condition += [self.term(f, group.terms[f], item) for f in facts]
        words = [self.holders_words(group.holders), self.data_words(group.items)]
        words += [self.term_words(f, group.terms[f], item) for f in facts]
        return Described(" and ".join(c for c in condition if c),
                         "; ".join(w for w in words if w))

    def facts(self, group: Group[R], order: Sequence[str] = ()) -> dict[str, list[Any]]:
        """The group's facts and allowed values, JSON-ready, in vocabulary and value order."""
        item = group.items[0]
        return {f: [plain(v) for v in _ordered(group.terms[f], self.domain(f, item))]
                for f in sorted(group.terms, key=_position(order))}

    # holders
    def holders(self, holders: Holders) -> str:
        """The holders with fact paths: ``holder.kind is sheriff in county X, state CA``."""
        kinds = sorted(holders.kinds, key=_position(self._kind_order()))
        if holders.kinds >= self.holder_kinds:
            who = "any holder"
        elif len(kinds) == 1:
            who = f"holder.kind is {kinds[0]}"
        else:
            who = "holder.kind in {" + ", ".join(kinds) + "}"
        return self._where(who, holders)

    def holders_words(self, holders: Holders) -> str:
        """The holders in words: ``a sheriff's office or a probation department in ...``."""
        fact = self.model.facts.get("holder.kind")
        kinds = sorted(holders.kinds, key=_position(self._kind_order()))
        if holders.kinds >= self.holder_kinds or fact is None:
            who = "any holder"
        else:
            who = " or ".join(fact.value_label(k) for k in kinds)
        return self._where(who, holders)

    @staticmethod
    def _where(who: str, holders: Holders) -> str:
        where = f"in {place_name(holders.place)}" if holders.place else ""
        if where and holders.outside:
            where += " outside " + " and ".join(holders.outside)
        return " ".join(p for p in (who, where, dates_phrase(holders.dates)) if p)

    def _kind_order(self) -> Sequence[str]:
        fact = self.model.facts.get("holder.kind")
        return fact.values if fact else ()

    # data
    def data(self, items: Sequence[str]) -> str:
        """``data includes release_date or custody_status``."""
        return "data includes " + " or ".join(items)

    def data_words(self, items: Sequence[str]) -> str:
        """``asking for release date or custody status``."""
        return "asking for " + " or ".join(self.model.hierarchy.label(i) for i in items)

    # one fact
    def term(self, fact: str, values: frozenset[FactValue], item: str) -> str:
        """``requester.kind is federal_immigration``, ``purpose not in {a, b}``..."""
        every = self.domain(fact, item)
        chosen = _ordered(values, every)
        if fact == "data":
            shown = ", ".join(_name(v, fact, item) for v in chosen)
            return f"the other data requested (of those the law tests) is one of {shown}"
        if len(chosen) == 1:
            return f"{fact} is {_name(chosen[0], fact, item)}"
        rest = [v for v in every if v not in values]
        if rest and len(rest) < len(chosen):
            if len(rest) == 1:
                return f"{fact} is not {_name(rest[0], fact, item)}"
            return f"{fact} not in {{{', '.join(_name(v, fact, item) for v in rest)}}}"
        return f"{fact} in {{{', '.join(_name(v, fact, item) for v in chosen)}}}"

    def term_words(self, fact: str, values: frozenset[FactValue], item: str) -> str:
        """``kind of requester: federal immigration authorities (ICE, CBP)``."""
        declared = self.model.facts.get(fact)
        label = declared.label if declared is not None and declared.label else fact
        every = self.domain(fact, item)
        chosen = _ordered(values, every)
        rest = [v for v in every if v not in values]
        if rest and len(rest) < len(chosen):
            return f"{label}: anything but " + " or ".join(self.value_words(fact, v, item)
                                                          for v in rest)
        return f"{label}: " + " or ".join(self.value_words(fact, v, item) for v in chosen)

    def value_words(self, fact: str, value: FactValue, item: str) -> str:
        """A value in words (its label when the vocabulary gives one)."""
        declared = self.model.facts.get(fact)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, str) and declared is not None and declared.kind == "one_of":
            return declared.value_label(value)
        if isinstance(value, frozenset) and fact == "data":
            others = sorted(value - {item})
            return ("nothing else the law tests for" if not others else
                    "also " + " and ".join(self.model.hierarchy.label(o) for o in others))
        return _name(value, fact, item)


def dates_phrase(ranges: Sequence[DateRange]) -> str:
    """``from 2019-07-01``, ``before 2018-01-01``, ``from A to B`` (inclusive); ``""`` for
    any date.

    >>> dates_phrase([(dt.date(2018, 1, 1), dt.date(2019, 7, 1))])
    'from 2018-01-01 to 2019-06-30'
    """
    parts = []
    for low, high in ranges:
        if low is None and high is None:
            return ""
        if high is None:
            parts.append(f"from {low}")
        elif low is None:
            parts.append(f"before {high}")
        else:
            parts.append(f"from {low} to {high - dt.timedelta(days=1)}")
    return " or ".join(parts)


def plain(value: FactValue) -> Any:
    """A fact value as JSON: sets as sorted lists, dates as ISO strings.

    >>> plain(frozenset({"b", "a"})), plain(dt.date(2020, 1, 2)), plain(True)
    (['a', 'b'], '2020-01-02', True)
    """
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _position(order: Sequence[str]) -> Callable[[str], tuple[int, str]]:
    index = {name: i for i, name in enumerate(order)}
    return lambda name: (index.get(name, len(index)), name)


def _ordered(values: Iterable[FactValue], every: Iterable[FactValue]) -> list[FactValue]:
    """``values`` in the order the law's domain lists them (then anything else)."""
    listed = list(every)
    rank = {v: i for i, v in enumerate(listed)}
    return sorted(values, key=lambda v: (rank.get(v, len(rank)), str(v)))


def _name(value: FactValue, fact: str, item: str) -> str:
    """A value as written in a condition: ``true``, ``release_date``, ``{a, b}``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset):
        shown = sorted(value - {item}) if fact == "data" else sorted(value)
        return "{" + ", ".join(shown) + "}"
    if value == OTHER_TEXT:
        return "any other text"
    return value


def classes_phrase(count: int) -> str:
    """``1 class of requests``, ``3 classes of requests``."""
    return f"{count} class{'es' if count != 1 else ''} of requests"


def witness_yaml(witness: dict[str, Any]) -> str:
    """A witness request as a YAML document, keys in the request's order."""
    import yaml  # only the Markdown memos need it

    return yaml.safe_dump(witness, sort_keys=False, allow_unicode=True).rstrip()


def date_ranges_json(ranges: Sequence[DateRange]) -> list[list[str | None]]:
    """``[from, until)`` ranges as ISO strings (``None`` where open), for JSON."""
    return [[None if day is None else day.isoformat() for day in pair] for pair in ranges]

