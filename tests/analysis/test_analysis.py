"""Law analysis (`ordinance lint`): each planted problem is found, with a witness that shows it.

The fixture tests/fixtures/analysis/planted.ord plants one of each problem beside clean
rules. Every finding is checked twice: its witness request, decided by the engine, really
shows the problem; and a brute-force enumeration of the fixture's whole request space agrees
with the analysis (nothing missed, nothing invented).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import ordinance
from ordinance.analysis.conflicts import Analyzer, analyse
from ordinance.cli import main
from ordinance.engine.evaluator import Evaluation

from ..conftest import FIXTURES

PLANTED = FIXTURES / "analysis"


@pytest.fixture(scope="module")
def laws() -> ordinance.OrdinanceSet:
    return ordinance.load(PLANTED, cache=False)


@pytest.fixture(scope="module")
def findings(laws: ordinance.OrdinanceSet) -> dict[tuple[str, tuple[str, ...]], dict[str, object]]:
    found = analyse(laws.engine).findings
    return {(d.code, d.subjects): dict(d.witness or {}) for d in found}


def _rule(name: str) -> str:
    return f"pl.act.{name}"


def _evaluate(laws: ordinance.OrdinanceSet, witness: dict[str, object]) -> Evaluation:
    return laws.evaluate(laws.request(witness))


def _stands(laws: ordinance.OrdinanceSet, evaluation: Evaluation, rule: str) -> bool:
    return Analyzer(laws.engine).standing(evaluation, rule) is True


def test_exactly_the_planted_problems_are_found(
        findings: dict[tuple[str, tuple[str, ...]], dict[str, object]]) -> None:
    assert sorted(findings) == sorted([
        ("conflicting-rules", (_rule("status_only_public"), _rule("status_to_police"))),
        ("conflicting-rules", (_rule("plates_urgent_excused"), _rule("uncited"))),
        ("shadowed-rule", (_rule("status_to_immigration"), _rule("status_only_public"))),
        ("shadowed-rule", (_rule("status_with_warrant"), _rule("status_only_public"),
                           _rule("status_to_immigration"))),
        ("unreachable-rule", (_rule("plates_contradiction"),)),
        ("unreachable-rule", (_rule("plates_urgent"),)),
        ("dead-exception", (_rule("impossible"),)),
        ("unused-fact", ("consent",)),
    ])


def test_conflict_witness_shows_both_rules_standing(
        laws: ordinance.OrdinanceSet,
        findings: dict[tuple[str, tuple[str, ...]], dict[str, object]]) -> None:
    """P § 3 permits status to the police; P § 4 prohibits it to all but the public."""
    witness = findings[("conflicting-rules",
                        (_rule("status_only_public"), _rule("status_to_police")))]
    evaluation = _evaluate(laws, witness)
    assert _stands(laws, evaluation, _rule("status_to_police"))
    assert _stands(laws, evaluation, _rule("status_only_public"))
    assert evaluation.outcome == "prohibited"  # deny overrides


def test_shadowed_witness_shows_the_covering_rule_standing(
        laws: ordinance.OrdinanceSet,
        findings: dict[tuple[str, tuple[str, ...]], dict[str, object]]) -> None:
    """P § 6 (status with a warrant) adds nothing to P § 5 (status to immigration)."""
    witness = findings[("shadowed-rule", (_rule("status_with_warrant"),
                                          _rule("status_only_public"),
                                          _rule("status_to_immigration")))]
    evaluation = _evaluate(laws, witness)
    assert _stands(laws, evaluation, _rule("status_with_warrant"))
    assert _stands(laws, evaluation, _rule("status_to_immigration"))


def test_unreachable_witness_shows_the_exception_defeating_the_rule(
        laws: ordinance.OrdinanceSet,
        findings: dict[tuple[str, tuple[str, ...]], dict[str, object]]) -> None:
    """P § 8: a prohibition of urgent requests excused whenever urgent never stands."""
    witness = findings[("unreachable-rule", (_rule("plates_urgent"),))]
    evaluation = _evaluate(laws, witness)
    assert evaluation.conditions[_rule("plates_urgent")] is True
    assert _stands(laws, evaluation, _rule("plates_urgent_excused"))
    assert not _stands(laws, evaluation, _rule("plates_urgent"))


def test_unreachable_witness_is_a_request_in_the_rules_reach(
        laws: ordinance.OrdinanceSet,
        findings: dict[tuple[str, tuple[str, ...]], dict[str, object]]) -> None:
    """P § 7: `warrant and not warrant` never holds; the witness is in the law's reach."""
    witness = findings[("unreachable-rule", (_rule("plates_contradiction"),))]
    evaluation = _evaluate(laws, witness)
    assert evaluation.active_laws and evaluation.items[0].data == "plates"
    assert evaluation.conditions[_rule("plates_contradiction")] is False


