"""The command line: exit codes, formats, and no traceback on any malformed input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ordinance.cli import main

from ..conftest import EXAMPLES, ORDINANCES, sheriff_to_ice


def invoke(runner: CliRunner, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(main, [*args], input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def copy_laws(directory: Path, *names: str) -> None:
    """Copy bundled law files (paths under ordinances/) into ``directory``, flat."""
    for name in names:
        source = ORDINANCES / name
        (directory / source.name).write_text(source.read_text(encoding="utf-8"),
                                             encoding="utf-8")


def write(tmp_path: Path, name: str, content: object) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- exit codes per outcome


@pytest.mark.parametrize(("example", "code", "word"), [
    ("release-date-state-prison-felony.yaml", 0, "PERMITTED"),
    ("home-address-hold-request.yaml", 1, "PROHIBITED"),
    ("release-date-convictions-unknown.yaml", 3, "UNDETERMINED"),
])
def test_check_exit_code_says_the_outcome(runner: CliRunner, example: str, code: int,
                                          word: str) -> None:
    exit_code, out, _ = invoke(runner, "check", str(EXAMPLES / example))
    assert exit_code == code
    assert out.splitlines()[0].startswith(word)


def test_not_covered_exits_4(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "nv.yaml", sheriff_to_ice(holder={"state": "NV", "county": "Clark"}))
    exit_code, out, _ = invoke(runner, "check", path)
    assert exit_code == 4
    assert out.startswith("NOT COVERED")


def test_several_requests_exit_with_the_most_restrictive(runner: CliRunner) -> None:
    exit_code, out, _ = invoke(runner, "check",
                               str(EXAMPLES / "release-date-state-prison-felony.yaml"),
                               str(EXAMPLES / "release-date-convictions-unknown.yaml"))
    assert exit_code == 3
    assert "PERMITTED" in out and "UNDETERMINED" in out


def test_a_file_may_hold_a_list_of_requests(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", [sheriff_to_ice(id="a", data_public=True),
                                        sheriff_to_ice(id="b", data=["home_address"])])
    exit_code, out, _ = invoke(runner, "check", path, "--format", "json")
    assert exit_code == 1
    decisions = json.loads(out)
    assert [(d["request_id"], d["outcome"]) for d in decisions] == [("a", "permitted"),
                                                                    ("b", "prohibited")]


# ---------------------------------------------------------------- formats


def test_json_follows_the_decision_contract(runner: CliRunner) -> None:
    _, out, _ = invoke(runner, "check", str(EXAMPLES / "home-address-hold-request.yaml"),
                       "--format", "json")
    decision = json.loads(out)
    assert decision["outcome"] == "prohibited"
    item = decision["items"][0]
    assert item["data"] == "home_address" and item["outcome"] == "prohibited"
    assert [r["rule"] for r in item["rules"]][:2] == [
        "ca.values_act.immigration_enforcement_assistance", "ca.values_act.personal_information"]
    rule = item["rules"][1]
    assert set(rule) >= {"rule", "effect", "citation", "quote", "because"}
    assert rule["because"] == ["holder.kind = sheriff", "action = disclose",
                               "purpose = immigration_enforcement"]
    assert {"warnings", "caveats"} <= set(decision)
    assert any(c["law"] == "ca.values_act" for c in decision["caveats"])
    exception = item["exceptions"][0]
    assert set(exception) >= {"rule", "citation", "applied", "because"}
    assert exception["applied"] is False
    assert decision["would_change"][0]["set"] == {"data_public": True}
    assert decision["ordinance_set"].startswith("sha256:")
    assert "ca.values_act" in {law["id"] for law in decision["laws"]}


def test_markdown_memo(runner: CliRunner) -> None:
    exit_code, out, _ = invoke(runner, "check", str(EXAMPLES / "home-address-hold-request.yaml"),
                               "--format", "markdown")
    assert exit_code == 1
    assert out.startswith("# Memorandum")
    assert "## Short answer" in out and "## Authorities" in out
    assert "> Providing personal information" in out


def test_text_shows_quote_citation_and_reasons(runner: CliRunner) -> None:
    _, out, _ = invoke(runner, "check", str(EXAMPLES / "release-date-convictions-unknown.yaml"))
    assert "To decide, answer:" in out
    assert "subject.prop47_reduced_misdemeanor [true, false]" in out
    assert "asked by Cal. Gov. Code § 7282.5(a)(6)" in out
    assert "\x1b[" not in out  # no colours when not on a terminal


def test_date_option_overrides_the_request_date(runner: CliRunner) -> None:
    exit_code, _, _ = invoke(runner, "check", str(EXAMPLES / "home-address-hold-request.yaml"),
                             "--date", "2015-06-01")  # before every bundled law
    assert exit_code == 4


def test_explain_all_shows_every_law_and_rule(runner: CliRunner) -> None:
    exit_code, out, _ = invoke(runner, "explain", str(EXAMPLES / "home-address-hold-request.yaml"),
                               "--all")
    assert exit_code == 1
    assert "law ca.values_act" in out
    assert "rule ca.values_act.release_dates" in out  # a rule that did not apply, shown
    assert "home_address: not about this data" in out
    _, out, _ = invoke(runner, "explain", str(EXAMPLES / "home-address-hold-request.yaml"),
                       "--format", "json", "--all")
    tree = json.loads(out)
    assert next(law for law in tree["laws"] if law["law"] == "ca.values_act")["applies"] is True
    assert tree["everything"] is True and tree["left_out"] == 0


def test_explain_shows_what_decided_the_outcome(runner: CliRunner) -> None:
    """Issue 18: by default, the rules that stood or were defeated for the requested
    items, with the facts that did it; the rest behind --all."""
    path = str(EXAMPLES / "release-date-state-prison-felony.yaml")
    exit_code, out, _ = invoke(runner, "explain", path)
    assert exit_code == 0
    assert "not about this data" not in out
    # § 7284.6(a)(1)(C) was defeated by § 7282.5(a)(2): both shown, with their facts.
    assert "rule ca.values_act.release_dates [prohibit]" in out
    assert "except ca.values_act.state_prison_felony [permit]" in out
    assert "subject.state_prison_felony_conviction = true" in out
    # The open (a)(1) cannot change a permitted outcome: listed, not explained.
    assert "except ca.values_act.serious_or_violent_felony" not in out
    assert "rule ca.alpr_sb34" not in out  # speaks to ALPR data only
    assert "laws that do not apply:" in out and "explain --all" in out
    _, full, _ = invoke(runner, "explain", path, "--all")
    assert len(out.splitlines()) * 3 < len(full.splitlines())
    _, data, _ = invoke(runner, "explain", path, "--format", "json")
    tree = json.loads(data)
    assert tree["everything"] is False and tree["left_out"] > 0


def test_explain_keeps_open_questions_when_the_outcome_is_open(runner: CliRunner) -> None:
    _, out, _ = invoke(runner, "explain", str(EXAMPLES / "release-date-convictions-unknown.yaml"))
    assert "except ca.values_act.serious_or_violent_felony [permit]" in out
    assert "release_date: undetermined" in out


def test_request_from_stdin(runner: CliRunner) -> None:
    text = json.dumps(sheriff_to_ice(data_public=True))
    exit_code, out, _ = invoke(runner, "check", "-", stdin=text)
    assert exit_code == 0, out


# ---------------------------------------------------------------- lint and test


def test_lint_bundled_has_no_errors(runner: CliRunner) -> None:
    exit_code, out, _ = invoke(runner, "lint", str(ORDINANCES))
    assert exit_code == 0
    assert re.fullmatch(r"0 errors, \d+ warnings, \d+ reviewed", out.splitlines()[-1])
    assert "warning[gap]" in out and "warning[conflicting-rules]" not in out
    # Long gap notes are cut around the span: no source or caret line past the window.
    from ordinance.language.diagnostics import SHOWN_COLUMNS

    shown = [line.split(" | ", 1)[1] for line in out.splitlines()
             if re.match(r"\s*\d* \| ", line)]
    assert shown and max(map(len, shown)) <= SHOWN_COLUMNS
    assert any(line.endswith("…") for line in shown)


def test_bundled_laws_are_named_by_their_place_in_the_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the checkout, diagnostics name a bundled law `<bundled>/us/ca/...`, not a
    path into site-packages."""
    import ordinance

    monkeypatch.chdir(tmp_path)
    laws = ordinance.load(cache=False)
    paths = {w.span.source.path for w in laws.warnings}
    assert paths and all(p.startswith("<bundled>/") for p in paths), paths
    assert "<bundled>/us/ca/values-act.ord" in paths


