"""``ordinance batch``: one result per line, in order, bad lines recorded, memory flat."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import ordinance
from ordinance.cli import main
from ordinance.service import batchrun
from ordinance.service.batchrun import BatchSummary, run_batch
from ordinance.service.decisionlog import DecisionLog

from ..conftest import EXAMPLES, ORDINANCES, sheriff_to_ice

PERMITTED = sheriff_to_ice(subject={"state_prison_felony_conviction": True,
                                    "prop47_reduced_misdemeanor": False})
PROHIBITED = sheriff_to_ice(data=["home_address"], legal_process="hold_request")
UNDETERMINED = sheriff_to_ice()
NOT_COVERED = sheriff_to_ice(holder={"state": "NV", "county": "Clark"})


def jsonl(*lines: Any) -> str:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                   for line in lines)


def with_id(request: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {**request, "id": request_id}


MIXED = jsonl(
    with_id(PERMITTED, "a"),  # 1
    with_id(PROHIBITED, "b"),  # 2
    "{not json",  # 3
    "",  # 4: blank, skipped
    {"id": "e", "holder": {"kind": "sherif", "state": "CA"}, "data": ["release_date"]},  # 5
    with_id(UNDETERMINED, "f"),  # 6
    "[1, 2]",  # 7
    with_id(NOT_COVERED, "h"),  # 8
    "   ",  # 9: blank
    with_id(PERMITTED, "j"),  # 10
)


def batch(runner: CliRunner, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(main, ["batch", "--ordinances", str(ORDINANCES), *args], input=stdin,
                         catch_exceptions=False)


def results(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def counts(stderr: str) -> dict[str, int]:
    stderr = re.sub(r"(?<=\d),(?=\d)", "", stderr)  # thousands separators
    head = re.search(r"(\d+) lines: (\d+) decided, (\d+) invalid(?:, (\d+) blank)?", stderr)
    assert head is not None, stderr
    outcomes = re.search(r"outcomes: (.*)", stderr)
    assert outcomes is not None
    found = {"lines": int(head[1]), "decided": int(head[2]), "invalid": int(head[3]),
             "blank": int(head[4] or 0)}
    for name, count in re.findall(r"(\w+) (\d+)", outcomes[1]):
        found[name] = int(count)
    return found


# ---------------------------------------------------------------- results, in order


def test_one_result_per_line_in_order_bad_lines_recorded(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(MIXED, encoding="utf-8")
    result = batch(runner, str(source))
    assert result.exit_code == 5  # some lines were invalid
    out = results(result.stdout)
    assert len(out) == 8  # ten lines, two blank
    assert [r.get("request_id") for r in out] == ["a", "b", None, "e", "f", None, "h", "j"]
    assert [r.get("outcome") for r in out] == ["permitted", "prohibited", None, None,
                                               "undetermined", None, "not_covered",
                                               "permitted"]
    errors = [r for r in out if "error" in r]
    assert [e["line"] for e in errors] == [3, 5, 7]
    assert errors[0]["error"].startswith("invalid JSON") and errors[0]["problems"] == []
    bad_kind = errors[1]["problems"]
    assert {p["field"] for p in bad_kind} == {"holder.kind"}
    assert bad_kind[0]["help"] == "did you mean `sheriff`?"
    assert "must be a mapping" in errors[2]["error"]
    # A decision line is the decision contract, as `check --format json` prints it.
    check = runner.invoke(main, ["check", "--format", "json", str(write(tmp_path, PERMITTED))])
    decided = json.loads(check.stdout)
    assert set(out[0]) == set(decided)
    assert out[0]["items"] == decided["items"]


def write(tmp_path: Path, request: dict[str, Any]) -> Path:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    return path


def test_summary_counts_on_standard_error(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(MIXED, encoding="utf-8")
    result = batch(runner, str(source))
    assert counts(result.stderr) == {"lines": 10, "decided": 5, "invalid": 3, "blank": 2,
                                     "permitted": 2, "prohibited": 1, "undetermined": 1,
                                     "not_covered": 1}
    assert "requests/s" in result.stderr
    assert "\r" not in result.stderr  # no progress counter when standard error is no terminal


def test_all_valid_exits_0_whatever_the_outcomes(runner: CliRunner) -> None:
    result = batch(runner, "-", stdin=jsonl(PERMITTED, PROHIBITED, UNDETERMINED, NOT_COVERED))
    assert result.exit_code == 0
    assert [r["outcome"] for r in results(result.stdout)] == [
        "permitted", "prohibited", "undetermined", "not_covered"]


def test_out_file_and_stdin(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = batch(runner, "-", "--out", str(out), stdin=MIXED)
    assert result.exit_code == 5
    assert result.stdout == ""
    assert len(results(out.read_text(encoding="utf-8"))) == 8
    assert counts(result.stderr)["decided"] == 5


def test_empty_input(runner: CliRunner) -> None:
    result = batch(runner, "-", stdin="")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert counts(result.stderr)["lines"] == 0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_log_records_every_decision(runner: CliRunner, tmp_path: Path, jobs: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(MIXED, encoding="utf-8")
    log_path = tmp_path / "decisions.sqlite"
    result = batch(runner, str(source), "--log", str(log_path), "--jobs", jobs)
    decided = [r for r in results(result.stdout) if "outcome" in r]
    log = DecisionLog(log_path)
    try:
        assert log.count() == len(decided) == 5
        entries = list(log.entries())
        assert [e.request_id for e in entries] == [d["request_id"] for d in decided]
        assert [e.decision for e in entries] == decided
        assert entries[0].request["subject"]["state_prison_felony_conviction"] is True
    finally:
        log.close()


def test_unusable_log_exits_5(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_bytes(b"this is not a SQLite database" * 100)
    result = batch(runner, "-", "--log", str(bad), stdin=jsonl(PERMITTED))
    assert result.exit_code == 5
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- the streaming loop


def test_bad_bytes_and_overlong_lines_do_not_stop_the_batch(
        bundled: ordinance.OrdinanceSet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batchrun, "MAX_LINE_BYTES", 4096)
    source = io.BytesIO(b"\xef\xbb\xbf" + jsonl(PERMITTED).encode()  # a BOM on line 1
                        + b'{"id": "\xff"}\n'
                        + b'{"x": "' + b"y" * 100_000 + b'"}\n'
                        + jsonl(PROHIBITED).encode()
                        + jsonl(PERMITTED).encode().rstrip(b"\n"))  # no final newline
    out = io.StringIO()
    summary = run_batch(bundled, source, out, would_change=False)
    lines = results(out.getvalue())
    assert [r.get("outcome", r.get("line")) for r in lines] == [
        "permitted", 2, 3, "prohibited", "permitted"]
    assert "not UTF-8" in lines[1]["error"]
    assert "longer than" in lines[2]["error"]
    assert (summary.lines, summary.decided, summary.invalid) == (5, 3, 2)


def test_progress_is_reported_while_running(bundled: ordinance.OrdinanceSet) -> None:
    seen: list[int] = []
    summary = BatchSummary()
    run_batch(bundled, io.BytesIO(jsonl(*[NOT_COVERED] * 5).encode()), io.StringIO(),
              summary=summary, progress=lambda s: seen.append(s.lines), progress_every=0)
    assert seen == [1, 2, 3, 4, 5]
    assert summary.to_dict()["decided"] == 5


# ---------------------------------------------------------------- memory stays flat


def _generate(path: Path, count: int) -> None:
    """``count`` lines cycling over every outcome, invalid and blank lines (mostly cheap ones,
    to keep the test fast under tracemalloc)."""
    base = {"date": "2024-05-01", "holder": {"kind": "sheriff", "state": "IL"},
            "requester": {"kind": "immigration"}, "data": ["status"]}
    cycle = [json.dumps(line) for line in [
        {**base, "warrant": True, "ground_a": True, "blocker": False},  # permitted
        {**base, "warrant": False, "ground_a": False, "ground_b": False},  # prohibited
        {**base, "warrant": False, "ground_a": False, "blocker": False},  # undetermined
        *[{**base, "holder": {"kind": "sheriff", "state": "NV"}}] * 12,  # not covered
        *[{"holder": {"kind": "sherif"}}] * 3, "{not json",  # invalid
    ]] + [""]
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            out.write(cycle[index % len(cycle)] + "\n")


def _peak(laws: ordinance.OrdinanceSet, source: Path, out: Path) -> tuple[int, BatchSummary]:
    with source.open("rb") as reader, out.open("w", encoding="utf-8") as writer:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        summary = run_batch(laws, reader, writer, would_change=False)
        return tracemalloc.get_traced_memory()[1] - before, summary


def test_memory_does_not_grow_with_the_input(engine_laws: ordinance.OrdinanceSet,
                                             tmp_path: Path) -> None:
    warm, small, large = tmp_path / "warm.jsonl", tmp_path / "2k.jsonl", tmp_path / "20k.jsonl"
    _generate(warm, 200)
    _generate(small, 2_000)
    _generate(large, 20_000)
    out = tmp_path / "out.jsonl"
    tracemalloc.start()
    try:
        _peak(engine_laws, warm, out)  # warm up: compiled conditions, regex caches
        small_peak, small_summary = _peak(engine_laws, small, out)
        large_peak, large_summary = _peak(engine_laws, large, out)
    finally:
        tracemalloc.stop()
    assert large_summary.lines == 20_000 and small_summary.lines == 2_000
    assert all(count > 0 for count in large_summary.outcomes.values())
    assert large_summary.invalid == 4_000 and large_summary.blank == 1_000
    assert sum(1 for _ in out.open(encoding="utf-8")) == 19_000
    assert large_peak < 1.5 * small_peak + 64 * 1024, (small_peak, large_peak)


def test_a_repeated_request_gets_the_text_deciding_it_afresh_writes(bundled: Any) -> None:
    """The batch remembers decisions by the request's facts: a line that repeats an
    earlier request under another id is written from memory, and is the same text
    `json.dumps(decide(...).to_dict())` gives, with its own id and echoed request."""
    requests = [with_id(r, f"id-{i}") for i, r in enumerate(
        [PERMITTED, PROHIBITED, UNDETERMINED, NOT_COVERED] * 3)]
    requests.append({k: v for k, v in PERMITTED.items()})  # no id at all
    memo = batchrun.DecisionMemo(bundled, would_change=True)
    for data in requests:
        request = bundled.request(data)
        outcome, line = memo.line(request)
        fresh = bundled.decide(request).to_dict()
        assert line == json.dumps(fresh, ensure_ascii=False)
        assert outcome == fresh["outcome"]
    assert memo.hits == 5  # kept from the second sighting, used from the third


def test_the_memo_keeps_what_repeats_at_most_its_size_least_recent_dropped(bundled: Any
                                                                          ) -> None:
    memo = batchrun.DecisionMemo(bundled, would_change=False, size=2)
    first, second, third = (bundled.request(r) for r in (PERMITTED, PROHIBITED, UNDETERMINED))
    for request in (first, second, third):
        memo.line(request)  # seen once: only noted
    assert memo.hits == 0 and not memo._kept
    for request in (first, second, first, third):  # kept on the second sighting
        memo.line(request)
    assert memo.hits == 1  # `first`, the third time
    assert list(memo._kept) == [tuple(sorted(r.facts.items())) for r in (first, third)]
    memo.line(first)
    memo.line(second)  # dropped for `third`: decided again, and kept again
    assert memo.hits == 2
    assert len(memo._kept) == 2


def test_remembered_decisions_do_not_change_what_a_batch_writes(bundled: Any) -> None:
    """Each output line equals the decision of its own line alone (outcome, citations,
    missing facts, would-change, id and echoed request), repeats and all."""
    lines = [with_id(r, f"r{i}") for i, r in enumerate(
        [UNDETERMINED, PROHIBITED, UNDETERMINED, PERMITTED, PROHIBITED, UNDETERMINED])]
    out = io.StringIO()
    run_batch(bundled, io.BytesIO(jsonl(*lines).encode()), out)
    written = results(out.getvalue())
    assert written == [bundled.decide(bundled.request(line)).to_dict() for line in lines]


def test_worker_processes_write_the_same_lines_in_input_order(bundled: Any) -> None:
    """`--jobs 2`: chunks decided in two processes, written in input order; the same
    text and the same summary as one process, blank and bad lines included."""
    text = MIXED * 15  # 150 lines: several chunks of CHUNK_LINES
    alone, parallel = io.StringIO(), io.StringIO()
    one = run_batch(bundled, io.BytesIO(text.encode()), alone, would_change=False)
    two = run_batch(bundled, io.BytesIO(text.encode()), parallel, would_change=False, jobs=2)
    assert parallel.getvalue() == alone.getvalue()
    assert len(alone.getvalue().splitlines()) == 120  # 10 lines, 2 blank, 15 times
    assert {k: v for k, v in two.to_dict().items() if k not in ("seconds", "rate")} == \
        {k: v for k, v in one.to_dict().items() if k not in ("seconds", "rate")}


def test_jobs_option_on_the_command_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(MIXED)
    runner = CliRunner()
    one = batch(runner, str(source), "--no-would-change")
    two = batch(runner, str(source), "--no-would-change", "--jobs", "2")
    assert two.exit_code == one.exit_code == 5  # invalid lines among them
    assert two.stdout == one.stdout
    refused = batch(runner, str(source), "--jobs", "-1")
    assert refused.exit_code == 2 and "--jobs" in refused.output


def test_a_missing_file_or_a_directory_exits_5_as_check_does(runner: CliRunner,
                                                              tmp_path: Path) -> None:
    missing = batch(runner, str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 5
    assert missing.stderr == f"error: {tmp_path / 'nope.jsonl'}: cannot read: No such file or " \
        "directory\n"
    folder = batch(runner, str(tmp_path))
    assert folder.exit_code == 5 and "is a directory" in folder.stderr
    checked = runner.invoke(main, ["check", str(tmp_path / "nope.jsonl")])
    assert checked.exit_code == missing.exit_code


def test_a_yaml_file_given_to_batch_gets_a_hint(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "request.yaml"
    source.write_text("# a request\nholder:\n  kind: sheriff\ndata: [release_date]\n")
    result = batch(runner, str(source))
    assert result.exit_code == 5
    errors = [r["error"] for r in results(result.stdout)]
    assert len(errors) == 4
    assert all("looks like YAML" in e and "ordinance check FILE" in e for e in errors)
    not_yaml = batch(runner, "-", stdin="{not json\n")
    assert "YAML" not in not_yaml.stdout


# ---------------------------------------------------------------- --compact


def example_requests() -> list[dict[str, Any]]:
    """The bundled example requests (examples/*.yaml), each under its own id."""
    import yaml

    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        for index, request in enumerate(data if isinstance(data, list) else [data]):
            found.append(json.loads(json.dumps({**request, "id": f"{path.stem}-{index}"},
                                               default=str)))  # YAML dates as text
    assert len(found) >= 5
    return found


def test_compact_lines_have_the_documented_fields_and_the_full_decision_s_answer(
        runner: CliRunner, bundled: ordinance.OrdinanceSet) -> None:
    """Each compact line has exactly COMPACT_FIELDS, and the outcome, item outcomes,
    citations and missing facts of the full decision; invalid lines are as before."""
    requests = [*example_requests(), with_id(PERMITTED, "p"), with_id(NOT_COVERED, "n")]
    text = jsonl(*requests, "{not json")
    full = results(batch(runner, "-", stdin=text).stdout)
    result = batch(runner, "-", "--compact", stdin=text)
    compact = results(result.stdout)
    assert result.exit_code == 5 and len(compact) == len(full) == len(requests) + 1
    assert compact[-1] == full[-1] and "error" in compact[-1]  # an invalid line: unchanged
    for short, whole in zip(compact[:-1], full[:-1], strict=True):
        assert tuple(short) == batchrun.COMPACT_FIELDS
        assert short == {
            "request_id": whole["request_id"], "outcome": whole["outcome"],
            "items": [{"data": i["data"], "outcome": i["outcome"]} for i in whole["items"]],
            "citations": whole["citations"],
            "missing_facts": [m["fact"] for m in whole["missing_facts"]],
            "missing_facts_exact": whole["missing_facts_exact"],
            "ordinance_set": bundled.model.digest}
    assert {line["outcome"] for line in compact[:-1]} >= {"permitted", "prohibited",
                                                          "undetermined", "not_covered"}
    assert any(line["missing_facts"] for line in compact[:-1])


def test_compact_lines_are_at_least_ten_times_smaller(runner: CliRunner) -> None:
    text = jsonl(*example_requests())
    full = batch(runner, "-", stdin=text).stdout.splitlines()
    compact = batch(runner, "-", "--compact", stdin=text).stdout.splitlines()
    assert len(full) == len(compact) == len(example_requests())
    for short, whole in zip(compact, full, strict=True):
        assert 10 * len(short.encode()) <= len(whole.encode()), (len(short), len(whole))


def test_compact_never_works_out_would_change(bundled: ordinance.OrdinanceSet,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Compact lines are cheap: no decision's `would_change` is read (it is deferred)."""
    from ordinance.engine.decision import Decision

    def refuse(self: Decision) -> None:
        raise AssertionError("would_change worked out for a compact line")

    monkeypatch.setattr(Decision, "would_change", property(refuse))
    out = io.StringIO()
    summary = run_batch(bundled, io.BytesIO(jsonl(*example_requests()).encode()), out,
                        compact=True)
    assert summary.decided == len(out.getvalue().splitlines()) > 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_compact_with_a_log_still_logs_full_decisions(bundled: ordinance.OrdinanceSet,
                                                      tmp_path: Path, jobs: int) -> None:
    requests = [with_id(PROHIBITED, "b"), with_id(UNDETERMINED, "f"), with_id(PROHIBITED, "b2"),
                with_id(PROHIBITED, "b3")]
    source = io.BytesIO(jsonl(*requests).encode())
    out = io.StringIO()
    log = DecisionLog(tmp_path / "log.sqlite")
    try:
        run_batch(bundled, source, out, log=log, compact=True, jobs=jobs)
        entries = list(log.entries())
    finally:
        log.close()
    assert [tuple(line) for line in results(out.getvalue())] == [batchrun.COMPACT_FIELDS] * 4
    assert [e.request_id for e in entries] == ["b", "f", "b2", "b3"]
    for entry, request in zip(entries, requests, strict=True):
        assert entry.decision == bundled.decide(bundled.request(request)).to_dict()
