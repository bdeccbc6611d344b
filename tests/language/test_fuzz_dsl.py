"""Fuzzing the DSL: generated law sets load, broken files are diagnosed, fmt keeps meaning.

Properties, over law sets generated from the grammar's constructs and over
bundled files broken by mutations (tests/strategies_dsl.py):

* loading returns a checked law set or raises :class:`ordinance.LawError` whose
  every diagnostic has a span inside its file; never another exception;
* parsing is deterministic: the same text gives the same AST or diagnostic twice;
* ``ordinance fmt`` is idempotent, keeps the AST and keeps the comments in order;
* ``ordinance lint`` on a broken law set exits 0 or 5, never with a traceback.

Each property runs a bounded number of examples in the suite (the whole file
takes about 25 seconds on two cores); ``ORDINANCE_FUZZ=long pytest tests/language/test_fuzz_dsl.py``
runs thousands (see :func:`strategies_dsl.budget` and each test's budget).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given

import ordinance
from ordinance.cli import main
from ordinance.language.diagnostics import Diagnostic
from ordinance.language.fmt import format_source
from ordinance.language.loader import parse_module
from ordinance.language.nodes import Module
from ordinance.language.parser import SyntaxFailure
from ordinance.language.source import SourceFile

from ..strategies_dsl import BUNDLED, ORDINANCES, budget, law_sets, mutations
from .test_fmt import comments


def assert_located(diagnostics: list[Diagnostic], root: Path | None = None) -> None:
    """Every diagnostic points inside its file: a real line, a column on it (or just after)."""
    assert diagnostics
    for diagnostic in diagnostics:
        span = diagnostic.span
        lines = span.source.text.split("\n")
        assert 1 <= span.line <= max(1, len(lines)), diagnostic.gnu()
        line = lines[span.line - 1].removesuffix("\r") if span.source.text else ""
        assert 1 <= span.column <= len(line) + 1, diagnostic.gnu()
        assert span.source.line(span.line) == line, diagnostic.gnu()  # the line quoted
        assert span.end_line >= span.line, diagnostic.gnu()
        if root is not None:
            path = Path(span.path)
            assert path.resolve().is_relative_to(root.resolve()) or path == root, span.path
        diagnostic.render()
        diagnostic.gnu()


def outcome(text: str) -> object:
    """What parsing ``text`` gives: its AST, or its diagnostic (as data)."""
    try:
        return parse_module(SourceFile("law.ord", text))
    except SyntaxFailure as failure:
        d = failure.diagnostic
        return (d.code, d.message, d.help, d.span)
    except RecursionError:
        return "too deep"


def write(root: Path, files: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for generated law sets, reused by every example."""
    return tmp_path_factory.mktemp("fuzz") / "laws"


