"""Hot reload of the law set: ``POST /v1/reload`` (with ``--allow-reload``) and ``SIGHUP``.

A reload that checks is swapped in and changes decisions; one that fails to check is
refused with its diagnostics and the old set keeps serving; reloading while requests
are being answered drops none of them, and each answer is wholly one law set's.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import ordinance
from ordinance.service import server

from ..conftest import ORDINANCES
from .test_server import Server, _InThreadServer, call, example

SF = Path("us/ca/san-francisco/admin-code-12h.ord")
SF_REQUEST = "sf-sheriff-release-date.yaml"  # prohibited by § 12H.2; permitted by state law alone


def _postpone_sf(root: Path) -> None:
    """Change the SF law so it is not yet in force on the example's date."""
    path = root / SF
    text = path.read_text(encoding="utf-8")
    assert "in_force from 2017-01-01" in text
    path.write_text(text.replace("in_force from 2017-01-01", "in_force from 2030-01-01"),
                    encoding="utf-8")


def _break_sf(root: Path) -> None:
    """Make the SF law fail to check (a holder kind the vocabulary does not have)."""
    path = root / SF
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("binds city_department,", "binds city_departmnt,"),
                    encoding="utf-8")


@pytest.fixture
def laws_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled law set, free to edit."""
    root = tmp_path / "laws"
    shutil.copytree(ORDINANCES, root)
    return root


TOKEN = "test-reload-token"
AUTH = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def served(tmp_path: Path, laws_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv("ORDINANCE_RELOAD_TOKEN", TOKEN)
    running = Server(tmp_path, "--ordinances", str(laws_dir), "--allow-reload")
    yield running
    running.stop()
    log = running.stderr()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log


def _decide(url: str, name: str, request_id: str | None = None) -> dict[str, Any]:
    status, _, answer = call(url + "/v1/decide", example(name, request_id))
    assert status == 200, answer
    assert isinstance(answer, dict)
    return answer


def test_reload_with_a_changed_law_changes_decisions(served: Server, laws_dir: Path) -> None:
    before = _decide(served.url, SF_REQUEST)
    assert before["outcome"] == "prohibited"
    old = call(served.url + "/healthz")[2]["ordinance_set"]
    _postpone_sf(laws_dir)
    status, _, answer = call(served.url + "/v1/reload", b"", method="POST", headers=AUTH)
    assert status == 200, answer
    assert answer["status"] == "reloaded" and answer["changed"] is True
    assert answer["previous"] == old and answer["ordinance_set"] != old
    assert answer["ordinance_set"] == ordinance.load(laws_dir).digest
    health = call(served.url + "/healthz")[2]
    assert health["ordinance_set"] == answer["ordinance_set"] and health["reloads"] == 1
    after = _decide(served.url, SF_REQUEST)
    assert after["outcome"] == "permitted"
    assert after["ordinance_set"] == answer["ordinance_set"]
    assert "reloaded the law set" in served.stderr()


def test_a_law_set_that_fails_to_check_is_refused(served: Server, laws_dir: Path) -> None:
    before = _decide(served.url, SF_REQUEST)
    _break_sf(laws_dir)
    status, _, answer = call(served.url + "/v1/reload", b"", method="POST", headers=AUTH)
    assert status == 422, answer
    assert "still serving the previous one" in answer["error"]
    assert answer["ordinance_set"] == before["ordinance_set"]
    assert answer["diagnostics"], answer
    assert all(d["severity"] == "error" for d in answer["diagnostics"])
    assert any("admin-code-12h.ord" in d["file"] for d in answer["diagnostics"])
    assert "city_departmnt" in answer["rendered"]
    # The old set keeps serving, unchanged.
    assert _decide(served.url, SF_REQUEST) == before
    health = call(served.url + "/healthz")[2]
    assert health["ordinance_set"] == before["ordinance_set"] and health["reloads"] == 0
    err = served.stderr()
    assert "reload refused" in err and "still serving" in err and "city_departmnt" in err


def test_sighup_reloads_and_refuses_a_broken_set(served: Server, laws_dir: Path) -> None:
    first = call(served.url + "/healthz")[2]["ordinance_set"]
    _break_sf(laws_dir)
    os.kill(served.proc.pid, signal.SIGHUP)
    deadline = time.monotonic() + 20
    while "reload refused" not in served.stderr():
        assert time.monotonic() < deadline, served.stderr()
        time.sleep(0.05)
    assert call(served.url + "/healthz")[2]["ordinance_set"] == first
    shutil.copy(ORDINANCES / SF, laws_dir / SF)
    _postpone_sf(laws_dir)
    os.kill(served.proc.pid, signal.SIGHUP)
    while call(served.url + "/healthz")[2]["ordinance_set"] == first:
        assert time.monotonic() < deadline + 10, served.stderr()
        time.sleep(0.05)
    assert _decide(served.url, SF_REQUEST)["outcome"] == "permitted"
    assert served.proc.poll() is None  # SIGHUP did not stop the server


def test_reload_under_load_drops_nothing(served: Server, laws_dir: Path) -> None:
    original = ordinance.load(laws_dir)
    _postpone_sf(laws_dir)
    postponed = ordinance.load(laws_dir)
    versions = {original.digest: original, postponed.digest: postponed}
    shutil.copy(ORDINANCES / SF, laws_dir / SF)
    names = ["home-address-hold-request.yaml", SF_REQUEST, "status-and-address.yaml"]
    stop = threading.Event()
    answers: list[tuple[dict[str, Any], int, Any]] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        for i in range(2000):
            if stop.is_set():
                return
            request = example(names[i % len(names)], f"r{number}-{i}")
            status, _, answer = call(served.url + "/v1/decide", request, timeout=30)
            with lock:
                answers.append((request, status, answer))

    reloads = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(client, n) for n in range(4)]
        try:
            for turn in range(6):  # alternate the two versions, by HTTP and by SIGHUP
                time.sleep(0.3)
                if turn % 2 == 0:
                    _postpone_sf(laws_dir)
                else:
                    shutil.copy(ORDINANCES / SF, laws_dir / SF)
                status, _, answer = call(served.url + "/v1/reload", b"", method="POST",
                                         headers=AUTH, timeout=60)
                reloads.append((status, answer))
            os.kill(served.proc.pid, signal.SIGHUP)
            time.sleep(0.3)
        finally:
            stop.set()
        for future in futures:
            future.result(timeout=60)
    assert [status for status, _ in reloads] == [200] * 6, reloads
    assert len(answers) >= 20
    assert [status for _, status, _ in answers] == [200] * len(answers)
    seen = set()
    for request, _, answer in answers:  # each answer is wholly the one set it names
        laws = versions[answer["ordinance_set"]]
        assert answer == laws.decide(request).to_dict()
        seen.add(answer["ordinance_set"])
    assert seen == set(versions)  # both versions really served during the run


def test_reload_endpoint_is_off_unless_allowed(tmp_path: Path,
                                               bundled: ordinance.OrdinanceSet) -> None:
    app = server.create_app(bundled, reload=lambda: bundled, reload_endpoint=False)
    with _InThreadServer(app) as url:
        status, _, answer = call(url + "/v1/reload", b"", method="POST")
        assert status == 404 and "--allow-reload" in answer["detail"]
        assert call(url + "/v1/reload", method="GET")[0] == 405
    with _InThreadServer(server.create_app(bundled)) as url:  # no loader at all
        assert call(url + "/v1/reload", b"", method="POST")[0] == 404


def test_reloads_run_one_at_a_time(bundled: ordinance.OrdinanceSet) -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def slow_load() -> ordinance.OrdinanceSet:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)
        with lock:
            running -= 1
        return bundled

    with _InThreadServer(server.create_app(bundled, reload=slow_load)) as url:
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(lambda _: call(url + "/v1/reload", b"", method="POST"),
                                    range(3)))
        assert [status for status, _, _ in results] == [200] * 3
        assert all(answer["changed"] is False for _, _, answer in results)
        assert call(url + "/healthz")[2]["reloads"] == 3
    assert most == 1


def test_a_failing_loader_keeps_the_old_set(bundled: ordinance.OrdinanceSet) -> None:
    def vanished() -> ordinance.OrdinanceSet:
        raise OSError("the law directory is gone")

    with _InThreadServer(server.create_app(bundled, reload=vanished)) as url:
        status, _, answer = call(url + "/v1/reload", b"", method="POST")
        assert status == 500 and answer["ordinance_set"] == bundled.digest
        assert "gone" not in str(answer)
        assert _decide(url, SF_REQUEST)["ordinance_set"] == bundled.digest


def test_reload_needs_the_token(served: Server) -> None:
    """Issue 19: a cross-site form cannot send a Bearer header, so it cannot reload."""
    status, _, answer = call(served.url + "/v1/reload", b"", method="POST")
    assert status == 401 and answer["error"] == "reload needs the token"
    wrong = {**AUTH, "Authorization": "Bearer not-it"}
    assert call(served.url + "/v1/reload", b"", method="POST", headers=wrong)[0] == 401
    assert call(served.url + "/v1/reload", b"", method="POST", headers=AUTH)[0] == 200


def test_allow_reload_without_a_token_does_not_start(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    monkeypatch.delenv("ORDINANCE_RELOAD_TOKEN", raising=False)
    run = subprocess.run([sys.executable, "-m", "ordinance", "serve", "--allow-reload",
                          "--port", "1"], capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.returncode == 2 and "ORDINANCE_RELOAD_TOKEN" in run.stderr
