"""`ordinance diff`: the outcome changes of the fixture amendment of the Shield Act.

tests/fixtures/diff/old is the Shield Act as enacted: § 1(a) bars giving immigration
authorities a release date or an address, § 1(b) excepts public information, § 1(c)
a judicial warrant; § 2 permits sharing booking photos with police; § 4 bars giving
the release date of a person facing charges. The 2025 amendment (fixtures/diff/new)
repeals § 1(b), adds § 1(d) (registrants excepted) and § 3 (no booking photos to
immigration authorities unless the person is a registrant), and rewords § 2 without
changing its effect.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import ordinance
from ordinance.analysis.lawdiff import LawDiff, OutcomeChange, Version, diff
from ordinance.cli import main

from ..conftest import FIXTURES

OLD = FIXTURES / "diff" / "old"
NEW = FIXTURES / "diff" / "new"

PUBLIC_REPEALED = {"requester.kind": ["immigration"], "public": [True], "warrant": [False],
                   "registrant": [False]}
REGISTRANT_ADDED = {"requester.kind": ["immigration"], "public": [False], "warrant": [False],
                    "registrant": [True]}
PHOTOS_BARRED = {"requester.kind": ["immigration"], "registrant": [False]}


@pytest.fixture(scope="module")
def old_laws() -> ordinance.OrdinanceSet:
    return ordinance.load(OLD)


@pytest.fixture(scope="module")
def new_laws() -> ordinance.OrdinanceSet:
    return ordinance.load(NEW)


@pytest.fixture(scope="module")
def result(old_laws: ordinance.OrdinanceSet, new_laws: ordinance.OrdinanceSet) -> LawDiff:
    return diff(Version("old", old_laws), Version("new", new_laws))


def _shape(change: OutcomeChange) -> tuple[Any, ...]:
    return (change.items, change.facts, change.old.outcome, change.new.outcome,
            change.unless_other_prohibition)


def test_exactly_the_expected_changes(result: LawDiff) -> None:
    """§ 1(b) repealed, § 1(d) and § 3 added: five changes, nothing else."""
    assert sorted(map(_shape, result.changes), key=repr) == sorted([
        (("release_date",), PUBLIC_REPEALED, "permitted", "prohibited", True),
        (("release_date",), REGISTRANT_ADDED, "prohibited", "permitted", True),
        (("address", "work_address"), PUBLIC_REPEALED, "permitted", "prohibited", False),
        (("address", "work_address"), REGISTRANT_ADDED, "prohibited", "permitted", False),
        (("photo",), PHOTOS_BARRED, "permitted", "prohibited", False),
    ], key=repr)
    for change in result.changes:
        assert (change.place, change.kinds, change.dates) == (
            "state IL", ("police", "sheriff"), ((dt.date(2020, 1, 1), None),))
    assert result.classes == 7


def test_change_in_words(result: LawDiff) -> None:
    """§ 3: the condition names the fact paths; the words use the vocabulary's labels."""
    photo = next(c for c in result.changes if c.items == ("photo",))
    assert photo.condition == ("any holder in state IL from 2020-01-01 and data includes photo "
                               "and requester.kind is immigration and registrant is false")
    assert photo.words == ("any holder in state IL from 2020-01-01; asking for booking photo; "
                           "kind of requester: immigration authorities; registrant: no")


def test_witnesses_decide_as_reported(result: LawDiff, old_laws: ordinance.OrdinanceSet,
                                      new_laws: ordinance.OrdinanceSet) -> None:
    """Each witness, checked with each version, shows the reported outcomes and cites them."""
    for change in result.changes:
        item = change.items[0]
        assert change.witness["data"] == [item]
        for laws, side in ((old_laws, change.old), (new_laws, change.new)):
            decision = laws.decide(change.witness)
            found = next(i for i in decision.items if i.data == item)
            assert found.outcome == side.outcome
            for basis in side.basis:
                assert set(basis.citations) <= set(decision.citations)


def test_citations_on_both_sides(result: LawDiff) -> None:
    """§ 1(b) repealed: before, § 1(b) defeats § 1(a); after, § 1(a) prohibits, quoted."""
    change = next(c for c in result.changes
                  if c.items == ("release_date",) and c.old.outcome == "permitted")
    assert [(b.citations, b.role) for b in change.old.basis] == [
        (("Shield Act § 1(a)",), "defeated"), (("Shield Act § 1(b)",), "excepts")]
    assert [(b.citations, b.role) for b in change.new.basis] == [
        (("Shield Act § 1(a)",), "prohibits")]
    assert change.new.basis[0].quote.startswith("An agency shall not disclose")
    assert change.others == ("Shield Act § 4 (rule xs.shield.pending_charges_hold)",)
    photo = next(c for c in result.changes if c.items == ("photo",))
    assert photo.old.basis == ()
    assert [b.rule for b in photo.new.basis] == ["xs.shield.no_photos_to_immigration"]


