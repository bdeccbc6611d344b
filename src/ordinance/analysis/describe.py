"""Classes of requests found by a search, merged and put into words.

A search of the request space (:mod:`ordinance.analysis.space`) answers per holder
context, data item and partial request. People want fewer, wider statements:
this module searches each distinct (context, item) pair once
(:func:`explore_blocks`), then merges what it found (:func:`describe`):

1. classes with the same answer that differ in one fact's value become one
   (``fact in {a, b}``); a fact whose values then cover every value the law
   tells apart is dropped;
2. contexts that differ only by holder kind or by date become one (``holder.kind
   in {sheriff, probation}``, ``from 2019-07-01``), only when every combination
   of the kinds and dates listed is covered, so the words stay exact;
3. data items with identical conditions become one (``data includes
   release_date or custody_status``).

Every merge is a union of sets of requests with the same answer, so a
:class:`Group` describes exactly the requests it stands for. The
:class:`Group` keeps one of the classes it merged as its witness.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from ..checker.model import FactValue, OrdinanceModel
from ..engine.conditions import Compiler, Env, facts_used
from ..language import nodes as n
from .space import Context, Found, Judge, SearchStats, Space

R = TypeVar("R", bound=Hashable)

Terms = Mapping[str, frozenset[FactValue]]
"""A class's conditions: for each fact it constrains, the values it allows."""

DateRange = tuple[dt.date | None, dt.date | None]
"""A ``[from, until)`` range of dates; ``None`` is open."""


class VerificationError(RuntimeError):
    """A witness was not decided as the search said it would be: a bug in the analysis,
    never a problem with the input."""


# ---------------------------------------------------------------- searching each distinct pair once


@attrs.frozen
class Block(Generic[R]):
    """(context, item) pairs the search cannot tell apart, and the classes of the first.

    Two pairs are alike when the same rules speak to the item under the same
    laws and every context fact those rules read has the same value: a search
    of one then finds the classes of the other, with the other's context.
    """

    members: tuple[tuple[Context, str], ...]
    found: tuple[Found[R], ...]

    def classes(self) -> Iterable[Found[R]]:
        """The classes of every member (the first one's, moved to each context)."""
        for context, item in self.members:
            for found in self.found:
                yield Found(context, item, found.assignment, found.answer)


@attrs.define
class Searched:
    """The outcome of :func:`explore_blocks`: the blocks and how the search went."""

    blocks: list[Block[Hashable]]
    stats: SearchStats
    pairs: int  # (context, item) pairs in play
    searched: int  # of which searched (the rest reuse a block's classes)

    def summary(self) -> str:
        """The search's exhaustiveness line, for the end of a report."""
        return (f"{self.stats.summary()}; {self.searched} of {self.pairs} (holder context, "
                "data item) pairs searched, every other pair having the same rules and facts "
                "as one of them")


def explore_blocks(space: Space, judge_for: Callable[[str], Judge[R]],
                   key: Callable[[Context, str], Hashable | None],
                   focus: Sequence[str] | None = None,
                   keep: Callable[[R], bool] | None = None,
                   budget: int | None = None) -> Searched:
    """Search ``space`` once per distinct ``key``, with ``judge_for(item)`` as judge.

    ``key(context, item)`` is None for a pair that cannot matter (it is skipped),
    else a value equal for two pairs exactly when the judge answers alike on
    their classes (see :class:`Block`). Classes whose answer ``keep`` refuses
    are counted but not kept. With a ``budget``, the search of each item stops after
    that many partial requests; the items stopped are named in the summary.
    """
    groups: dict[Hashable, list[tuple[Context, str]]] = {}
    for item in space.items:
        for context in space.contexts:
            found_key = key(context, item)
            if found_key is not None:
                groups.setdefault(found_key, []).append((context, item))
    first: dict[str, set[int]] = {}
    for members in groups.values():
        first.setdefault(members[0][1], set()).add(id(members[0][0]))
    total = SearchStats(contexts=len(space.contexts), items=len(space.items))
    by_pair: dict[tuple[int, str], list[Found[Any]]] = {}
    found_in: dict[tuple[int, str], int] = {}  # classes found per searched pair
    for item, ids in first.items():
        stats = SearchStats()

        def where(context: Context, _item: str, ids: set[int] = ids) -> bool:
            return id(context) in ids

        for found in space.explore(judge_for(item), items=[item], where=where, stats=stats,
                                   focus=focus, budget=budget, label=f"`{item}`"):
            found_in[(id(found.context), item)] = found_in.get((id(found.context), item), 0) + 1
            if keep is not None and not keep(found.answer):
                continue
            by_pair.setdefault((id(found.context), item), []).append(found)
        total.partial_requests += stats.partial_requests
        total.stopped += stats.stopped
        total.budget = stats.budget or total.budget
    blocks: list[Block[Hashable]] = []
    for members in groups.values():
        context, item = members[0]
        classes = tuple(by_pair.get((id(context), item), ()))
        total.classes += found_in.get((id(context), item), 0) * len(members)
        blocks.append(Block(tuple(members), classes))
    pairs = sum(len(m) for m in groups.values())
    return Searched(blocks, total, pairs, len(groups))


