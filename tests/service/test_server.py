"""``ordinance serve``: the real server (uvicorn in a subprocess) spoken to over HTTP.

Every answer is JSON; malformed input gets a 4xx naming the problem and never a 500
(the server's own log is checked for tracebacks at the end); a decision acknowledged
with 200 is in the decision log even when the server is killed mid-load.
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import uvicorn
import yaml
from click.testing import CliRunner

import ordinance
from ordinance.cli import main
from ordinance.cli import serve as cli_serve
from ordinance.outputs.catalog import catalog
from ordinance.service import server
from ordinance.service.decisionlog import DecisionLog
from ordinance.service.schema import request_schema

from ..conftest import EXAMPLES, ORDINANCES

MAX_BODY = 100_000  # the module's server limit: small, so oversized bodies stay small
START_TIMEOUT = 20.0
JSON = {"Content-Type": "application/json"}


# ---------------------------------------------------------------- running the real server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``python -m ordinance serve`` in a subprocess, its output kept in files."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.workdir = workdir
        self.args = args
        self.out = workdir / "server.out"
        self.err = workdir / "server.err"
        for _attempt in range(3):  # the free port may be taken before uvicorn binds it
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            with self.out.open("wb") as out, self.err.open("wb") as err:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "ordinance", "serve", "--port", str(self.port),
                     "--ordinances", str(ORDINANCES), *args],
                    cwd=workdir, stdout=out, stderr=err)
            if self._wait_ready():
                return
            if "address already in use" not in self.stderr().lower():
                break
        raise AssertionError(f"the server did not start:\n{self.stderr()}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.05)
        self.stop()
        return False

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def call(url: str, body: Any = None, *, method: str | None = None,
         headers: dict[str, str] | None = None,
         timeout: float = 15) -> tuple[int, dict[str, str], Any]:
    """One HTTP exchange: (status, headers, decoded JSON body)."""
    data = body if body is None or isinstance(body, bytes) or hasattr(body, "__next__") \
        else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers=JSON if headers is None else headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, got, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, got, raw = error.code, dict(error.headers), error.read()
    lowered = {k.lower(): v for k, v in got.items()}
    assert lowered.get("content-type", "").startswith("application/json"), (status, raw[:200])
    return status, lowered, json.loads(raw)


def example(name: str, request_id: str | None = None) -> dict[str, Any]:
    """An example request as JSON would carry it (dates as text)."""
    data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=lambda v: v.isoformat()))
    if request_id is not None:
        data["id"] = request_id
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("serve"), "--max-body", str(MAX_BODY))
    yield running
    running.stop()
    # No request of this module, however malformed, may have crashed a handler.
    log = running.stderr()
    assert "Traceback" not in log and "Exception in ASGI" not in log, log


# ---------------------------------------------------------------- the endpoints


def test_prints_the_url_it_listens_on(srv: Server) -> None:
    assert f"http://127.0.0.1:{srv.port}/" in srv.out.read_text(encoding="utf-8")


def test_decide_one_is_the_same_json_as_check(srv: Server,
                                              bundled: ordinance.OrdinanceSet) -> None:
    status, _, decision = call(srv.url + "/v1/decide",
                               example("home-address-hold-request.yaml"))
    assert status == 200
    assert decision["outcome"] == "prohibited"
    assert decision["ordinance_set"] == bundled.digest
    result = CliRunner().invoke(main, ["check", str(EXAMPLES / "home-address-hold-request.yaml"),
                                       "--format", "json", "--ordinances", str(ORDINANCES)])
    assert result.exit_code == 1
    assert decision == json.loads(result.stdout)


def test_decide_a_list_answers_in_order(srv: Server, bundled: ordinance.OrdinanceSet) -> None:
    names = ["release-date-state-prison-felony.yaml", "home-address-hold-request.yaml",
             "release-date-convictions-unknown.yaml"]
    requests = [example(name, f"r{i}") for i, name in enumerate(names)]
    status, _, decisions = call(srv.url + "/v1/decide", requests)
    assert status == 200
    assert [d["outcome"] for d in decisions] == ["permitted", "prohibited", "undetermined"]
    assert [d["request_id"] for d in decisions] == ["r0", "r1", "r2"]
    assert decisions == [bundled.decide(r).to_dict() for r in requests]


def test_charset_parameter_is_accepted(srv: Server) -> None:
    status, _, decision = call(srv.url + "/v1/decide", example("home-address-hold-request.yaml"),
                               headers={"Content-Type": "application/json; charset=utf-8"})
    assert (status, decision["outcome"]) == (200, "prohibited")


def test_schema(srv: Server, bundled: ordinance.OrdinanceSet) -> None:
    status, _, schema = call(srv.url + "/v1/schema")
    assert status == 200
    assert schema == json.loads(json.dumps(request_schema(bundled.model)))
    jsonschema.validate(example("home-address-hold-request.yaml"), schema)


def test_laws(srv: Server, bundled: ordinance.OrdinanceSet) -> None:
    status, _, laws = call(srv.url + "/v1/laws")
    assert status == 200
    assert laws == json.loads(json.dumps(catalog(bundled)))
    assert len(laws) == len(bundled.model.laws)


def test_healthz(srv: Server, bundled: ordinance.OrdinanceSet) -> None:
    status, _, health = call(srv.url + "/healthz")
    assert status == 200
    assert health == {"status": "ok", "ordinance_set": bundled.digest,
                      "laws": len(bundled.model.laws), "reloads": 0}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_openapi_describes_the_service(srv: Server, bundled: ordinance.OrdinanceSet) -> None:
    status, _, doc = call(srv.url + "/openapi.json")
    assert status == 200
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/v1/decide", "/v1/next-question", "/v1/schema", "/v1/laws",
                                 "/healthz", "/openapi.json", "/v1/reload"}
    asking = doc["paths"]["/v1/next-question"]["post"]
    assert {"200", "400", "413", "415", "422"} <= set(asking["responses"])
    decide = doc["paths"]["/v1/decide"]["post"]
    body = decide["requestBody"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/Request"} in body["oneOf"]
    array = next(s for s in body["oneOf"] if s.get("type") == "array")
    assert array["maxItems"] == server.MAX_LIST
    assert {"200", "400", "413", "415", "422", "503"} <= set(decide["responses"])
    for code in ("400", "413", "415", "422", "503"):
        schema = decide["responses"][code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
    for ref in _refs(doc):  # every reference resolves inside the document
        _resolve(doc, ref)
    request = doc["components"]["schemas"]["Request"]
    jsonschema.Draft202012Validator.check_schema(request)
    jsonschema.validate(example("home-address-hold-request.yaml"), request)
    expected = {k: v for k, v in request_schema(bundled.model).items()
                if k not in ("$schema", "$id")}
    assert request == json.loads(json.dumps(expected))
    assert str(MAX_BODY) in doc["info"]["description"]


# ---------------------------------------------------------------- errors: 4xx with JSON, never 500


def assert_problem(status: int, answer: Any, field: str, index: int | None = None) -> None:
    assert status == 422, answer
    assert answer["error"] == "invalid request"
    fields = [(p.get("index"), p["field"]) for p in answer["problems"]]
    assert (index, field) in fields, fields
    for problem in answer["problems"]:
        assert set(problem) >= {"field", "message", "allowed", "help"}


@pytest.mark.parametrize(("body", "needle"), [
    (b'{"holder": ', "line 1"),
    (b"{'holder': 1}", "line 1, column 2"),
    (b"", "empty"),
    (b"\xff\xfe{}", "UTF-8"),
    (b'{"data_public": NaN}', "NaN"),
    (b'{"x": 1e999}', "out of range"),
    (b'{"id": ' + b"9" * 5000 + b"}", "digits"),
    (b"[" * 40_000, "nested too deeply"),
])
def test_invalid_json_is_400(srv: Server, body: bytes, needle: str) -> None:
    status, _, answer = call(srv.url + "/v1/decide", body)
    assert status == 400, answer
    assert answer["error"] == "invalid JSON"
    assert needle in answer["detail"]


@pytest.mark.parametrize(("change", "field"), [
    ({"holder": {"kind": 3}}, "holder.kind"),
    ({"data_public": "yes"}, "data_public"),
    ({"date": "the first of May"}, "date"),
    ({"data": "home_address, release_date"}, "data"),
    ({"holder": "the sheriff"}, "holder"),
])
def test_wrong_types_are_422_naming_the_field(srv: Server, change: dict[str, Any],
                                              field: str) -> None:
    request = example("home-address-hold-request.yaml")
    for key, value in change.items():
        request[key] = {**request[key], **value} if isinstance(value, dict) else value
    status, _, answer = call(srv.url + "/v1/decide", request)
    assert_problem(status, answer, field)


def test_unknown_values_are_422_with_what_is_allowed(srv: Server) -> None:
    request = {**example("home-address-hold-request.yaml"), "purpose": "world_domination",
               "colour": "red"}
    status, _, answer = call(srv.url + "/v1/decide", request)
    assert_problem(status, answer, "purpose")
    assert_problem(status, answer, "colour")
    purpose = next(p for p in answer["problems"] if p["field"] == "purpose")
    assert "immigration_enforcement" in purpose["allowed"]


def test_a_bad_request_in_a_list_is_named_by_index(srv: Server) -> None:
    good = example("home-address-hold-request.yaml")
    status, _, answer = call(srv.url + "/v1/decide",
                             [good, {**good, "legal_process": "a_polite_letter"}, good])
    assert_problem(status, answer, "legal_process", index=1)
    assert {p["index"] for p in answer["problems"]} == {1}


@pytest.mark.parametrize("body", [b"42", b'"a request"', b"null", b"true", b"[]", b"[1, 2]"])
def test_not_a_request_object_is_422(srv: Server, body: bytes) -> None:
    status, _, answer = call(srv.url + "/v1/decide", body)
    assert status == 422, answer
    assert answer["problems"]


def test_huge_list_is_refused(srv: Server) -> None:
    status, _, answer = call(srv.url + "/v1/decide", [{}] * (server.MAX_LIST + 1))
    assert_problem(status, answer, "(top level)")
    assert str(server.MAX_LIST) in answer["problems"][0]["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/jsonp", "multipart/form-data"])
def test_wrong_content_type_is_415(srv: Server, content_type: str) -> None:
    status, _, answer = call(srv.url + "/v1/decide", example("home-address-hold-request.yaml"),
                             headers={"Content-Type": content_type})
    assert status == 415
    assert "application/json" in answer["detail"]


def _padded(size: int) -> bytes:
    """A valid request padded with whitespace to ``size`` bytes."""
    body = json.dumps(example("home-address-hold-request.yaml")).encode()
    return body + b" " * (size - len(body))


def _chunks(body: bytes, size: int = 8192) -> Iterator[bytes]:
    """An iterator body: urllib sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_oversized_body_with_content_length_is_413(srv: Server) -> None:
    status, _, answer = call(srv.url + "/v1/decide", _padded(MAX_BODY + 1))
    assert status == 413
    assert answer["limit"] == MAX_BODY
    status, _, answer = call(srv.url + "/v1/decide", _padded(MAX_BODY))  # at the limit: fine
    assert (status, answer["outcome"]) == (200, "prohibited")


