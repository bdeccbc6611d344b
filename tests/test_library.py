"""The bundled law library as a whole: every case passes, every rule decides somewhere.

Issue-level guarantees of the bundled set, checked on every law file and
case file under ordinances/ (each law's own tests live in its cases).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ordinance
from ordinance.service.testing import case_files, load_cases, run_case

from .conftest import ORDINANCES

CASE_FILES = case_files(ORDINANCES)
ALL_CASES = [(path, case) for path in CASE_FILES for case in load_cases(path)]


@pytest.mark.parametrize(("path", "case"), ALL_CASES,
                         ids=[f"{p.stem}:{c.name[:50]}" for p, c in ALL_CASES])
def test_case(bundled: ordinance.OrdinanceSet, path: Path, case: object) -> None:
    result = run_case(bundled, case)  # type: ignore[arg-type]
    assert result.passed, result.failures


def test_bundled_set_lints_without_errors(bundled: ordinance.OrdinanceSet) -> None:
    codes = {w.code for w in bundled.warnings}
    assert codes <= {"gap", "uncited-section"}, codes


def test_every_bundled_warning_but_the_gap_notes_is_reviewed_in_its_law_file(
        bundled: ordinance.OrdinanceSet) -> None:
    """Issue #7: the bundled library is clean, or each warning is explained where it arises."""
    from ordinance.analysis.conflicts import analyse
    from ordinance.checker.lint import apply_reviews

    findings = [*bundled.warnings, *analyse(bundled.engine).findings]
    result = apply_reviews(findings, bundled.model.reviews)
    assert [w.code for w in result.open if w.code != "gap"] == []
    assert result.unused == ()
    assert {w.code for w, _review in result.reviewed} >= {"conflicting-rules", "unused-fact",
                                                         "uncited-section"}


def test_every_law_has_cases_beside_it(bundled: ordinance.OrdinanceSet) -> None:
    for law in bundled.model.laws.values():
        cases = Path(law.path).with_suffix(".cases.yaml")
        assert cases.name in {p.name for p in CASE_FILES}, law.id


def test_every_rule_and_exception_stands_in_some_case(bundled: ordinance.OrdinanceSet) -> None:
    stood: set[str] = set()
    for _path, case in ALL_CASES:
        evaluation = bundled.evaluate(case.request)
        for item in evaluation.items:
            stood |= {rule for rule, value in item.standing.items() if value is True}
        stood |= {rule for rule, value in evaluation.obligations.items() if value is True}
    assert set(bundled.model.rules) - stood == set()


def test_library_has_enough_cases_of_every_kind(bundled: ordinance.OrdinanceSet) -> None:
    assert len(ALL_CASES) >= 120
    outcomes = {case.outcome for _p, case in ALL_CASES}
    assert outcomes == {"permitted", "prohibited", "undetermined", "not_covered"}
    assert any(case.missing_facts for _p, case in ALL_CASES)
    assert any(len(case.request.get("data", [])) > 1 for _p, case in ALL_CASES)


def test_stricter_local_law_wins_with_both_citations(bundled: ordinance.OrdinanceSet) -> None:
    """Gov. Code § 7284.6(a)(1)(C): state permission is "provided that they do not violate any
    local law or policy"; S.F. Admin. Code § 12H.2(c) forbids what § 7282.5(a)(2) allows."""
    import yaml

    from .conftest import EXAMPLES

    request = yaml.safe_load((EXAMPLES / "sf-sheriff-release-date.yaml").read_text("utf-8"))
    decision = bundled.decide(request)
    assert decision.outcome == "prohibited"
    (item,) = decision.items
    steps = {s.rule: s for s in item.rules}
    assert steps["ca.values_act.release_dates"].status == "defeated"
    assert steps["sf.admin_code_12h.release_status_and_personal_information"].status == "stands"
    assert {"Cal. Gov. Code § 7282.5(a)(2)", "S.F. Admin. Code § 12H.2(c)"} <= set(
        decision.citations)
    elsewhere = bundled.decide({**request, "holder": {**request["holder"],
                                                      "county": "San Diego"}})
    assert elsewhere.outcome == "permitted"
    assert "sf.admin_code_12h" not in {law.id for law in elsewhere.laws}