def test_lint_reports_errors_with_exit_5(runner: CliRunner, tmp_path: Path) -> None:
    copy_laws(tmp_path, "vocabulary.ord")
    (tmp_path / "bad.ord").write_text(
        'law x { jurisdiction state "CA" binds sheriff }\n'
        'rule r { prohibit release_date when purpose = immigraton_enforcement }\n',
        encoding="utf-8")
    exit_code, out, _ = invoke(runner, "lint", str(tmp_path), "--format", "gnu")
    assert exit_code == 5
    assert "bad.ord:2:47: error: unknown-value:" in out
    exit_code, out, _ = invoke(runner, "lint", str(tmp_path))
    assert "did you mean `immigration_enforcement`?" in out
    assert "^^^^" in out


def test_test_command_runs_bundled_cases(runner: CliRunner) -> None:
    exit_code, out, _ = invoke(runner, "test", str(ORDINANCES))
    assert exit_code == 0
    assert out.splitlines()[-1].endswith("passed, 0 failed")


def test_test_command_fails_on_a_wrong_case(runner: CliRunner, tmp_path: Path) -> None:
    copy_laws(tmp_path, "vocabulary.ord", "us/ca/values-act.ord")
    write(tmp_path, "wrong.cases.yaml", [{
        "name": "deliberately wrong", "cites": ["Cal. Gov. Code § 7284.6(a)(1)(D)"],
        "request": sheriff_to_ice(data=["home_address"]), "outcome": "permitted"}])
    exit_code, out, _ = invoke(runner, "test", str(tmp_path))
    assert exit_code == 1
    assert "FAIL" in out and "expected permitted, got prohibited" in out


