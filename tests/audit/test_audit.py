"""`ordinance audit`: every row judged as deciding its own request would judge it.

The audit maps rows in SQL and decides each distinct signature once; these tests compare
that, row by row, with mapping the row in Python (``LogMapping.row_facts``) and deciding
its request directly.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import ordinance
from ordinance.audit import synthetic
from ordinance.audit.logs import expand
from ordinance.audit.mapping import MappingError, load_mapping
from ordinance.audit.run import UNREADABLE, audit, deciding, write_outputs
from ordinance.cli import main
from ordinance.engine.vocabulary import Request

OAKLAND = {"holder.county": "Alameda", "holder.city": "Oakland"}


@pytest.fixture(scope="module")
def flock(bundled: ordinance.OrdinanceSet):  # type: ignore[no-untyped-def]
    return load_mapping("flock-network-audit", bundled.engine, OAKLAND)


def _direct(laws: ordinance.OrdinanceSet, mapping, row: dict[str, str]) -> dict:  # type: ignore[no-untyped-def]
    facts = mapping.row_facts(row)
    if "date" not in facts:
        return {"outcome": UNREADABLE}
    data = {"id": "direct", **Request({k: frozenset(v) if k == "data" else v
                                       for k, v in facts.items()}).to_dict()}
    return laws.decide(laws.request(data), would_change=False).to_dict()


def test_every_row_is_decided_as_its_own_request(
        bundled: ordinance.OrdinanceSet, flock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = synthetic.write_csv(tmp_path / "log.csv", 3000, seed=5)
    run = audit(bundled, flock, expand([str(log)]), workdir=tmp_path)
    write_outputs(run, tmp_path / "out")
    judged = duckdb.sql(f"SELECT source_row, outcome, citations, missing_facts FROM "
                        f"'{tmp_path / 'out' / 'rows.parquet'}' ORDER BY row_id").fetchall()
    assert [r[0] for r in judged] == list(range(1, len(judged) + 1))  # row_id is log order
    with log.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(judged) == len(rows) == run.rows
    memo: dict[tuple, dict] = {}
    for (source_row, outcome, citations, missing), row in zip(judged, rows, strict=True):
        key = tuple(sorted(row.items()))
        key = tuple((k, v) for k, v in key if k in ("Org Name", "Reason", "Search Time"))
        direct = memo.get(key) or memo.setdefault(key, _direct(bundled, flock, row))
        assert outcome == direct["outcome"], (source_row, row)
        if outcome != UNREADABLE:
            assert sorted(missing) == sorted(m["fact"] for m in direct["missing_facts"])
            assert tuple(citations) == deciding(direct)[1]
    assert {o for _r, o, _c, _m in judged} >= {"prohibited", "undetermined", UNREADABLE}
    assert len(run.signatures) < 200  # decided once per signature, not once per row


def test_the_sql_reads_each_cell_as_the_mapping_does(
        bundled: ordinance.OrdinanceSet, flock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ordinance.audit.sql import fact_sql

    cells = ["  [Federal] ICE ERO Houston ", "Reno NV PD", "oakland ca pd", "***", "", "REDACTED",
             "In a hurry", "04/10/2026, 05:01:33 AM UTC", "13/40/2026, 99:00:00 PM UTC",
             "Texas DPS TX", "immigration check", "IMMIGRATION", "Abortion", "x", None]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[c] for c in cells])
    for fact_map in flock.facts:
        renamed = type(fact_map)(fact_map.fact, "v", fact_map.time_format, fact_map.lookup,
                                 fact_map.rules, fact_map.otherwise)
        got = [r[0] for r in con.execute(
            f"SELECT {fact_sql(renamed, flock.redacted)} FROM t").fetchall()]
        want = [renamed.value_of(c, flock.redacted) for c in cells]
        assert got == want, fact_map.fact


def test_mapping_errors_name_file_line_and_column(bundled: ordinance.OrdinanceSet,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("constants:\n  holder.knd: sheriff\nfacts:\n  purpose:\n"
                    "    column: Reason\n    rules:\n      - {match: 'ice', value: immigration}\n"
                    "      - {match: '(', value: other}\n", encoding="utf-8")
    with pytest.raises(MappingError) as raised:
        load_mapping(str(path), bundled.engine)
    text = raised.value.render()
    assert f"{path}:2:3" in text and "did you mean `holder.kind`?" in text
    assert f"{path}:7:" in text and "`purpose` cannot be `immigration`" in text
    assert f"{path}:8:" in text and "not a regular expression" in text
    assert "^" in text


def test_a_duplicate_key_is_an_error_not_a_silent_override(
        bundled: ordinance.OrdinanceSet, tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("facts:\n  purpose: Reason\n  purpose: Other\n", encoding="utf-8")
    with pytest.raises(MappingError, match="given twice"):
        load_mapping(str(path), bundled.engine)


def test_the_command_writes_every_output_and_exits_1_on_prohibited_rows(
        tmp_path: Path) -> None:
    log = synthetic.write_csv(tmp_path / "log.csv", 500, seed=9)
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["audit", str(log), "--map", "flock-network-audit",
                                       "--holder", "county=Alameda", "--out", str(out),
                                       "--format", "json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 500 == sum(summary["outcomes"].values())
    assert {p.name for p in out.iterdir()} >= {"rows.parquet", "decisions.jsonl",
                                               "summary.json", "summary.csv", "report.html"}
    assert "indicators for review, not findings of violation" in (
        out / "report.html").read_text(encoding="utf-8").lower()


def test_a_headerless_export_is_read_by_the_presets_columns(tmp_path: Path) -> None:
    log = synthetic.write_csv(tmp_path / "noheader.csv", 50, header=False)
    result = CliRunner().invoke(main, ["audit", str(log), "--map", "flock-network-audit",
                                       "--out", str(tmp_path / "o"), "--format", "json"])
    assert result.exit_code in (1, 3), result.output
    assert json.loads(result.stdout)["rows"] == 50


def test_malformed_lines_are_counted_not_dropped(tmp_path: Path) -> None:
    log = synthetic.write_csv(tmp_path / "log.csv", 20)
    with log.open("a", encoding="utf-8") as handle:
        handle.write('broken,"unterminated\n')
    result = CliRunner().invoke(main, ["audit", str(log), "--map", "flock-network-audit",
                                       "--out", str(tmp_path / "o"), "--format", "json"])
    summary = json.loads(result.stdout)
    assert summary["rows"] == 21
    assert sum(summary["outcomes"].values()) == 21


@pytest.mark.parametrize("kind", ["xlsx", "jsonl", "parquet"])
def test_other_log_formats_give_the_same_outcomes(kind: str, tmp_path: Path) -> None:
    rows = synthetic.rows(40, seed=3)
    csv_path = tmp_path / "log.csv"
    synthetic.write_csv(csv_path, 0)
    with csv_path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    other = tmp_path / f"log.{kind}"
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(synthetic.COLUMNS))
        for row in rows:
            sheet.append(row)
        book.save(other)
    elif kind == "jsonl":
        other.write_text("".join(json.dumps(dict(zip(synthetic.COLUMNS, r, strict=True))) + "\n"
                                 for r in rows), encoding="utf-8")
    else:
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) "
                   f"TO '{other}' (FORMAT parquet)")
    outcomes = []
    for path in (csv_path, other):
        result = CliRunner().invoke(main, ["audit", str(path), "--map", "flock-network-audit",
                                           "--out", str(tmp_path / path.suffix[1:]),
                                           "--format", "json"])
        outcomes.append(json.loads(result.stdout)["outcomes"])
    assert outcomes[0] == outcomes[1]


def test_a_file_that_is_not_a_log_exits_5_naming_the_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(path), "--map", "flock-network-audit",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 5
    assert "Org Name" in result.output and "Traceback" not in result.output


def test_a_missing_log_and_an_unknown_preset_exit_5(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["audit", str(tmp_path / "nope.csv"), "--map",
                                        "flock-network-audit"])
    assert missing.exit_code == 5 and "no such file" in missing.output
    preset = CliRunner().invoke(main, ["audit", str(tmp_path / "nope.csv"), "--map", "flok"])
    assert preset.exit_code == 5 and "flock-network-audit" in preset.output


def test_the_report_escapes_what_the_log_says(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    synthetic.write_csv(path, 0)
    row = synthetic.rows(1)[0]
    row[1] = "<script>alert(1)</script> Reno NV PD"
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(row)
    out = tmp_path / "o"
    CliRunner().invoke(main, ["audit", str(path), "--map", "flock-network-audit",
                              "--out", str(out)])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_holder_facts_are_typed_from_the_command_line(tmp_path: Path) -> None:
    log = synthetic.write_csv(tmp_path / "log.csv", 30)
    args = ["audit", str(log), "--map", "flock-network-audit", "--out", str(tmp_path / "o")]
    typed = CliRunner().invoke(main, [*args, "--holder", "alpr_operator=false"])
    assert typed.exit_code in (1, 3), typed.output
    wrong = CliRunner().invoke(main, [*args, "--holder", "alpr_operator=maybe"])
    assert wrong.exit_code == 2
    assert "`holder.alpr_operator` is true or false, not `maybe`" in wrong.output


def test_row_ids_number_the_rows_of_many_files_in_order(tmp_path: Path) -> None:
    first = synthetic.write_csv(tmp_path / "b-first.csv", 700, seed=1)
    second = synthetic.write_csv(tmp_path / "a-second.csv", 500, seed=2)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["audit", str(first), str(second), "--map",
                                       "flock-network-audit", "--out", str(out)])
    assert result.exit_code in (1, 3), result.output
    rows = duckdb.sql(f"SELECT row_id, file, source_row FROM '{out / 'rows.parquet'}' "
                      "ORDER BY row_id").fetchall()
    assert [r[0] for r in rows] == list(range(1, 1201))
    assert [(r[1], r[2]) for r in rows] == (
        [(str(first), n) for n in range(1, 701)] + [(str(second), n) for n in range(1, 501)])


def test_a_json_line_that_is_not_an_object_is_counted_not_fatal(tmp_path: Path) -> None:
    rows = synthetic.rows(30, seed=8)
    lines = [json.dumps(dict(zip(synthetic.COLUMNS, r, strict=True))) for r in rows]
    lines[4] = '{"Org Name": "Reno NV PD", "Reason": '  # cut short
    lines[9] = "[1, 2, 3]"
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join([*lines[:15], "", *lines[15:]]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(log), "--map", "flock-network-audit",
                                       "--out", str(tmp_path / "o"), "--format", "json"])
    assert result.exit_code in (1, 3), result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 30 == sum(summary["outcomes"].values())  # the blank line is none
    assert [(r["line"], r["error"]) for r in summary["rejected_lines"]] == [
        (5, "not a JSON object"), (10, "not a JSON object")]
