"""An audit: every row of a sharing log judged against the law set, on DuckDB.

Rows are mapped to facts in SQL (:mod:`ordinance.audit.sql`), grouped by their
*signature* (the values of the facts the laws read, the date cut at the law's date
boundaries), each distinct signature decided once by the evaluator (the authority), and
the decisions joined back to every row in SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

from ..analysis.space import date_cuts
from ..engine.conditions import facts_used
from ..engine.lawset import OrdinanceSet
from ..engine.vocabulary import Request
from ..language.errors import InputError, RequestError
from ..outputs.sqlview import identifier
from .logs import LogFile, relation_sql
from .mapping import FactMap, LogMapping, from_text
from .sql import bucket_sql, cell_sql, fact_sql, literal

UNREADABLE = "unreadable"
"""The outcome of a row the audit could not turn into a request (a line DuckDB could not
parse, or a fact the mapping gives a value the vocabulary refuses)."""


MEMORY_LIMIT = "1GB"
"""DuckDB's memory for an audit; beyond it, it spills to a temporary directory."""


@attrs.frozen
class Signature:
    """One distinct combination of the facts the laws read, and its decision."""

    id: int
    facts: dict[str, Any]
    rows: int
    outcome: str
    rules: tuple[str, ...]
    citations: tuple[str, ...]
    missing: tuple[str, ...]
    decision: dict[str, Any]


@attrs.frozen
class AuditRun:
    """What an audit found, with the DuckDB connection still open for the report."""

    con: Any
    files: tuple[LogFile, ...]
    mapping: LogMapping
    signatures: tuple[Signature, ...]
    rows: int
    rejected: tuple[tuple[str, int, str], ...]  # (file, line, error) of unreadable lines
    law_digest: str


def read_facts(laws: OrdinanceSet) -> set[str]:
    """Every fact some rule, law reach or binding reads, and those a plan is made from."""
    model = laws.model
    read = set(laws.engine.plan_facts)
    for rule in model.rules.values():
        read |= set(facts_used(rule.when, model))
    for law in model.laws.values():
        for cond in (law.reach, law.binding):
            if cond is not None:
                read |= set(facts_used(cond, model))
    return read


def _request(facts: dict[str, Any], signature_id: int) -> dict[str, Any]:
    """A request document (nested keys) from fact paths."""
    return {"id": f"signature-{signature_id}", **Request(facts).to_dict()}


