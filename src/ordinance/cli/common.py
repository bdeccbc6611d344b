"""What every command shares: exit codes, the error that exits 5, loading the laws,
reading requests, dates, styles and the options several commands take."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click

from ..engine.evaluator import NOT_COVERED, PERMITTED, PROHIBITED, UNDETERMINED
from ..engine.inputs import read_requests
from ..engine.lawset import OrdinanceSet, load
from ..language.errors import InputError, LawError, LogError, OrdinanceError, RequestError
from ..outputs.render import colour_for

if TYPE_CHECKING:
    from ..service.decisionlog import DecisionLog

EXIT_PERMITTED = 0
EXIT_PROHIBITED = 1
EXIT_USAGE = 2
EXIT_UNDETERMINED = 3
EXIT_NOT_COVERED = 4
EXIT_INVALID = 5

OUTCOME_EXIT = {PERMITTED: EXIT_PERMITTED, PROHIBITED: EXIT_PROHIBITED,
                UNDETERMINED: EXIT_UNDETERMINED, NOT_COVERED: EXIT_NOT_COVERED}
"""The exit code of each outcome (design.md section 6)."""

EXIT_ORDER = [EXIT_PROHIBITED, EXIT_UNDETERMINED, EXIT_NOT_COVERED, EXIT_PERMITTED]

EXIT_CODES_HELP = """\b
Exit codes:
  0  permitted (every request)
  1  prohibited (for check: at least one request); for test: a case failed;
     for diff: some requests change outcome
  2  usage error (bad option or argument)
  3  undetermined: facts are missing (see the questions printed)
  4  not covered: no law in the set applies to the holder
  5  invalid input: a malformed request, case file or law file
With several requests, check exits with the most restrictive code, in the
order 1, 3, 4, 0.
"""


class InvalidInput(click.ClickException):
    """Bad request, case or law input: exit code 5, message on standard error."""

    exit_code = EXIT_INVALID

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


class CannotRun(InvalidInput):
    """The command cannot run as asked (a port that cannot be listened on): exit code 2,
    the message alone on standard error (no usage text)."""

    exit_code = EXIT_USAGE


def open_binary(path: str) -> IO[bytes]:
    """A file opened for reading bytes (``-``: standard input), or exit 5 naming why it
    cannot be, in the words `check` uses."""
    if path == "-":
        return sys.stdin.buffer
    if Path(path).is_dir():
        raise InvalidInput(f"error: {path}: is a directory, not a file of requests")
    try:
        return Path(path).open("rb")
    except OSError as error:
        raise InvalidInput(f"error: {path}: cannot read: {error.strerror}") from None


def fail(error: OrdinanceError) -> NoReturn:
    """Exit 5 with the error rendered for people (file:line:column and caret for law files)."""
    if isinstance(error, LawError):
        raise InvalidInput(error.render())
    if isinstance(error, RequestError):
        raise InvalidInput(error.render())
    raise InvalidInput(f"error: {error}")


def styler(enabled: bool) -> Callable[[str, str], str]:
    """A function styling text by role (outcome colours, bold headings), or leaving it plain."""
    def style(text: str, role: str) -> str:
        if not enabled:
            return text
        if role == "heading":
            return click.style(text, bold=True)
        colour = colour_for(role)
        return click.style(text, fg=colour, bold=True) if colour else text
    return style


def open_decision_log(path: Path | None) -> DecisionLog | None:
    """Open the decision log a command was given with --log (exit 5 if it cannot be)."""
    if path is None:
        return None
    from ..service.decisionlog import DecisionLog, subject_policy_from_env

    try:
        return DecisionLog(path, subject=subject_policy_from_env())
    except LogError as error:
        fail(error)


def load_laws(path: Path | None) -> OrdinanceSet:
    """The law set at ``path`` (the bundled one by default); exit 5 if it does not check."""
    from ..checker import cache

    try:
        laws = load(path)
    except LawError as error:
        fail(error)
    if cache.refused is not None:
        click.echo(f"warning: {cache.refused}, so every command checks the law again; "
                   "make it yours and not writable by others (chmod go-w), or set "
                   "ORDINANCE_CACHE_DIR", err=True)
        cache.refused = None
    return laws


def parse_date(value: str | None, option: str = "--date") -> dt.date | None:
    """A ``YYYY-MM-DD`` option's date; a usage error (exit 2) naming the option otherwise."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a date written YYYY-MM-DD",
                                 param_hint=option) from None


ORDINANCES_OPTION = click.option(
    "--ordinances", "ordinances", type=click.Path(path_type=Path), default=None,
    help="Directory (or file) of .ord law files. Default: the bundled law set.")
DATE_OPTION = click.option(
    "--date", "date", metavar="YYYY-MM-DD", default=None,
    help="Decide as of this date, overriding each request's `date`.")



def read_all(laws: OrdinanceSet, paths: Sequence[str],
             date: dt.date | None) -> list[tuple[str, Any]]:
    """Every request in ``paths`` with where it came from, ``date`` overriding its own."""
    out = []
    for path in paths:
        try:
            for origin, data in read_requests(path):
                if date is not None and isinstance(data, dict):
                    data = {**data, "date": date.isoformat()}
                out.append((origin, data))
        except InputError as error:
            fail(error)
    return out