def test_case_file_with_unknown_key_is_invalid(runner: CliRunner, tmp_path: Path) -> None:
    copy_laws(tmp_path, "vocabulary.ord")
    write(tmp_path, "x.cases.yaml", [{"name": "n", "cites": [], "request": {},
                                      "outcome": "permitted", "expect": 1}])
    exit_code, _, err = invoke(runner, "test", str(tmp_path))
    assert exit_code == 5
    assert "unknown key `expect`" in err


# ---------------------------------------------------------------- bad input, never a traceback


@pytest.mark.parametrize(("name", "content", "message"), [
    ("binary.yaml", bytes(range(256)) * 4, "binary data"),
    ("latin1.yaml", "holder: {agency: Se\xf1or}".encode("latin-1"), "not UTF-8"),
    ("empty.yaml", "", "the file is empty"),
    ("blank.json", "  \n", "the file is empty"),
    ("broken.json", '{"holder": ', "invalid JSON"),
    ("broken.yaml", "holder: [unclosed", "invalid YAML"),
    ("scalar.yaml", "42", "a request must be a mapping"),
    ("deep.yaml", "a: " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ("deep3.yaml", "holder: " + "{a: " * 50 + "1" + "}" * 50, "`holder.a`: unknown field"),
    ("deep2.json", '{"holder":' + '{"x":' * 3000 + "1" + "}" * 3001, "nested too deeply"),
    ("alias.yaml", "a: &x [1, 2]\nb: *x\n", "aliases"),
    ("emptylist.yaml", "[]", "list of requests is empty"),
    ("comments.yaml", "---\n# only a comment\n", "the document holds no request"),
    ("null.json", "null", "the document holds no request"),
    ("numbers.json", "[1]", "a request must be a mapping of fields to values, not a number"),
])
def test_malformed_request_files(runner: CliRunner, tmp_path: Path, name: str,
                                 content: bytes | str, message: str) -> None:
    path = write(tmp_path, name, content)
    exit_code, out, err = invoke(runner, "check", path)
    assert exit_code == 5, out + err
    assert message in err
    assert "Traceback" not in out + err


def test_huge_request_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "huge.json", '{"id": "' + "x" * (10 * 1024 * 1024) + '"}')
    exit_code, _, err = invoke(runner, "check", path)
    assert exit_code == 5
    assert "larger than the 2 MiB limit" in err


def test_missing_file_and_directory(runner: CliRunner, tmp_path: Path) -> None:
    exit_code, _, err = invoke(runner, "check", str(tmp_path / "nope.yaml"))
    assert exit_code == 5 and "cannot read" in err
    exit_code, _, err = invoke(runner, "check", str(tmp_path))
    assert exit_code == 5 and "is a directory" in err


def test_unknown_field_and_value_are_named(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", sheriff_to_ice(purpose="immigraton", colour="red",
                                                      holder={"kind": "sherif"}))
    exit_code, _, err = invoke(runner, "check", path)
    assert exit_code == 5
    assert "`colour`: unknown field" in err
    assert "`holder.kind`: unknown value `sherif` (did you mean `sheriff`?)" in err
    assert "`purpose`: unknown value `immigraton` (did you mean `immigration_enforcement`?)" \
        in err
    assert "allowed: immigration_enforcement, criminal_investigation" in err