def test_text_changes(result: LawDiff) -> None:
    """§ 2 reworded only: not a changed rule; § 1(a) changed through its exceptions."""
    assert result.text.rules_added == ("xs.shield.registrant", "xs.shield.no_photos_to_immigration")
    assert result.text.rules_removed == ("xs.shield.public_information",)
    assert result.text.rules_changed == ("xs.shield.no_immigration_sharing",)
    assert result.text.laws_changed == ("xs.shield",)


def _requests() -> list[dict[str, Any]]:
    out = []
    for kind, requester, item, *flags in itertools.product(
            ("police", "sheriff"), ("immigration", "police", "public"),
            ("release_date", "address", "work_address", "photo"), *[(True, False)] * 4):
        public, warrant, registrant, pending = flags
        out.append({"holder": {"kind": kind, "state": "IL"}, "date": "2024-01-01",
                    "requester": {"kind": requester}, "data": [item], "public": public,
                    "warrant": warrant, "registrant": registrant, "pending_charges": pending})
    return out


def _matches(change: OutcomeChange, request: dict[str, Any]) -> bool:
    flat = {"requester.kind": request["requester"]["kind"], **request}
    return request["data"][0] in change.items and all(
        flat[fact] in values for fact, values in change.facts.items())


def test_exhaustive_on_the_fixture(result: LawDiff, old_laws: ordinance.OrdinanceSet,
                                   new_laws: ordinance.OrdinanceSet) -> None:
    """Every request of the fixture's space: its outcome changes exactly when it fits a
    change (a qualified one only where § 4, the other prohibition, does not stand)."""
    for request in _requests():
        before, after = (laws.evaluate(request).outcome for laws in (old_laws, new_laws))
        fits = [c for c in result.changes if _matches(c, request)]
        assert len(fits) <= 1
        expected = bool(fits) and not (fits[0].unless_other_prohibition
                                       and request["pending_charges"])
        assert (before != after) == expected, request


def test_same_law_set_has_no_change(old_laws: ordinance.OrdinanceSet) -> None:
    same = diff(Version("a", old_laws), Version("b", old_laws))
    assert same.changes == () and same.text.lines() == []


def test_law_in_force_earlier_is_newly_covered(tmp_path: Path,
                                               new_laws: ordinance.OrdinanceSet) -> None:
    """A law brought forward a year: holders it did not bind before are now covered."""
    earlier = tmp_path / "earlier"
    shutil.copytree(NEW, earlier)
    law = earlier / "shield.ord"
    law.write_text(law.read_text().replace("from 2020-01-01", "from 2019-01-01"))
    result = diff(Version("new", new_laws), Version("earlier", ordinance.load(earlier)))
    assert {(c.old.outcome, c.new.outcome) for c in result.changes} == {
        ("not_covered", "covered")}
    assert {c.dates for c in result.changes} == {
        ((dt.date(2019, 1, 1), dt.date(2020, 1, 1)),)}
    assert sorted(i for c in result.changes for i in c.items) == [
        "address", "photo", "release_date", "work_address"]
    assert result.text.laws_changed == ("xs.shield",) and result.text.rules_changed == ()


# ---------------------------------------------------------------- the command


def test_cli_text_exit_one_when_outcomes_change(runner: CliRunner) -> None:
    done = runner.invoke(main, ["diff", str(OLD), str(NEW)])
    assert done.exit_code == 1, done.output
    assert "5 changes of outcome (7 classes of requests" in done.output
    assert ("any holder in state IL from 2020-01-01 and data includes photo and requester.kind "
            "is immigration and registrant is false: permitted → prohibited") in done.output
    assert "How it searched: searched 1 holder context x 4 data items" in done.output


def test_cli_exit_zero_without_change(runner: CliRunner) -> None:
    done = runner.invoke(main, ["diff", str(OLD), str(OLD)])
    assert done.exit_code == 0, done.output
    assert "No request changes outcome." in done.output


def test_cli_json(runner: CliRunner) -> None:
    done = runner.invoke(main, ["diff", str(OLD), str(NEW), "--format", "json"])
    payload = json.loads(done.output)
    assert done.exit_code == 1
    assert payload["old"]["ordinance_set"] == ordinance.load(OLD).digest
    assert payload["classes"] == 7 and len(payload["changes"]) == 5
    first = payload["changes"][0]
    assert {"condition", "in_words", "old", "new", "witness", "facts", "data",
            "where_no_other_rule_prohibits", "other_prohibitions"} <= set(first)


