"""`ordinance audit --engine spark` gives DuckDB's result, row for row.

The same generated log (CSV with and without a header, JSON lines with broken lines,
Parquet, XLSX; one audit over all of them) is audited on both engines and every row's
outcome, signature facts, citations and missing facts compared. Spark runs in CI: `.ci/run`
installs a Java runtime and the `spark` extra; without them this test fails, saying how to
get them.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from ordinance.audit import synthetic
from ordinance.audit.spark import java_pattern
from ordinance.cli import main

HINT = ("Spark is needed for this test: pip install '.[test,spark]' and a Java runtime "
        "(Debian: apt-get install default-jre-headless); .ci/run installs both.")


def _log_files(root: Path) -> list[Path]:
    rows = synthetic.rows(1200, seed=21)
    with_header = synthetic.write_csv(root / "a.csv", 0)
    with with_header.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows[:500])
    headerless = root / "b.csv"
    with headerless.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows[500:700])
    lines = [json.dumps(dict(zip(synthetic.COLUMNS, r, strict=True))) for r in rows[700:900]]
    lines[3], lines[50] = "{broken", "[1, 2]"
    (root / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{with_header}', all_varchar=true) LIMIT 150) "
               f"TO '{root / 'd.parquet'}' (FORMAT parquet)")
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(synthetic.COLUMNS))
    for row in rows[900:]:
        sheet.append(row)
    book.save(root / "e.xlsx")
    return [root / n for n in ("a.csv", "b.csv", "c.jsonl", "d.parquet", "e.xlsx")]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail(f"pyspark is not installed. {HINT}", pytrace=False)
    if shutil.which("java") is None:
        pytest.fail(f"no `java` on PATH. {HINT}", pytrace=False)
    root = tmp_path_factory.mktemp("spark")
    files = [str(p) for p in _log_files(root)]
    from ordinance.audit.spark import session

    spark = session("local[2]")  # the audit below uses this session
    # Small splits, so a file is read as several partitions and rows are numbered across them.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16k")
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    assert spark.read.csv(files[0]).rdd.getNumPartitions() > 1
    found: dict[str, Any] = {}
    for engine in ("duckdb", "spark"):
        out = root / engine
        result = CliRunner().invoke(main, ["audit", *files, "--map", "flock-network-audit",
                                           "--holder", "county=Alameda", "--engine", engine,
                                           "--master", "local[2]", "--out", str(out),
                                           "--format", "json"])
        assert result.exit_code == 1, result.output
        found[engine] = {
            "summary": json.loads(result.stdout),
            "rows": duckdb.sql(
                "SELECT row_id, file, source_row, outcome, citations, missing_facts, "
                f"requester_agency, date FROM '{out / 'rows.parquet'}' ORDER BY row_id"
            ).fetchall(),
        }
    return found


def test_every_row_is_judged_alike_on_both_engines(both: dict[str, Any]) -> None:
    duck, spark = both["duckdb"]["rows"], both["spark"]["rows"]
    assert len(duck) == len(spark) == 1348  # 1,350 rows less the two broken JSON lines
    assert duck == spark


def test_the_summaries_agree(both: dict[str, Any]) -> None:
    duck, spark = both["duckdb"]["summary"], both["spark"]["summary"]
    for key in ("rows", "outcomes", "by_agency", "by_citation", "timeline",
                "undetermined_by_missing_facts", "unclassified", "rejected_lines"):
        assert duck[key] == spark[key], key
    assert duck["rows"] == 1350
    assert [(r["line"], r["error"]) for r in duck["rejected_lines"]] == [
        (4, "not a JSON object"), (51, "not a JSON object")]


def test_time_formats_become_java_patterns() -> None:
    assert java_pattern("%m/%d/%Y, %I:%M:%S %p UTC") == "MM/dd/yyyy, hh:mm:ss a 'UTC'"
    assert java_pattern("%Y-%m-%dT%H:%M:%S") == "yyyy-MM-dd'T'HH:mm:ss"


def test_the_law_set_compiled_for_spark_runs_there_as_on_duckdb(
        both: dict[str, Any], bundled: Any, tmp_path: Path) -> None:
    """`compile --to sql --dialect spark`, run by Spark on rows drawn from the request space,
    gives every row the outcome the DuckDB query gives (which equals the evaluator's one
    pass, tests/outputs/test_sqlview.py)."""
    from ordinance.audit.spark import session
    from ordinance.outputs.sqlview import SqlWriter, compile_sql

    from ..outputs.test_sqlview import _requests, _table

    writer = SqlWriter(bundled.engine)
    query = writer.query()
    con = duckdb.connect()
    _table(con, bundled, sorted({*writer.read, "data"}), _requests(bundled, 400, seed=9))
    expected = con.execute(f"SELECT request, item, outcome FROM ({query}) "
                           "ORDER BY request, item").fetchall()
    con.execute(f"COPY requests TO '{tmp_path / 'requests.parquet'}' (FORMAT parquet)")
    spark = session("local[2]")
    spark.read.parquet(str(tmp_path / "requests.parquet")).createOrReplaceTempView("requests")
    body = "\n".join(line for line in compile_sql(bundled.engine, "spark").splitlines()
                     if not line.startswith("--")).rstrip().rstrip(";")
    found = [(r["request"], r["item"], r["outcome"]) for r in spark.sql(body).select(
        "request", "item", "outcome").orderBy("request", "item").collect()]
    assert found == expected
    assert {o for _r, _i, o in found} >= {"prohibited", "undetermined", "permitted"}
