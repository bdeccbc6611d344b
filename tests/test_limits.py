"""Every resource limit, at the limit (accepted) and just past it (refused, naming the limit).

docs/limits.md lists the same limits with where each is enforced; keep the two in step.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.analysis.conflicts import CONFLICT_BUDGET, QUESTION_BUDGET
from ordinance.analysis.gaps import GAPS_BUDGET
from ordinance.analysis.matrix import CELL_BUDGET
from ordinance.checker.passes import MAX_CONDITION_DEPTH, MAX_EXPANDED_DEPTH
from ordinance.cli import main
from ordinance.engine.inputs import MAX_INPUT_BYTES, MAX_INT_DIGITS
from ordinance.engine.relevance import CHANGE_BUDGET, SEARCH_BUDGET
from ordinance.engine.vocabulary import MAX_DEPTH, MAX_LIST, MAX_TEXT, nested
from ordinance.language.source import MAX_LAW_FILE_BYTES
from ordinance.service import batchrun, server

from .asgi import call, post_json
from .conftest import FIXTURES, ORDINANCES, sheriff_to_ice
from .strategies_requests import bundled

NOT_COVERED = {"date": "2024-05-01", "holder": {"kind": "sheriff", "state": "NV"},
               "data": ["release_date"]}
"""A small request that is quick to decide (no law applies)."""


def test_the_limits_have_the_documented_values() -> None:
    assert (MAX_INPUT_BYTES, MAX_INT_DIGITS) == (2 * 1024 * 1024, 100)
    assert batchrun.MAX_LINE_BYTES == MAX_INPUT_BYTES
    assert (MAX_DEPTH, MAX_LIST, MAX_TEXT) == (8, 100, 1000)
    assert (server.MAX_LIST, server.DEFAULT_MAX_BODY, server.MAX_INT_DIGITS) == (
        1000, 1_000_000, 100)
    assert MAX_LAW_FILE_BYTES == 2 * 1024 * 1024
    assert (MAX_CONDITION_DEPTH, MAX_EXPANDED_DEPTH) == (32, 160)
    assert (CONFLICT_BUDGET, QUESTION_BUDGET, GAPS_BUDGET, CELL_BUDGET) == (
        30_000, 2_000, 10_000, 5_000)
    assert (SEARCH_BUDGET, CHANGE_BUDGET) == (600_000, 600_000)
    text = (Path(__file__).parent.parent / "docs" / "limits.md").read_text(encoding="utf-8")
    for name in ("MAX_INPUT_BYTES", "MAX_LINE_BYTES", "MAX_INT_DIGITS", "MAX_DEPTH", "MAX_LIST",
                 "MAX_TEXT", "DEFAULT_MAX_BODY", "MAX_LAW_FILE_BYTES", "MAX_CONDITION_DEPTH",
                 "MAX_EXPANDED_DEPTH", "CONFLICT_BUDGET", "QUESTION_BUDGET", "GAPS_BUDGET",
                 "CELL_BUDGET", "SEARCH_BUDGET", "CHANGE_BUDGET"):
        assert f"{name}`" in text, name


def problems(data: Any, laws: ordinance.OrdinanceSet | None = None) -> dict[str, str]:
    """``{field: message}`` of a refused request, or ``{}`` when it is decided."""
    try:
        (laws or bundled()).decide(data)
    except ordinance.RequestError as error:
        return {p.field: p.message for p in error.problems}
    return {}


def check(path: Path | str, stdin: bytes | None = None) -> Any:
    return CliRunner().invoke(main, ["check", str(path), "--format", "json", "--ordinances",
                                     str(ORDINANCES)], input=stdin)


# ---------------------------------------------------------------- request size: CLI input


def padded(request: dict[str, Any], size: int) -> bytes:
    """JSON of ``request`` followed by spaces, exactly ``size`` bytes."""
    text = json.dumps(request).encode()
    return text + b" " * (size - len(text))


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_request_file_at_the_byte_limit_is_read(tmp_path: Path, where: str) -> None:
    body = padded(NOT_COVERED, MAX_INPUT_BYTES)
    path = tmp_path / "request.json"
    path.write_bytes(body)
    result = check(path) if where == "file" else check("-", body)
    assert result.exit_code == 4, result.output


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_request_file_past_the_byte_limit_is_refused(tmp_path: Path, where: str) -> None:
    body = padded(NOT_COVERED, MAX_INPUT_BYTES + 1)
    path = tmp_path / "request.json"
    path.write_bytes(body)
    result = check(path) if where == "file" else check("-", body)
    assert result.exit_code == 5
    assert "larger than the 2 MiB limit for a request file" in result.stderr


def test_batch_line_at_and_past_the_byte_limit() -> None:
    at = padded(NOT_COVERED, batchrun.MAX_LINE_BYTES)
    past = padded(NOT_COVERED, batchrun.MAX_LINE_BYTES + 1)
    out = io.StringIO()
    summary = batchrun.run_batch(bundled(), io.BytesIO(at + b"\n" + past + b"\n" + at), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a.get("outcome") for a in answers] == ["not_covered", None, "not_covered"]
    assert answers[1]["line"] == 2 and "2 MiB limit" in answers[1]["error"]
    assert (summary.decided, summary.invalid) == (2, 1)


# ---------------------------------------------------------------- request size: HTTP body


@pytest.mark.parametrize("limit", [2_000, server.DEFAULT_MAX_BODY])
def test_http_body_at_the_limit_is_decided_and_past_it_is_413(limit: int) -> None:
    app = server.create_app(bundled(), max_body=limit)
    status, answer = post_json(app, padded(NOT_COVERED, limit))
    assert status == 200 and answer["outcome"] == "not_covered"
    status, answer = post_json(app, padded(NOT_COVERED, limit + 1))
    assert status == 413
    assert answer["limit"] == limit and str(limit) in answer["detail"]


def test_http_body_past_the_limit_without_content_length_is_413() -> None:
    app = server.create_app(bundled(), max_body=2_000)
    status, _, answer = call(app, "POST", "/v1/decide", padded(NOT_COVERED, 2_001),
                             {"content-type": "application/json", "content-length": "10"})
    assert status == 413 and json.loads(answer)["limit"] == 2_000


# ---------------------------------------------------------------- list lengths


def test_a_set_fact_may_list_max_list_values() -> None:
    categories = sorted(bundled().model.hierarchy.categories)
    values = (categories * MAX_LIST)[:MAX_LIST]
    assert problems(sheriff_to_ice(data=values)) == {}
    found = problems(sheriff_to_ice(data=[*values, "release_date"]))
    assert found == {"data": f"lists {MAX_LIST + 1} values; the limit is {MAX_LIST}"}


def test_a_set_fact_past_max_list_is_422_over_http() -> None:
    app = server.create_app(bundled())
    status, answer = post_json(app, json.dumps(
        sheriff_to_ice(data=["release_date"] * (MAX_LIST + 1))).encode())
    assert status == 422
    assert answer["problems"][0]["field"] == "data"
    assert f"the limit is {MAX_LIST}" in answer["problems"][0]["message"]


def test_http_may_decide_a_list_of_max_list_requests_and_no_more() -> None:
    app = server.create_app(bundled(), max_body=10_000_000)
    status, answer = post_json(app, json.dumps([NOT_COVERED] * server.MAX_LIST).encode())
    assert status == 200 and len(answer) == server.MAX_LIST
    status, answer = post_json(app, json.dumps([NOT_COVERED] * (server.MAX_LIST + 1)).encode())
    assert status == 422
    assert answer["problems"][0]["field"] == "(top level)"
    assert f"at most {server.MAX_LIST} requests" in answer["problems"][0]["message"]


# ---------------------------------------------------------------- nesting depth


@pytest.fixture(scope="module")
def deep_vocabulary(tmp_path_factory: pytest.TempPathFactory) -> ordinance.OrdinanceSet:
    """The engine law set plus facts whose paths are MAX_DEPTH and MAX_DEPTH + 1 keys long
    (no bundled fact nests deep enough to reach the limit)."""
    root = tmp_path_factory.mktemp("deep") / "laws"
    shutil.copytree(FIXTURES / "engine", root)
    at = ".".join(f"k{i}" for i in range(1, MAX_DEPTH + 1))
    past = ".".join(f"k{i}" for i in range(1, MAX_DEPTH + 2))
    (root / "deep.ord").write_text(f'fact {at}: bool question "At the limit?"\n'
                                   f'fact {past.replace("k1.", "j1.", 1)}: bool '
                                   'question "Past the limit?"\n', encoding="utf-8")
    return ordinance.load(root)


def test_a_request_may_nest_max_depth_levels(deep_vocabulary: ordinance.OrdinanceSet) -> None:
    base = {"holder": {"kind": "police", "state": "IL", "county": "Cook"}, "data": ["status"]}
    path = ".".join(f"k{i}" for i in range(1, MAX_DEPTH + 1))
    assert problems({**base, **nested({path: True})}, deep_vocabulary) == {}
    past = ".".join(["j1", *(f"k{i}" for i in range(2, MAX_DEPTH + 2))])
    found = problems({**base, **nested({past: True})}, deep_vocabulary)
    field = past.rsplit(".", 1)[0]
    assert found == {field: f"nests deeper than {MAX_DEPTH} levels"}


# ---------------------------------------------------------------- text length and integers


def test_text_may_hold_max_text_characters() -> None:
    assert problems(sheriff_to_ice(holder={"agency": "é" * MAX_TEXT})) == {}
    found = problems(sheriff_to_ice(holder={"agency": "é" * (MAX_TEXT + 1)}))
    assert found == {"holder.agency": f"is longer than {MAX_TEXT} characters"}


def test_an_id_may_be_max_text_characters_or_digits() -> None:
    assert problems({**NOT_COVERED, "id": "x" * MAX_TEXT}) == {}
    assert problems({**NOT_COVERED, "id": 10 ** (MAX_TEXT - 1)}) == {}  # MAX_TEXT digits
    assert problems({**NOT_COVERED, "id": "x" * (MAX_TEXT + 1)}) == {
        "id": f"is longer than {MAX_TEXT} characters"}
    assert problems({**NOT_COVERED, "id": 10 ** MAX_TEXT}) == {
        "id": f"is longer than {MAX_TEXT} characters"}


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_request_file_integers_may_have_max_int_digits(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"request{suffix}"
    for digits, code in ((MAX_INT_DIGITS, 4), (MAX_INT_DIGITS + 1, 5)):
        path.write_text(json.dumps(NOT_COVERED)[:-1] + ', "id": ' + "9" * digits + "}")
        result = check(path)
        assert result.exit_code == code, result.output
    assert f"an integer has more than {MAX_INT_DIGITS} digits" in result.stderr


def test_batch_integers_may_have_max_int_digits() -> None:
    out = io.StringIO()
    lines = [json.dumps(NOT_COVERED)[:-1] + ', "id": ' + "9" * digits + "}"
             for digits in (MAX_INT_DIGITS, MAX_INT_DIGITS + 1)]
    batchrun.run_batch(bundled(), io.BytesIO("\n".join(lines).encode()), out)
    at, past = (json.loads(line) for line in out.getvalue().splitlines())
    assert at["request_id"] == "9" * MAX_INT_DIGITS
    assert past["line"] == 2 and f"more than {MAX_INT_DIGITS} digits" in past["error"]


def test_http_integers_may_have_max_int_digits() -> None:
    app = server.create_app(bundled())
    for digits, expected in ((server.MAX_INT_DIGITS, 200), (server.MAX_INT_DIGITS + 1, 400)):
        body = json.dumps(NOT_COVERED)[:-1] + ', "id": ' + "9" * digits + "}"
        status, answer = post_json(app, body.encode())
        assert status == expected, answer
    assert f"more than {server.MAX_INT_DIGITS} digits" in answer["detail"]


# ---------------------------------------------------------------- law files


def law_dir(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "laws"
    shutil.copytree(FIXTURES / "engine", root)
    (root / "extra.ord").write_text(text, encoding="utf-8")
    return root


def load_errors(root: Path) -> list[tuple[str, str]]:
    """``(code, message)`` of each error loading ``root`` (empty when it loads)."""
    try:
        ordinance.load(root)
    except ordinance.LawError as error:
        return [(d.code, d.message) for d in error.diagnostics if d.severity.value == "error"]
    return []


def test_a_law_file_may_be_max_law_file_bytes(tmp_path: Path) -> None:
    head = "# padding\n"
    body = "#" + "x" * (MAX_LAW_FILE_BYTES - len(head) - 2) + "\n"
    root = law_dir(tmp_path, head + body)
    assert (root / "extra.ord").stat().st_size == MAX_LAW_FILE_BYTES
    assert load_errors(root) == []
    (root / "extra.ord").write_text(head + "x" + body, encoding="utf-8")
    assert load_errors(root) == [
        ("file-too-large", f"law file is {MAX_LAW_FILE_BYTES + 1} bytes; the limit is "
                           f"{MAX_LAW_FILE_BYTES}")]


SECTION = ('law xt.extra {\n  title "Extra"\n  version "1"\n  jurisdiction state "IL"\n'
           '  binds police\n  in_force from 2020-01-01\n}\nsection "X § 1" "Text."\n')


def nested_rule(nots: int) -> str:
    condition = "not (" * nots + "warrant" + ")" * nots
    return SECTION + f'rule deep {{ prohibit status when {condition} cite "X § 1" }}\n'


def test_a_condition_may_nest_max_condition_depth_levels(tmp_path: Path) -> None:
    # The outermost `not` is level 1 and the fact it reaches is level nots + 1.
    assert load_errors(law_dir(tmp_path / "at", nested_rule(MAX_CONDITION_DEPTH - 1))) == []
    errors = load_errors(law_dir(tmp_path / "past", nested_rule(MAX_CONDITION_DEPTH)))
    assert [code for code, _ in errors] == ["condition-too-deep"]
    assert f"deeper than {MAX_CONDITION_DEPTH} levels" in errors[0][1]


def define_chain(length: int, uses: int = 1) -> str:
    """``d1`` reads a fact, each ``d_i`` uses ``d_{i-1}`` ``uses`` times (joined by
    ``and``): with 2, the condition expanded has 2**(length - 1) leaves."""
    lines = [SECTION, 'define d1 { when warrant cite "X § 1" }\n']
    lines += [f'define d{i} {{ when {" and ".join([f"d{i - 1}"] * uses)} cite "X § 1" }}\n'
              for i in range(2, length + 1)]
    lines.append(f'rule chained {{ prohibit status when d{length} cite "X § 1" }}\n')
    return "".join(lines)


@pytest.mark.parametrize(("levels", "warrant"), [(64, True), (64, False), (64, None),
                                                 (20, True), (20, None)])
def test_shared_definitions_cost_linear_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             levels: int, warrant: bool | None) -> None:
    """Issue 19: definitions each using the one before twice (2**64 leaves expanded at
    64 levels) load and decide with each definition worked out once per request. The
    work is counted, not timed (bench_attacks.py times it); at 20 levels an exponential
    regression would still finish, and fail the count."""
    from ordinance.engine import conditions

    root = law_dir(tmp_path, define_chain(levels + 1, uses=2))
    laws = ordinance.load(root, cache=False)
    calls = 0
    plain = conditions.reasons

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return plain(*args, **kwargs)

    monkeypatch.setattr(conditions, "reasons", counted)
    request = {"date": "2024-01-01", "holder": {"kind": "police", "state": "IL",
                                                "county": "Cook"},
               "requester": {"kind": "immigration"}, "data": ["status"]}
    if warrant is not None:
        request["warrant"] = warrant
    decision = laws.decide(request)
    decision.to_dict()
    assert calls < 50 * levels  # each definition explained once, not 2**levels times
    rule_id = next(r for r in laws.model.rules if r.endswith("chained"))
    assert laws.evaluate(request).conditions[rule_id] is warrant
    if warrant:
        steps = [s for item in decision.items for s in item.rules if s.rule == rule_id]
        assert steps[0].because == ("warrant = true",)


def test_named_conditions_may_expand_to_max_expanded_depth(tmp_path: Path) -> None:
    # d1 is one level deep; each further name in the chain adds a level.
    assert load_errors(law_dir(tmp_path / "at", define_chain(MAX_EXPANDED_DEPTH))) == []
    errors = load_errors(law_dir(tmp_path / "past", define_chain(MAX_EXPANDED_DEPTH + 1)))
    assert [code for code, _ in errors] == ["condition-too-deep"]
    assert f"the limit is {MAX_EXPANDED_DEPTH}" in errors[0][1]
