"""Golden tests of the diagnostics a bad law file produces.

Each fixture in tests/fixtures/check/bad/ is a small law file (``NAME.ord``) or a
directory of law files (``NAME/``) with one kind of mistake. It is copied, together
with ordinances/vocabulary.ord, into a temporary directory, which is also the working
directory, so that diagnostics show bare file names (``unknown-fact.ord:12:8``) on
every machine. Loading it must fail; ``LawError.render()`` must equal ``NAME.expected``.

The first line of a fixture (of its first file, for a directory) is a comment
``# expect: CODE[, CODE...]`` naming the diagnostics it exists to show; each must be
among the ones reported, whatever the golden says.

Each fixture in tests/fixtures/check/good/ must load with no error; its warnings
(rendered, one after another) must equal ``NAME.expected`` there.

To regenerate every golden after a deliberate change to the messages, run

    ORDINANCE_RESET_GOLDEN=1 pytest tests/language/test_diagnostics_golden.py

and review the diff of the .expected files before committing them.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import ordinance

ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = ROOT / "ordinances" / "vocabulary.ord"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"
BAD = FIXTURES / "bad"
GOOD = FIXTURES / "good"
RESET = os.environ.get("ORDINANCE_RESET_GOLDEN") == "1"

# Engine bugs these fixtures expose (see the reports in the fixtures' history). Each is
# a strict xfail: when the engine is fixed the test passes, fails as XPASS, and the entry
# must be removed (then regenerate the goldens and review them).
CRASHES: dict[str, str] = {}
WRONG_CODE: dict[str, str] = {}

# Every code the suite must show at least once.
REQUIRED_CODES = {
    "syntax-error", "unexpected-end", "double-equals", "unquoted-citation", "missing-effect",
    "unterminated-string", "unknown-operator", "unexpected-character", "invalid-date",
    "unknown-fact", "unknown-name", "unknown-value", "unknown-category", "type-mismatch",
    "unknown-citation", "unknown-exception-target", "duplicate-id", "exception-cycle",
    "condition-cycle", "outside-law", "missing-question", "missing-jurisdiction",
    "missing-binds", "repeated-field", "duplicate-law-header",
}

_EXPECT = re.compile(r"^#\s*expect:\s*(.+?)\s*$")


def _fixtures(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.suffix == ".ord" or p.is_dir())


def _files(fixture: Path) -> list[Path]:
    return sorted(fixture.glob("*.ord")) if fixture.is_dir() else [fixture]


def _name(fixture: Path) -> str:
    return fixture.stem if fixture.is_file() else fixture.name


def _expected_codes(fixture: Path) -> list[str]:
    first = _files(fixture)[0].read_bytes().split(b"\n", 1)[0].decode("utf-8")
    found = _EXPECT.match(first)
    assert found, f"{fixture.name}: the first line must be `# expect: CODE[, CODE...]`"
    return [code.strip() for code in found.group(1).split(",")]


def _load(fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
          ) -> ordinance.OrdinanceSet:
    shutil.copy(VOCABULARY, tmp_path / VOCABULARY.name)
    for file in _files(fixture):
        shutil.copy(file, tmp_path / file.name)
    monkeypatch.chdir(tmp_path)
    return ordinance.load(tmp_path)


def _golden(path: Path, actual: str) -> None:
    if RESET:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), (f"no golden {path.name}; run with ORDINANCE_RESET_GOLDEN=1 "
                           "to write it, then review it")
    assert actual == path.read_text(encoding="utf-8")


def _params(fixtures: list[Path], known: dict[str, str]) -> list[object]:
    params: list[object] = []
    for fixture in fixtures:
        name = _name(fixture)
        marks = []
        if name in known:
            marks.append(pytest.mark.xfail(reason=known[name], strict=True))
        params.append(pytest.param(fixture, id=name, marks=marks))
    return params


BAD_FIXTURES = _fixtures(BAD)
GOOD_FIXTURES = _fixtures(GOOD)


@pytest.mark.parametrize("fixture", _params(BAD_FIXTURES, CRASHES))
def test_bad_fixture_matches_golden(fixture: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ordinance.LawError) as caught:
        _load(fixture, tmp_path, monkeypatch)
    _golden(BAD / f"{_name(fixture)}.expected", caught.value.render() + "\n")


@pytest.mark.parametrize("fixture", _params(BAD_FIXTURES, CRASHES | WRONG_CODE))
def test_bad_fixture_reports_its_codes(fixture: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _expected_codes(fixture)
    with pytest.raises(ordinance.LawError) as caught:
        _load(fixture, tmp_path, monkeypatch)
    reported = [d.code for d in caught.value.diagnostics]
    assert [code for code in expected if code not in reported] == [], reported


@pytest.mark.parametrize("fixture", _params(BAD_FIXTURES, CRASHES))
def test_diagnostics_are_sorted_and_located(fixture: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ordinance.LawError) as caught:
        _load(fixture, tmp_path, monkeypatch)
    diagnostics = caught.value.diagnostics
    assert diagnostics == sorted(diagnostics, key=lambda d: d.sort_key())
    names = {file.name for file in _files(fixture)} | {VOCABULARY.name}
    for diagnostic in diagnostics:
        assert diagnostic.span.path in names, diagnostic.gnu()
        assert "Token(" not in diagnostic.render(), diagnostic.render()


@pytest.mark.parametrize("fixture", GOOD_FIXTURES, ids=[_name(f) for f in GOOD_FIXTURES])
def test_good_fixture_loads(fixture: Path, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        laws = _load(fixture, tmp_path, monkeypatch)
    except ordinance.LawError as error:
        pytest.fail(error.render())
    warnings = "\n\n".join(w.render() for w in laws.warnings)
    _golden(GOOD / f"{_name(fixture)}.expected", warnings + "\n" if warnings else "")


def test_fixtures_cover_the_codes() -> None:
    shown = {code for fixture in BAD_FIXTURES for code in _expected_codes(fixture)}
    assert sorted(REQUIRED_CODES - shown) == []
    assert len(GOOD_FIXTURES) >= 2


def test_no_stray_goldens() -> None:
    for root, fixtures in ((BAD, BAD_FIXTURES), (GOOD, GOOD_FIXTURES)):
        names = {_name(f) for f in fixtures}
        stray = [p.name for p in root.glob("*.expected") if p.stem not in names]
        assert stray == []
    known = set(CRASHES) | set(WRONG_CODE)
    assert sorted(known - {_name(f) for f in BAD_FIXTURES}) == []