def test_cli_markdown_memo(runner: CliRunner) -> None:
    """The memo: title, both versions with digests, a summary, each change with both sides
    and a YAML witness, and how the search went."""
    done = runner.invoke(main, ["diff", str(OLD), str(NEW), "--format", "markdown"])
    memo = done.output
    assert memo.startswith("# Effect of the amendment on data-sharing decisions\n")
    assert f"| Law set | {OLD} | {NEW} |" in memo
    assert f"| Digest | `{ordinance.load(OLD).digest}` | `{ordinance.load(NEW).digest}` |" in memo
    assert "## Summary\n\n5 changes of outcome" in memo
    assert "- rules removed: xs.shield.public_information" in memo
    headings = [line for line in memo.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Summary" and len(headings) == 6
    assert memo.count("**Before: ") == 5 and memo.count("**After: ") == 5
    assert "  > Subdivision (a) does not apply to information that is public." in memo
    blocks = memo.split("```yaml\n")[1:]
    witnesses = [yaml.safe_load(block.split("```")[0]) for block in blocks]
    payload = json.loads(runner.invoke(main, ["diff", str(OLD), str(NEW),
                                              "--format", "json"]).output)
    assert witnesses == [c["witness"] for c in payload["changes"]]
    assert memo.rstrip().endswith("every other pair having the same rules and facts as one "
                                  "of them.")


def test_cli_limit(runner: CliRunner) -> None:
    done = runner.invoke(main, ["diff", str(OLD), str(NEW), "--limit", "2"])
    assert "\n3. " not in done.output
    assert "... and 3 more changes" in done.output


def test_cli_help_documents_exit_codes(runner: CliRunner) -> None:
    done = runner.invoke(main, ["diff", "--help"])
    assert "0  no request changes outcome" in done.output
    assert "1  some requests change outcome" in done.output
    assert "ordinance diff HEAD~1 HEAD" in done.output


# ---------------------------------------------------------------- git revisions


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.test",
                        "HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin"})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose two commits hold the old and the new Shield Act in `laws/`."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    shutil.copytree(OLD, root / "laws")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "Shield Act")
    shutil.rmtree(root / "laws")
    shutil.copytree(NEW, root / "laws")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "Shield Act amendment")
    (root / "sub").mkdir()
    monkeypatch.chdir(root / "sub")  # revisions are read from the repository around here
    return root


def test_cli_git_revisions(runner: CliRunner, repo: Path) -> None:
    done = runner.invoke(main, ["diff", "HEAD~1", "HEAD", "--path", "laws"])
    assert done.exit_code == 1, done.output
    assert done.output.startswith("old: git revision HEAD~1 (commit ")
    assert "), laws/ (" in done.output
    assert "5 changes of outcome (7 classes of requests" in done.output


def test_cli_git_revision_against_directory(runner: CliRunner, repo: Path) -> None:
    done = runner.invoke(main, ["diff", "HEAD~1", str(repo / "laws"), "--path", "laws"])
    assert done.exit_code == 1, done.output
    done = runner.invoke(main, ["diff", "HEAD", str(repo / "laws"), "--path", "laws"])
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize(("args", "message"), [
    (["nosuchrev", "HEAD", "--path", "laws"],
     "error: `nosuchrev` is neither a directory nor a revision of the git repository at "),
    (["HEAD~1", "HEAD"],
     "error: `HEAD~1` has no `ordinances` (paths are relative to the repository root "),
])
def test_cli_git_errors(runner: CliRunner, repo: Path, args: list[str], message: str) -> None:
    done = runner.invoke(main, ["diff", *args])
    assert done.exit_code == 5
    assert message in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)


def test_cli_not_a_repository(runner: CliRunner, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    done = runner.invoke(main, ["diff", "HEAD~1", str(OLD)])
    assert done.exit_code == 5
    assert ("error: `HEAD~1` is not a directory, and the current directory is not in a git "
            "repository") in done.output


def test_cli_law_errors(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(NEW, broken)
    (broken / "shield.ord").write_text(
        (NEW / "shield.ord").read_text().replace("when warrant", "when warant"))
    done = runner.invoke(main, ["diff", str(OLD), str(broken)])
    assert done.exit_code == 5
    assert "unknown fact or condition `warant`" in done.output
    assert isinstance(done.exception, SystemExit)


def test_new_requester_kind(tmp_path: Path, old_laws: ordinance.OrdinanceSet) -> None:
    """A vocabulary value the amendment adds (courts as requesters) with a § 5 barring
    booking photos to courts: the old version decides a court's request as a kind its
    rules never name (permitted); the new one prohibits it."""
    amended = tmp_path / "courts"
    shutil.copytree(OLD, amended)
    vocabulary = amended / "vocabulary.ord"
    vocabulary.write_text(vocabulary.read_text().replace(
        "one of immigration, police, public", "one of immigration, police, public, court"))
    with (amended / "shield.ord").open("a") as law:
        law.write('section "Shield Act § 5" "An agency shall not share a booking photo with '
                  'a court."\nrule no_photos_to_courts {\n  prohibit photo\n'
                  '  when requester.kind = court\n  cite "Shield Act § 5"\n}\n')
    result = diff(Version("old", old_laws), Version("courts", ordinance.load(amended)))
    assert [_shape(c) for c in result.changes] == [
        (("photo",), {"requester.kind": ["court"]}, "permitted", "prohibited", False)]
    assert result.text.facts_changed == ("requester.kind",)
    assert result.text.rules_changed == ()