def test_oversized_chunked_body_is_413(srv: Server) -> None:
    status, _, answer = call(srv.url + "/v1/decide", _chunks(_padded(MAX_BODY + 1)))
    assert status == 413
    assert answer["error"] == "request body too large"
    status, _, answer = call(srv.url + "/v1/decide", _chunks(_padded(MAX_BODY - 10)))
    assert (status, answer["outcome"]) == (200, "prohibited")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/v1/decide", 405), ("PUT", "/v1/decide", 405), ("DELETE", "/healthz", 405),
    ("POST", "/v1/laws", 405), ("GET", "/v2/decide", 404), ("GET", "/v1", 404),
    ("PUT", "/intake", 405),  # GET / is the intake page
])
def test_unknown_route_and_wrong_method_answer_json(srv: Server, method: str, path: str,
                                                    status: int) -> None:
    body = b"{}" if method in ("PUT", "POST") else None
    got, _, answer = call(srv.url + path, body, method=method)
    assert got == status
    assert answer["error"] == ("method not allowed" if status == 405 else "not found")


def test_random_junk_never_gets_a_500(srv: Server) -> None:
    rng = random.Random(20240501)
    good = json.dumps(example("home-address-hold-request.yaml")).encode()
    bodies = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
              for _ in range(20)]
    for _ in range(40):  # a valid request with a few bytes overwritten or cut
        mutated = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.choice(b'{}[]",:0aZ\\\x00 ')
        bodies.append(bytes(mutated[:rng.randrange(1, len(mutated) + 1)]))
    for body in bodies:
        status, _, answer = call(srv.url + "/v1/decide", body)
        assert status in (200, 400, 422), (status, body, answer)


