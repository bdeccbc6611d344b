"""Text -> Lark parse tree, with syntax errors turned into named diagnostics."""

from __future__ import annotations

import functools

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .diagnostics import Diagnostic, did_you_mean
from .grammar import grammar_text
from .source import SourceFile, Span

# Plain words for the grammar's pattern terminals; literal keywords are shown as written.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a quoted string",
    "LONG_STRING": 'a """long string"""',
    "DATE": "a date (YYYY-MM-DD)",
    "COMPARE": "a comparison (`<`, `<=`, `>`, `>=`)",
    "JUR_LEVEL": "`state`, `county` or `city`",
}

# Named mistakes: (code, message, help, examples that fail in the same parser state).
_MISTAKES: list[tuple[str, str, str, list[str]]] = [
    (
        "double-equals",
        "`==` is not an operator",
        "write a single `=` to compare a fact with a value",
        ["rule r { permit when a == b }", "define d { when a == b }"],
    ),
    (
        "unquoted-citation",
        "a citation must be a quoted string",
        'write it as `cite "Cal. Gov. Code § 7284.6(e)"`',
        ["rule r { permit cite Cal }", "define d { cite Cal }", "category c cite Cal",
         "rule r { permit when a cite Cal }"],
    ),
    (
        "missing-effect",
        "a rule must start with its effect",
        "begin the rule with `permit`, `prohibit` or `require \"duty\"`",
        ["rule r { when a }", "rule r { cite \"x\" }", "rule r { }"],
    ),
    (
        "missing-condition",
        "`when` must be followed by a condition",
        "write a condition such as `purpose = immigration_enforcement`",
        ["rule r { permit when }", "rule r { permit when cite \"x\" }"],
    ),
    (
        "unquoted-text",
        "text here must be quoted",
        'put the text in double quotes, or in """triple quotes""" for several lines',
        ['section "x" abc', "law a { title abc }", "rule r { permit summary abc }",
         "fact a: bool question abc"],
    ),
]


@functools.cache
def lark_parser() -> lark.Lark:
    """The LALR parser, built once per process."""
    return lark.Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def _mistake_examples() -> list[tuple[int, list[str]]]:
    """Lark's ``match_examples`` table: a label (index into ``_MISTAKES``) -> examples."""
    return [(index, examples) for index, (_c, _m, _h, examples) in enumerate(_MISTAKES)]


def _describe(terminal: str) -> str:
    if terminal in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[terminal]
    for definition in lark_parser().terminals:
        if definition.name == terminal:
            pattern = definition.pattern
            if pattern.type == "str":
                return f"`{pattern.value}`"
    return terminal.lower()


def _expected(names: set[str] | frozenset[str]) -> str:
    words = sorted({_describe(n) for n in names if not n.startswith("$")})
    if not words:
        return "the end of the file"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _syntax_diagnostic(source: SourceFile, error: UnexpectedInput) -> Diagnostic:
    line = getattr(error, "line", 1) or 1
    column = getattr(error, "column", 1) or 1
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        lines = source.text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        expected: set[str] = set(getattr(error, "expected", None) or ())
        return Diagnostic(
            "unexpected-end",
            "the file ends in the middle of a declaration",
            Span(source, line, column, line, column + 1),
            f"expected {_expected(expected)}; is a closing `}}` missing?",
        )
    width = 1
    found = "this character"
    if isinstance(error, UnexpectedToken):
        width = max(1, len(str(error.token)))
        found = f"`{error.token}`"
    span = Span(source, line, column, line, column + width)
    named = None
    try:
        named = error.match_examples(lark_parser().parse, _mistake_examples(),
                                     use_accepts=True)
    except Exception:  # noqa: BLE001 - matching is best effort; fall back to the generic form
        named = None
    if isinstance(named, int):
        code, message, help_text, _examples = _MISTAKES[named]
        if code != "double-equals" or (isinstance(error, UnexpectedToken)
                                       and str(error.token) == "="):
            return Diagnostic(code, message, span, help_text)
    if isinstance(error, UnexpectedCharacters):
        char = source.line(line)[column - 1: column] or "?"
        if char == '"':
            return Diagnostic("unterminated-string", "a string is not closed on its line",
                              span, 'close it with `"`, or use """triple quotes""" for '
                              "text over several lines")
        if char in "&|":
            return Diagnostic("unknown-operator", f"`{char}` is not an operator", span,
                              "write `and`, `or` and `not` in words")
        allowed: set[str] = set(error.allowed or ())
        return Diagnostic("unexpected-character", f"unexpected character `{char}`", span,
                          f"expected {_expected(allowed)}" if allowed else None)
    assert isinstance(error, UnexpectedToken)
    wanted = f"expected {_expected(set(error.expected))}"
    keywords = [_describe(n).strip("`") for n in error.expected if _describe(n).startswith("`")]
    close = did_you_mean(str(error.token), keywords)
    return Diagnostic("syntax-error", f"unexpected {found}", span,
                      f"{close[:-1]}; {wanted}" if close else wanted)


class SyntaxFailure(Exception):
    """Raised by :func:`parse_tree` with the diagnostic for the first syntax error."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.gnu())
        self.diagnostic = diagnostic


def parse_tree(source: SourceFile) -> lark.Tree[lark.Token]:
    """Parse one file's text into a Lark tree.

    Raises:
        SyntaxFailure: with a named, located diagnostic.
    """
    try:
        return lark_parser().parse(source.text)
    except UnexpectedInput as error:
        raise SyntaxFailure(_syntax_diagnostic(source, error)) from None