def residual(cond: n.Condition, model: OrdinanceModel, compiler: Compiler,
             env: Env | None = None) -> n.Condition:
    """``cond`` with named conditions written out and, with ``env``, every atom that
    ``env`` decides replaced by its value (then simplified).

    Two rules with equal residuals under a context's facts read alike on every
    request in that context (spans are ignored by equality).
    """
    if isinstance(cond, n.Ref) and cond.name in model.defines:
        return residual(model.defines[cond.name].when, model, compiler, env)
    if isinstance(cond, n.Not):
        inner = residual(cond.operand, model, compiler, env)
        if isinstance(inner, n.Const):
            return n.Const(not inner.value, cond.span)
        return n.Not(inner, cond.span)
    if isinstance(cond, n.And | n.Or):
        absorbing = isinstance(cond, n.Or)  # true absorbs an `or`, false an `and`
        parts: list[n.Condition] = []
        for operand in cond.operands:
            part = residual(operand, model, compiler, env)
            if isinstance(part, n.Const):
                if part.value == absorbing:
                    return part
                continue
            parts.append(part)
        if not parts:
            return n.Const(not absorbing, cond.span)
        if len(parts) == 1:
            return parts[0]
        return attrs.evolve(cond, operands=tuple(parts))
    if env is not None and not isinstance(cond, n.Const) and all(
            f in env for f in facts_used(cond, model)):
        value = compiler.compile(cond)(env)
        if value is not None:
            return n.Const(value, cond.span)
    return cond


# ---------------------------------------------------------------- merging


Place = frozenset[tuple[str, str]]
"""Where holders are: ``{("state", "CA"), ("county", "San Francisco")}``."""

LEVELS = ("city", "county", "state")
"""The levels of a place, most local first."""


@attrs.frozen
class Holders:
    """A set of holder contexts: one place, some holder kinds, some date ranges (every
    combination of the kinds and dates is in the set).

    ``outside`` names the more local places the law set names within ``place``
    that the set leaves out (their laws differ); empty when it takes in all of them.
    """

    place: Place
    kinds: frozenset[str]
    dates: tuple[DateRange, ...]
    outside: tuple[str, ...] = ()


def place_of(context: Context) -> Place:
    """The place of a context's holder, as a set of (level, name)."""
    return frozenset((level, context.where[level]) for level in LEVELS
                     if level in context.where)


def place_name(place: Place) -> str:
    """``city Oakland, county Alameda, state CA`` (most local level first).

    >>> place_name(frozenset({("state", "CA"), ("county", "San Francisco")}))
    'county San Francisco, state CA'
    """
    named = dict(place)
    return ", ".join(f"{level} {named[level]}" for level in LEVELS if level in named)


def _local_name(place: Place) -> str:
    named = dict(place)
    level = next(level for level in LEVELS if level in named)
    return f"{level} {named[level]}"


class Places:
    """The places of a search's contexts and which lie within which."""

    def __init__(self, contexts: Iterable[Context]) -> None:
        self.all = list(dict.fromkeys(place_of(c) for c in contexts))
        self.within = {p: [q for q in self.all if p < q] for p in self.all}

    def children(self, place: Place) -> list[Place]:
        """The largest places named within ``place``."""
        inner = self.within.get(place, [])
        return [q for q in inner if not any(r < q for r in inner)]

    def outside(self, place: Place) -> tuple[str, ...]:
        """:meth:`children` by their most local level: ``city Oakland``."""
        return tuple(_local_name(q) for q in self.children(place))


@attrs.define
class Group(Generic[R]):
    """Requests with one answer: holders x items x facts, and a witness class."""

    answer: R
    holders: Holders
    items: list[str]
    terms: Terms
    classes: int  # how many classes of the search it merges
    witness: Found[R]


@attrs.define
class _Cell(Generic[R]):
    terms: dict[str, frozenset[FactValue]]
    count: int
    witness: Found[R]


