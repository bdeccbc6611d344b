"""The service under load and faults (see docs/reliability.md).

Load comes from a second process (benchmarks/bench_http_load.py, small N, bounded in
requests and time); only correctness is asserted, never speed. A decision log that
fills up, is closed, or cannot be created gives a clear error and a non-200, and
the decision is never answered as if it had been logged.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.cli import main
from ordinance.service import decisionlog, server
from ordinance.service.decisionlog import DecisionLog

from ..conftest import ORDINANCES
from .test_server import _InThreadServer, call, example, free_port

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_http_load.py"
REQUEST = "home-address-hold-request.yaml"


# ---------------------------------------------------------------- load from a second process


def test_load_from_a_second_process_is_answered_correctly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "240", "--clients", "4", "--bad-every", "8",
         "--verify", "--log", "--ordinances", str(ORDINANCES), "--deadline", "60"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 0, (done.stdout, done.stderr)
    figures = json.loads(done.stdout)
    assert figures["answered"] == figures["sent"] == 240
    assert figures["failures"] == 0 and figures["verified"] is True
    assert figures["statuses"] == {"200": 210, "422": 30}
    for key in ("throughput_rps", "p50_ms", "p99_ms"):  # reported, never judged
        assert figures[key] > 0


# ---------------------------------------------------------------- a full disk


def _fill(log: DecisionLog) -> None:
    """Cap the database at its present size: the next page it needs is a full disk."""
    pages = log._db.execute("PRAGMA page_count").fetchone()[0]
    log._db.execute(f"PRAGMA max_page_count = {pages}")


def _big(request_id: str) -> dict[str, Any]:
    request = example(REQUEST, request_id)
    request["holder"]["agency"] = "A" * 900  # logged twice (request, decision): new pages
    return request


def test_a_full_disk_answers_503_and_logs_nothing(tmp_path: Path,
                                                  bundled: ordinance.OrdinanceSet) -> None:
    log = DecisionLog(tmp_path / "log.sqlite")
    with _InThreadServer(server.create_app(bundled, log=log)) as url:
        assert call(url + "/v1/decide", example(REQUEST, "before"))[0] == 200
        _fill(log)
        status, _, answer = call(url + "/v1/decide", _big("full"))
        assert status == 503, answer
        assert answer["error"] == "decision log unavailable"
        assert "database or disk is full" in answer["detail"]
        assert "outcome" not in answer and str(tmp_path) not in json.dumps(answer)
        # A list is logged in one transaction: none of it when it does not fit.
        status, _, answer = call(url + "/v1/decide", [_big(f"l{i}") for i in range(5)])
        assert status == 503
        assert call(url + "/healthz")[0] == 200  # still up, still honest
        log._db.execute("PRAGMA max_page_count = 1073741823")  # space again
        assert call(url + "/v1/decide", _big("after"))[0] == 200
    assert [e.request_id for e in log.entries()] == ["before", "after"]
    log.close()
    with sqlite3.connect(tmp_path / "log.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_list_is_logged_all_or_nothing(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "log.sqlite")
    decision = {"outcome": "permitted", "ordinance_set": "sha256:x", "request_id": "a"}
    log.record({"id": "a"}, decision)
    _fill(log)
    pairs = [({"id": str(i), "pad": "x" * 2000}, decision) for i in range(10)]
    with pytest.raises(decisionlog.LogWriteError) as raised:
        log.record_many(pairs)
    assert raised.value.cause == "database or disk is full"
    assert log.count() == 1
    log.close()


def test_a_log_closed_under_the_server_answers_503(tmp_path: Path,
                                                   bundled: ordinance.OrdinanceSet) -> None:
    log = DecisionLog(tmp_path / "log.sqlite")
    with _InThreadServer(server.create_app(bundled, log=log)) as url:
        log.close()
        status, _, answer = call(url + "/v1/decide", example(REQUEST))
    assert status == 503 and "outcome" not in answer


def test_a_full_disk_at_start_exits_5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    def full(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the server must not start")

    import uvicorn

    monkeypatch.setattr(decisionlog.sqlite3, "connect", full)
    monkeypatch.setattr(uvicorn, "run", never)
    path = tmp_path / "decisions.sqlite"
    result = CliRunner().invoke(main, ["serve", "--ordinances", str(ORDINANCES),
                                       "--log", str(path)])
    assert result.exit_code == 5, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert str(path) in lines[0] and "database or disk is full" in lines[0]
    assert "serving" not in result.stdout


# ---------------------------------------------------------------- a path that cannot be written


def _serve_with_log(log: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ordinance", "serve", "--port",
                           str(free_port()), "--ordinances", str(ORDINANCES), "--log", log],
                          cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("make", "cause"), [
    (lambda tmp: str(tmp / "missing" / "d.sqlite"), "does not exist"),
    (lambda tmp: (tmp / "f").write_text("x") and str(tmp / "f" / "d.sqlite"),
     "is not a directory"),
])
def test_an_impossible_log_path_names_the_cause(tmp_path: Path, make: Any,
                                                cause: str) -> None:
    done = _serve_with_log(make(tmp_path), tmp_path)
    assert done.returncode == 5, (done.stdout, done.stderr)
    (line,) = done.stderr.strip().splitlines()
    assert "decision log" in line and cause in line


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs")
def test_a_log_on_a_filesystem_that_refuses_files_exits_5(tmp_path: Path) -> None:
    # sysfs refuses new files even to root, unlike chmod: a read-only place that
    # holds in CI, which runs as root.
    done = _serve_with_log("/sys/ordinance-decisions.sqlite", tmp_path)
    assert done.returncode == 5, (done.stdout, done.stderr)
    (line,) = done.stderr.strip().splitlines()
    assert "/sys/ordinance-decisions.sqlite" in line and "Traceback" not in done.stderr
    assert "serving" not in done.stdout
