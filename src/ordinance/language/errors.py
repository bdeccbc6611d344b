"""The exceptions the library raises; all derive from :class:`OrdinanceError`."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .diagnostics import Diagnostic


class OrdinanceError(Exception):
    """Base class of every error the library raises on bad input."""


class LawError(OrdinanceError):
    """A law set failed to parse or check; carries every diagnostic, sorted."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0].gnu() if self.diagnostics else "invalid law set"
        more = len(self.diagnostics) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))

    def render(self) -> str:
        """Every diagnostic in its long form, then a count."""
        parts = [d.render() for d in self.diagnostics]
        count = len(self.diagnostics)
        parts.append(f"{count} error{'s' if count != 1 else ''}")
        return "\n\n".join(parts)


@attrs.frozen
class Problem:
    """One thing wrong with a request: the field, what is wrong, what is allowed."""

    field: str
    message: str
    allowed: tuple[str, ...] = ()
    help: str | None = None

    def render(self) -> str:
        """One readable line (plus allowed values and help)."""
        text = f"`{self.field}`: {self.message}" if self.field else self.message
        if self.help:
            text += f" ({self.help})"
        if self.allowed:
            text += "; allowed: " + ", ".join(self.allowed)
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for machines."""
        return {"field": self.field, "message": self.message,
                "allowed": list(self.allowed), "help": self.help}


class RequestError(OrdinanceError):
    """A request is malformed: names each field that is wrong and what is allowed."""

    def __init__(self, problems: Sequence[Problem], origin: str | None = None) -> None:
        self.problems = list(problems)
        self.origin = origin
        where = f"{origin}: " if origin else ""
        super().__init__(where + "; ".join(p.render() for p in self.problems))

    def render(self) -> str:
        """One line per problem, prefixed by where the request came from."""
        head = f"invalid request{' in ' + self.origin if self.origin else ''}:"
        return "\n".join([head, *("  - " + p.render() for p in self.problems)])


class InputError(OrdinanceError):
    """A file could not be read as a request or case file (encoding, syntax, size)."""


class LogError(OrdinanceError):
    """The decision log cannot be opened or written (read-only path, full disk, not SQLite)."""
