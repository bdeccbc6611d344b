"""`ordinance coverage-gaps`: requests permitted only because no rule speaks to them.

On the Shield Act as enacted (tests/fixtures/diff/old): § 1(a) speaks to release dates
and addresses asked by immigration authorities, § 4 to the release date of a person
facing charges, § 2 to booking photos asked by police. Everything else is a gap.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import ordinance
from ordinance.analysis.describe import _Cell, merge_cells
from ordinance.analysis.gaps import CoverageGaps, GapFinding, coverage_gaps
from ordinance.analysis.space import Found
from ordinance.cli import main

from ..conftest import FIXTURES

SHIELD = FIXTURES / "diff" / "old"


@pytest.fixture(scope="module")
def shield() -> ordinance.OrdinanceSet:
    return ordinance.load(SHIELD)


@pytest.fixture(scope="module")
def report(shield: ordinance.OrdinanceSet) -> CoverageGaps:
    return coverage_gaps(shield, "shield")


def test_exactly_the_expected_gaps(report: CoverageGaps) -> None:
    """§ 1(a), § 2 and § 4 leave three classes of requests unaddressed."""
    assert sorted((f.items, f.facts) for f in report.findings) == sorted([
        (("release_date",), {"requester.kind": ["police", "public"],
                             "pending_charges": [False]}),
        (("address", "work_address"), {"requester.kind": ["police", "public"]}),
        (("photo",), {"requester.kind": ["immigration", "public"]}),
    ])
    photo = next(f for f in report.findings if f.items == ("photo",))
    assert photo.condition == ("any holder in state IL from 2020-01-01 and data includes photo "
                               "and requester.kind is not police")
    assert photo.words == ("any holder in state IL from 2020-01-01; asking for booking photo; "
                           "kind of requester: anything but another police agency")
    assert report.classes == 8


def test_witnesses_are_permitted_with_no_rule_speaking(report: CoverageGaps,
                                                       shield: ordinance.OrdinanceSet) -> None:
    for finding in report.findings:
        decision = shield.decide(finding.witness)
        item = next(i for i in decision.items if i.data == finding.items[0])
        assert item.outcome == "permitted"
        assert item.rules == ()
        assert "no applicable rule prohibits it" in decision.summary


def _fits(finding: GapFinding, request: dict[str, Any]) -> bool:
    flat = {"requester.kind": request["requester"]["kind"], **request}
    return request["data"][0] in finding.items and all(
        flat[fact] in values for fact, values in finding.facts.items())


def test_exhaustive_on_the_fixture(report: CoverageGaps, shield: ordinance.OrdinanceSet) -> None:
    """Every request of the fixture's space is in a finding exactly when no permitting or
    prohibiting rule's condition holds for it."""
    for kind, requester, item, public, warrant, pending in itertools.product(
            ("police", "sheriff"), ("immigration", "police", "public"),
            ("release_date", "address", "work_address", "photo"), *[(True, False)] * 3):
        request = {"holder": {"kind": kind, "state": "IL"}, "date": "2024-01-01",
                   "requester": {"kind": requester}, "data": [item], "public": public,
                   "warrant": warrant, "pending_charges": pending}
        evaluation = shield.evaluate(request)
        standing = evaluation.items[0].standing
        spoken = any(evaluation.conditions[r] for r in standing
                     if not shield.model.rules[r].excepts)
        fits = [f for f in report.findings if _fits(f, request)]
        assert len(fits) <= 1
        assert bool(fits) == (not spoken), request


SPRINGFIELD = "city Springfield, county Sangamon, state IL"


def test_unscoped_item_is_one_class_per_context() -> None:
    """Engine fixture: no rule speaks to weather reports at all, wherever a law applies."""
    laws = ordinance.load(FIXTURES / "engine")
    weather = [f for f in coverage_gaps(laws).findings if f.items == ("weather",)]
    assert weather and all(f.facts == {} for f in weather)
    assert {(f.place, f.kinds, f.dates) for f in weather} == {
        (SPRINGFIELD, ("police",), ((dt.date(2020, 1, 1), None),)),
        (SPRINGFIELD, ("sheriff",),
         ((dt.date(2020, 1, 1), dt.date(2031, 1, 1)),)),
        ("state IL", ("police", "sheriff"), ((dt.date(2020, 1, 1), dt.date(2031, 1, 1)),)),
    }
    assert next(f for f in weather if f.place == "state IL").condition == (
        "holder.kind in {police, sheriff} in state IL outside city Springfield from 2020-01-01 "
        "to 2030-12-31 and data includes weather")


def test_merge_cells_joins_values_and_drops_a_covered_fact() -> None:
    """Two classes differing in one fact merge; once they cover every value, it goes."""
    witness: Found[str] = Found(None, "x", {}, "gap")  # type: ignore[arg-type]
    every = frozenset({"a", "b", "c"})
    cells = [_Cell({"f": frozenset({v}), "g": frozenset({True})}, 1, witness) for v in "ab"]
    merged = merge_cells(cells, lambda fact: every if fact == "f" else frozenset({True, False}))
    assert [(c.terms, c.count) for c in merged] == [
        ({"f": frozenset({"a", "b"}), "g": frozenset({True})}, 2)]
    cells.append(_Cell({"f": frozenset({"c"}), "g": frozenset({True})}, 1, witness))
    cells.append(_Cell({"g": frozenset({False})}, 3, witness))
    merged = merge_cells(cells, lambda fact: every if fact == "f" else frozenset({True, False}))
    assert [(c.terms, c.count) for c in merged] == [({}, 6)]


# ---------------------------------------------------------------- the command


def test_cli_text(runner: CliRunner) -> None:
    done = runner.invoke(main, ["coverage-gaps", "--ordinances", str(SHIELD)])
    assert done.exit_code == 0, done.output
    assert "3 findings (8 classes of requests)" in done.output
    assert ("any holder in state IL from 2020-01-01 and data includes address or work_address "
            "and requester.kind is not immigration") in done.output
    assert "How it searched: searched 1 holder context x 4 data items" in done.output


def test_cli_json_and_markdown(runner: CliRunner) -> None:
    done = runner.invoke(main, ["coverage-gaps", "--ordinances", str(SHIELD), "--format", "json"])
    payload = json.loads(done.output)
    assert done.exit_code == 0 and len(payload["gaps"]) == 3 and payload["classes"] == 8
    done = runner.invoke(main, ["coverage-gaps", "--ordinances", str(SHIELD),
                                "--format", "markdown"])
    memo = done.output
    assert memo.startswith("# Coverage gaps\n")
    assert memo.count("\n## ") == 3
    witnesses = [yaml.safe_load(b.split("```")[0]) for b in memo.split("```yaml\n")[1:]]
    assert witnesses == [g["witness"] for g in payload["gaps"]]


def test_cli_invalid_laws(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "bad.ord").write_text("rule x {\n")
    done = runner.invoke(main, ["coverage-gaps", "--ordinances", str(tmp_path)])
    assert done.exit_code == 5
    assert isinstance(done.exception, SystemExit)


def test_bundled_library(runner: CliRunner, bundled: ordinance.OrdinanceSet) -> None:
    """The bundled library: every witness decided (in coverage_gaps) as the search found."""
    report = coverage_gaps(bundled)
    assert report.findings
    assert all(f.witness["holder"]["state"] == "CA" for f in report.findings)
