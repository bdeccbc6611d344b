"""``ordinance log``: read, verify and prune the decision log that ``check``, ``batch`` and
``serve`` write."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..language.errors import LogError
from .common import EXIT_INVALID, InvalidInput, parse_date

if TYPE_CHECKING:
    from ..service.decisionlog import DecisionLog

EXIT_CHAIN_BROKEN = 6
"""``log verify`` (and ``log prune``) on a log whose hash chain does not verify."""


class ChainBrokenExit(InvalidInput):
    """The hash chain does not verify: exit code 6, the first bad row on standard error."""

    exit_code = EXIT_CHAIN_BROKEN


def open_log(path: Path, need_key: bool = True) -> DecisionLog:
    """Open a decision log for the CLI, turning a failure into exit code 5: with its key
    from ORDINANCE_LOG_KEY (verify, prune), or without a key, to read it (show, export)."""
    from ..service.decisionlog import FROM_ENV, DecisionLog

    try:
        return DecisionLog(path, key=FROM_ENV if need_key else None, need_key=need_key)
    except LogError as error:
        raise InvalidInput(f"error: {error}") from None


LOG_HELP = f"""Read, verify and prune a decision log (SQLite) written with --log by
check, batch or serve.

Every entry keeps when it was decided, the request, the decision, the law
set's content hash, and a SHA-256 hash chained to the entry before it, so
`ordinance log verify` finds an entry changed, deleted, inserted or moved.
`show` and `export` do not check the chain: run `verify` for that.

\b
A keyed log: set ORDINANCE_LOG_KEY to a secret of at least 32 characters
(kept outside the log, e.g. in a secrets manager; blanks at either end are
ignored) when check, batch or serve first create the log with --log, and
its entries are chained with HMAC-SHA-256 under that key: someone who can
write the file but does not have the key cannot recompute the chain. The log
records that it is keyed and a key id, never the key. A log is keyed, or
not, from its creation: writing to it or running verify or prune needs the
variable set to its key (and unset for an unkeyed log), else exit 5 says
what is wrong; show and export read any log without the key.
Make a key:  python -c 'import secrets; print(secrets.token_urlsafe(32))'

\b
The log file is created readable by its owner only (0600). What it keeps
of the subject's facts (subject.*) is chosen with the environment variable
ORDINANCE_LOG_SUBJECT when the log is written:
  keep    the values (default): a logged request decides again
  digest  an HMAC-SHA-256 of each value, keyed with a random salt kept in
          the log (equal values, equal digests); these facts are yes/no,
          so anyone holding the log file can recover them
  drop    nothing of them
Either way the outcome, and the rules that stood with their public
conditions, still let a reader infer many of the facts (docs/limits.md).

\b
Exit codes:
  0  done (verify: the chain is intact)
  2  usage error (bad option or argument)
  {EXIT_INVALID}  the log cannot be opened or read; ORDINANCE_LOG_KEY is too short,
     missing for a keyed log, not its key, or set for an unkeyed log
  {EXIT_CHAIN_BROKEN}  verify, prune: the hash chain is broken (the first bad row is named)