def test_usage_errors_exit_2(runner: CliRunner) -> None:
    assert runner.invoke(main, ["check"]).exit_code == 2
    assert runner.invoke(main, ["check", "x.yaml", "--format", "pdf"]).exit_code == 2
    assert runner.invoke(main, ["frobnicate"]).exit_code == 2
    result = runner.invoke(main, ["check", str(EXAMPLES / "home-address-hold-request.yaml"),
                                  "--date", "yesterday"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_bad_ordinances_directory_exits_5(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "law.ord").write_bytes(b"\xff\xfe garbage")
    exit_code, _, err = invoke(runner, "check", str(EXAMPLES / "home-address-hold-request.yaml"),
                               "--ordinances", str(tmp_path))
    assert exit_code == 5
    assert "not-utf8" in err


def test_help_documents_exit_codes(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for line in ("0  permitted", "1  prohibited", "2  usage error", "3  undetermined",
                 "4  not covered", "5  invalid input"):
        assert line in result.output


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "binary.yaml", b"\x00\x01\x02")
    done = subprocess.run([sys.executable, "-m", "ordinance", "check", path],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 5
    assert "Traceback" not in done.stderr


def test_coverage_reports_per_law_and_enforces_a_threshold(runner: CliRunner,
                                                             tmp_path: Path) -> None:
    copy_laws(tmp_path, "vocabulary.ord", "us/ca/values-act.ord")
    # One case, exercising only § 7284.6(a)(1)(D) and the lead-ins it cites.
    write(tmp_path, "one.cases.yaml", [{
        "name": "home address refused", "cites": ["Cal. Gov. Code § 7284.6(a)(1)(D)"],
        "request": sheriff_to_ice(data=["home_address"]), "outcome": "prohibited"}])
    exit_code, out, _ = invoke(runner, "test", str(tmp_path), "--coverage")
    assert exit_code == 0
    assert "not exercised: Cal. Gov. Code § 7282.5(a)(2)" in out
    assert "not exercised: Cal. Gov. Code § 7284.6(a)(1)(D)" not in out
    exit_code, out, _ = invoke(runner, "test", str(tmp_path), "--coverage", "--fail-under", "50")
    assert exit_code == 1
    assert "coverage under 50%: ca.values_act" in out
    exit_code, out, _ = invoke(runner, "test", str(tmp_path), "--format", "json",
                               "--fail-under", "10")
    report = json.loads(out)
    assert exit_code == 0
    assert report["coverage"][0]["law"] == "ca.values_act"
    assert "Cal. Gov. Code § 7284.6(a)(1)(D)" not in report["coverage"][0]["missing"]


def test_bundled_cases_cover_every_cited_section(runner: CliRunner) -> None:
    exit_code, out, _ = invoke(runner, "test", str(ORDINANCES), "--coverage",
                               "--fail-under", "100")
    assert exit_code == 0, out


def test_case_expectations_on_duties_and_laws(runner: CliRunner, tmp_path: Path) -> None:
    copy_laws(tmp_path, "vocabulary.ord", "us/ca/values-act.ord")
    good = {"name": "applies, no duties", "cites": ["Cal. Gov. Code § 7284.6(a)(1)(D)"],
            "request": sheriff_to_ice(data=["home_address"]), "outcome": "prohibited",
            "applying": ["ca.values_act"], "obligations": []}
    wrong = {**good, "name": "wrong expectations", "applying": [],
             "not_applying": ["ca.values_act"], "obligations": ["ca.values_act.x"]}
    write(tmp_path, "x.cases.yaml", [good, wrong])
    exit_code, out, _ = invoke(runner, "test", str(tmp_path))
    assert exit_code == 1
    assert "1 passed, 1 failed" in out
    assert "law `ca.values_act` was expected not to apply, but did" in out
    assert "obligations: expected ['ca.values_act.x'], got []" in out


def test_control_characters_in_a_request_id_are_written_out_not_sent(runner: CliRunner) -> None:
    """A request id carrying a terminal escape sequence cannot recolour or rewrite the
    terminal: `check` prints it escaped."""
    text = json.dumps({**sheriff_to_ice(data_public=True), "id": "x\x1b[2J\x1b]0;pwned\x07"})
    exit_code, out, _ = invoke(runner, "check", "-", stdin=text)
    assert exit_code == 0, out
    assert "\x1b" not in out and "\x07" not in out
    assert "x\\x1b[2J" in out
