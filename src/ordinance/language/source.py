"""Source files and spans: where in which file a piece of law or a request came from."""

from __future__ import annotations

import attrs

MAX_LAW_FILE_BYTES = 2 * 1024 * 1024
"""A law file larger than this is refused (2 MiB; the largest bundled one is far smaller)."""


@attrs.frozen
class SourceFile:
    """The text of one input file, kept so diagnostics can quote its lines."""

    path: str
    text: str

    def line(self, number: int) -> str:
        """Return line ``number`` (1-based) without its newline, or ``""`` past the end.

        Lines end at ``\\n`` only, as the parser counts them: a form feed or a
        Unicode line separator inside a line does not start another.

        >>> SourceFile("a.ord", "one\\ntwo\\n").line(2)
        'two'
        >>> SourceFile("a.ord", "one\\fstill one\\r\\ntwo").line(1)
        'one\\x0cstill one'
        """
        lines = self.text.split("\n")
        if 1 <= number <= len(lines):
            return lines[number - 1].removesuffix("\r")
        return ""


@attrs.frozen
class Span:
    """A region of a source file: 1-based line and column of its start and end."""

    source: SourceFile = attrs.field(repr=False, eq=False)
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def path(self) -> str:
        """The path of the file this span is in."""
        return self.source.path

    def location(self) -> str:
        """``file:line:column``, the form editors and compilers use.

        >>> Span(SourceFile("law.ord", "x"), 3, 7, 3, 9).location()
        'law.ord:3:7'
        """
        return f"{self.path}:{self.line}:{self.column}"

    @classmethod
    def whole_file(cls, source: SourceFile) -> Span:
        """A span for diagnostics about a file as a whole (its first position)."""
        return cls(source, 1, 1, 1, 1)


def span_of(source: SourceFile, meta: object) -> Span:
    """Build a span from a Lark ``meta`` (or token) with propagated positions."""
    line = getattr(meta, "line", None) or 1
    column = getattr(meta, "column", None) or 1
    end_line = getattr(meta, "end_line", None) or line
    end_column = getattr(meta, "end_column", None) or column + 1
    return Span(source, line, column, end_line, end_column)
