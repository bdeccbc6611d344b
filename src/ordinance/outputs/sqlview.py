"""The checked law set as one SQL query (``ordinance compile --to sql``), for warehouses
that cannot run Python.

Input: a table (``requests`` by default) with one row per request and data item asked
about: a column ``item`` (the data category) and one column per fact the laws read, named
by its path (``"holder.kind"``), NULL where the fact is unknown; ``data`` is the list of
every category requested. Values must be as a validated request has them (the vocabulary's
values; states as their postal code). Output: every input column, ``covered`` (some law
applies to the request), ``prohibited`` (some prohibition stands for the item; NULL:
perhaps) and ``outcome`` (``prohibited``, ``undetermined``, ``permitted`` or
``not_covered``) for the item.

The query is one pass of Kleene logic, written as SQL's own three-valued logic (an unknown
fact is NULL), and gives what the evaluator's one pass gives (``Engine.evaluate``; the tests
compare them over the request space). Its limits, which the header of the generated query
repeats:

- where every completion of the unknown facts agrees, the evaluator's case analysis
  settles an *undetermined* one pass leaves open; this query does not, so it can say
  *undetermined* where ``ordinance check`` decides (never the other way round);
- it gives no explanation, citations or missing facts: run ``ordinance check`` on a row
  to see them;
- named conditions are written out where they are used, so a law set with deep chains of
  them gives a long query.

The query is written in DuckDB's dialect and translated to others by ``sqlglot``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..checker.model import Law, Rule
from ..engine.conditions import has_values
from ..engine.evaluator import (
    LOCAL_AGENCY_FACT,
    NOT_COVERED,
    PERMITTED,
    PROHIBITED,
    UNDETERMINED,
    Engine,
)
from ..language import nodes as n

DIALECTS = ("duckdb", "spark", "postgres")
"""The SQL dialects ``compile --to sql`` writes (any ``sqlglot`` dialect would do)."""


def identifier(name: str) -> str:
    """A SQL identifier (a column or fact name, quoted whatever it contains)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """A SQL literal: TRUE/FALSE, a DATE, or a quoted text."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _any(parts: Iterable[str]) -> str:
    found = [p for p in parts if p != "FALSE"]
    return "(" + " OR ".join(found) + ")" if found else "FALSE"


def _all(parts: Iterable[str]) -> str:
    found = [p for p in parts if p != "TRUE"]
    return "(" + " AND ".join(found) + ")" if found else "TRUE"


class SqlWriter:
    """Writes the conditions, reaches and rules of one engine's law set as SQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.model = engine.model
        self._defines: dict[str, str] = {}
        self.read: dict[str, None] = {}  # the fact columns the query reads, in order

    def column(self, path: str) -> str:
        """A fact's column (NULL for a fact the vocabulary does not declare)."""
        if path not in self.model.facts:
            return "NULL"
        self.read[path] = None
        return identifier(path)

    def condition(self, cond: n.Condition) -> str:
        """A condition in SQL's three-valued logic (NULL: unknown)."""
        if isinstance(cond, n.Const):
            return literal(bool(cond.value))
        if isinstance(cond, n.Not):
            return f"(NOT {self.condition(cond.operand)})"
        if isinstance(cond, n.And):
            return "(" + " AND ".join(self.condition(c) for c in cond.operands) + ")"
        if isinstance(cond, n.Or):
            return "(" + " OR ".join(self.condition(c) for c in cond.operands) + ")"
        if isinstance(cond, n.Ref):
            if cond.name in self.model.defines:
                if cond.name not in self._defines:
                    self._defines[cond.name] = self.condition(
                        self.model.defines[cond.name].when)
                return self._defines[cond.name]
            return self.column(cond.name)
        if isinstance(cond, n.Has):
            wanted = has_values(cond, self.model)
            column = self.column(cond.fact)
            return _any(f"list_contains({column}, {literal(w)})" for w in sorted(wanted))
        if isinstance(cond, n.Member):
            values = ", ".join(literal(v.value) for v in cond.values)
            return (f"({self.column(cond.fact)} {'NOT IN' if cond.negated else 'IN'} "
                    f"({values}))")
        assert isinstance(cond, n.Compare)
        op = "<>" if cond.op == "!=" else cond.op
        return f"({self.column(cond.fact)} {op} {literal(cond.value.value)})"

    def applies(self, law: Law) -> str:
        """Whether a law applies to the request, as ``Engine._reach`` and ``Engine.bind``
        decide it: never unknown (an open place or binding applies)."""
        parts = []
        local = self.column(LOCAL_AGENCY_FACT)
        for level, place in law.places:
            held = self.column(f"holder.{level}")
            same = f"(lower(trim({held})) = {literal(place.casefold())})"
            if level == "state" or f"holder.{level}" not in self.model.facts:
                parts.append(f"COALESCE({same}, FALSE)")
            else:  # not given: open, unless the holder is known not to be a local agency
                parts.append(f"(CASE WHEN {held} IS NULL THEN ({local} IS DISTINCT FROM FALSE)"
                             f" ELSE {same} END)")
        kinds = ", ".join(literal(k) for k in sorted(law.binds))
        parts.append(f"COALESCE({self.column('holder.kind')} IN ({kinds}), FALSE)")
        date = self.column("date")
        if law.in_force_from:
            parts.append(f"({date} IS NULL OR {date} >= {literal(law.in_force_from)})")
        if law.in_force_until:
            parts.append(f"({date} IS NULL OR {date} <= {literal(law.in_force_until)})")
        if law.binding is not None:
            parts.append(f"COALESCE({self.condition(law.binding)}, TRUE)")
        return _all(parts)

    def in_scope(self, rule: Rule) -> str:
        """Whether the row's item is in the rule's scope."""
        scope = self.engine.scope[rule.id]
        if scope >= set(self.model.hierarchy.categories):
            return "TRUE"
        if not scope:
            return "FALSE"
        return f"(item IN ({', '.join(literal(c) for c in sorted(scope))}))"

    def stands(self, rule: Rule) -> str:
        """Whether a rule stands for the row's item: its condition holds and no exception of
        an applying law, in scope of the item, stands (as ``Engine.stands``)."""
        rules = self.model.rules
        defeats = _any(_all([self.in_scope(rules[e]), self.applies_id(rules[e].law_id),
                             self.stands(rules[e])]) for e in rule.exceptions)
        own = self.condition(rule.when)
        return own if defeats == "FALSE" else f"({own} AND NOT {defeats})"

    def applies_id(self, law_id: str) -> str:
        """:meth:`applies` of the law with this id."""
        return self.applies(self.model.laws[law_id])

    def query(self, table: str = "requests") -> str:
        """The whole query, in DuckDB's dialect."""
        rules = self.model.rules.values()
        prohibited = _any(_all([self.in_scope(r), self.applies_id(r.law_id), self.stands(r)])
                          for r in rules if r.effect == "prohibit")
        covered = _any(self.applies(law) for law in self.model.laws.values())
        judged = (f"SELECT *, {covered} AS covered, {prohibited} AS prohibited "
                  f"FROM {identifier(table)}")
        return (f"SELECT *, CASE WHEN NOT covered THEN {literal(NOT_COVERED)} "
                f"WHEN prohibited THEN {literal(PROHIBITED)} WHEN prohibited IS NULL THEN "
                f"{literal(UNDETERMINED)} ELSE {literal(PERMITTED)} END AS outcome "
                f"FROM ({judged}) AS judged")


def compile_sql(engine: Engine, dialect: str = "duckdb", table: str = "requests",
                digest: str = "") -> str:
    """The law set as a SQL query over ``table`` in ``dialect`` (see the module's
    docstring), with a header naming the law set, the columns it reads and its limits."""
    import sqlglot

    writer = SqlWriter(engine)
    query = writer.query(table)
    written = sqlglot.transpile(query, read="duckdb", write=dialect, pretty=True)[0]
    columns = ", ".join(["item", *writer.read])
    header = "\n".join([
        f"-- ordinance law set {digest}".rstrip(),
        f"-- as SQL ({dialect}): one row per request and data item asked about.",
        f"-- Reads: {columns} (NULL where unknown; `data` is the list of categories requested).",
        "-- One pass of three-valued logic: may say 'undetermined' where `ordinance check`,",
        "-- which also searches the completions of unknown facts, decides; never the reverse.",
        "-- No explanation, citations or missing facts: run `ordinance check` for those.",
    ])
    return f"{header}\n{written};\n"
