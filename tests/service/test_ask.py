"""``ordinance ask``: the interview asks only what can change the outcome, and stops then."""

from __future__ import annotations

import json
import re
from pathlib import Path

import attrs
import pytest
import yaml
from click.testing import CliRunner, Result

import ordinance
from ordinance.cli import main
from ordinance.service.interview import AnswerError, Interview

from ..conftest import EXAMPLES, ORDINANCES

UNKNOWN = EXAMPLES / "release-date-convictions-unknown.yaml"
QUESTION = re.compile(r"^\[(\d+)\] ", re.M)
ASKED = re.compile(r"^    (\S+): (asked by .+|needed for every request)$", re.M)


def ask(runner: CliRunner, *args: str, answers: str = "") -> Result:
    return runner.invoke(main, ["ask", "--ordinances", str(ORDINANCES), *args], input=answers,
                         catch_exceptions=False)


def asked(result: Result) -> list[tuple[str, str]]:
    """The facts asked, in order, with who asks each."""
    return ASKED.findall(result.stderr)


def load_example() -> dict[str, object]:
    data = yaml.safe_load(UNKNOWN.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------- the example


def test_partial_request_ends_permitted_asking_only_missing_facts(
        runner: CliRunner, bundled: ordinance.OrdinanceSet, tmp_path: Path) -> None:
    saved = tmp_path / "done.yaml"
    # More answers than needed: the interview must stop once the outcome is determined.
    result = ask(runner, str(UNKNOWN), "--save", str(saved), answers="no\nyes\nno\nno\nno\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("PERMITTED")
    questions = asked(result)
    assert len(QUESTION.findall(result.stderr)) == len(questions) == 2

    # Each question was a missing fact of the decision at that point, and shows the
    # citations that ask it. The first is § 7282.5(a)(6): a Proposition 47 reduction
    # ends the interview at once (prohibited), whatever the convictions.
    data = load_example()
    first = bundled.decide(data)
    assert first.outcome == "undetermined"
    assert questions[0][0] == "subject.prop47_reduced_misdemeanor"
    missing = {m.fact: m for m in first.missing_facts}
    assert questions[0][1] == "asked by " + "; ".join(missing[questions[0][0]].asked_by)
    after_one = bundled.decide(Interview(bundled, data).request().with_facts(
        {questions[0][0]: False}))
    assert after_one.outcome == "undetermined"  # so the second question was needed
    assert questions[1][0] in {m.fact for m in after_one.missing_facts}
    assert all(who.startswith("asked by Cal. Gov. Code §") for _, who in questions)

    # The saved request is the completed one, and `check` decides it the same way.
    request = yaml.safe_load(saved.read_text(encoding="utf-8"))
    defaults = {path.split(".")[1]: fact.default for path, fact in bundled.model.facts.items()
                if path.startswith("subject.") and fact.default is not None}
    assert request["subject"] == {**defaults, questions[0][0].split(".")[1]: False,
                                  questions[1][0].split(".")[1]: True}
    check = runner.invoke(main, ["check", str(saved), "--format", "json"])
    assert check.exit_code == 0
    assert json.loads(check.stdout)["outcome"] == "permitted"


def test_answers_by_number_and_json_output(runner: CliRunner, tmp_path: Path) -> None:
    saved = tmp_path / "done.json"
    result = ask(runner, str(UNKNOWN), "--format", "json", "--save", str(saved),
                 answers="2\n1\n")
    assert result.exit_code == 0
    decision = json.loads(result.stdout)  # the questions went to standard error
    assert decision["outcome"] == "permitted"
    assert json.loads(saved.read_text(encoding="utf-8"))["data"] == ["release_date"]


def test_invalid_answer_is_asked_again_with_the_reason(runner: CliRunner) -> None:
    result = ask(runner, str(UNKNOWN), answers="maybe\n7\n\nno\nyes\n")
    assert result.exit_code == 0
    assert "not accepted: `maybe` is not yes or no" in result.stderr
    assert "not accepted: `7` is not yes or no" in result.stderr
    assert "not accepted: no answer" in result.stderr
    assert len(asked(result)) == 2  # re-asking is not a new question


def test_a_determined_request_asks_nothing(runner: CliRunner) -> None:
    result = ask(runner, str(EXAMPLES / "release-date-state-prison-felony.yaml"))
    assert result.exit_code == 0
    assert asked(result) == []
    assert result.stdout.startswith("PERMITTED")


def test_prohibited_ends_with_its_exit_code(runner: CliRunner) -> None:
    # No § 7282.5 ground: the release date stays prohibited (exit 1) once every ground is no.
    result = ask(runner, str(UNKNOWN), answers="no\n" * 10)
    assert result.exit_code == 1
    assert result.stdout.startswith("PROHIBITED")
    assert len(asked(result)) < 10


# ---------------------------------------------------------------- starting from nothing


def test_empty_start_asks_the_required_facts_first(runner: CliRunner) -> None:
    result = ask(runner, answers="sheriff\nCA\nrelease_date\n")
    questions = asked(result)
    assert [fact for fact, _ in questions[:3]] == ["holder.kind", "holder.state", "data"]
    assert all(who == "needed for every request" for _, who in questions[:3])
    assert all(who.startswith("asked by") for _, who in questions[3:])
    assert len(questions) == 4  # then the first missing fact, and the input ended


def test_empty_start_to_not_covered(runner: CliRunner) -> None:
    result = ask(runner, answers="2\nNV\nhome_address, 19\n")
    assert result.exit_code == 4
    assert result.stdout.startswith("NOT COVERED")
    assert len(asked(result)) == 3


def test_required_facts_cannot_be_skipped(runner: CliRunner) -> None:
    result = ask(runner, answers="skip\nsheriff\nNV\nrelease_date\n")
    assert "cannot be skipped" in result.stderr
    assert result.exit_code == 4


# ---------------------------------------------------------------- stopping cleanly


@pytest.mark.parametrize("answers", ["", "no\n", "no\nmaybe"])
def test_end_of_input_exits_3_without_a_traceback(runner: CliRunner, tmp_path: Path,
                                                  answers: str) -> None:
    saved = tmp_path / "never.yaml"
    result = ask(runner, str(UNKNOWN), "--save", str(saved), answers=answers)
    assert result.exit_code == 3
    assert "interview stopped before the outcome was determined" in result.stderr
    assert "Traceback" not in result.output
    assert not saved.exists()
    assert result.stdout == ""  # no decision printed


def test_bad_partial_request_exits_5(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("holder: {kind: sherif}\n", encoding="utf-8")
    result = ask(runner, str(path))
    assert result.exit_code == 5
    assert "did you mean `sheriff`?" in result.stderr


def test_standard_input_cannot_hold_the_partial_request(runner: CliRunner) -> None:
    assert ask(runner, "-").exit_code == 2


# ---------------------------------------------------------------- the interview itself


def test_interview_parses_each_kind_of_answer(bundled: ordinance.OrdinanceSet) -> None:
    interview = Interview(bundled, {})
    kind = interview.next_question()
    assert kind is not None and kind.fact == "holder.kind" and kind.required
    assert interview.parse(kind, "2") == "sheriff"
    assert interview.parse(kind, " Sheriff ") == "sheriff"
    with pytest.raises(AnswerError, match="no choice 99"):
        interview.parse(kind, "99")
    with pytest.raises(AnswerError, match="did you mean `sheriff`"):
        interview.parse(kind, "sherif")
    interview.answer(kind, "sheriff")
    state = interview.next_question()
    assert state is not None and state.fact == "holder.state" and state.kind == "text"
    interview.answer(state, "CA")
    data = interview.next_question()
    assert data is not None and data.multiple
    assert interview.parse(data, "release_date, 12 release_date") == ["release_date",
                                                                      "home_address"]
    interview.answer(data, "release_date")
    assert interview.decision is not None and interview.decision.outcome == "undetermined"
    question = interview.next_question()
    assert question is not None and not question.required and question.asked_by
    fact = bundled.model.facts[question.fact]
    assert [c.value for c in question.choices] == (
        ["true", "false"] if fact.kind == "bool" else list(fact.values))


def test_bool_and_date_answers(bundled: ordinance.OrdinanceSet) -> None:
    interview = Interview(bundled, load_example())
    question = interview.next_question()
    assert question is not None and question.kind == "bool"
    for text, value in [("yes", True), ("Y", True), ("true", True), ("1", True),
                        ("no", False), ("N", False), ("false", False), ("2", False)]:
        assert interview.parse(question, text) is value
    date = attrs.evolve(question, kind="date", choices=())
    assert interview.parse(date, "2024-05-01") == "2024-05-01"
    with pytest.raises(AnswerError, match="YYYY-MM-DD"):
        interview.parse(date, "May 1")


def test_skipped_facts_are_not_asked_again(bundled: ordinance.OrdinanceSet) -> None:
    interview = Interview(bundled, load_example())
    seen = []
    while (question := interview.next_question()) is not None:
        assert question.fact not in seen
        seen.append(question.fact)
        interview.answer(question, "skip")
    assert interview.decision is not None
    assert {m.fact for m in interview.decision.missing_facts} == set(seen)
    assert interview.final_decision().outcome == "undetermined"


# ---------------------------------------------------------------- which question comes first

KERN = {"holder": {"kind": "sheriff", "state": "CA", "county": "Kern"},
        "data": ["release_date"]}


def test_who_asks_comes_before_any_detail(bundled: ordinance.OrdinanceSet) -> None:
    """Kern County sheriff asked for a release date, nothing else known: the requester
    (Cal. Gov. Code § 7284.6(a)(1) turns on immigration enforcement; Pen. Code § 13778.2(b)
    on another state's agency) is asked first, with what its answer decides."""
    question = Interview(bundled, KERN).next_question()
    assert question is not None
    assert question.fact == "requester.kind"
    assert question.why.startswith("this decides whether Cal.")
    assert question.to_dict()["why"] == question.why


def test_each_question_is_one_that_can_still_change_the_outcome(
        bundled: ordinance.OrdinanceSet) -> None:
    """Answered as ICE would be (a notification request, not public, no conviction, no
    Proposition 47 reduction): every question asked is among the decision's missing facts
    at the time, and the interview ends settled -- § 7284.6(a)(1)(C) prohibits it."""
    answers = {"requester.kind": "federal_immigration", "purpose": "immigration_enforcement",
               "legal_process": "notification_request", "data_public": "no"}
    interview = Interview(bundled, KERN)
    asked_facts = []
    while (question := interview.next_question()) is not None:
        assert interview.decision is not None
        assert question.fact in {m.fact for m in interview.decision.missing_facts}
        asked_facts.append(question.fact)
        interview.answer(question, answers.get(question.fact, "no"))
        assert len(asked_facts) <= 14
    assert interview.final_decision().outcome == "prohibited"
    assert asked_facts[0] == "requester.kind"


def test_questions_are_ranked_by_the_facts_left_after_the_answer(
        bundled: ordinance.OrdinanceSet) -> None:
    """Beyond who asks and where, a fact after whose answer fewer facts matter comes first."""
    from ordinance.engine.questions import FIRST, rank

    request = bundled.request(KERN)
    decision = bundled.decide(request, would_change=False)
    ranked = rank(bundled.explainer.relevance, bundled.evaluate(request),
                  [m.fact for m in decision.missing_facts])
    assert {r.fact for r in ranked} == {m.fact for m in decision.missing_facts}
    details = [r for r in ranked if r.fact not in FIRST]
    assert all(r.expected is not None for r in details)
    assert [r.expected for r in details] == sorted(r.expected for r in details)  # type: ignore
    assert details[0].expected < len(decision.missing_facts)  # type: ignore[operator]
