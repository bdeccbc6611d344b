"""Deciding a stream of requests, one JSON object per line (``ordinance batch``).

The input is read line by line and each result is written as soon as it is
decided, so memory stays flat however long the input is: nothing but the
counts of :class:`BatchSummary` is kept from one line to the next.

For each input line, in order, one output line: the decision
(:meth:`ordinance.engine.decision.Decision.to_dict`) or, for a line that is not a
valid request, ``{"line": N, "request_id": ..., "error": "...", "problems": [...]}``
(``problems`` as :meth:`ordinance.language.errors.Problem.to_dict`; empty when the line is
not JSON). A bad line never stops the batch. Blank lines (only whitespace) are
skipped: they get no output line and are counted in the summary.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

import attrs

from ..engine.evaluator import NOT_COVERED, PERMITTED, PROHIBITED, UNDETERMINED
from ..engine.inputs import MAX_INPUT_BYTES, loads_json
from ..engine.lawset import OrdinanceSet
from ..language.errors import OrdinanceError, RequestError
from .decisionlog import DecisionLog

MAX_LINE_BYTES = MAX_INPUT_BYTES
"""A line longer than this (2 MiB, the limit for a request file) is refused unread."""
_CHUNK = 1 << 16


@attrs.define
class BatchSummary:
    """What a batch has done so far: counts only, so it stays small."""

    lines: int = 0  # input lines read, blank ones included
    decided: int = 0
    invalid: int = 0
    blank: int = 0
    outcomes: dict[str, int] = attrs.field(
        factory=lambda: dict.fromkeys((PERMITTED, PROHIBITED, UNDETERMINED, NOT_COVERED), 0))
    started: float = attrs.field(factory=time.monotonic)
    ended: float | None = None

    @property
    def seconds(self) -> float:
        """Time since the batch started (until it ended)."""
        return (self.ended if self.ended is not None else time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Decided and invalid lines per second."""
        seconds = self.seconds
        return (self.decided + self.invalid) / seconds if seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"lines": self.lines, "decided": self.decided, "invalid": self.invalid,
                "blank": self.blank, "outcomes": dict(self.outcomes),
                "seconds": round(self.seconds, 3), "rate": round(self.rate, 1)}

    def text(self) -> str:
        """The closing summary, for people."""
        outcomes = ", ".join(f"{name} {count:,}" for name, count in self.outcomes.items())
        blank = f", {self.blank:,} blank (skipped)" if self.blank else ""
        return (f"{self.lines:,} lines: {self.decided:,} decided, {self.invalid:,} invalid"
                f"{blank}\n"
                f"  outcomes: {outcomes}\n"
                f"  {self.seconds:.2f} s, {self.rate:,.0f} requests/s")


def read_lines(source: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, line)`` for each line of ``source``, read one at a time.

    A line longer than :data:`MAX_LINE_BYTES` comes as ``None``, its rest
    skipped without being kept.
    """
    number = 0
    while True:
        line = source.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:
                rest = source.readline(_CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, line


def _error(number: int, message: str, problems: list[dict[str, object]] | None = None,
           request_id: str | None = None) -> dict[str, Any]:
    return {"line": number, "request_id": request_id, "error": message,
            "problems": problems or []}


def _request_id(data: Any) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("id"), str | int) \
            and not isinstance(data.get("id"), bool):
        return str(data["id"])
    return None


def run_batch(laws: OrdinanceSet, source: IO[bytes], out: IO[str], *,
              log: DecisionLog | None = None, would_change: bool = True,
              summary: BatchSummary | None = None,
              progress: Callable[[BatchSummary], None] | None = None,
              progress_every: float = 0.2) -> BatchSummary:
    """Decide every line of ``source`` and write one JSON line per request to ``out``.

    ``summary`` (a fresh one by default) is updated as the batch goes, so a
    caller keeps the counts even if the batch is stopped by an exception;
    ``progress`` is called with it about every ``progress_every`` seconds.
    With ``log``, each decision is recorded before its line is written.

    Raises:
        LogError: when the decision log cannot be written (the batch stops there).
    """
    summary = summary if summary is not None else BatchSummary()
    next_progress = time.monotonic() + progress_every
    for number, raw in read_lines(source):
        result = _decide_line(laws, number, raw, would_change)
        if result is None:
            summary.blank += 1
        else:
            data, decision = result
            if decision is None:
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
                summary.invalid += 1
            else:
                if log is not None:
                    log.record(data, decision)
                out.write(json.dumps(decision, ensure_ascii=False) + "\n")
                summary.decided += 1
                outcome = decision["outcome"]
                summary.outcomes[outcome] = summary.outcomes.get(outcome, 0) + 1
        summary.lines += 1  # counted once written, so an interrupted line is not
        if progress is not None and time.monotonic() >= next_progress:
            progress(summary)
            next_progress = time.monotonic() + progress_every
    out.flush()
    summary.ended = time.monotonic()
    return summary


def _decide_line(laws: OrdinanceSet, number: int, raw: bytes | None, would_change: bool
                 ) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """``None`` for a blank line; ``(request, decision)``; or ``(error, None)``."""
    if raw is None:
        return _error(number, f"line longer than the {MAX_LINE_BYTES // (1024 * 1024)} MiB "
                              "limit"), None
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        return _error(number, f"not UTF-8 text (bad byte at offset {error.start})"), None
    if not text.strip():
        return None
    try:
        data = loads_json(text)
    except json.JSONDecodeError as error:
        return _error(number, f"invalid JSON at column {error.colno}: {error.msg}"), None
    except RecursionError:
        return _error(number, "invalid JSON: nested too deeply to read"), None
    except ValueError as error:  # an integer with too many digits
        return _error(number, f"invalid JSON: {error}"), None
    try:
        request = laws.request(data, f"line {number}")
        decision = laws.decide(request, would_change=would_change)
    except RequestError as error:
        brief = "; ".join((f"`{p.field}`: " if p.field else "") + p.message
                          + (f" ({p.help})" if p.help else "") for p in error.problems)
        return _error(number, "invalid request: " + brief, [p.to_dict() for p in error.problems],
                      _request_id(data)), None
    except OrdinanceError as error:
        return _error(number, str(error), None, _request_id(data)), None
    return request.to_dict(), decision.to_dict()
