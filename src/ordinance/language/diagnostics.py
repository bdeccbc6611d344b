"""Diagnostics: collected from every stage, sorted by place, reported once.

Each diagnostic has a stable code, a one-line message (lowercase, no final
period, user input in backticks), a span and an optional help line.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .source import Span


class Severity(enum.Enum):
    """How bad a diagnostic is: errors stop loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


SHOWN_COLUMNS = 100
"""The widest source line a diagnostic prints; a longer one is cut around the span."""


def shown_window(line: str, column: int, width: int, columns: int = SHOWN_COLUMNS
                 ) -> tuple[str, int, int]:
    """The part of a long source line a diagnostic shows, with the span's column and caret
    width in it: at most ``columns`` characters, ``…`` where the line is cut, the caret
    ending at the cut.

    >>> shown_window("short", 2, 3)
    ('short', 2, 3)
    >>> text, column, width = shown_window("x" * 30 + "gap " + "y" * 300, 31, 304, 40)
    >>> text, column, width
    ('…xxxxxxxxxxxxxxxxxxxxgap yyyyyyyyyyyyyy…', 22, 18)
    """
    if len(line) <= columns:
        return line, column, width
    start = max(0, column - 1 - 20)
    shown = line[start:start + columns - 2]
    text = ("…" if start else "") + shown + ("…" if start + len(shown) < len(line) else "")
    column = column - start + (1 if start else 0)
    width = max(1, min(width, len(text) - column))
    return text, column, width


@attrs.frozen
class Diagnostic:
    """One finding about a law file, with the place it points at."""

    code: str
    message: str
    span: Span
    help: str | None = None
    severity: Severity = Severity.ERROR
    subjects: tuple[str, ...] = ()  # what it is about: rule ids, fact paths, citations
    notes: tuple[str, ...] = ()  # further lines: related places, how an analysis searched
    witness: Mapping[str, Any] | None = None  # a request that shows the problem

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by file, then line, then column, then code."""
        return (self.span.path, self.span.line, self.span.column, self.code)

    def gnu(self) -> str:
        """The GNU one-line form: ``file:line:col: severity: code: message``."""
        return (
            f"{self.span.location()}: {self.severity.value}: {self.code}: {self.message}"
        )

    def render(self) -> str:
        """The long form: header, location, the source line with a caret, help."""
        line_text = self.span.source.line(self.span.line).expandtabs(1)
        number = str(self.span.line)
        gutter = " " * len(number)
        width = 1
        if self.span.end_line == self.span.line:
            width = max(1, self.span.end_column - self.span.column)
        width = min(width, max(1, len(line_text) - self.span.column + 1))
        line_text, column, width = shown_window(line_text, self.span.column, width)
        caret = " " * (column - 1) + "^" * width
        out = [
            f"{self.severity.value}[{self.code}]: {self.message}",
            f"{gutter}--> {self.span.location()}",
            f"{gutter} |",
            f"{number} | {line_text}",
            f"{gutter} | {caret}",
        ]
        out += [f"{gutter} = note: {note}" for note in self.notes]
        if self.help:
            out.append(f"{gutter} = help: {self.help}")
        if self.witness is not None:
            import yaml  # only analysis findings carry a witness

            shown = yaml.safe_dump(dict(self.witness), sort_keys=False, allow_unicode=True)
            out.append(f"{gutter} = witness (save as a file and run `ordinance check` on it):")
            out += [f"{gutter}     {line}" for line in shown.rstrip().splitlines()]
        return "\n".join(out)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for machines."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "help": self.help,
            "subjects": list(self.subjects),
            "notes": list(self.notes),
            "witness": None if self.witness is None else dict(self.witness),
        }


@attrs.define
class Report:
    """Collects diagnostics from the passes of one load."""

    diagnostics: list[Diagnostic] = attrs.field(factory=list)

    def error(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        """Record an error."""
        self.diagnostics.append(Diagnostic(code, message, span, help, Severity.ERROR))

    def warning(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        """Record a warning."""
        self.diagnostics.append(Diagnostic(code, message, span, help, Severity.WARNING))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Record several diagnostics at once."""
        self.diagnostics.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        """The errors, sorted by place."""
        return sorted((d for d in self.diagnostics if d.severity is Severity.ERROR),
                      key=Diagnostic.sort_key)

    @property
    def warnings(self) -> list[Diagnostic]:
        """The warnings, sorted by place."""
        return sorted((d for d in self.diagnostics if d.severity is Severity.WARNING),
                      key=Diagnostic.sort_key)

    def sorted(self) -> list[Diagnostic]:
        """Every diagnostic, sorted by place."""
        return sorted(self.diagnostics, key=Diagnostic.sort_key)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A help line naming the closest candidate, if one is close enough.

    >>> did_you_mean("relase_date", ["release_date", "home_address"])
    'did you mean `release_date`?'
    """
    import difflib  # only when a name is misspelt

    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None
