"""Fuzzing requests through the API, the CLI (check and batch) and the HTTP service.

Whatever comes in, what comes out is a decision or a typed validation error:
never a traceback, an exit code 70, a 500, or a hang. Each example runs under
a generous alarm (:func:`hang_guard`) that only catches hangs; it is not a
speed test. ``ORDINANCE_FUZZ=long`` multiplies every budget (see
``strategies_requests.budget``).
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import ordinance
from ordinance.cli import main
from ordinance.service.server import create_app

from ..asgi import post_json
from ..conftest import ORDINANCES
from ..strategies_requests import (
    budget,
    bundled,
    hostile_bodies,
    hostile_requests,
    to_json,
    valid_requests,
)

HANG_SECONDS = 60
"""A hang, not slowness: a list body of sparse requests takes seconds per decision (each
within the search budget), and tests share the machine's cores with other workers."""
LINE_SECONDS = 20
"""What the batch hang guard allows each line: a sparse request may spend the whole search
budget (up to ~8 s of one core on the bundled law), slower when workers share the core."""
CHECK_EXITS = {0, 1, 3, 4, 5}
OUTCOMES = {"permitted", "prohibited", "undetermined", "not_covered"}


class Hang(Exception):
    """An example ran longer than the hang guard allows."""


@contextlib.contextmanager
def hang_guard(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail an example that runs ``seconds`` (a hang, not slowness: the budget is generous)."""
    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def assert_problems(problems: list[dict[str, Any]], data: Any) -> None:
    """Each problem names a field (dotted, or `(top level)`) and says what is wrong.

    The field is empty only for a request that is not a mapping, or for a key that
    is itself the empty string.
    """
    assert problems
    for problem in problems:
        assert isinstance(problem["field"], str)
        assert isinstance(problem["message"], str) and problem["message"]
        if isinstance(data, dict) and "" not in data:
            assert problem["field"], problem


def assert_decision(answer: dict[str, Any]) -> None:
    assert answer["outcome"] in OUTCOMES
    assert {i["outcome"] for i in answer["items"]} <= OUTCOMES
    assert answer["ordinance_set"] == bundled().digest
    json.dumps(answer, ensure_ascii=False).encode("utf-8")  # it can be sent anywhere


# ---------------------------------------------------------------- the Python API


def decide_api(data: Any) -> dict[str, Any] | ordinance.RequestError:
    laws = bundled()
    with hang_guard():
        try:
            return laws.decide(data).to_dict()
        except ordinance.RequestError as error:
            return error


@budget(100)
@given(valid_requests())
def test_api_decides_every_valid_request(data: dict[str, Any]) -> None:
    answer = decide_api(data)
    assert not isinstance(answer, ordinance.RequestError), answer
    assert_decision(answer)


@budget(150)
@given(hostile_requests())
def test_api_answers_hostile_requests_with_a_decision_or_a_request_error(data: Any) -> None:
    answer = decide_api(data)
    if isinstance(answer, ordinance.RequestError):
        assert_problems([p.to_dict() for p in answer.problems], data)
        str(answer).encode("utf-8")  # the message can be printed
    else:
        assert_decision(answer)


# ---------------------------------------------------------------- the CLI


def check_cli(runner: CliRunner, path: Path) -> tuple[int, str, str]:
    with hang_guard():
        result = runner.invoke(main, ["check", str(path), "--format", "json",
                                      "--ordinances", str(ORDINANCES)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@budget(60)
@given(body=hostile_bodies(), suffix=st.sampled_from([".json", ".yaml"]))
def test_check_answers_any_file_with_an_outcome_or_exit_5(
        tmp_path_factory: pytest.TempPathFactory, body: bytes, suffix: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"request{suffix}"
    path.write_bytes(body)
    code, out, err = check_cli(CliRunner(), path)
    assert code in CHECK_EXITS, (code, err)
    assert "Traceback" not in err
    if code == 5:
        assert err.startswith(("error:", "invalid request")), err
        assert out == ""
    else:
        answer = json.loads(out)
        for decision in answer if isinstance(answer, list) else [answer]:
            assert_decision(decision)


@pytest.mark.parametrize("body", [
    b'{"id": ' + b"9" * 5000 + b"}",
    b"[" * 100_000,
    b"\xff\xfe{}",
    b"",
    b'{"holder": {"kind": "sheriff", "state": "CA"}, "data": ["release_date"], '
    b'"data_public": NaN}',
    b"date: 2024-13-45\nholder: {kind: sheriff, state: CA}\ndata: [release_date]\n",
    b"id: 0x" + b"f" * 5000 + b"\n",
    b'{"holder": {"kind": "sheriff", "state": "\\ud800"}, "data": ["release_date"]}',
], ids=["huge-int", "deep", "bad-utf8", "empty", "nan", "bad-yaml-date", "huge-hex",
        "lone-surrogate"])
def test_check_as_a_real_process_never_crashes(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / ("request.yaml" if b"date:" in body or b"id: 0x" in body
                       else "request.json")
    path.write_bytes(body)
    done = subprocess.run([sys.executable, "-m", "ordinance", "check", str(path), "--format",
                           "json", "--ordinances", str(ORDINANCES)],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode in CHECK_EXITS, done.stderr
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr


@budget(15)
@given(st.lists(st.one_of(valid_requests().map(to_json),
                          hostile_requests().map(to_json),
                          hostile_bodies().map(lambda b: b.decode("utf-8", "replace"))),
                min_size=1, max_size=12))
def test_batch_answers_every_line_in_order(lines: list[str]) -> None:
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    stdin = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    with hang_guard(HANG_SECONDS + LINE_SECONDS * len(lines)):
        result = CliRunner().invoke(main, ["batch", "-", "--ordinances", str(ORDINANCES)],
                                    input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code in {0, 5}, result.stderr
    answers = [json.loads(line) for line in result.stdout.split("\n") if line]
    numbered = [n for n, line in enumerate(lines, 1) if line.strip()]
    assert len(answers) == len(numbered)
    for number, answer in zip(numbered, answers, strict=True):
        if "error" in answer:
            assert answer["line"] == number
        else:
            assert_decision(answer)


# ---------------------------------------------------------------- the HTTP service


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(bundled())


def http_decide(app: Any, body: bytes) -> tuple[int, Any]:
    with hang_guard():
        return post_json(app, body)


@budget(100)
@given(valid_requests())
def test_http_decides_every_valid_request(app: Any, data: dict[str, Any]) -> None:
    status, answer = http_decide(app, to_json(data).encode())
    assert status == 200, answer
    assert_decision(answer)


@budget(150)
@given(hostile_bodies())
def test_http_answers_any_body_with_a_documented_status_never_500(app: Any,
                                                                  body: bytes) -> None:
    status, answer = http_decide(app, body)
    assert status in {200, 400, 413, 422}, (status, answer)
    if status == 200:
        for decision in answer if isinstance(answer, list) else [answer]:
            assert_decision(decision)
        return
    assert isinstance(answer["error"], str) and answer["error"]
    if status == 422:
        assert_problems(answer["problems"], None)