# ---------------------------------------------------------------- concurrency


def test_concurrent_requests_are_all_answered_correctly(
        srv: Server, bundled: ordinance.OrdinanceSet) -> None:
    names = ["home-address-hold-request.yaml", "release-date-state-prison-felony.yaml",
             "sf-sheriff-release-date.yaml", "status-and-address.yaml"]
    requests = [example(names[i % len(names)], f"c{i}") for i in range(200)]
    expected = {r["id"]: bundled.decide(r).to_dict() for r in requests}

    def one(request: dict[str, Any]) -> tuple[int, Any]:
        status, _, answer = call(srv.url + "/v1/decide", request, timeout=30)
        return status, answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(one, requests, timeout=60))
    assert [status for status, _ in answers] == [200] * len(requests)
    for request, (_, answer) in zip(requests, answers, strict=True):
        assert answer == expected[request["id"]]


# ---------------------------------------------------------------- the decision log


def test_acknowledged_decisions_survive_sigkill(tmp_path: Path) -> None:
    running = Server(tmp_path, "--log", "decisions.sqlite")
    path = tmp_path / "decisions.sqlite"
    acked: dict[str, dict[str, Any]] = {}
    sent: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()
    stop = threading.Event()
    names = ["home-address-hold-request.yaml", "release-date-state-prison-felony.yaml",
             "sf-sheriff-release-date.yaml"]

    def client(number: int) -> None:
        for i in range(100_000):
            if stop.is_set():
                return
            request = example(names[i % len(names)], f"k{number}-{i}")
            with lock:
                sent[request["id"]] = request
            try:
                status, _, answer = call(running.url + "/v1/decide", request, timeout=10)
            except (OSError, ValueError, AssertionError, http.client.HTTPException):
                return  # the server is gone: this one was never acknowledged
            if status == 200:
                with lock:
                    acked[request["id"]] = answer

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(acked) < 150 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(running.proc.pid, signal.SIGKILL)  # mid-load: the clients are still sending
    running.proc.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    assert len(acked) >= 20, running.stderr()
    assert len(sent) > len(acked)  # some requests were in flight when the server died

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    log = DecisionLog(path)
    try:
        logged = {e.request_id: e for e in log.entries()}
    finally:
        log.close()
    missing = sorted(set(acked) - set(logged))
    assert not missing, f"acknowledged but not logged: {missing[:10]}"
    for request_id, decision in acked.items():
        entry = logged[request_id]
        assert entry.decision == decision
        assert entry.request == sent[request_id]
        assert entry.outcome == decision["outcome"]
    assert set(logged) <= set(sent)  # nothing logged that was not sent
    last_id = max(e.id for e in logged.values())

    # Restarted on the same log, it keeps serving and appends after the old rows.
    restarted = Server(tmp_path, "--log", "decisions.sqlite")
    try:
        after = [example(names[i % len(names)], f"after-{i}") for i in range(10)]
        for request in after:
            assert call(restarted.url + "/v1/decide", request)[0] == 200
    finally:
        restarted.stop()
    assert "Traceback" not in restarted.stderr()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT id, request_id FROM decisions ORDER BY id").fetchall()
    ids = [request_id for _, request_id in rows]
    assert len(ids) == len(set(ids))  # every decision exactly once
    assert set(acked) <= set(ids)
    assert [request_id for row_id, request_id in rows if row_id > last_id] == \
        [r["id"] for r in after]