Domain = Callable[[str, str], tuple[FactValue, ...]]
"""Every value the law tells apart, for a fact (and a data item, for ``data``), in order."""


def domain_of(space: Space) -> Domain:
    """The values of each fact in ``space``; for ``data``, the item with each combination
    of the categories the law tests together with it."""
    def domain(fact: str, item: str) -> tuple[FactValue, ...]:
        if fact == "data":
            return tuple(frozenset({item}) | extra for extra in space.values["data"]
                         if isinstance(extra, frozenset))
        return tuple(space.values.get(fact, ()))
    return domain


def describe(blocks: Iterable[Block[R]], space: Space,
             project: Callable[[Found[R]], Mapping[str, FactValue]] | None = None
             ) -> list[Group[R]]:
    """Merge the classes of ``blocks`` into groups, in the order first found.

    ``project`` gives the facts a class is described by (by default all its
    assignment); classes with the same projection and answer are one.
    """
    domain = domain_of(space)
    places = Places(space.contexts)
    entries: dict[tuple[R, str, frozenset[tuple[str, frozenset[FactValue]]]],
                  list[tuple[Context, _Cell[R]]]] = {}
    for block in blocks:
        if not block.found:
            continue
        for cell in _merged_cells(block, domain, project):
            for context, member_item in block.members:
                witness = Found(context, member_item, cell.witness.assignment,
                                cell.witness.answer)
                moved = _Cell(dict(cell.terms), cell.count, witness)
                key = (cell.witness.answer, member_item, _frozen(cell.terms))
                entries.setdefault(key, []).append((context, moved))
    by_holders: dict[tuple[R, Holders, frozenset[tuple[str, frozenset[FactValue]]]],
                     Group[R]] = {}
    for (answer, item, terms_key), found in entries.items():
        for holders, count, witness in _merge_contexts(found, places):
            group_key = (answer, holders, terms_key)
            group = by_holders.get(group_key)
            if group is None:
                by_holders[group_key] = Group(answer, holders, [item], dict(terms_key), count,
                                              witness)
            else:
                group.items.append(item)
                group.classes += count
    return list(by_holders.values())


def _frozen(terms: Terms) -> frozenset[tuple[str, frozenset[FactValue]]]:
    return frozenset(terms.items())


def _merged_cells(block: Block[R], domain: Domain,
                  project: Callable[[Found[R]], Mapping[str, FactValue]] | None
                  ) -> list[_Cell[R]]:
    """The block's classes merged per answer (see the module's step 1)."""
    item = block.members[0][1]
    by_answer: dict[R, list[_Cell[R]]] = {}
    for found in block.found:
        facts = project(found) if project is not None else found.assignment
        by_answer.setdefault(found.answer, []).append(
            _Cell({f: frozenset({v}) for f, v in facts.items()}, 1, found))
    out: list[_Cell[R]] = []
    for cells in by_answer.values():
        out += merge_cells(cells, lambda fact: frozenset(domain(fact, item)))
    return out


def merge_cells(cells: list[_Cell[R]], domain: Callable[[str], frozenset[FactValue]]
                ) -> list[_Cell[R]]:
    """Merge classes that differ in one fact's value until none do; drop a fact that
    every value of takes part; drop a class inside another."""
    cells = _dedupe(cells)
    while True:
        before = len(cells)
        facts = list(dict.fromkeys(f for cell in cells for f in cell.terms))
        for fact in facts:
            cells = _merge_on(cells, fact, domain(fact))
        cells = _subsume(cells)
        if len(cells) == before:
            return cells


def _dedupe(cells: list[_Cell[R]]) -> list[_Cell[R]]:
    seen: dict[frozenset[tuple[str, frozenset[FactValue]]], _Cell[R]] = {}
    for cell in cells:
        key = _frozen(cell.terms)
        if key in seen:
            seen[key].count += cell.count
        else:
            seen[key] = _Cell(dict(cell.terms), cell.count, cell.witness)
    return list(seen.values())


def _merge_on(cells: list[_Cell[R]], fact: str, values: frozenset[FactValue]
              ) -> list[_Cell[R]]:
    """Classes equal but for ``fact``: one class with the union of their values."""
    if not values:
        return cells
    buckets: dict[frozenset[tuple[str, frozenset[FactValue]]], _Cell[R]] = {}
    for cell in cells:
        rest = frozenset((f, v) for f, v in cell.terms.items() if f != fact)
        mine = cell.terms.get(fact, values)
        merged = buckets.get(rest)
        if merged is None:
            buckets[rest] = _Cell({**cell.terms, fact: mine}, cell.count, cell.witness)
        else:
            merged.terms[fact] = merged.terms[fact] | mine
            merged.count += cell.count
    for cell in buckets.values():
        if values and cell.terms[fact] >= values:
            del cell.terms[fact]
    return list(buckets.values())


