"""Text of a law file -> the same law in the canonical layout (``ordinance fmt``).

The formatter changes only whitespace; the law, every string and every comment
stay as written, in their order. Its layout is the one the bundled files use:

* each declaration starts a line of its own, at column 1; the fields of a
  ``law``, ``define``, ``rule`` or ``exception`` block (its effect too) and the
  options of a ``fact`` are one per line, indented 2 spaces; ``}`` is alone on
  its line;
* a brace block is separated from what comes before and after it by one blank
  line; elsewhere at most one blank line is kept where the author left any, and
  none inside a declaration except before a comment or a field;
* tokens are separated by one space, except ``holder.kind``, ``fact x: bool``,
  ``a, b``, ``(a or b)`` and ``{a, b}``; parentheses are kept as written;
* line breaks inside a field are the author's choice at three places only: before
  a translation (``es "..."``, put on its own line 4 spaces deeper than its
  field), before ``and`` / ``or`` in a condition (2 spaces deeper than the
  field) and before ``because`` in a ``reviewed`` declaration (indented 2); a
  line break anywhere else inside a field is removed;
* strings (section text included) are copied byte for byte: never re-escaped,
  re-wrapped or re-indented;
* comments: a comment at the end of a line stays at the end of that line, after
  the same token, two spaces after it; a comment on a line of its own stays on a
  line of its own before the same token, indented like the line that token
  starts (the next field, declaration or continuation). Trailing spaces of a
  comment are dropped.

Formatting is idempotent and keeps the meaning: the formatted file parses to
the same AST (:func:`ordinance.language.loader.parse_module`), which the tests check
on the bundled files and on generated ones.
"""

from __future__ import annotations

import re

import attrs
from lark import Token, Tree

from .diagnostics import Diagnostic
from .errors import LawError
from .loader import parse_module
from .parser import SyntaxFailure, lark_parser
from .source import SourceFile, Span

_BLOCKS = frozenset({"law", "define", "rule", "exception"})
"""Declarations written as a brace block."""

_COMMENT = re.compile(r"#[^\n]*")


@attrs.frozen
class _Place:
    """Where a token goes: on a line of its own or in the flow of the line before."""

    kind: str  # "line": starts a line; "break": starts one if the author broke there; "flow"
    indent: int  # the indentation of the line, if the token starts one
    comment_indent: int  # the indentation of a comment on a line of its own before it
    top: str | None = None  # the declaration a token at column 1 starts
    block_end: bool = False  # the `}` of a top-level brace block
    tight_before: bool = False  # no space before (`,` `:` `.` `)` and a set's `}`)
    tight_after: bool = False  # no space after (`.` `(` and a set's `{`)


@attrs.define
class _Line:
    """One line of output, with what the blank-line rules need to know about it."""

    text: str
    blank_before: bool
    top: str | None
    block_end: bool


def format_source(text: str, path: str = "<text>") -> str:
    """Return ``text`` (one .ord file) in the canonical layout.

    >>> format_source('fact  a :bool   label "A"  # the a\\n\\n\\n\\nfact b: bool')
    'fact a: bool\\n  label "A"  # the a\\n\\nfact b: bool\\n'

    Raises:
        LawError: if the file does not parse (a broken file is never formatted).
    """
    source = SourceFile(path, text)
    try:
        parse_module(source)  # the diagnostics of `ordinance lint`, for a broken file
        tree = lark_parser(keep_all_tokens=True).parse(text)
        pairs: list[tuple[Token, _Place]] = []
        for declaration in tree.children:
            assert isinstance(declaration, Tree)
            _declaration(declaration, pairs)
    except SyntaxFailure as failure:
        raise LawError([failure.diagnostic]) from None
    except RecursionError:
        raise LawError([Diagnostic(
            "too-deeply-nested", "conditions are nested too deeply to read",
            Span.whole_file(source), "split the condition into named `define`s")]) from None
    return _layout(text, pairs)


# ------------------------------------------------------------------ where each token goes

def _declaration(tree: Tree[Token], pairs: list[tuple[Token, _Place]]) -> None:
    """Place the tokens of one top-level declaration."""
    name = str(tree.data)
    start = len(pairs)
    if name in _BLOCKS:
        for child in tree.children:
            if isinstance(child, Token):
                if str(child) == "}":
                    pairs.append((child, _Place("line", 0, 2, block_end=True)))
                else:
                    _flow(child, 0, pairs)
            elif child.data in ("dotted", "dotted_list"):
                _inline(child, 0, pairs)
            else:  # a field or the effect
                _field(child, 2, "line", pairs)
    elif name == "fact":
        for child in tree.children:
            if isinstance(child, Tree) and str(child.data) not in ("dotted",) and not str(
                    child.data).endswith("_type"):
                _field(child, 2, "line", pairs)
            else:
                _inline(child, 0, pairs)
    elif name == "section":
        for index, child in enumerate(tree.children):
            if index == 2 and isinstance(child, Token):  # the text: on its own line if wished
                pairs.append((child, _Place("break", 2, 2)))
            else:
                _inline(child, 0, pairs)
    elif name == "review":
        for child in tree.children:
            if isinstance(child, Token) and str(child) == "because":
                pairs.append((child, _Place("break", 2, 2)))
            else:
                _inline(child, 2 if isinstance(child, Tree) and child.data == "reason" else 0,
                        pairs)
    else:  # category, gap: one line, unless translations are broken off
        _inline(tree, 0, pairs)
    token, _place = pairs[start]
    pairs[start] = (token, _Place("line", 0, 0, top=name))


