"""``ordinance batch``: decide a stream of JSON Lines requests
(see :mod:`ordinance.service.batchrun`)."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from ..language.errors import LogError
from .common import (
    EXIT_INVALID,
    ORDINANCES_OPTION,
    fail,
    load_laws,
    open_binary,
    open_decision_log,
)

if TYPE_CHECKING:
    from ..service.batchrun import BatchSummary

EXIT_BROKEN_PIPE = 141
"""Standard output was closed by the reader (``| head``): 128 + SIGPIPE, as shells report it."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C: 128 + SIGINT."""


def _size(source: IO[bytes]) -> int | None:
    try:
        info = os.fstat(source.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) and info.st_size > 0 else None


@click.command()
@click.argument("source_path", type=click.Path(allow_dash=True), metavar="IN.jsonl")
@click.option("--out", "out", type=click.File("w", encoding="utf-8"), default="-",
              show_default=True, metavar="OUT.jsonl",
              help="Where to write the results, one JSON object per line (- for standard output).")
@ORDINANCES_OPTION
@click.option("--log", "log_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Record every decision in this SQLite decision log; keyed (HMAC) when "
                   "ORDINANCE_LOG_KEY is set (see `ordinance log --help`).")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl",
              show_default=True, help="Output format: JSON Lines (the only one).")
@click.option("--compact", is_flag=True,
              help="Write each decision as only request_id, outcome, items (each item's "
                   "data and outcome), citations, missing_facts (the facts' paths), "
                   "missing_facts_exact and ordinance_set: about 0.5 KB a line instead of "
                   "about 22 KB (benchmarks/bench_batch.py: 535 bytes a line against 22,089, "
                   "so 1,000,000 lines are about 0.5 GB instead of 22 GB), and about 2x "
                   "faster than full lines (no would_change, no long JSON). A --log still "
                   "records the full decisions, at their cost.")
@click.option("--would-change/--no-would-change", "would_change", default=True,
              show_default=True,
              help="Work out each full decision's `would_change` (the single changes that "
                   "would permit it), or write it as []. Leaving it out made "
                   "benchmarks/bench_batch.py about 1.4x faster (4,000 lines: 22.7 s -> "
                   "16.2 s); --compact never works it out.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=1, show_default=True,
              help="Decide with this many worker processes (0: one per CPU). Lines are "
                   "still written in input order. Pays off on large files: each worker "
                   "takes a fraction of a second to start.")
def batch(source_path: str, out: IO[str], ordinances: Path | None, log_path: Path | None,
          fmt: str, compact: bool, would_change: bool, jobs: int) -> None:
    """Decide every request of IN.jsonl (one JSON object per line; - for standard input).

    Writes one line per request, in input order: the decision (the JSON of
    `check --format json`) or, for a line that is not a valid request,
    {"line": N, "request_id": ..., "error": "...", "problems": [...]}. A bad line
    never stops the batch. Blank lines are skipped (no output line) and counted.
    With --compact, a decision's line is
    {"request_id", "outcome", "items": [{"data", "outcome"}], "citations",
    "missing_facts": [fact paths], "missing_facts_exact", "ordinance_set"}.
    The input is streamed and each result written at once, so memory stays
    flat on any number of lines. A request repeated under another id (same
    facts) is answered from memory, with the same text; `--jobs 2` decides on
    two processes.

    Standard error gets a progress counter when it is a terminal, and a closing
    summary: lines, decisions per outcome, invalid lines, requests per second.

    \b
    Exit codes:
      0  every non-blank line was decided (whatever the outcomes)
      5  some line was invalid (see its error line), or IN.jsonl, the law set
         or the decision log could not be used (a missing file, a directory)
      130  interrupted (Ctrl-C); the summary counts what was done
      141  standard output was closed before the end (as by `| head`)
    \b
    Example:
      ordinance batch requests.jsonl --out decisions.jsonl --log decisions.sqlite
      ordinance batch requests.jsonl --compact --jobs 0 > outcomes.jsonl
    """
    source = open_binary(source_path)
    laws = load_laws(ordinances)
    decision_log = open_decision_log(log_path)
    from ..service.batchrun import BatchSummary, run_batch

    summary = BatchSummary()
    show = sys.stderr.isatty()
    size = _size(source) if show else None

    def progress(done: BatchSummary) -> None:
        where = ""
        if size is not None:
            try:
                where = f" ({100 * source.tell() / size:.0f}%)"
            except (OSError, ValueError):
                where = ""
        click.echo(f"\r{done.lines:,} lines{where}: {done.decided:,} decided, "
                   f"{done.invalid:,} invalid, {done.rate:,.0f}/s ", nl=False, err=True)

    try:
        run_batch(laws, source, out, log=decision_log, would_change=would_change,
                  summary=summary, progress=progress if show else None,
                  jobs=jobs or os.cpu_count() or 1, compact=compact)
    except LogError as error:
        _finish(summary, show)
        fail(error)
    except KeyboardInterrupt:
        _finish(summary, show)
        click.echo("interrupted; every line counted above was decided and written", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        _finish(summary, show)
        click.echo("output closed before the batch ended", err=True)
        sys.stdout = open(os.devnull, "w")  # so that no flush error is printed at exit
        sys.exit(EXIT_BROKEN_PIPE)
    finally:
        if decision_log is not None:
            decision_log.close()
        if source_path != "-":
            source.close()
    _finish(summary, show)
    sys.exit(EXIT_INVALID if summary.invalid else 0)


def _finish(summary: BatchSummary, show: bool) -> None:
    if summary.ended is None:
        summary.ended = summary.started + summary.seconds
    if show:
        click.echo("", err=True)
    click.echo(summary.text(), err=True)
