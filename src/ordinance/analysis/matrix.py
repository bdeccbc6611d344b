"""Who may receive what: per jurisdiction, requester kinds × data, each cell decided by the engine.

A cell is the decision on a representative request: the jurisdiction's holder,
one requester kind, one kind of data, one purpose, every other fact unknown.
So a cell says "permitted", "prohibited" or "depends on ..." exactly as
``ordinance check`` would on that request.
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Any

import attrs

from ..checker.model import Law
from ..checker.places import county_outside
from ..engine.conditions import literals_by_fact
from ..engine.lawset import OrdinanceSet

COMMON_PURPOSES = ("immigration_enforcement", "criminal_investigation")
"""The purposes a jurisdiction's tables start with; the others the laws tell apart follow."""

PREFERRED_HOLDER = ("law_enforcement", "sheriff", "city_department", "county_department")
"""The holder kind a jurisdiction's table is computed for: the first its laws bind."""


@attrs.frozen
class Jurisdiction:
    """A place with laws of its own, and the places above it (California, then a city)."""

    places: tuple[tuple[str, str], ...]
    laws: tuple[Law, ...]

    @property
    def slug(self) -> str:
        """A file-name-safe identifier: ``ca``, ``ca-alameda-oakland``."""
        return "-".join(name.lower().replace(" ", "-") for _level, name in self.places)

    @property
    def name(self) -> str:
        """The most local place's name."""
        return self.places[-1][1]

    @property
    def level(self) -> str:
        """The most local level: ``state``, ``county`` or ``city``."""
        return self.places[-1][0]


def jurisdictions(laws: OrdinanceSet) -> list[Jurisdiction]:
    """Every jurisdiction some law names, states first, then by name."""
    found: dict[tuple[tuple[str, str], ...], list[Law]] = {}
    for law in laws.model.laws.values():
        found.setdefault(law.places, []).append(law)
    return [Jurisdiction(places, tuple(found[places]))
            for places in sorted(found, key=lambda p: (len(p), p))]


def holder_for(jurisdiction: Jurisdiction, laws: OrdinanceSet) -> dict[str, Any]:
    """The representative holder of a jurisdiction's table. A state's holder sits in a
    county that no law of ``laws`` names, so the table is the state's law alone."""
    bound = {kind for law in jurisdiction.laws for kind in law.binds}
    kind = next((k for k in PREFERRED_HOLDER if k in bound), min(bound) if bound else "")
    holder: dict[str, Any] = {"kind": kind}
    for level, name in jurisdiction.places:
        holder[level] = name
    if jurisdiction.level == "state" and (
            "holder.county" in laws.model.facts):
        named = [dict(law.places).get("county") for law in laws.model.laws.values()
                 if dict(law.places).get("state") == jurisdiction.name]
        outside = county_outside(jurisdiction.name, named)
        if outside is not None and any(named):
            holder["county"] = outside
    return holder


@attrs.frozen
class Cell:
    """One decision of the table."""

    outcome: str
    depends_on: tuple[str, ...]  # fact paths, for an undetermined cell
    rules: tuple[str, ...]  # rule ids the decision rests on
    request: dict[str, Any]
    caveats: tuple[tuple[str, str], ...] = ()  # (law id, text) the decision carries
    exact: bool = True  # False: the search stopped at its budget; depends_on may be too long


def table_purposes(laws: OrdinanceSet) -> tuple[str | None, ...]:
    """The purposes tables are computed for: every purpose some rule names (those of
    ``COMMON_PURPOSES`` first, the rest in the vocabulary's order), or one table with the
    purpose left unknown (``None``) when the vocabulary has no purposes.

    A purpose no rule names is decided like any other unnamed one, so it gets no table.
    """
    fact = laws.model.facts.get("purpose")
    if fact is None or not fact.values:
        return (None,)
    named = set(literals_by_fact(laws.model).get("purpose", ())) | set(COMMON_PURPOSES)
    first = [p for p in COMMON_PURPOSES if p in fact.values]
    return tuple(first + [p for p in fact.values if p in named and p not in first]) or (None,)


def table_requesters(laws: OrdinanceSet) -> tuple[str, ...]:
    """The requester kinds a table has columns for (none if the vocabulary has no kinds)."""
    fact = laws.model.facts.get("requester.kind")
    return tuple(fact.values) if fact is not None else ()


def cell_request(laws: OrdinanceSet, holder: dict[str, Any], requester: str, data: str,
                 purpose: str | None, as_of: dt.date) -> dict[str, Any]:
    """The request a cell decides (every other fact left unknown)."""
    request = {"date": as_of.isoformat(), "holder": dict(holder),
               "requester": {"kind": requester}, "data": [data]}
    if purpose is not None:
        request["purpose"] = purpose
    if "action" in laws.model.facts:
        request["action"] = "disclose"
    return request


CELL_BUDGET = 5_000
"""Rule evaluations each cell's case analysis may make (a tenth of a second or so). A table
decides hundreds of requests that leave most facts open; past this budget a cell stays
undetermined and lists the facts it could not rule out (``Cell.exact`` is False)."""


def decide_cell(laws: OrdinanceSet, request: dict[str, Any],
                budget: int | None = None) -> Cell:
    """Decide one cell and keep what links it to the law; its case analysis may make
    ``budget`` rule evaluations (:data:`CELL_BUDGET`)."""
    decision = laws.decide(request, would_change=False,
                           search_budget=CELL_BUDGET if budget is None else budget)
    rules: list[str] = []
    for item in decision.items:
        rules += [s.rule for s in item.rules if s.status in ("stands", "undetermined")]
        rules += [e.rule for e in item.exceptions if e.applied is not False]
    return Cell(decision.outcome, tuple(m.fact for m in decision.missing_facts),
                tuple(dict.fromkeys(rules)), request,
                tuple((c.law, c.text) for c in decision.caveats), decision.missing_facts_exact)


_TABLES: weakref.WeakKeyDictionary[OrdinanceSet, dict[tuple[Any, ...], Any]] = (
    weakref.WeakKeyDictionary())


def table(laws: OrdinanceSet, jurisdiction: Jurisdiction, purpose: str | None,
          as_of: dt.date) -> dict[str, dict[str, Cell]]:
    """``{data category: {requester kind: cell}}`` for one purpose (computed once per set)."""
    cache = _TABLES.setdefault(laws, {})
    key = (jurisdiction.places, purpose, as_of)
    if key not in cache:
        cache[key] = _table(laws, jurisdiction, purpose, as_of)
    result: dict[str, dict[str, Cell]] = cache[key]
    return result


def _table(laws: OrdinanceSet, jurisdiction: Jurisdiction, purpose: str | None,
           as_of: dt.date) -> dict[str, dict[str, Cell]]:
    holder = holder_for(jurisdiction, laws)
    out: dict[str, dict[str, Cell]] = {}
    for data in laws.model.hierarchy.categories:
        out[data] = {r: decide_cell(laws, cell_request(laws, holder, r, data, purpose, as_of))
                     for r in table_requesters(laws)}
    return out
