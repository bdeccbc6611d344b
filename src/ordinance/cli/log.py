"""``ordinance log``: read the decision log that ``check``, ``batch`` and ``serve`` write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..language.errors import LogError
from .common import InvalidInput

if TYPE_CHECKING:
    from ..service.decisionlog import DecisionLog


def open_log(path: Path) -> DecisionLog:
    """Open a decision log for the CLI, turning a failure into exit code 5."""
    from ..service.decisionlog import DecisionLog

    try:
        return DecisionLog(path)
    except LogError as error:
        raise InvalidInput(f"error: {error}") from None


@click.group()
def log() -> None:
    """Read a decision log (SQLite) written with --log by check, batch or serve.

    Every entry keeps when it was decided, the request, the decision and the
    law set's content hash, so a decision can be audited and reproduced.
    """


LOG_ARGUMENT = click.argument("path", type=click.Path(path_type=Path, exists=True,
                                                       dir_okay=False))


@log.command()
@LOG_ARGUMENT
@click.option("--since", type=int, default=0, help="Only entries after this id.")
@click.option("--limit", type=int, default=None, help="At most this many entries.")
def show(path: Path, since: int, limit: int | None) -> None:
    """List logged decisions, one line each: id, time, request id, outcome, law set."""
    decisions = open_log(path)
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
    """Write every logged entry as JSON Lines (request and decision in full)."""
    decisions = open_log(path)
    try:
        for entry in decisions.entries(since):
            click.echo(json.dumps(entry.to_dict(), ensure_ascii=False, sort_keys=True))
    except LogError as error:
        raise InvalidInput(f"error: {error}") from None
    finally:
        decisions.close()
