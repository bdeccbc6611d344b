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

With ``compact``, a decision's line is :func:`compact_decision` instead (the fields of
:data:`COMPACT_FIELDS`): about 0.5 KB a line where the full decision takes about
22 KB (``benchmarks/bench_batch.py``).
"""

from __future__ import annotations

import collections
import json
import multiprocessing
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from ..engine.decision import Decision
from ..engine.evaluator import NOT_COVERED, PERMITTED, PROHIBITED, UNDETERMINED
from ..engine.explainer import echo
from ..engine.inputs import MAX_INPUT_BYTES, DuplicateKeyError, loads_json
from ..engine.lawset import OrdinanceSet, load
from ..engine.vocabulary import Request
from ..language.errors import OrdinanceError, RequestError
from .decisionlog import DecisionLog

MAX_LINE_BYTES = MAX_INPUT_BYTES
"""A line longer than this (2 MiB, the limit for a request file) is refused unread."""
_CHUNK = 1 << 16
MEMO_SIZE = 256
"""Distinct requests whose decisions a batch remembers (their JSON text, ~15 KB each)."""

COMPACT_FIELDS = ("request_id", "outcome", "items", "citations", "missing_facts",
                  "missing_facts_exact", "ordinance_set")
"""The members of a compact line (``ordinance batch --compact``), in order."""


def compact_decision(decision: Decision) -> dict[str, Any]:
    """A decision reduced to what a large batch keeps: the outcome, each item's outcome, the
    citations and the missing facts (their paths), and the law set's digest.

    ``items`` is ``[{"data": ..., "outcome": ...}]`` in the decision's order; ``citations``
    and ``missing_facts_exact`` are the full decision's; ``missing_facts`` is the list of
    the full decision's ``missing_facts[].fact``. Nothing here reads ``would_change``, so
    deciding for a compact line never works it out.
    """
    return {
        "request_id": decision.request_id,
        "outcome": decision.outcome,
        "items": [{"data": item.data, "outcome": item.outcome} for item in decision.items],
        "citations": list(decision.citations),
        "missing_facts": [fact.fact for fact in decision.missing_facts],
        "missing_facts_exact": decision.missing_facts_exact,
        "ordinance_set": decision.ordinance_set,
    }


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


class DecisionMemo:
    """Decisions already made in this batch, by the request's facts (its id aside).

    A decision is a function of the request's facts: two lines that differ only in
    their ``id`` get the same decision but for ``request_id`` and the echoed request.
    So the decision's JSON is kept without those two members and, for a repeated
    request, written again around the new ones: the line is the same text deciding
    afresh would write. Batches from a few agencies repeat the same questions (the
    same holder, data and half-known facts) line after line.

    A decision is kept from the second time its request is seen (the first only
    notes the request's hash), so a stream of one-off requests never pushes out
    the ones that repeat. At most ``size`` decisions are kept, the least recently
    used dropped first, and ``16 * size`` hashes.
    """

    def __init__(self, laws: OrdinanceSet, would_change: bool, size: int = MEMO_SIZE, *,
                 compact: bool = False, log: bool = False) -> None:
        self.laws = laws
        self.would_change = would_change
        self.size = size
        self.compact = compact
        self.full = not compact or log  # the full decision is written, or logged
        self.hits = 0
        self._kept: dict[tuple[tuple[str, object], ...],
                         tuple[str, str, str | None]] = {}
        self._seen: dict[int, None] = {}

    def line(self, request: Request) -> tuple[str, str]:
        """``(outcome, JSON line)`` of the request's decision, as ``json.dumps`` of
        :meth:`~ordinance.engine.decision.Decision.to_dict` (or, compact, of
        :func:`compact_decision`) writes it (no newline)."""
        outcome, line, _ = self.lines(request)
        return outcome, line

    def lines(self, request: Request) -> tuple[str, str, str | None]:
        """``(outcome, JSON line, full JSON line)``: the last only when the line is compact
        and a log needs the full decision (else ``None``)."""
        key = tuple(sorted(request.facts.items()))
        kept = self._kept.pop(key, None)
        if kept is None:
            decision = self.laws.decide(request, would_change=self.would_change)
            full = None
            if self.full:
                data = decision.to_dict()
                del data["request_id"], data["request"]
                full = json.dumps(data, ensure_ascii=False)[1:-1]
            short = None
            if self.compact:
                data = compact_decision(decision)
                del data["request_id"]
                short = json.dumps(data, ensure_ascii=False)[1:-1]
            kept = (decision.outcome, short or "", full)
            request_id, request_echo = decision.request_id, decision.request
            if self._noted(hash(key)):
                self._keep(key, kept)
        else:
            self.hits += 1
            request_id, request_echo = request.id, echo(request)
            self._keep(key, kept)
        outcome, short, full = kept
        head = f'{{"request_id": {json.dumps(request_id, ensure_ascii=False)}, '
        full_line = None if full is None else (
            f'{head}{full}, "request": {json.dumps(request_echo, ensure_ascii=False)}}}')
        if not self.compact:
            assert full_line is not None
            return outcome, full_line, None
        return outcome, f"{head}{short}}}", full_line

    def _noted(self, digest: int) -> bool:
        """Whether a request with this hash was seen before; notes it if not."""
        if digest in self._seen:
            return True
        if len(self._seen) >= 16 * self.size:
            del self._seen[next(iter(self._seen))]
        self._seen[digest] = None
        return False

    def _keep(self, key: tuple[tuple[str, object], ...],
              kept: tuple[str, str, str | None]) -> None:
        if len(self._kept) >= self.size:
            del self._kept[next(iter(self._kept))]  # the least recently used
        self._kept[key] = kept


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
              progress_every: float = 0.2, jobs: int = 1,
              compact: bool = False) -> BatchSummary:
    """Decide every line of ``source`` and write one JSON line per request to ``out``
    (with ``compact``, :func:`compact_decision`'s; a log still records the full decision).

    With ``jobs`` above 1, lines are decided by that many worker processes, in chunks,
    and written in input order (see :func:`decided_lines`).

    ``summary`` (a fresh one by default) is updated as the batch goes, so a
    caller keeps the counts even if the batch is stopped by an exception;
    ``progress`` is called with it about every ``progress_every`` seconds.
    With ``log``, each decision is recorded before its line is written.

    Raises:
        LogError: when the decision log cannot be written (the batch stops there).
    """
    summary = summary if summary is not None else BatchSummary()
    next_progress = time.monotonic() + progress_every
    for result in decided_lines(laws, source, would_change, jobs, requests=log is not None,
                                compact=compact):
        if result is None:
            summary.blank += 1
        else:
            count(summary, result)
            if log is not None and result.request is not None:
                log.record(result.request.to_dict(), json.loads(result.logged or result.text))
            out.write(result.text + "\n")
        summary.lines += 1  # counted once written, so an interrupted line is not
        if progress is not None and time.monotonic() >= next_progress:
            progress(summary)
            next_progress = time.monotonic() + progress_every
    out.flush()
    summary.ended = time.monotonic()
    return summary


YAML_HINT = ("; this line looks like YAML: batch reads JSON Lines, one JSON object per line "
             "(decide a YAML request file with `ordinance check FILE`)")
"""Added to the error of a line that is not JSON but reads like YAML."""
_YAML_LINE = re.compile(r"\s*(---|#|-\s|[A-Za-z_][\w.-]*\s*:(\s|$))")

CHUNK_LINES = 64
"""Lines a worker process decides at a time (``jobs`` > 1)."""
_AHEAD = 4  # chunks in flight per worker: enough to keep each busy, and memory flat

_worker: tuple[OrdinanceSet, DecisionMemo] | None = None  # in a worker process


def decided_lines(laws: OrdinanceSet, source: IO[bytes], would_change: bool = True,
                  jobs: int = 1, requests: bool = True, compact: bool = False
                  ) -> Iterator[LineResult | None]:
    """The result of each line of ``source`` in input order (``None`` for a blank line).

    ``jobs`` worker processes (forked where the platform can, so each starts with the
    law set already loaded; else each loads it from ``laws.root``) decide chunks of
    :data:`CHUNK_LINES` lines; at most a few chunks per worker are read ahead, so
    memory stays flat. Each process remembers its own decisions (:class:`DecisionMemo`).
    Unless ``requests``, workers do not send back each line's validated request (only
    a decision log needs it, and, for ``compact`` lines, the full decision).
    """
    if jobs <= 1:
        memo = DecisionMemo(laws, would_change, compact=compact, log=requests)
        for number, raw in read_lines(source):
            yield decide_line(laws, memo, number, raw)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    global _worker
    _worker = (laws, DecisionMemo(laws, would_change))  # what a forked worker inherits
    try:
        with context.Pool(jobs, _start_worker, (laws.root, would_change, compact, requests)
                          ) as pool:
            pending: collections.deque[Any] = collections.deque()
            chunks = _chunks(read_lines(source), CHUNK_LINES)
            for chunk in chunks:
                pending.append(pool.apply_async(_decide_chunk, (chunk, requests)))
                if len(pending) >= jobs * _AHEAD:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()
    finally:
        _worker = None


def _chunks(lines: Iterator[tuple[int, bytes | None]], size: int
            ) -> Iterator[list[tuple[int, bytes | None]]]:
    chunk: list[tuple[int, bytes | None]] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _start_worker(root: Path | None, would_change: bool, compact: bool, log: bool) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    laws = load(root) if _worker is None else _worker[0]  # started afresh: load the law set
    _worker = (laws, DecisionMemo(laws, would_change, compact=compact, log=log))


def _decide_chunk(chunk: list[tuple[int, bytes | None]], requests: bool
                  ) -> list[LineResult | None]:
    assert _worker is not None
    laws, memo = _worker
    results = [decide_line(laws, memo, number, raw) for number, raw in chunk]
    if requests:
        return results
    return [None if r is None else attrs.evolve(r, request=None, logged=None) for r in results]


@attrs.frozen
class LineResult:
    """What one non-blank input line gave: its output line, and the outcome of a request
    that was decided (``None`` for an invalid line)."""

    text: str  # one JSON object, no newline
    outcome: str | None
    request: Request | None = None
    logged: str | None = None  # the full decision's line, for the log, when ``text`` is compact


def count(summary: BatchSummary, result: LineResult) -> None:
    """Add one written line's result to the summary's counts (not to ``lines``)."""
    if result.outcome is None:
        summary.invalid += 1
    else:
        summary.decided += 1
        summary.outcomes[result.outcome] = summary.outcomes.get(result.outcome, 0) + 1


def decide_line(laws: OrdinanceSet, memo: DecisionMemo, number: int, raw: bytes | None
                ) -> LineResult | None:
    """The result of input line ``number`` (``None`` for a blank line)."""
    if raw is None:
        return _invalid(_error(number, f"line longer than the "
                                       f"{MAX_LINE_BYTES // (1024 * 1024)} MiB limit"))
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        return _invalid(_error(number, f"not UTF-8 text (bad byte at offset {error.start})"))
    if not text.strip():
        return None
    try:
        data = loads_json(text)
    except json.JSONDecodeError as error:
        return _invalid(_error(number, f"invalid JSON at column {error.colno}: {error.msg}"
                               + (YAML_HINT if _YAML_LINE.match(text) else "")))
    except RecursionError:
        return _invalid(_error(number, "invalid JSON: nested too deeply to read"))
    except DuplicateKeyError as error:  # where: this line, the column within it
        where = f"line {number}, " + (f"column {error.column}: " if error.column else "")
        return _invalid(_error(number, where + error.problem, None, None))
    except ValueError as error:  # an integer with too many digits
        return _invalid(_error(number, f"invalid JSON: {error}"))
    try:
        request = laws.request(data, f"line {number}")
        outcome, line, logged = memo.lines(request)
    except RequestError as error:
        brief = "; ".join((f"`{p.field}`: " if p.field else "") + p.message
                          + (f" ({p.help})" if p.help else "") for p in error.problems)
        return _invalid(_error(number, "invalid request: " + brief,
                               [p.to_dict() for p in error.problems], _request_id(data)))
    except OrdinanceError as error:
        return _invalid(_error(number, str(error), None, _request_id(data)))
    return LineResult(line, outcome, request, logged)


def _invalid(error: dict[str, Any]) -> LineResult:
    return LineResult(json.dumps(error, ensure_ascii=False), None)