# ---------------------------------------------------------------- brute force


def _every_request(laws: ordinance.OrdinanceSet) -> Iterator[dict[str, object]]:
    """Every request over the fixture's vocabulary (unknown included), one item at a time."""
    optional: list[list[object]] = [[None, True, False]] * 4
    for kind, requester, item, date, (public, warrant, urgent, consent) in itertools.product(
            ["police", "sheriff", "clinic"], [None, "immigration", "police", "public"],
            sorted(laws.model.hierarchy.categories),
            [dt.date(2019, 12, 31), dt.date(2020, 1, 1)], itertools.product(*optional)):
        facts = {"holder.kind": kind, "holder.state": "IL", "data": frozenset({item}),
                 "date": date, "requester.kind": requester, "public": public,
                 "warrant": warrant, "urgent": urgent, "consent": consent}
        yield {k: v for k, v in facts.items() if v is not None}


def test_brute_force_agrees_with_the_analysis(
        laws: ordinance.OrdinanceSet,
        findings: dict[tuple[str, tuple[str, ...]], dict[str, object]]) -> None:
    analyzer = Analyzer(laws.engine)
    rules = laws.model.rules
    ever_stands: set[str] = set()
    together: set[tuple[str, str]] = set()
    alone: set[str] = set()
    for facts in _every_request(laws):
        evaluation = laws.engine.evaluate(facts)
        standing = {r: analyzer.standing(evaluation, r) is True for r in rules}
        ever_stands |= {r for r, v in standing.items() if v}
        for a, b in itertools.permutations([r for r, v in standing.items() if v], 2):
            together.add((a, b))
        for rule_id, value in standing.items():
            rule = rules[rule_id]
            if value and not rule.is_exception and not any(
                    standing[o] for o in rules if o != rule_id
                    and rules[o].effect == rule.effect and not analyzer.related(o, rule_id)):
                alone.add(rule_id)
    never = {r for r in rules if r not in ever_stands}
    reported_never = {s[0] for code, s in findings
                      if code in ("unreachable-rule", "dead-exception")}
    assert never == reported_never
    conflicts = {tuple(sorted((a, b))) for a, b in together
                 if rules[a].effect == "permit" and rules[b].effect == "prohibit"
                 and not analyzer.related(a, b)}
    assert conflicts == {s for code, s in findings if code == "conflicting-rules"}
    shadowed = {r for r in ever_stands - alone if rules[r].effect in ("permit", "prohibit")
                and not rules[r].is_exception}
    assert shadowed == {s[0] for code, s in findings if code == "shadowed-rule"}


# ---------------------------------------------------------------- the command