def deciding(decision: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The rules that stood for some item's outcome, and their citations."""
    rules: dict[str, None] = {}
    citations: dict[str, None] = {}
    for item in decision.get("items", ()):
        for rule in item.get("rules", ()):
            if rule.get("status") in ("stands", "applies") and rule.get("effect") in (
                    "prohibit", "permit"):
                rules[rule["rule"]] = None
                citations[rule["citation"]] = None
    return tuple(rules), tuple(citations)


@attrs.frozen
class KeyedSql:
    """The SQL (DuckDB's dialect) that maps a log's rows to facts and signature keys.

    ``inner`` reads the cells: per fact its value, and for a fact that can fail to give
    one, its cell (``cell:FACT``); ``outer`` reads those: the cell where no value came
    (``unclassified:FACT``) and the keys. ``drop`` are the cell columns not kept."""

    inner: tuple[tuple[FactMap, str, str], ...]  # (fact map, expression, column)
    outer: tuple[str, ...]
    drop: tuple[str, ...]
    signature_facts: tuple[str, ...]
    key_names: tuple[str, ...]


def keyed_sql(laws: OrdinanceSet, mapping: LogMapping) -> KeyedSql:
    """The row-mapping SQL of ``mapping`` for ``laws`` (see :class:`KeyedSql`)."""
    read = read_facts(laws)
    inner: list[tuple[FactMap, str, str]] = []
    unread: list[str] = []
    drop: list[str] = []
    for fact_map in mapping.facts:
        name = identifier(fact_map.fact)
        inner.append((fact_map, fact_sql(fact_map, mapping.redacted), name))
        if fact_map.classifies:
            cell = identifier("cell:" + fact_map.fact)
            inner.append((fact_map, cell_sql(fact_map, mapping.redacted), cell))
            drop.append(cell)
            unread.append(f"CASE WHEN {name} IS NULL THEN {cell} END AS "
                          f"{identifier('unclassified:' + fact_map.fact)}")
    signature_facts = tuple(f.fact for f in mapping.facts if f.fact in read)
    cuts = date_cuts([laws.engine])
    # The keys are the facts' own columns, but for the date: its interval between cuts.
    added = [f"{bucket_sql(identifier('date'), cuts)} AS date_bucket"] \
        if "date" in signature_facts else []
    key_names = tuple("date_bucket" if f == "date" else identifier(f) for f in signature_facts)
    return KeyedSql(tuple(inner), (*unread, *added, *([] if key_names else ["0 AS no_key"])),
                    tuple(drop), signature_facts, key_names or ("no_key",))


def connect(workdir: Path, sql_progress: bool = False) -> Any:
    """A DuckDB connection for an audit: the log's order kept, memory bounded (spilling
    to ``workdir``), its progress bar drawn when asked."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    if sql_progress:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = true")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = {literal(str(workdir / 'spill'))}")
    return con


def audit(laws: OrdinanceSet, mapping: LogMapping, files: list[LogFile], *,
          workdir: Path,
          progress: Callable[[Iterable[Any], int], Iterable[Any]] | None = None,
          sql_progress: bool = False) -> AuditRun:
    """Judge every row of ``files`` (see the module's docstring) on DuckDB; ``workdir`` (the
    caller's, to remove when done with the run) holds DuckDB's spill and converted files.
    ``progress`` wraps the signatures as they are decided; ``sql_progress`` lets DuckDB draw
    its progress bar (on standard output, for statements over two seconds).

    Raises:
        InputError: a log that cannot be read as the mapping says.
    """
    import duckdb

    con = connect(workdir, sql_progress)
    plan = keyed_sql(laws, mapping)
    try:
        source, reject_tables = relation_sql(files, mapping, workdir, con)
        inner = ", ".join(f"{sql} AS {column}" for _fact, sql, column in plan.inner)
        every = f"* EXCLUDE ({', '.join(plan.drop)})" if plan.drop else "*"
        # Materialized, so the optimizer does not copy each fact's expression (its
        # regular expressions) into every place the keys below read it.
        con.execute(f"CREATE TEMP TABLE keyed_rows AS WITH facts AS MATERIALIZED "
                    f"(SELECT source_file, source_row, {inner} FROM ({source})) "
                    f"SELECT {every}, {', '.join(plan.outer)} FROM facts")
    except duckdb.Error as error:
        raise InputError(f"cannot read the log: {_first_line(error)}") from None
    # The table keeps the log's order (preserve_insertion_order): its row number is the row's.
    con.execute("CREATE TEMP VIEW keyed AS SELECT rowid + 1 AS row_id, * FROM keyed_rows")
    rejected: list[tuple[str, int, str]] = []
    for index, table in reject_tables:
        try:
            for line, message in con.execute(
                    f"SELECT line, error_message FROM {table} ORDER BY line").fetchall():
                rejected.append((files[index].shown, int(line), _first_line(message)))
        except duckdb.Error:
            continue  # no line was rejected: the table was never made
    return judge(con, laws, mapping, plan, files, rejected, progress)


def judge(con: Any, laws: OrdinanceSet, mapping: LogMapping, plan: KeyedSql,
          files: list[LogFile], rejected: list[tuple[str, int, str]],
          progress: Callable[[Iterable[Any], int], Iterable[Any]] | None = None) -> AuditRun:
    """Decide each signature of the view ``keyed`` (the rows, mapped by ``plan``, with
    ``row_id``) once, and join the decisions back as the view ``judged``."""
    signature_facts, key_names = plan.signature_facts, plan.key_names
    group = ", ".join(key_names)
    rep_date = "min(\"date\")::VARCHAR" if "date" in signature_facts else "NULL"
    found = con.execute(f"SELECT {group}, {rep_date} AS rep_date, count(*) AS n "
                        f"FROM keyed GROUP BY {group} ORDER BY n DESC").fetchall()
    signatures: list[Signature] = []
    constants = dict(mapping.constants)
    steps: Iterable[Any] = enumerate(found)
    if progress is not None:
        steps = progress(steps, len(found))
    for index, row in steps:
        facts: dict[str, Any] = {fact: (frozenset(v) if fact == "data" else v)
                                 for fact, v in constants.items()}
        for fact, value in zip(signature_facts, row[:len(signature_facts)], strict=True):
            if fact == "date":
                value = row[len(signature_facts)]
            if value is None:
                continue
            facts[fact] = from_text(laws.model, fact, str(value))
        if "date" in signature_facts and "date" not in facts:
            date_map = next(f for f in mapping.facts if f.fact == "date")
            decision: dict[str, Any] = {"outcome": UNREADABLE, "error": (
                f"column `{date_map.column}` is not a time in the mapping's format "
                f"`{date_map.time_format}` (or is empty or redacted): the laws in force "
                "depend on the date, so the row is not decided")}
        else:
            try:
                request = laws.request(_request(facts, index))
                decision = laws.decide(request, would_change=False).to_dict()
            except RequestError as error:
                decision = {"outcome": UNREADABLE, "error": error.render()}
        rules, citations = deciding(decision)
        missing = tuple(m["fact"] for m in decision.get("missing_facts", ()))
        signatures.append(Signature(index, {k: _jsonable(v) for k, v in facts.items()},
                                    row[-1], decision["outcome"], rules, citations,
                                    missing, decision))
    con.execute("CREATE TEMP TABLE decisions (signature_id INTEGER, outcome VARCHAR, "
                "rules VARCHAR[], citations VARCHAR[], missing_facts VARCHAR[], "
                + ", ".join(f"{k} VARCHAR" for k in key_names) + ")")
    if signatures:
        placeholders = ", ".join("?" for _ in range(5 + len(key_names)))
        con.executemany(
            f"INSERT INTO decisions VALUES ({placeholders})",
            [[s.id, s.outcome, list(s.rules), list(s.citations), list(s.missing),
              *[None if v is None else str(v) for v in found[s.id][:len(key_names)]]]
             for s in signatures])
    join = " AND ".join(f"k.{n} IS NOT DISTINCT FROM CAST(d.{n} AS "
                        f"{'INTEGER' if n in ('date_bucket', 'no_key') else 'VARCHAR'})"
                        for n in key_names)
    con.execute("CREATE TEMP VIEW judged AS SELECT k.*, d.signature_id, d.outcome, d.rules, "
                f"d.citations, d.missing_facts FROM keyed k JOIN decisions d ON {join}")
    (rows,) = con.execute("SELECT count(*) FROM keyed").fetchall()[0]
    return AuditRun(con, tuple(files), mapping, tuple(signatures), int(rows),
                    tuple(rejected), laws.digest)


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)


def _jsonable(value: Any) -> Any:
    if isinstance(value, frozenset | tuple | list):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_outputs(run: AuditRun, out: Path) -> dict[str, Path]:
    """Per-row results (Parquet, in no set order: ``row_id`` numbers the log's rows in
    order, across its files), each distinct decision once (JSON lines)."""
    out.mkdir(parents=True, exist_ok=True)
    rows_path = out / "rows.parquet"
    files = ", ".join(literal(f.shown) for f in run.files)
    agency = identifier("requester.agency") if any(
        f.fact == "requester.agency" for f in run.mapping.facts) else "NULL"
    date = identifier("date") if any(f.fact == "date" for f in run.mapping.facts) else "NULL"
    run.con.execute(
        f"COPY (SELECT row_id, "
        f"[{files}][source_file + 1] AS file, source_row, signature_id, outcome, rules, "
        f"citations, missing_facts, {agency} AS requester_agency, {date} AS date, "
        f"{literal(run.law_digest)} AS law_set, {literal(run.mapping.digest)} AS mapping "
        f"FROM judged) TO {literal(str(rows_path))} "
        "(FORMAT parquet)")
    decisions_path = out / "decisions.jsonl"
    with decisions_path.open("w", encoding="utf-8") as handle:
        for signature in run.signatures:
            handle.write(json.dumps({"signature_id": signature.id, "rows": signature.rows,
                                     "facts": signature.facts,
                                     "decision": signature.decision},
                                    ensure_ascii=False) + "\n")
    return {"rows": rows_path, "decisions": decisions_path}
