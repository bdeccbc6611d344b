"""``ordinance fmt`` and :func:`ordinance.language.fmt.format_source`: layout, comments, meaning
kept."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import lark
import pytest
from click.testing import CliRunner

from ordinance.cli import main
from ordinance.language.errors import LawError
from ordinance.language.fmt import format_source
from ordinance.language.grammar import grammar_text
from ordinance.language.loader import parse_module
from ordinance.language.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "ordinances").rglob("*.ord"))

MESSY = """\
# head

law   x.y{title "T" es "t"
version "1"   # trailing
      jurisdiction state "CA" , city "X"
  # inner comment
binds a,b
in_force from 2020-01-01 until 2021-01-01}
section "S" \"\"\"long
   text\"\"\"
fact  p . q :one of a ,b label "x"
 es "y" default a
category c is d label "C"   es "c"
rule r { prohibit a, b when (p.q = a or not x) and
  y in { a , b , }
     or z  # why
  # before cite
  cite "S" }
reviewed "c" for "a",
  "b"
     because "why"
# end


"""

MESSY_FORMATTED = """\
# head

law x.y {
  title "T" es "t"
  version "1"  # trailing
  jurisdiction state "CA", city "X"
  # inner comment
  binds a, b
  in_force from 2020-01-01 until 2021-01-01
}

section "S" \"\"\"long
   text\"\"\"
fact p.q: one of a, b
  label "x"
      es "y"
  default a
category c is d label "C" es "c"

rule r {
  prohibit a, b
  when (p.q = a or not x) and y in {a, b,}
    or z  # why
  # before cite
  cite "S"
}

reviewed "c" for "a", "b"
  because "why"
# end
"""


_FOUND: list[lark.Token] = []


@functools.cache
def _comment_parser() -> lark.Lark:
    return lark.Lark(grammar_text(), parser="lalr", lexer="contextual",
                     lexer_callbacks={"COMMENT": _FOUND.append})


def comments(text: str) -> list[str]:
    """The comments of a file, in order, as the lexer sees them (trailing spaces dropped)."""
    _FOUND.clear()
    _comment_parser().parse(text)
    return [str(token).rstrip() for token in _FOUND]


def ast(text: str) -> object:
    return parse_module(SourceFile("law.ord", text))


def test_the_canonical_layout() -> None:
    assert format_source(MESSY) == MESSY_FORMATTED


def test_formatting_is_idempotent_and_keeps_meaning_and_comments() -> None:
    once = format_source(MESSY)
    assert format_source(once) == once
    assert ast(once) == ast(MESSY)
    assert comments(once) == comments(MESSY)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_the_bundled_files_are_formatted(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert format_source(text, str(path)) == text


def test_strings_are_copied_verbatim() -> None:
    text = 'section "§ 1"   """  odd\\n  spacing \\" kept\n\n   here  """\ngap "a \\"b\\" c"\n'
    formatted = format_source(text)
    assert '"""  odd\\n  spacing \\" kept\n\n   here  """' in formatted
    assert 'gap "a \\"b\\" c"' in formatted


def test_a_comment_forces_a_line_break_so_nothing_is_commented_out() -> None:
    text = 'category a  # one\n  label "A" # two\n   es "a"\n'
    formatted = format_source(text)
    assert formatted == 'category a  # one\n    label "A"  # two\n    es "a"\n'
    assert ast(formatted) == ast(text)


def test_only_comments_and_empty_files() -> None:
    assert format_source("") == ""
    assert format_source("\n\n  \n") == ""
    assert format_source("  # a   \n\n\n# b") == "# a\n\n# b\n"


def test_a_syntax_error_is_a_diagnostic_not_a_formatted_file() -> None:
    with pytest.raises(LawError) as caught:
        format_source("rule r { permit when a == b }", "bad.ord")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "double-equals"
    assert (diagnostic.span.path, diagnostic.span.line, diagnostic.span.column) == (
        "bad.ord", 1, 25)


def test_deep_nesting_is_a_diagnostic() -> None:
    text = "define d { when " + "(" * 5000 + "a" + ")" * 5000 + " }\n"
    try:
        formatted = format_source(text)
    except LawError as error:
        assert error.diagnostics[0].code == "too-deeply-nested"
    else:
        assert ast(formatted) == ast(text)


# ------------------------------------------------------------------ the command

@pytest.fixture
def law(tmp_path: Path) -> Path:
    path = tmp_path / "laws" / "messy.ord"
    path.parent.mkdir()
    path.write_text(MESSY, encoding="utf-8")
    return path


def test_fmt_rewrites_files_in_place(runner: CliRunner, law: Path) -> None:
    result = runner.invoke(main, ["fmt", str(law.parent)])
    assert result.exit_code == 0, result.output
    assert law.read_text(encoding="utf-8") == MESSY_FORMATTED
    assert [p.name for p in law.parent.iterdir()] == ["messy.ord"]  # no temporary left
    again = runner.invoke(main, ["fmt", "--check", str(law)])
    assert again.exit_code == 0


def test_fmt_check_lists_and_changes_nothing(runner: CliRunner, law: Path) -> None:
    result = runner.invoke(main, ["fmt", "--check", str(law.parent)])
    assert result.exit_code == 1
    assert f"would reformat {law}" in result.output
    assert law.read_text(encoding="utf-8") == MESSY


def test_fmt_diff_prints_a_unified_diff(runner: CliRunner, law: Path) -> None:
    result = runner.invoke(main, ["fmt", "--diff", str(law)])
    assert result.exit_code == 0
    assert "+++ " in result.output and '+  version "1"  # trailing' in result.output
    assert law.read_text(encoding="utf-8") == MESSY


def test_fmt_reads_standard_input(runner: CliRunner) -> None:
    result = runner.invoke(main, ["fmt", "-"], input=MESSY)
    assert result.exit_code == 0
    assert result.output == MESSY_FORMATTED


def test_fmt_leaves_a_broken_file_untouched(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ord"
    bad.write_text("rule   r { permit when a == b }\n", encoding="utf-8")
    result = runner.invoke(main, ["fmt", str(bad)])
    assert result.exit_code == 5
    assert f"{bad}:1:27" in result.output and " ^\n" in result.output
    assert bad.read_text(encoding="utf-8") == "rule   r { permit when a == b }\n"


def test_fmt_needs_a_path(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["fmt"]).exit_code == 2
    assert runner.invoke(main, ["fmt", str(tmp_path / "missing.ord")]).exit_code == 2


def test_fmt_help_teaches(runner: CliRunner) -> None:
    result = runner.invoke(main, ["fmt", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "--check" in result.output


def test_the_bundled_set_passes_fmt_check(runner: CliRunner) -> None:
    result = runner.invoke(main, ["fmt", "--check", str(ROOT / "ordinances")])
    assert result.exit_code == 0, result.output


def test_the_language_reference_shows_what_fmt_does() -> None:
    doc = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    before, after = re.findall(r"```ord\n(.*?)```", doc.split("## 15. Formatting")[1], re.S)
    assert format_source(before) == after