def test_lint_prints_each_finding_with_its_witness(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lint", str(PLANTED)])
    assert result.exit_code == 0, result.output
    assert "warning[conflicting-rules]" in result.output
    assert "= witness (save as a file and run `ordinance check` on it):" in result.output
    assert "analysis: searched 1 holder context x 4 data items" in result.output
    assert result.output.rstrip().splitlines()[-1] == "0 errors, 11 warnings"


def test_a_witness_printed_as_json_is_a_request_check_decides(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lint", str(PLANTED), "--format", "json"])
    assert result.exit_code == 0
    import json
    found = json.loads(result.output)
    conflict = next(f for f in found if f["code"] == "conflicting-rules")
    request = tmp_path / "witness.yaml"
    request.write_text(yaml.safe_dump(conflict["witness"]), encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", str(request), "--ordinances", str(PLANTED),
                                        "--format", "json"])
    assert checked.exit_code == 1  # prohibited: the prohibition of the pair decides
    decision = json.loads(checked.output)
    cited = {r["rule"] for item in decision["items"] for r in item["rules"]}
    assert set(conflict["subjects"]) <= cited


def test_a_condition_on_the_other_requested_data_is_searched(tmp_path: Path) -> None:
    """`data has address` varies what is requested beside the item; the witness must
    request both, and the rules must be judged for the searched item (status)."""
    (tmp_path / "vocabulary.ord").write_text(
        (PLANTED / "vocabulary.ord").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "law.ord").write_text(
        'law t.act { title "T" version "1" jurisdiction state "IL" binds police }\n'
        'section "T § 1" "Status may go to the police."\n'
        'section "T § 2" "No status together with an address."\n'
        'rule status_to_police { permit status when requester.kind = police cite "T § 1" }\n'
        'rule not_with_address { prohibit status when data has address cite "T § 2" }\n',
        encoding="utf-8")
    laws = ordinance.load(tmp_path, cache=False)
    (finding,) = [d for d in analyse(laws.engine).findings if d.code == "conflicting-rules"]
    assert finding.subjects == ("t.act.not_with_address", "t.act.status_to_police")
    witness = dict(finding.witness or {})
    assert sorted(witness["data"]) == ["address", "status"]  # type: ignore[arg-type]
    evaluation = _evaluate(laws, witness)
    status = next(i for i in evaluation.items if i.data == "status")
    assert status.standing["t.act.not_with_address"] is True
    assert status.standing["t.act.status_to_police"] is True


# ---------------------------------------------------------------- the compiled form


def _conflicts(laws: ordinance.OrdinanceSet, *, compiled: bool
               ) -> tuple[set[tuple[str, ...]], Analyzer]:
    analyzer = Analyzer(laws.engine, compiled=compiled)
    return {d.subjects for d in analyzer.conflicts()}, analyzer


def test_compiled_conflicts_are_the_searched_ones_on_the_fixture(
        laws: ordinance.OrdinanceSet) -> None:
    compiled, _ = _conflicts(laws, compiled=True)
    searched, _ = _conflicts(laws, compiled=False)
    assert compiled == searched and len(compiled) == 2


def test_compiled_conflicts_are_the_searched_ones_on_the_bundled_law(
        bundled: ordinance.OrdinanceSet) -> None:
    """The search (the oracle) stops at its budget on some pairs; the compiled form answers
    every pair exactly, and agrees with every pair the search finished."""
    compiled, exact = _conflicts(bundled, compiled=True)
    searched, oracle = _conflicts(bundled, compiled=False)
    assert exact.stats.stopped == []
    assert oracle.stats.stopped  # what the compiled form adds: the pairs the search left open
    assert searched <= compiled
    for pair in compiled - searched:  # found only past the search's budget
        assert any(all(rule in label for rule in pair) for label in oracle.stats.stopped)
    assert len(compiled) > 600


def test_each_compiled_conflict_witness_shows_both_rules_standing(
        bundled: ordinance.OrdinanceSet) -> None:
    analyzer = Analyzer(bundled.engine)
    findings = analyzer.conflicts()
    for finding in findings[::25]:
        evaluation = _evaluate(bundled, dict(finding.witness or {}))
        item = finding.message.split("for `")[1].split("`")[0]
        assert all(analyzer._standing_for(evaluation, item, rule) is True
                   for rule in finding.subjects), finding.message