SUBSUME_LIMIT = 400
"""Above this many classes, classes inside others are left (quadratic to find)."""


def _subsume(cells: list[_Cell[R]]) -> list[_Cell[R]]:
    if len(cells) > SUBSUME_LIMIT:
        return cells
    kept: list[_Cell[R]] = []
    for cell in sorted(cells, key=lambda c: len(c.terms)):
        wider = next((k for k in kept if _inside(cell.terms, k.terms)), None)
        if wider is None:
            kept.append(cell)
        else:
            wider.count += cell.count
    order = {id(c): i for i, c in enumerate(cells)}
    return sorted(kept, key=lambda c: order[id(c)])


def _inside(narrow: Terms, wide: Terms) -> bool:
    return all(f in narrow and narrow[f] <= values for f, values in wide.items())


def _merge_contexts(found: list[tuple[Context, _Cell[R]]], places: Places
                    ) -> list[tuple[Holders, int, Found[R]]]:
    """Contexts merged: of one place by kinds (same dates) and dates (same kinds), then a
    place with the places named within it that have the same kinds and dates."""
    by_place: dict[Place, list[tuple[Holders, int, Found[R]]]] = {}
    for context, cell in found:
        place = place_of(context)
        holders = Holders(place, frozenset(context.kinds), _union_dates(context.dates),
                          places.outside(place))
        by_place.setdefault(place, []).append((holders, cell.count, cell.witness))
    for place, sets in by_place.items():
        while True:
            before = len(sets)
            sets = _merge_holders(_merge_holders(sets, by_kinds=True), by_kinds=False)
            if len(sets) == before:
                break
        by_place[place] = sets
    for place in sorted(by_place, key=len, reverse=True):  # the narrowest places first
        by_place[place] = [_take_in(entry, places.children(place), by_place)
                           for entry in by_place[place]]
    return [entry for sets in by_place.values() for entry in sets]


def _take_in(entry: tuple[Holders, int, Found[R]], children: list[Place],
             by_place: dict[Place, list[tuple[Holders, int, Found[R]]]]
             ) -> tuple[Holders, int, Found[R]]:
    """``entry`` widened to each place just within its own that has a set just like it
    (same kinds and dates; that set is then removed from ``by_place``)."""
    holders, count, witness = entry
    outside: list[str] = []
    taken = False
    for place in children:
        match = next((e for e in by_place.get(place, []) if e[0].kinds == holders.kinds
                      and e[0].dates == holders.dates), None)
        if match is None:
            outside.append(_local_name(place))
            continue
        by_place[place].remove(match)
        outside += match[0].outside
        count += match[1]
        taken = True
    if not taken:
        return entry
    return attrs.evolve(holders, outside=tuple(outside)), count, witness


def _merge_holders(sets: list[tuple[Holders, int, Found[R]]], *, by_kinds: bool
                   ) -> list[tuple[Holders, int, Found[R]]]:
    """Union the dates of sets with the same kinds (or the kinds of sets with the same dates)."""
    merged: dict[object, tuple[Holders, int, Found[R]]] = {}
    for holders, count, witness in sets:
        key = holders.kinds if by_kinds else holders.dates
        if key not in merged:
            merged[key] = (holders, count, witness)
            continue
        old, old_count, old_witness = merged[key]
        if by_kinds:
            joined = attrs.evolve(old, dates=_union_dates(old.dates + holders.dates))
        else:
            joined = attrs.evolve(old, kinds=old.kinds | holders.kinds)
        merged[key] = (joined, old_count + count, old_witness)
    return list(merged.values())


def _union_dates(ranges: Iterable[DateRange]) -> tuple[DateRange, ...]:
    """Date ranges sorted, with touching or overlapping ones joined.

    >>> d = dt.date
    >>> _union_dates([(d(2020, 1, 1), None), (None, d(2020, 1, 1))])
    ((None, None),)
    """
    def start(r: DateRange) -> dt.date:
        return r[0] or dt.date.min

    out: list[DateRange] = []
    for low, high in sorted(ranges, key=start):
        if out and (out[-1][1] is None or start((low, high)) <= out[-1][1]):
            last_low, last_high = out[-1]
            wider = None if last_high is None or high is None else max(last_high, high)
            out[-1] = (last_low, wider)
        else:
            out.append((low, high))
    return tuple(out)
