"""`ordinance compile --to sql`: the law set as SQL gives the evaluator's one pass.

Requests are drawn from the finite request space (every holder context the laws name,
each fact one of the values the law tells apart, or unknown), one row per request and
data item; DuckDB runs the generated query and every row's outcome is compared with
``Engine.evaluate`` (one pass of Kleene logic, as the SQL is). The settled decision
(``OrdinanceSet.evaluate``) is never less restrictive where the SQL says permitted.
"""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner

import ordinance
from ordinance.analysis.space import Space
from ordinance.cli import main
from ordinance.engine.evaluator import NOT_COVERED, PERMITTED
from ordinance.engine.relevance import representatives
from ordinance.outputs.sqlview import DIALECTS, SqlWriter, compile_sql

SQL_TYPES = {"bool": "BOOLEAN", "date": "DATE", "categories": "VARCHAR[]",
             "set_of": "VARCHAR[]"}


def _requests(laws: ordinance.OrdinanceSet, count: int, seed: int) -> list[dict[str, Any]]:
    """Random requests of the request space: a holder context, some data, each other fact
    one of its representative values or unknown."""
    rng = random.Random(seed)
    contexts = Space([laws.engine]).contexts
    reps = representatives(laws.model)
    categories = sorted(laws.model.hierarchy.categories)
    out = []
    for _ in range(count):
        facts: dict[str, Any] = dict(rng.choice(contexts).facts)
        for path, values in reps.items():
            if path in facts or path == "data" or rng.random() < 0.35:
                continue
            facts[path] = rng.choice(values)
        if rng.random() < 0.15:  # the holder's place or kind unknown, or another state
            facts.pop(rng.choice(["holder.county", "holder.city", "holder.kind"]), None)
        if rng.random() < 0.05:
            facts["holder.state"] = "NY"
        facts["data"] = frozenset(rng.sample(categories, rng.randint(1, 3)))
        out.append(facts)
    return out


def _table(con: duckdb.DuckDBPyConnection, laws: ordinance.OrdinanceSet,
           columns: list[str], requests: list[dict[str, Any]]) -> None:
    facts = laws.model.facts
    types = [SQL_TYPES.get(facts[c].kind, "VARCHAR") if c in facts else "VARCHAR"
             for c in columns]
    con.execute("CREATE TABLE requests (request INTEGER, item VARCHAR, " + ", ".join(
        f'"{c}" {t}' for c, t in zip(columns, types, strict=True)) + ")")
    rows = []
    for index, facts_of in enumerate(requests):
        for item in sorted(facts_of["data"]):
            rows.append([index, item, *[
                sorted(v) if isinstance(v := facts_of.get(c), frozenset) else v
                for c in columns]])
    con.executemany(f"INSERT INTO requests VALUES ({', '.join('?' * (len(columns) + 2))})",
                    rows)


@pytest.fixture(scope="module")
def judged(bundled: ordinance.OrdinanceSet) -> list[tuple[dict[str, Any], str, str]]:
    writer = SqlWriter(bundled.engine)
    query = writer.query()
    columns = sorted({*writer.read, "data"})
    requests = _requests(bundled, 1500, seed=4)
    con = duckdb.connect()
    _table(con, bundled, columns, requests)
    found = con.execute(f"SELECT request, item, outcome FROM ({query}) ORDER BY request, item"
                        ).fetchall()
    return [(requests[r], item, outcome) for r, item, outcome in found]


def test_sql_gives_the_evaluators_one_pass_on_every_row(
        bundled: ordinance.OrdinanceSet, judged: list[tuple[dict[str, Any], str, str]]) -> None:
    engine = bundled.engine
    assert len(judged) > 2000
    seen = set()
    for facts, item, outcome in judged:
        evaluation = engine.evaluate(facts, explained=False)
        expected = (NOT_COVERED if evaluation.outcome == NOT_COVERED
                    else next(i.outcome for i in evaluation.items if i.data == item))
        assert outcome == expected, (item, facts)
        seen.add(outcome)
    assert seen == {"prohibited", "undetermined", "permitted", "not_covered"}


def test_sql_never_permits_what_the_settled_decision_does_not(
        bundled: ordinance.OrdinanceSet, judged: list[tuple[dict[str, Any], str, str]]) -> None:
    for facts, item, outcome in judged:
        if outcome == PERMITTED:
            settled = bundled.explainer.relevance.settle(bundled.engine.evaluate(facts))
            assert next(i.outcome for i in settled.items if i.data == item) == PERMITTED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back(bundled: ordinance.OrdinanceSet, dialect: str) -> None:
    sql = compile_sql(bundled.engine, dialect, digest=bundled.digest)
    assert sql.startswith(f"-- ordinance law set {bundled.digest}")
    assert "one pass of three-valued logic" in sql.lower()
    sqlglot.parse_one(sql.split("\n", 6)[-1].rstrip().rstrip(";"), read=dialect)


def test_the_command_writes_the_query(tmp_path: Any) -> None:
    out = tmp_path / "law.sql"
    result = CliRunner().invoke(main, ["compile", "--to", "sql", "--dialect", "spark",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "`holder.kind`" in out.read_text(encoding="utf-8")  # Spark quotes with backticks
    wrong = CliRunner().invoke(main, ["compile", "--to", "sql", "--dialect", "oracle"])
    assert wrong.exit_code == 2 and "duckdb" in wrong.output


def test_a_condition_on_the_other_requested_data(tmp_path: Any) -> None:
    """`data has` reads the list of every category requested, not only the row's item."""
    from ..conftest import FIXTURES

    planted = FIXTURES / "analysis"
    (tmp_path / "vocabulary.ord").write_text(
        (planted / "vocabulary.ord").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "law.ord").write_text(
        'law t.act { title "T" version "1" jurisdiction state "IL" binds police }\n'
        'section "T § 1" "No status together with an address."\n'
        'rule not_with_address { prohibit status when data has address cite "T § 1" }\n',
        encoding="utf-8")
    laws = ordinance.load(tmp_path, cache=False)
    writer = SqlWriter(laws.engine)
    query = writer.query()
    columns = sorted({*writer.read, "data"})
    con = duckdb.connect()
    requests = [{"holder.state": "IL", "holder.kind": "police", "data": frozenset(d)}
                for d in ({"status"}, {"status", "address"}, {"address"})]
    _table(con, laws, columns, requests)
    found = con.execute(f"SELECT request, item, outcome FROM ({query}) ORDER BY request, item"
                        ).fetchall()
    assert found == [(0, "status", "permitted"), (1, "address", "permitted"),
                     (1, "status", "prohibited"), (2, "address", "permitted")]
    for request, item, outcome in found:
        evaluation = laws.engine.evaluate(requests[request])
        assert next(i.outcome for i in evaluation.items if i.data == item) == outcome
