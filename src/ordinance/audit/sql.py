"""A mapping's reading of a cell, as SQL (DuckDB's dialect).

Each expression computes what :meth:`ordinance.audit.mapping.FactMap.value_of` computes
in Python, which the tests compare it with row by row: a redacted or empty cell is
unknown (SQL ``NULL``); a date is parsed with the mapping's format; a lookup matches the
trimmed cell in any case; rules are tried in order (RE2 ``regexp_matches``, a match
anywhere, as Python's ``re.search``); otherwise the mapping's fallback, or unknown.
Values are text (``true``/``false`` for booleans, ISO dates).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..outputs.sqlview import identifier
from ..outputs.sqlview import literal as text_literal
from .mapping import FactMap


def literal(value: Any) -> str:
    """A SQL text literal (booleans as ``true``/``false``: the audit's values are text)."""
    return text_literal(("true" if value else "false") if isinstance(value, bool) else str(value))


def cell_sql(fact_map: FactMap, redacted: frozenset[str]) -> str:
    """The trimmed cell, NULL when empty or redacted."""
    cell = f"trim({identifier(fact_map.column)})"
    if not redacted:
        return f"nullif({cell}, '')"
    markers = ", ".join(literal(m) for m in sorted(redacted))
    return f"CASE WHEN {cell} IN ({markers}) OR {cell} = '' THEN NULL ELSE {cell} END"


def fact_sql(fact_map: FactMap, redacted: frozenset[str]) -> str:
    """The fact's value for a row (text, or a DATE for a date)."""
    cell = cell_sql(fact_map, redacted)
    if fact_map.time_format is not None:
        return f"CAST(try_strptime({cell}, {literal(fact_map.time_format)}) AS DATE)"
    if not (fact_map.lookup or fact_map.rules):
        return cell
    whens = [f"WHEN lower({cell}) = {literal(key.casefold())} THEN {literal(value)}"
             for key, value in fact_map.lookup]
    whens += [f"WHEN regexp_matches({cell}, {literal(rule.pattern)}) THEN {literal(rule.value)}"
              for rule in fact_map.rules]
    otherwise = "NULL" if fact_map.otherwise is None else literal(fact_map.otherwise)
    return f"CASE WHEN {cell} IS NULL THEN NULL {' '.join(whens)} ELSE {otherwise} END"


def bucket_sql(date: str, cuts: list[dt.date]) -> str:
    """Which interval between the law's date cuts a date falls in (NULL when unknown):
    dates in one interval are decided alike."""
    if not cuts:
        return f"CASE WHEN {date} IS NULL THEN NULL ELSE 0 END"
    whens = " ".join(f"WHEN {date} < DATE '{cut.isoformat()}' THEN {index}"
                     for index, cut in enumerate(cuts))
    return f"CASE WHEN {date} IS NULL THEN NULL {whens} ELSE {len(cuts)} END"
