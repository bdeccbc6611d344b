"""The decision log: every decision kept, intact, readable; failures are loud; tampering is
found by `log verify`; the file is private; subject facts can be digested or dropped; old
rows can be pruned."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import ordinance
from ordinance.cli import main
from ordinance.service import decisionlog
from ordinance.service.decisionlog import (
    COLUMNS,
    GENESIS,
    KEY_ENV,
    SUBJECT_ENV,
    DecisionLog,
    LogError,
    key_id,
    row_hash,
)

from ..conftest import EXAMPLES, sheriff_to_ice


def test_record_and_read_back(bundled: ordinance.OrdinanceSet, tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "d.sqlite")
    request = bundled.request(sheriff_to_ice(id="r-1"))
    decision = bundled.decide(request).to_dict()
    first = log.record(request.to_dict(), decision)
    second = log.record(request.to_dict(), decision)
    assert second == first + 1
    (entry, _) = list(log.entries())
    assert entry.request_id == "r-1" and entry.outcome == decision["outcome"]
    assert entry.decision == json.loads(json.dumps(decision))
    assert entry.ordinance_set == bundled.digest
    # The request as logged decides again to the same decision: reproducible.
    assert bundled.decide(entry.request).to_dict() == entry.decision
    log.close()
    db = sqlite3.connect(tmp_path / "d.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_unwritable_log_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LogError):
        DecisionLog(tmp_path / "no" / "such" / "dir" / "d.sqlite")
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database " * 100, "utf-8")
    with pytest.raises(LogError):
        DecisionLog(not_sqlite)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only files")
def test_read_only_log_refuses_to_record(tmp_path: Path) -> None:  # pragma: no cover
    path = tmp_path / "d.sqlite"
    DecisionLog(path).close()
    path.chmod(0o444)
    with pytest.raises(LogError):
        DecisionLog(path).record({}, {"outcome": "permitted", "ordinance_set": "x"})


def test_check_logs_every_decision_and_log_reads_them(runner: CliRunner, tmp_path: Path
                                                      ) -> None:
    path = tmp_path / "decisions.sqlite"
    examples = sorted(str(p) for p in EXAMPLES.glob("*.yaml"))
    result = runner.invoke(main, ["check", *examples, "--log", str(path)])
    assert result.exit_code in (0, 1, 3)
    shown = runner.invoke(main, ["log", "show", str(path)])
    assert shown.exit_code == 0
    assert len(shown.stdout.splitlines()) == len(examples)
    exported = runner.invoke(main, ["log", "export", str(path)])
    entries = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [e["id"] for e in entries] == list(range(1, len(examples) + 1))
    assert {e["decision"]["outcome"] for e in entries} >= {"permitted", "prohibited"}


def test_check_with_an_unusable_log_exits_5(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check", str(EXAMPLES / "home-address-hold-request.yaml"),
                                  "--log", str(tmp_path / "missing-dir" / "d.sqlite")])
    assert result.exit_code == 5
    assert "decision log" in result.stderr


# ---------------------------------------------------------------- the hash chain


def _decision(request_id: str, outcome: str = "permitted") -> dict[str, object]:
    return {"request_id": request_id, "outcome": outcome, "ordinance_set": "sha256:x"}


def _filled(path: Path, n: int = 6) -> DecisionLog:
    log = DecisionLog(path)
    log.record({"id": "r1"}, _decision("r1"))
    log.record_many([({"id": f"r{i}"}, _decision(f"r{i}")) for i in range(2, n + 1)])
    return log


def _verify(runner: CliRunner, path: Path, *more: str) -> tuple[int, str]:
    result = runner.invoke(main, ["log", "verify", str(path), *more])
    return result.exit_code, result.stdout + result.stderr


def test_each_row_is_chained_to_the_previous_one(tmp_path: Path) -> None:
    log = _filled(tmp_path / "d.sqlite")
    entries = list(log.entries())
    assert entries[0].prev_hash == GENESIS
    for before, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == before.hash
    for entry in entries:
        assert entry.hash == row_hash(
            entry.prev_hash or "", entry.id, entry.at, entry.request_id, entry.outcome,
            entry.ordinance_set, json.dumps(entry.request, sort_keys=True),
            json.dumps(entry.decision, sort_keys=True))
    report = log.verify()
    assert report.intact and report.rows == 6 and report.head == entries[-1].hash
    log.close()


def test_threads_and_processes_share_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite"
    log = DecisionLog(path)
    script = ("import sys\nfrom ordinance.service.decisionlog import DecisionLog\n"
              "log = DecisionLog(sys.argv[1])\n"
              "for i in range(40):\n"
              "    log.record_many([({'id': 'p'}, {'request_id': f'p{i}', "
              "'outcome': 'permitted', 'ordinance_set': 'x'})] * 3)\n")
    other = subprocess.Popen([sys.executable, "-c", script, str(path)])

    def write(name: str) -> None:
        for i in range(40):
            log.record({"id": name}, _decision(f"{name}{i}"))

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert other.wait(timeout=120) == 0
    report = log.verify()
    assert report.intact, report.problem
    assert report.rows == log.count() == 4 * 40 + 40 * 3 and report.last_id == report.rows
    log.close()


def test_an_old_log_is_chained_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT "
                   "NULL, request_id TEXT, outcome TEXT NOT NULL, ordinance_set TEXT NOT NULL, "
                   "request TEXT NOT NULL, decision TEXT NOT NULL)")
        db.executemany("INSERT INTO decisions (at, request_id, outcome, ordinance_set, "
                       "request, decision) VALUES (?, ?, 'permitted', 'x', '{}', '{}')",
                       [(f"2025-01-0{i}T00:00:00.000000+00:00", f"old{i}") for i in (1, 2, 3)])
    db.close()
    log = DecisionLog(path)
    log.record({}, _decision("new"))
    assert log.verify().intact and [e.request_id for e in log.entries()] == [
        "old1", "old2", "old3", "new"]
    log.close()
    # Migrated once: a second open changes nothing, and tampering is now seen.
    DecisionLog(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE decisions SET outcome = 'prohibited' WHERE id = 2")
    db.close()
    assert DecisionLog(path).verify().problem.id == 2  # type: ignore[union-attr]


TAMPERING = {
    "update an outcome": (["UPDATE decisions SET outcome = 'prohibited' WHERE id = 3"],
                          3, "hash mismatch"),
    "delete a middle row": (["DELETE FROM decisions WHERE id = 3"], 4, "gap in ids: row 3"),
    "insert a forged row": ([f"INSERT INTO decisions ({COLUMNS}) SELECT 7, at, 'forged', "
                             "outcome, ordinance_set, request, decision, hash, "
                             "'00' || substr(hash, 3) FROM decisions WHERE id = 6"],
                            7, "hash mismatch"),
    "swap two rows": (["UPDATE decisions SET (at, request_id, request, decision, prev_hash, "
                       "hash) = (SELECT at, request_id, request, decision, prev_hash, hash "
                       "FROM decisions AS o WHERE o.id = 7 - decisions.id) "
                       "WHERE id IN (3, 4)"], 3, "broken link"),
    "back-date a time": (["UPDATE decisions SET at = '2001-01-01T00:00:00.000000+00:00' "
                          "WHERE id = 4"], 4, "out-of-order time"),
    "delete the last rows": (["DELETE FROM decisions WHERE id > 4"], None,
                             "rows 5–6 are missing at the end"),
    "re-hash a changed row": (["UPDATE decisions SET request_id = 'x', hash = '%s' "
                               "WHERE id = 2"], 3, "broken link"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_verify_names_the_first_tampered_row(case: str, tmp_path: Path, runner: CliRunner
                                             ) -> None:
    path = tmp_path / "d.sqlite"
    log = _filled(path)
    (statements, row, reason) = TAMPERING[case]
    assert _verify(runner, path)[0] == 0
    entry = list(log.entries())[1]
    forged = row_hash(entry.prev_hash or "", entry.id, entry.at, "x", entry.outcome,
                      entry.ordinance_set, json.dumps(entry.request, sort_keys=True),
                      json.dumps(entry.decision, sort_keys=True))
    with sqlite3.connect(path) as db:
        for statement in statements:
            db.execute(statement.replace("%s", forged))
    db.close()
    problem = log.verify().problem
    assert problem is not None and problem.id == row
    assert reason in str(problem)
    code, output = _verify(runner, path)
    assert code == 6 and reason in output
    assert (f"row {row}:" if row else "end of the log:") in output
    log.close()
    # show and export still read what is there.
    assert runner.invoke(main, ["log", "show", str(path)]).exit_code == 0


def test_verify_with_a_noted_head_finds_a_rewritten_chain(tmp_path: Path, runner: CliRunner
                                                         ) -> None:
    path = tmp_path / "d.sqlite"
    log = _filled(path, 3)
    head = log.verify().head
    assert _verify(runner, path, "--expect", head)[0] == 0
    log.record({}, _decision("later"))
    assert _verify(runner, path, "--expect", head)[0] == 0  # still in the chain
    with sqlite3.connect(path) as db:  # cut the log, then write on: a consistent chain
        db.execute("DELETE FROM decisions WHERE id >= 3")
        db.execute("UPDATE sqlite_sequence SET seq = 2")
    db.close()
    log.record({}, _decision("forged"))
    assert _verify(runner, path)[0] == 0  # a keyless chain cannot see this by itself
    code, output = _verify(runner, path, "--expect", head)
    assert code == 6 and "no row has the expected hash" in output
    log.close()


# ---------------------------------------------------------------- reading in constant memory


def _export_peak(path: Path) -> int:
    with Path(os.devnull).open("w") as sink, contextlib.redirect_stdout(sink):
        tracemalloc.start()
        try:
            main.main(["log", "export", str(path)], standalone_mode=False)
            main.main(["log", "show", str(path)], standalone_mode=False)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peak


def test_show_and_export_stream_in_constant_memory(tmp_path: Path) -> None:
    # Small rows with one long text: few allocations, so tracemalloc stays fast.
    pair = ({"id": "r", "pad": "x" * 2000}, {**_decision("r"), "pad": "y" * 2000})
    peaks = {}
    for n in (1000, 5000):
        log = DecisionLog(tmp_path / f"{n}.sqlite")
        log.record_many([pair] * n)
        log.close()
        peaks[n] = _export_peak(tmp_path / f"{n}.sqlite")
    # Loading every row would take about 5 times as much for 5 times the rows.
    assert peaks[5000] < peaks[1000] * 1.5, peaks
    assert peaks[5000] < 2_000_000, peaks


# ---------------------------------------------------------------- file mode


def test_the_log_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite"
    old = os.umask(0o022)
    try:
        log = _filled(path, 2)
    finally:
        os.umask(old)
    for name in ("d.sqlite", "d.sqlite-wal", "d.sqlite-shm"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    log.close()


# ---------------------------------------------------------------- the subject's facts


def _subject_traces(path: Path) -> list[bytes]:
    """Every place a subject fact's value shows in the log's files."""
    data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    pattern = rb"(state_prison_felony_conviction|prop47_reduced_misdemeanor)\W{1,4}(true|false)"
    return [m.group(0) for m in re.finditer(pattern, data)]


@pytest.mark.parametrize("policy", ["keep", "digest", "drop"])
def test_the_subject_policy_keeps_digests_or_drops_the_facts(
        policy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    path = tmp_path / "d.sqlite"
    monkeypatch.setenv(SUBJECT_ENV, policy)
    example = EXAMPLES / "release-date-state-prison-felony.yaml"
    result = runner.invoke(main, ["check", str(example), "--log", str(path)])
    assert result.exit_code == 0, result.output
    assert (_subject_traces(path) != []) == (policy == "keep")
    (entry,) = DecisionLog(path).entries()
    subject = entry.request.get("subject")
    because = [line for item in entry.decision["items"] for step in item["exceptions"]
               for line in step["because"] if line.startswith("subject.")]
    if policy == "keep":
        assert subject["state_prison_felony_conviction"] is True
    elif policy == "digest":
        digest = subject["state_prison_felony_conviction"]
        assert digest.startswith("hmac-sha256:")
        # The same fact has the same digest wherever it shows; the other fact another.
        assert f"subject.state_prison_felony_conviction = {digest}" in because
        assert entry.decision["request"]["subject"]["state_prison_felony_conviction"] == digest
        assert subject["prop47_reduced_misdemeanor"] != digest
    else:
        assert subject is None and "subject" not in entry.decision["request"]
        assert because and all(line.endswith("= (not logged)") for line in because)
    assert runner.invoke(main, ["log", "verify", str(path)]).exit_code == 0


def test_an_unknown_subject_policy_exits_5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           runner: CliRunner) -> None:
    monkeypatch.setenv(SUBJECT_ENV, "hash")
    result = runner.invoke(main, ["check", str(EXAMPLES / "home-address-hold-request.yaml"),
                                  "--log", str(tmp_path / "d.sqlite")])
    assert result.exit_code == 5 and SUBJECT_ENV in result.stderr


# ---------------------------------------------------------------- retention


def _dated(monkeypatch: pytest.MonkeyPatch, path: Path, key: str | None = None
           ) -> DecisionLog:
    """A log with two rows on each of 2026-01-01, -02 and -03 (keyed with ``key``)."""
    log = DecisionLog(path, key=key)
    for day in (1, 2, 3):
        monkeypatch.setattr(decisionlog, "_now",
                            lambda day=day: f"2026-01-0{day}T12:00:00.000000+00:00")
        log.record_many([({"pad": f"secret-{day}-{i}"}, _decision(f"d{day}-{i}"))
                         for i in (1, 2)])
    monkeypatch.undo()
    return log


def test_prune_keeps_the_chain_verifiable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          runner: CliRunner) -> None:
    path = tmp_path / "d.sqlite"
    _dated(monkeypatch, path).close()
    result = runner.invoke(main, ["log", "prune", str(path), "--before", "2026-01-03"])
    assert result.exit_code == 0, result.output
    assert "pruned 4 entries (ids 1–4)" in result.stdout
    code, output = _verify(runner, path)
    assert code == 0 and "2 entries (ids 5–6, after the prune anchor 4)" in output
    data = b"".join(p.read_bytes() for p in tmp_path.glob("d.sqlite*"))
    assert b"secret-1-" not in data and b"secret-2-" not in data and b"secret-3-" in data
    log = DecisionLog(path)
    log.record({}, _decision("after"))
    assert log.verify().intact
    log.close()
    # Tampering after a prune is still seen: a row, or the anchor.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE decisions SET outcome = 'prohibited' WHERE id = 6")
    db.close()
    code, output = _verify(runner, path)
    assert code == 6 and "row 6: hash mismatch" in output
    with sqlite3.connect(path) as db:
        db.execute("UPDATE decisions SET outcome = 'permitted' WHERE id = 6")
        db.execute("DELETE FROM decisions WHERE id = 5")
    db.close()
    code, output = _verify(runner, path)
    assert code == 6 and "row 6: gap in ids: row 5 is missing" in output


def test_prune_refuses_a_broken_chain_and_needs_a_cutoff(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    path = tmp_path / "d.sqlite"
    _dated(monkeypatch, path).close()
    assert runner.invoke(main, ["log", "prune", str(path)]).exit_code == 2
    nothing = runner.invoke(main, ["log", "prune", str(path), "--before", "2025-12-01"])
    assert nothing.exit_code == 0 and "nothing to prune" in nothing.stdout
    with sqlite3.connect(path) as db:
        db.execute("UPDATE decisions SET request = '{}' WHERE id = 2")
    db.close()
    result = runner.invoke(main, ["log", "prune", str(path), "--keep-days", "0"])
    assert result.exit_code == 6 and "row 2: hash mismatch" in result.stderr
    assert DecisionLog(path).count() == 6


# ---------------------------------------------------------------- a keyed chain

KEY = "correct horse battery staple, 40 chars."
OTHER_KEY = "another key that is at least 32 chars long"


def _rechain(path: Path, first: int, key: str | None, change: str | None = None) -> None:
    """What an attacker who can write the file does: run ``change`` (SQL), then recompute
    every hash from row ``first`` on, with plain SHA-256 (``key`` None) or ``key``."""
    with sqlite3.connect(path) as db:
        if change:
            db.execute(change)
        prev = (db.execute("SELECT hash FROM decisions WHERE id = ?", (first - 1,)).fetchone()
                or db.execute("SELECT value FROM log_meta WHERE key = 'anchor_hash'").fetchone()
                or (GENESIS,))[0]
        rows = db.execute(f"SELECT {COLUMNS} FROM decisions WHERE id >= ? ORDER BY id",
                          (first,)).fetchall()
        for row in rows:
            digest = row_hash(prev, *row[:7], key=key.encode() if key else None)
            db.execute("UPDATE decisions SET prev_hash = ?, hash = ? WHERE id = ?",
                       (prev, digest, row[0]))
            prev = digest
    db.close()


def _keyed(path: Path, n: int = 6) -> DecisionLog:
    log = DecisionLog(path, key=KEY)
    log.record_many([({"id": f"r{i}"}, _decision(f"r{i}")) for i in range(1, n + 1)])
    return log


KEYED_TAMPERING = {
    "change a row, re-chain from it with SHA-256": (3, None, 3, "hash mismatch"),
    "change a row, re-chain the whole log with SHA-256": (1, None, 1, "hash mismatch"),
    "change a row, re-chain from it with another key": (3, OTHER_KEY, 3, "hash mismatch"),
}


@pytest.mark.parametrize("case", sorted(KEYED_TAMPERING))
def test_a_keyed_chain_recomputed_without_the_key_is_caught(
        case: str, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    (first, attacker_key, row, reason) = KEYED_TAMPERING[case]
    change = "UPDATE decisions SET outcome = 'prohibited' WHERE id = 3"
    # Without a key the same change, re-chained with SHA-256, leaves a chain that verifies.
    _filled(tmp_path / "plain.sqlite").close()
    _rechain(tmp_path / "plain.sqlite", first, None, change)
    assert _verify(runner, tmp_path / "plain.sqlite")[0] == 0
    # With a key it is found, and the row named.
    path = tmp_path / "d.sqlite"
    _keyed(path).close()
    monkeypatch.setenv(KEY_ENV, KEY)
    code, output = _verify(runner, path)
    assert code == 0 and f"keyed (key id {key_id(KEY.encode())})" in output
    _rechain(path, first, attacker_key, change)
    problem = DecisionLog(path).verify().problem
    assert problem is not None and problem.id == row and reason in str(problem)
    code, output = _verify(runner, path)
    assert code == 6 and f"row {row}: {reason}" in output, output
    assert "without the log's key" in output


def test_a_keyed_log_records_its_key_id_never_the_key(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite"
    log = _keyed(path, 2)
    assert log.keyed and log.verify().key_id == key_id(KEY.encode())
    log.close()
    with sqlite3.connect(path) as db:
        meta = dict(db.execute("SELECT key, value FROM log_meta").fetchall())
    db.close()
    assert meta["chain"] == "hmac-sha256" and meta["key_id"] == key_id(KEY.encode())
    data = b"".join(p.read_bytes() for p in tmp_path.glob("d.sqlite*"))
    assert KEY.encode() not in data
    # An unkeyed log says so.
    plain = _filled(tmp_path / "plain.sqlite", 1)
    assert not plain.keyed and plain.verify().key_id is None
    plain.close()


def test_a_keyed_log_without_its_key_is_refused_but_reads(
        tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "d.sqlite"
    _keyed(path).close()
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(LogError, match=f"is keyed .*: set {KEY_ENV}"):
        DecisionLog(path)
    for command in (["log", "verify", str(path)],
                    ["log", "prune", str(path), "--keep-days", "0"],
                    ["check", str(EXAMPLES / "home-address-hold-request.yaml"),
                     "--log", str(path)]):
        result = runner.invoke(main, command)
        assert result.exit_code == 5, command
        assert f"is keyed (key id {key_id(KEY.encode())}): set {KEY_ENV}" in result.stderr
    assert "intact" not in runner.invoke(main, ["log", "verify", str(path)]).stdout
    # serve opens its log the same way, at start.
    from ordinance.cli.serve import _open_log
    with pytest.raises(click.ClickException, match="is keyed") as refused:
        _open_log(path)
    assert refused.value.exit_code == 5
    # Reading needs no key.
    shown = runner.invoke(main, ["log", "show", str(path)])
    assert shown.exit_code == 0 and len(shown.stdout.splitlines()) == 6
    exported = runner.invoke(main, ["log", "export", str(path)])
    assert exported.exit_code == 0 and len(exported.stdout.splitlines()) == 6
    # A log opened to read refuses to write or verify.
    reader = DecisionLog(path, key=None, need_key=False)
    assert reader.count() == 6
    with pytest.raises(LogError, match="is keyed"):
        reader.verify()
    with pytest.raises(LogError, match="is keyed"):
        reader.record({}, _decision("x"))
    reader.close()
    assert DecisionLog(path, key=KEY).count() == 6


def test_a_keyed_log_with_another_key_is_refused(
        tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "d.sqlite"
    _keyed(path).close()
    monkeypatch.setenv(KEY_ENV, OTHER_KEY)
    expected = (f"{KEY_ENV} is not the key of the decision log {path}: the log's key id is "
                f"{key_id(KEY.encode())}, the variable's is {key_id(OTHER_KEY.encode())}")
    code, output = _verify(runner, path)
    assert code == 5 and expected in output
    result = runner.invoke(main, ["check", str(EXAMPLES / "home-address-hold-request.yaml"),
                                  "--log", str(path)])
    assert result.exit_code == 5 and expected in result.stderr
    assert DecisionLog(path, key=KEY).count() == 6  # nothing was written
    # Blanks around the key are not part of it.
    monkeypatch.setenv(KEY_ENV, f"  {KEY}\n")
    assert _verify(runner, path)[0] == 0


@pytest.mark.parametrize("value", ["", "   ", "x" * 31])
def test_a_short_key_exits_5_without_showing_it(
        value: str, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, value)
    path = tmp_path / "d.sqlite"
    result = runner.invoke(main, ["check", str(EXAMPLES / "home-address-hold-request.yaml"),
                                  "--log", str(path)])
    assert result.exit_code == 5
    assert KEY_ENV in result.stderr and "at least 32" in result.stderr
    assert (value.strip() or "@@") not in result.stderr
    with pytest.raises(LogError, match=KEY_ENV):
        DecisionLog(tmp_path / "other.sqlite")
    # A log that already exists unkeyed: verify says the same.
    monkeypatch.delenv(KEY_ENV)
    _filled(path, 1).close()
    monkeypatch.setenv(KEY_ENV, value)
    code, output = _verify(runner, path)
    assert code == 5 and "at least 32" in output
    # show needs no key, so a bad one does not stop it.
    assert runner.invoke(main, ["log", "show", str(path)]).exit_code == 0


def test_an_unkeyed_log_is_not_keyed_later(tmp_path: Path, runner: CliRunner,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "d.sqlite"
    _filled(path, 2).close()
    monkeypatch.setenv(KEY_ENV, KEY)
    with pytest.raises(LogError, match=f"is not keyed, but {KEY_ENV} is set"):
        DecisionLog(path)
    code, output = _verify(runner, path)
    assert code == 5 and "is not keyed" in output
    result = runner.invoke(main, ["check", str(EXAMPLES / "home-address-hold-request.yaml"),
                                  "--log", str(path)])
    assert result.exit_code == 5 and "is not keyed" in result.stderr
    # A keyed log whose key records were removed and whose chain was recomputed with
    # SHA-256 reads as unkeyed: with the key set, that is refused, not passed.
    keyed = tmp_path / "k.sqlite"
    _keyed(keyed).close()
    with sqlite3.connect(keyed) as db:
        db.execute("DELETE FROM log_meta WHERE key IN ('chain', 'key_id')")
    db.close()
    _rechain(keyed, 1, None, "UPDATE decisions SET outcome = 'prohibited' WHERE id = 3")
    code, output = _verify(runner, keyed)
    assert code == 5 and "is not keyed" in output and "key records removed" in output
    # A new log is keyed when first opened with a key.
    new = DecisionLog(tmp_path / "new.sqlite")
    assert new.keyed
    new.close()


def test_prune_keeps_a_keyed_chain_verifiable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              runner: CliRunner) -> None:
    path = tmp_path / "d.sqlite"
    _dated(monkeypatch, path, key=KEY).close()
    prune = ["log", "prune", str(path), "--before", "2026-01-03"]
    refused = runner.invoke(main, prune)  # without the key: nothing deleted
    assert refused.exit_code == 5 and "is keyed" in refused.stderr
    assert DecisionLog(path, key=KEY).count() == 6
    monkeypatch.setenv(KEY_ENV, KEY)
    result = runner.invoke(main, prune)
    assert result.exit_code == 0 and "pruned 4 entries (ids 1–4)" in result.stdout
    code, output = _verify(runner, path)
    assert code == 0 and "2 entries (ids 5–6, after the prune anchor 4)" in output
    assert "keyed" in output
    log = DecisionLog(path)
    log.record({}, _decision("after"))
    assert log.verify().intact and log.verify().rows == 3
    log.close()
    # The anchor is a keyed hash: re-chaining after it with SHA-256 is found.
    _rechain(path, 5, None, "UPDATE decisions SET outcome = 'prohibited' WHERE id = 6")
    code, output = _verify(runner, path)
    assert code == 6 and "row 5: hash mismatch" in output