def test_list_decisions_are_each_logged(tmp_path: Path,
                                        bundled: ordinance.OrdinanceSet) -> None:
    log = DecisionLog(tmp_path / "log.sqlite")
    with _InThreadServer(server.create_app(bundled, log=log)) as url:
        requests = [example("home-address-hold-request.yaml", "a"),
                    example("release-date-state-prison-felony.yaml", "b")]
        status, _, decisions = call(url + "/v1/decide", requests)
        status_bad, _, _ = call(url + "/v1/decide", [requests[0], {"holder": 1}])
    assert status == 200 and status_bad == 422
    entries = list(log.entries())
    log.close()
    assert [(e.request_id, e.decision) for e in entries] == [("a", decisions[0]),
                                                            ("b", decisions[1])]


class _InThreadServer:
    """uvicorn serving an app object in a thread of this process (for an app built here)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "did not start"
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def test_unwritable_log_answers_503_never_200(tmp_path: Path,
                                              bundled: ordinance.OrdinanceSet) -> None:
    log = DecisionLog(tmp_path / "log.sqlite")
    log._db.execute("PRAGMA query_only = ON")  # every write now fails inside SQLite
    with _InThreadServer(server.create_app(bundled, log=log)) as url:
        status, _, answer = call(url + "/v1/decide", example("home-address-hold-request.yaml"))
        assert status == 503
        assert answer["error"] == "decision log unavailable"
        assert "outcome" not in answer and "prohibited" not in json.dumps(answer)
        status, _, answer = call(url + "/v1/decide",
                                 [example("home-address-hold-request.yaml")] * 2)
        assert status == 503
        assert call(url + "/healthz")[0] == 200
    assert log.count() == 0
    log.close()


def _not_sqlite(tmp_path: Path) -> str:
    (tmp_path / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
    return "notes.txt"


def _under_a_file(tmp_path: Path) -> str:
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    return "plain/decisions.sqlite"


def _directory(tmp_path: Path) -> str:
    (tmp_path / "adir").mkdir()
    return "adir"


def _read_only(tmp_path: Path) -> str:
    DecisionLog(tmp_path / "ro.sqlite").close()
    (tmp_path / "ro.sqlite").chmod(0o444)
    return "ro.sqlite"


@pytest.mark.parametrize("make", [
    _not_sqlite, _under_a_file, _directory,
    pytest.param(_read_only, marks=pytest.mark.skipif(
        hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write any file")),
])
def test_unusable_log_fails_at_start_with_exit_5(tmp_path: Path, make: Any) -> None:
    log_path = make(tmp_path)
    done = subprocess.run([sys.executable, "-m", "ordinance", "serve", "--port",
                           str(free_port()), "--ordinances", str(ORDINANCES), "--log", log_path],
                          cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 5, (done.stdout, done.stderr)
    assert "decision log" in done.stderr
    assert "Traceback" not in done.stderr
    assert "serving" not in done.stdout


# ---------------------------------------------------------------- the command


def test_serve_help_and_limits() -> None:
    assert cli_serve.DEFAULT_MAX_BODY == server.DEFAULT_MAX_BODY == 1_000_000
    assert cli_serve.MAX_LIST == server.MAX_LIST
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for words in ("--max-body", "1000000", "--log", "/v1/decide", str(server.MAX_LIST)):
        assert words in result.stdout


def test_bad_options_are_usage_errors() -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    result = CliRunner().invoke(main, ["serve", "--max-body", "0"])
    assert result.exit_code == 2



def _with_decide(laws: ordinance.OrdinanceSet, decide: Any) -> ordinance.OrdinanceSet:
    """A shallow copy of ``laws`` whose ``decide`` is replaced."""
    changed = copy.copy(laws)
    changed.decide = decide  # type: ignore[method-assign]
    return changed


def test_an_unexpected_error_is_a_500_without_internals(
        bundled: ordinance.OrdinanceSet) -> None:
    def broken(request: Any, **options: Any) -> Any:
        raise RuntimeError("secret internals at /etc/passwd")

    with _InThreadServer(server.create_app(_with_decide(bundled, broken))) as url:
        status, _, answer = call(url + "/v1/decide", example("home-address-hold-request.yaml"))
    assert status == 500
    assert answer["error"] == "internal error"
    assert "secret" not in json.dumps(answer) and "Traceback" not in json.dumps(answer)


def test_deciding_does_not_block_the_event_loop(bundled: ordinance.OrdinanceSet) -> None:
    def slow(request: Any, **options: Any) -> Any:
        time.sleep(1.5)
        return bundled.decide(request, **options)

    with _InThreadServer(server.create_app(_with_decide(bundled, slow))) as url:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(call, url + "/v1/decide",
                                  example("home-address-hold-request.yaml"))
            time.sleep(0.2)
            started = time.monotonic()
            assert call(url + "/healthz", timeout=5)[0] == 200
            assert time.monotonic() - started < 1.0  # answered while the decision runs
            assert pending.result(timeout=15)[0] == 200


# ---------------------------------------------------------------- POST /v1/next-question


def test_next_question_for_an_intake_form(bundled: ordinance.OrdinanceSet) -> None:
    from ..asgi import post_json

    app = server.create_app(bundled)
    kern = {"holder": {"kind": "sheriff", "state": "CA", "county": "Kern"},
            "data": ["release_date"]}
    status, answer = post_json(app, json.dumps({"request": kern}).encode(),
                               "/v1/next-question")
    assert status == 200, answer
    assert answer["outcome"] == "undetermined"
    assert answer["question"]["fact"] == "requester.kind"
    assert answer["question"]["why"]
    assert {c["value"] for c in answer["question"]["choices"]} == set(
        bundled.model.facts["requester.kind"].values)
    assert answer["question"]["fact"] in answer["missing_facts"]
    # Skipped facts are not asked again; a settled request gets no question.
    status, skipped = post_json(app, json.dumps({"request": kern,
                                                 "skipped": ["requester.kind"]}).encode(),
                                "/v1/next-question")
    assert status == 200 and skipped["question"]["fact"] != "requester.kind"
    status, done = post_json(app, json.dumps({"request": example(
        "release-date-state-prison-felony.yaml")}).encode(), "/v1/next-question")
    assert status == 200 and done["question"] is None and done["outcome"] != "undetermined"
    # An empty request starts with what every request needs.
    status, empty = post_json(app, b"{}", "/v1/next-question")
    assert status == 200 and empty["question"]["required"] and empty["outcome"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"request": {}, "skipped": ["holder.kidn"]}, "skipped"),
    ({"request": {}, "skipped": "holder.kind"}, "skipped"),
    ({"request": [], "skipped": []}, "request"),
    ({"requets": {}}, "requets"),
    ([], "(top level)"),
    ({"request": {"holder": {"kind": "sherif"}}}, "holder.kind"),
])
def test_next_question_names_what_is_wrong(bundled: ordinance.OrdinanceSet, body: Any,
                                           field: str) -> None:
    from ..asgi import post_json

    status, answer = post_json(server.create_app(bundled), json.dumps(body).encode(),
                               "/v1/next-question")
    assert status == 422
    assert field in {p["field"] for p in answer["problems"]}


def test_a_busy_port_is_reported_alone_with_a_usage_exit_code() -> None:
    """Issue 18: the bind error only (no "serving ..." line first), exit 2, not 3."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        run = subprocess.run([sys.executable, "-m", "ordinance", "serve", "--port", str(port)],
                             capture_output=True, text=True, timeout=120, check=False)
    finally:
        holder.close()
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (f"error: cannot listen on 127.0.0.1:{port}: Address already in use "
                          "(another program holds the port; choose another with --port)\n")
