"""Text -> Lark parse tree, with syntax errors turned into named diagnostics."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import lark
from lark import Token
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
         "fact a: bool question abc", "reviewed abc", 'reviewed "c" for abc',
         'reviewed "c" for "a", abc', 'reviewed "c" for "a" because abc'],
    ),
    (
        "missing-reason",
        "a review must say why the warning is acceptable",
        'end it with `because "..."`: `reviewed "CODE" for "SUBJECT", ... because "REASON"`',
        # After the subjects, whatever comes instead of `because` (the end of the file too).
        [f'reviewed "c" for {subjects} {after}' for subjects in ('"a"', '"a", "b"')
         for after in ("", '"why"', '"""why"""', "law", "section", "fact", "category",
                       "define", "rule", "exception", "gap", "reviewed")]
        + ['reviewed "c" for "a" because'],
    ),
]


class _SplitWord(Exception):
    """A keyword ran straight into more letters: ``boolean`` read as ``bool`` + ``ean``."""

    def __init__(self, keyword: Token, rest: Token) -> None:
        super().__init__(f"{keyword}{rest}")
        self.keyword = keyword
        self.rest = rest


class _WholeWords:
    """Post-lexer: refuse a keyword immediately followed by letters or digits.

    The contextual lexer only looks for the terminals the parser can accept,
    so where no name is allowed, ``boolean`` would lex as ``bool`` then ``ean``
    and ``prohibits`` as ``prohibit`` then a data category ``s``.
    """

    always_accept: tuple[str, ...] = ()

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        previous: Token | None = None
        for token in stream:
            if (previous is not None and previous.type != "NAME"
                    and previous.end_pos == token.start_pos
                    and _WORD.fullmatch(str(previous)) and _WORD_START.match(str(token))):
                raise _SplitWord(previous, token)
            yield token
            previous = token


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_START = re.compile(r"[A-Za-z0-9_]")


@functools.cache
def lark_parser(keep_all_tokens: bool = False) -> lark.Lark:
    """The LALR parser, built once per process.

    With ``keep_all_tokens`` the tree also keeps the keywords and punctuation
    (the formatter, :mod:`ordinance.language.fmt`, lays them out); the parse is the same.
    """
    return lark.Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        keep_all_tokens=keep_all_tokens,
        postlex=_WholeWords(),
    )


@functools.cache
def _keywords() -> tuple[str, ...]:
    words = {str(t.pattern.value) for t in lark_parser().terminals
             if t.pattern.type == "str" and _WORD.fullmatch(str(t.pattern.value))}
    return tuple(sorted(words | {"state", "county", "city"}))  # JUR_LEVEL's words


@functools.cache
def _mistake_table() -> dict[tuple[int, str], int]:
    """Named mistakes by (LALR state, offending token type), learnt from the examples.

    Keyed on the current state only (not the whole stack), so a mistake is
    recognised at any depth: inside a law file as well as in the short example.
    """
    table: dict[tuple[int, str], int] = {}
    for index, (_code, _message, _help, examples) in enumerate(_MISTAKES):
        for example in examples:
            try:
                lark_parser().parse(example)
            except UnexpectedToken as error:
                if error.state is not None:
                    table.setdefault((error.state.position, error.token.type), index)
    return table


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


def _named_mistake(error: UnexpectedInput) -> int | None:
    """The index in ``_MISTAKES`` of the mistake this error is an instance of, if any."""
    if isinstance(error, UnexpectedToken) and error.state is not None:
        return _mistake_table().get((error.state.position, error.token.type))
    return None


def _syntax_diagnostic(source: SourceFile, error: UnexpectedInput) -> Diagnostic:
    line = getattr(error, "line", 1) or 1
    column = getattr(error, "column", 1) or 1
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        lines = source.text.removesuffix("\n").split("\n")  # as Lark counts lines
        line, column = len(lines), len(lines[-1].removesuffix("\r")) + 1
        named = _named_mistake(error)
        if named is not None:  # a mistake that shows at the end of the file (`because` left out)
            code, message, help_text, _examples = _MISTAKES[named]
            return Diagnostic(code, message, Span(source, line, column, line, column + 1),
                              help_text)
        expected: set[str] = set(getattr(error, "expected", None) or ())
        return Diagnostic(
            "unexpected-end",
            "the file ends in the middle of a declaration",
            Span(source, line, column, line, column + 1),
            f"expected {_expected(expected)}; is a closing `}}` missing?",
        )
    split = _split_word(source, error)
    if split is not None:
        return split
    width = 1
    found = "this character"
    if isinstance(error, UnexpectedToken):
        width = max(1, len(str(error.token)))
        found = f"`{error.token}`"
    span = Span(source, line, column, line, column + width)
    named = _named_mistake(error)
    if named is not None:
        code, message, help_text, _examples = _MISTAKES[named]
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
    # `accepts` (what the parser really takes here) is sharper than LALR's merged lookaheads.
    acceptable = set(error.accepts or error.expected)
    wanted = f"expected {_expected(acceptable)}"
    keywords = [_describe(n).strip("`") for n in acceptable if _describe(n).startswith("`")]
    close = did_you_mean(str(error.token), keywords)
    return Diagnostic("syntax-error", f"unexpected {found}", span,
                      f"{close[:-1]}; {wanted}" if close else wanted)


def _split_word(source: SourceFile, error: UnexpectedInput) -> Diagnostic | None:
    """A keyword glued to more letters, caught by the lexer: ``boolean``, ``states``."""
    pos = getattr(error, "pos_in_stream", None)
    if isinstance(error, UnexpectedToken):
        pos = error.token.start_pos
    text = source.text
    if not isinstance(pos, int) or not 0 < pos < len(text):
        return None
    if not (_WORD_START.match(text[pos - 1]) and _WORD_START.match(text[pos])):
        return None
    start = pos
    while start > 0 and _WORD_START.match(text[start - 1]):
        start -= 1
    end = pos
    while end < len(text) and _WORD_START.match(text[end]):
        end += 1
    return _unknown_word(source, text[start:end], start, text[start:pos])


def _unknown_word(source: SourceFile, word: str, offset: int, keyword: str) -> Diagnostic:
    line = source.text.count("\n", 0, offset) + 1
    column = offset - (source.text.rfind("\n", 0, offset) + 1) + 1
    return Diagnostic("unknown-word", f"`{word}` is not a word of the language here",
                      Span(source, line, column, line, column + len(word)),
                      did_you_mean(word, _keywords())
                      or f"expected `{keyword}` followed by a space")


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
    except _SplitWord as split:
        word = f"{split.keyword}{split.rest}"
        raise SyntaxFailure(_unknown_word(source, word, split.keyword.start_pos or 0,
                                          str(split.keyword))) from None
