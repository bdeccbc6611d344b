"""The Python API: docs/api.md's examples run, deciding is thread-safe, errors are typed."""

from __future__ import annotations

import copy
import doctest
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import ordinance
from ordinance.engine.inputs import read_requests
from ordinance.language.grammar import bundled_ordinances
from ordinance.service.testing import case_files, load_cases

from ..conftest import EXAMPLES, ORDINANCES, ROOT, sheriff_to_ice

API_DOC = ROOT / "docs" / "api.md"


def test_api_doc_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `>>>` example in docs/api.md, run from the checkout's root as the doc says."""
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(str(API_DOC), module_relative=False, encoding="utf-8",
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                              raise_on_error=False, verbose=False)
    assert result.attempted > 40
    assert result.failed == 0, f"{result.failed} docs/api.md examples failed (see output)"


# ---------------------------------------------------------------- thread safety


def varied_requests() -> list[dict[str, Any]]:
    """About 200 different requests: every case and example, and variations of them."""
    base: list[dict[str, Any]] = []
    for path in case_files(ORDINANCES):
        base.extend(copy.deepcopy(case.request) for case in load_cases(path))
    for path in sorted(EXAMPLES.glob("*.yaml")):
        base.extend(copy.deepcopy(data) for _origin, data in read_requests(str(path)))
    # Variations: other data, a missing conviction record, another holder.
    variations = itertools.cycle([
        {"data": ["release_date", "home_address"]},
        {"subject": None},
        {"purpose": "criminal_investigation"},
        {"holder": {"kind": "law_enforcement", "state": "CA", "county": "Alameda",
                    "city": "Oakland"}},
        {"requester": {"kind": "federal_immigration"}, "legal_process": "judicial_warrant"},
    ])
    varied = [{**request, **change} for request, change in zip(base[::3], variations,
                                                               strict=False)]
    requests = base + varied
    for index, request in enumerate(requests):
        request["id"] = f"r{index}"
        request.setdefault("date", "2024-05-01")  # no "today": the same answer all day
    return requests


def test_deciding_is_thread_safe(bundled: ordinance.OrdinanceSet) -> None:
    requests = varied_requests()
    assert len(requests) >= 200
    sequential = [bundled.decide(r).to_dict() for r in requests]
    assert len({d["outcome"] for d in sequential}) == 4  # varied indeed
    assert len({json.dumps(d["request"], sort_keys=True) for d in sequential}) > 150
    shuffled = requests[::-1]  # threads meet the requests in another order

    def decide(request: dict[str, Any]) -> dict[str, Any]:
        return bundled.decide(request).to_dict()

    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(decide, shuffled))[::-1]
    assert len(concurrent) == len(sequential)
    for alone, together in zip(sequential, concurrent, strict=True):
        assert alone == together, alone["request_id"]


def test_a_fresh_set_is_thread_safe_from_its_first_decision() -> None:
    """Nothing is compiled lazily on first use in a way that two threads could race on."""
    laws = ordinance.load(ORDINANCES)
    requests = varied_requests()[:64]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda r: laws.decide(r).to_dict(), requests))
    assert concurrent == [laws.decide(r).to_dict() for r in requests]


# ---------------------------------------------------------------- load


def test_load_without_a_path_loads_the_bundled_set(bundled: ordinance.OrdinanceSet) -> None:
    laws = ordinance.load()
    assert laws.root == bundled_ordinances()
    assert set(laws.model.laws) == set(bundled.model.laws)
    assert laws.digest == bundled.digest  # the same law, installed or in the checkout
    request = sheriff_to_ice(subject={"state_prison_felony_conviction": True,
                                      "prop47_reduced_misdemeanor": False})
    assert laws.decide(request).to_dict() == bundled.decide(request).to_dict()


def test_load_accepts_a_single_file_and_a_string(tmp_path: Path) -> None:
    laws = ordinance.load(str(ORDINANCES / "vocabulary.ord"))
    assert "holder.kind" in laws.model.facts
    assert not laws.model.laws


# ---------------------------------------------------------------- typed errors


def test_law_errors_carry_diagnostics_with_locations(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.ord").write_text(
        (ORDINANCES / "vocabulary.ord").read_text("utf-8"), encoding="utf-8")
    (tmp_path / "bad.ord").write_text(
        'law example.city {\n  jurisdiction state "CA", county "Alameda", city "Example City"\n'
        '  binds city_department\n}\n'
        'rule share {\n  permit home_adress\n  when purpos = other\n}\n', encoding="utf-8")
    with pytest.raises(ordinance.LawError) as raised:
        ordinance.load(tmp_path)
    error = raised.value
    assert isinstance(error, ordinance.OrdinanceError)
    found = {d.code: d for d in error.diagnostics}
    assert {"unknown-category", "unknown-fact"} <= set(found), set(found)
    fact = found["unknown-fact"]
    assert fact.span.path.endswith("bad.ord")
    assert fact.span.location().endswith("bad.ord:7:8")
    assert fact.help == "did you mean `purpose`?"
    assert (fact.span.line, fact.span.column) == (7, 8)
    assert found["unknown-category"].span.line == 6
    keys = [d.sort_key() for d in error.diagnostics]
    assert keys == sorted(keys)
    assert str(error).startswith(error.diagnostics[0].span.location())
    assert "bad.ord:7:8" in error.render()


def test_law_error_for_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ordinance.LawError) as raised:
        ordinance.load(tmp_path / "nowhere")
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "no-such-path"
    assert diagnostic.span.location().endswith("nowhere:1:1")


def test_syntax_errors_point_at_their_place(tmp_path: Path) -> None:
    (tmp_path / "bad.ord").write_text('fact x: bool\n  question "?"\n  labl "x"\n',
                                      encoding="utf-8")
    with pytest.raises(ordinance.LawError) as raised:
        ordinance.load(tmp_path)
    first = raised.value.diagnostics[0]
    assert first.span.path.endswith("bad.ord")
    assert first.span.line == 3


def test_request_errors_name_fields_and_allowed_values(
        bundled: ordinance.OrdinanceSet) -> None:
    bad = sheriff_to_ice(purpose="immigration", holder={"kind": "sherif"}, data=[],
                         subject={"in_custody": "yes"}, extra=1)
    del bad["holder"]["state"]
    for call in (bundled.decide, bundled.request, bundled.evaluate):
        with pytest.raises(ordinance.RequestError) as raised:
            call(bad)
        error = raised.value
        assert isinstance(error, ordinance.OrdinanceError)
        problems = {p.field: p for p in error.problems}
        assert set(problems) == {"purpose", "holder.kind", "holder.state", "data",
                                 "subject.in_custody", "extra"}
        assert "immigration_enforcement" in problems["purpose"].allowed
        assert problems["holder.kind"].help == "did you mean `sheriff`?"
        assert problems["holder.state"].message == "is required"
        assert problems["subject.in_custody"].allowed == ("true", "false")
        assert "holder" in problems["extra"].allowed
        assert [p.field for p in error.problems] == sorted(problems)
        assert all(json.dumps(p.to_dict()) for p in error.problems)


def test_a_request_that_is_not_a_mapping_is_a_request_error(
        bundled: ordinance.OrdinanceSet) -> None:
    with pytest.raises(ordinance.RequestError) as raised:
        bundled.decide(["not", "a", "mapping"])  # type: ignore[arg-type]
    assert raised.value.problems[0].field == ""
    assert "holder" in raised.value.problems[0].allowed