@pytest.fixture(scope="module")
def bundled_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled law set whose files the mutation tests overwrite and restore."""
    root = tmp_path_factory.mktemp("bundled") / "ordinances"
    shutil.copytree(ORDINANCES, root)
    return root


class Mutated:
    """The bundled copy with one file replaced by mutated bytes, restored afterwards."""

    def __init__(self, root: Path, original: Path, data: bytes) -> None:
        self.path = root / original.relative_to(ORDINANCES)
        self.original = original
        self.data = data

    def __enter__(self) -> Path:
        self.path.write_bytes(self.data)
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.copyfile(self.original, self.path)


# ------------------------------------------------------------------ generated, valid law sets

@budget(30, 2_000)
@given(files=law_sets())
def test_generated_law_sets_load(scratch: Path, files: dict[str, str]) -> None:
    write(scratch, files)
    laws = ordinance.load(scratch, cache=False)  # a LawError here is a bug of the strategy
    assert isinstance(laws, ordinance.OrdinanceSet)


@budget(40, 4_000)
@given(files=law_sets())
def test_fmt_is_idempotent_and_keeps_meaning_and_comments(files: dict[str, str]) -> None:
    for name, text in files.items():
        formatted = format_source(text, name)
        assert format_source(formatted, name) == formatted
        assert outcome(formatted) == outcome(text)
        assert comments(formatted) == comments(text)


@budget(20, 2_000)
@given(files=law_sets())
def test_formatted_law_sets_still_load(scratch: Path, files: dict[str, str]) -> None:
    write(scratch, {name: format_source(text) for name, text in files.items()})
    ordinance.load(scratch, cache=False)


# ------------------------------------------------------------------ mutations of the bundled files

@budget(40, 5_000)
@given(mutation=mutations())
def test_a_mutated_law_set_loads_or_is_diagnosed(bundled_copy: Path,
                                                 mutation: tuple[Path, bytes, str]) -> None:
    original, data, _how = mutation
    with Mutated(bundled_copy, original, data):
        try:
            laws = ordinance.load(bundled_copy, cache=False)
        except ordinance.LawError as error:
            assert_located(error.diagnostics, bundled_copy)
        else:
            assert isinstance(laws, ordinance.OrdinanceSet)


@budget(40, 5_000)
@given(mutation=mutations())
def test_parsing_and_formatting_a_mutated_file(mutation: tuple[Path, bytes, str]) -> None:
    _original, data, _how = mutation
    text = data.decode("utf-8", errors="replace")
    first = outcome(text)
    assert outcome(text) == first  # deterministic
    try:
        formatted = format_source(text, "law.ord")
    except ordinance.LawError as error:
        assert_located(error.diagnostics)
        assert not isinstance(first, Module)  # fmt refuses only what does not parse
    else:
        assert format_source(formatted) == formatted
        assert outcome(formatted) == first
        assert comments(formatted) == comments(text)


@budget(6, 400)
@given(mutation=mutations())
def test_lint_on_a_mutated_law_set_exits_0_or_5(bundled_copy: Path,
                                                mutation: tuple[Path, bytes, str]) -> None:
    original, data, _how = mutation
    with Mutated(bundled_copy, original, data):
        result = CliRunner().invoke(main, ["--no-cache", "lint", str(bundled_copy)])
    assert result.exit_code in (0, 5), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ------------------------------------------------------------------ the extremes, always run

def _extremes() -> Iterator[tuple[str, str]]:
    values_act = (ORDINANCES / "us" / "ca" / "values-act.ord").read_text(encoding="utf-8")
    when = values_act.index("when ") + len("when ")
    end = values_act.index("\n", when)
    condition = values_act[when:end]
    yield "5000-parens", (values_act[:when] + "(" * 5000 + condition + ")" * 5000
                          + values_act[end:])
    yield "5000-nots", values_act[:when] + "not " * 5000 + values_act[when:]
    yield "huge-name", values_act.replace("immigration_enforcement_purpose", "n" * 10_000)
    yield "unicode-separators", values_act.replace(" and ", " \u2028and ").replace(
        "= ", "=\x0b\x0c\u2029 ", 3)
    yield "line-separator-then-error", 'fact a: bool\x0c question "q"\n\u2028 x =='
    yield "carriage-returns", 'fact a: bool\r\n  question "q"\r\n  ==\r\n'
    yield "huge-name-and-error", "rule " + "r" * 10_000 + " { permit when a == b }"
    yield "truncated", values_act[: len(values_act) // 2]


EXTREMES = dict(_extremes())


@pytest.mark.parametrize("name", sorted(EXTREMES))
def test_extreme_files_are_diagnosed_or_loaded(bundled_copy: Path, name: str) -> None:
    original = ORDINANCES / "us" / "ca" / "values-act.ord"
    data = EXTREMES[name].encode("utf-8")
    with Mutated(bundled_copy, original, data):
        try:
            ordinance.load(bundled_copy, cache=False)
        except ordinance.LawError as error:
            assert_located(error.diagnostics, bundled_copy)
    assert outcome(EXTREMES[name]) == outcome(EXTREMES[name])


@pytest.mark.parametrize("data", [b"\xff\xfe law", b"law x {\x00}", b"\xef\xbb\xbf", b"",
                                  b"\n\n\n", "é".encode()[:1]])
def test_unreadable_bytes_are_diagnosed(bundled_copy: Path, data: bytes) -> None:
    with Mutated(bundled_copy, BUNDLED[0], data):
        try:
            ordinance.load(bundled_copy, cache=False)
        except ordinance.LawError as error:
            assert_located(error.diagnostics, bundled_copy)