def _field(tree: Tree[Token], indent: int, kind: str,
           pairs: list[tuple[Token, _Place]]) -> None:
    """Place a field: its first token starts a line at ``indent``."""
    start = len(pairs)
    _inline(tree, indent, pairs)
    if len(pairs) > start:
        token, _place = pairs[start]
        pairs[start] = (token, _Place(kind, indent, indent))


def _inline(node: Tree[Token] | Token, indent: int,
            pairs: list[tuple[Token, _Place]]) -> None:
    """Place the tokens of ``node`` in the flow of a field indented ``indent``.

    Walks the tree with a stack of its own, not by recursion: a condition nested
    as deep as the loader accepts must not exhaust Python's stack here.
    """
    if isinstance(node, Token):
        _flow(node, indent, pairs)
        return
    stack = [(str(node.data), enumerate(node.children))]
    while stack:
        data, children = stack[-1]
        step = next(children, None)
        if step is None:
            stack.pop()
            continue
        index, child = step
        if isinstance(child, Tree):
            stack.append((str(child.data), enumerate(child.children)))
            continue
        word = str(child)
        if data == "translation" and index == 0:
            pairs.append((child, _Place("break", indent + 4, indent + 4)))
        elif data in ("and_", "or_") and word in ("and", "or"):
            pairs.append((child, _Place("break", indent + 2, indent + 2)))
        elif data in ("value_set", "atom") and word in ("{", "("):
            pairs.append((child, _Place("flow", indent + 4, indent + 4, tight_after=True)))
        elif data in ("value_set", "atom") and word in ("}", ")"):
            pairs.append((child, _Place("flow", indent + 4, indent + 4, tight_before=True)))
        else:
            _flow(child, indent, pairs)


def _flow(token: Token, indent: int, pairs: list[tuple[Token, _Place]]) -> None:
    word = str(token)
    pairs.append((token, _Place("flow", indent + 4, indent + 4,
                                tight_before=word in (",", ":", "."),
                                tight_after=word == ".")))


# ------------------------------------------------------------------ lines

def _layout(text: str, pairs: list[tuple[Token, _Place]]) -> str:
    """Write the placed tokens out, carrying the comments and blank lines between them."""
    lines: list[_Line] = []
    current: _Line | None = None
    previous_end = 0
    tight = False
    end = _Place("line", 0, 0, top="end")
    for token, place in [*pairs, (None, end)]:
        start = len(text) if token is None else int(token.start_pos or 0)
        gap = text[previous_end:start]
        forced = False
        last = 0
        for match in _COMMENT.finditer(gap):
            comment = match.group().rstrip()
            newlines = gap.count("\n", last, match.start())
            last = match.end()
            if newlines == 0 and current is not None:
                current.text += "  " + comment
            else:
                if current is not None:
                    lines.append(current)
                top = "comment" if place.top is not None and place.comment_indent == 0 else None
                current = _Line(" " * place.comment_indent + comment,
                                newlines >= 2 and bool(lines), top, False)
            forced = True
        if token is None:
            break
        rest_newlines = gap.count("\n", last)
        breaks = (current is None or forced or place.kind == "line"
                  or (place.kind == "break" and "\n" in gap))
        word = str(token)
        if breaks:
            if current is not None:
                lines.append(current)
            blank = (rest_newlines >= 2 and bool(lines) and place.kind == "line"
                     and not place.block_end and not lines[-1].text.endswith("{"))
            current = _Line(" " * place.indent + word, blank, place.top, place.block_end)
        else:
            assert current is not None
            current.text += word if tight or place.tight_before else " " + word
        tight = place.tight_after
        previous_end = int(token.end_pos or start)
    if current is not None:
        lines.append(current)
    _blank_lines_around_blocks(lines)
    out: list[str] = []
    for index, line in enumerate(lines):
        if line.blank_before and index > 0:
            out.append("")
        out.append(line.text)
    return "\n".join(out) + "\n" if out else ""


def _blank_lines_around_blocks(lines: list[_Line]) -> None:
    """One blank line before a brace block (and its comments) and after its ``}``."""
    for index, line in enumerate(lines):
        if line.top in _BLOCKS:
            first = index
            while (first > 0 and lines[first - 1].top == "comment"
                   and not lines[first].blank_before):
                first -= 1
            if first > 0:
                lines[first].blank_before = True
        if line.block_end and index + 1 < len(lines):
            lines[index + 1].blank_before = True