"""


@click.group(help=LOG_HELP)
def log() -> None:
    """Read, verify and prune a decision log (the help is ``LOG_HELP``)."""


LOG_ARGUMENT = click.argument("path", type=click.Path(path_type=Path, exists=True,
                                                       dir_okay=False))


@log.command()
@LOG_ARGUMENT
@click.option("--since", type=int, default=0, help="Only entries after this id.")
@click.option("--limit", type=int, default=None, help="At most this many entries.")
def show(path: Path, since: int, limit: int | None) -> None:
    """List logged decisions, one line each: id, time, request id, outcome, law set.

    Entries are read one at a time (any size of log). The hash chain is not
    checked: run `ordinance log verify` for that.
    """
    decisions = open_log(path, need_key=False)
    try:
        for entry in decisions.entries(since, limit):
            click.echo(f"{entry.id:>6}  {entry.at}  {entry.request_id or '-':<20}  "
                       f"{entry.outcome:<12}  {entry.ordinance_set[:19]}")
        click.echo(f"{decisions.count()} decisions in {path}", err=True)
    except LogError as error:
        raise InvalidInput(f"error: {error}") from None
    finally:
        decisions.close()


@log.command()
@LOG_ARGUMENT
@click.option("--since", type=int, default=0, help="Only entries after this id.")
def export(path: Path, since: int) -> None:
    """Write every logged entry as JSON Lines (request, decision, prev_hash and hash in full).

    Entries are written as they are read (any size of log). The hash chain is
    not checked: run `ordinance log verify` for that.
    """
    decisions = open_log(path, need_key=False)
    try:
        for entry in decisions.entries(since):
            click.echo(json.dumps(entry.to_dict(), ensure_ascii=False, sort_keys=True))
    except LogError as error:
        raise InvalidInput(f"error: {error}") from None
    finally:
        decisions.close()


@log.command()
@LOG_ARGUMENT
@click.option("--expect", metavar="HASH", default=None,
              help="A head hash printed by an earlier verify: fail unless some entry "
                   "still has it (detects a log rewritten or cut short since).")
def verify(path: Path, expect: str | None) -> None:
    """Check the hash chain from its start (or from the last prune) to the last entry.

    \b
    Exit 0 when intact; it prints the number of entries and the head hash.
    Exit 6 when not, naming the first bad entry and what is wrong with it:
      gap in ids          entries were deleted
      broken link         an entry before it was changed, removed or moved
      hash mismatch       its contents changed after it was written
      out-of-order time   its time is before the previous entry's (back-dated)
      missing at the end  the last entries were deleted

    A keyed log (see `ordinance log --help`) is verified with the key in
    ORDINANCE_LOG_KEY: an entry re-hashed without it (plain SHA-256, or
    another key) is a hash mismatch or a broken link. Without the variable,
    verify does not pass a keyed log: it exits 5 saying the log is keyed.

    An unkeyed chain has no secret: someone who can write the file and
    recompute every later hash defeats it. Note the head hash somewhere they
    cannot write, and pass it later with --expect (this also finds entries
    cut from the end of a keyed log, and their ids re-used).
    """
    decisions = open_log(path)
    try:
        report = decisions.verify(expect)
    except LogError as error:
        raise InvalidInput(f"error: {error}") from None
    finally:
        decisions.close()
    if report.problem is not None:
        raise ChainBrokenExit(f"error: {path}: the hash chain is broken at {report.problem}")
    ids = (f"ids {report.first_id}–{report.last_id}" if report.first_id is not None
           else "no entries")
    since = f", after the prune anchor {report.anchor_id}" if report.anchor_id else ""
    keyed = f"; keyed (key id {report.key_id})" if report.key_id else ""
    click.echo(f"intact: {report.rows} entries ({ids}{since}); head {report.head}{keyed}")


@log.command()
@LOG_ARGUMENT
@click.option("--before", metavar="YYYY-MM-DD", default=None,
              help="Delete the entries written before this day (UTC).")
@click.option("--keep-days", type=click.IntRange(min=0), default=None, metavar="N",
              help="Delete the entries written more than N days ago.")
def prune(path: Path, before: str | None, keep_days: int | None) -> None:
    """Delete old entries, keeping the rest verifiable.

    Give --before or --keep-days. The oldest entries are deleted, up to the
    first one at or after the cutoff, in one transaction; the last deleted
    entry's hash is kept as the anchor `verify` starts from. Deleted entries
    are overwritten in the file. A log whose chain does not verify is not
    pruned (exit 6): that would erase the evidence.

    \b
    Example:
      ordinance log prune decisions.sqlite --keep-days 90
    """
    if (before is None) == (keep_days is None):
        raise click.UsageError("give one of --before or --keep-days")
    day = parse_date(before, "--before")
    cutoff = (dt.datetime.combine(day, dt.time(), dt.UTC) if day is not None
              else dt.datetime.now(dt.UTC) - dt.timedelta(days=keep_days or 0))
    from ..service.decisionlog import ChainBroken

    decisions = open_log(path)
    try:
        result = decisions.prune(cutoff)
    except ChainBroken as error:
        raise ChainBrokenExit(f"error: {path}: not pruned: {error}") from None
    except LogError as error:
        raise InvalidInput(f"error: {error}") from None
    finally:
        decisions.close()
    if result.deleted == 0:
        click.echo(f"nothing to prune: no entry before {cutoff.isoformat()}")
    else:
        click.echo(f"pruned {result.deleted} entries (ids {result.first_id}–{result.last_id}); "
                   f"the chain now starts after entry {result.last_id} "
                   f"(anchor {result.anchor_hash})")
