"""The decision log: every decision kept, intact, readable; failures are loud."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.cli import main
from ordinance.service.decisionlog import DecisionLog, LogError

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
