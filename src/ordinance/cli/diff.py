"""``ordinance diff`` and ``ordinance coverage-gaps``: what an amendment changes, and which
requests no rule speaks to."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..engine.lawset import load
from ..language.errors import LawError
from .common import ORDINANCES_OPTION, InvalidInput, load_laws

if TYPE_CHECKING:
    from ..analysis.lawdiff import Version

DIFF_EXIT_HELP = """\b
Exit codes (like diff(1)):
  0  no request changes outcome
  1  some requests change outcome
  2  usage error (bad option or argument)
  5  invalid input: a law file with errors, no such directory or git revision
"""

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
    show_default=True,
    help="text for people, json for machines (every finding), markdown for a memo.")
LIMIT_OPTION = click.option(
    "--limit", type=click.IntRange(min=0), default=50, show_default=True,
    help="Show at most this many findings in text and markdown (0: all). JSON lists all.")


def _version(spec: str, subdir: str, scratch: Path) -> Version:
    """Load one side of a diff: a directory or file as given, else a git revision."""
    from ..analysis.lawdiff import DiffInputError, Version, extract_revision

    if Path(spec).exists():
        return Version(spec, load_laws(Path(spec)))
    try:
        label = extract_revision(spec, subdir, scratch)
    except DiffInputError as error:
        raise InvalidInput(f"error: {error}") from None
    try:
        return Version(label, load(scratch / subdir.strip("/"), cache=False))
    except LawError as error:
        raise InvalidInput(f"error: the law set at {label} has errors:\n\n"
                           + error.render()) from None


@click.command("diff", epilog=DIFF_EXIT_HELP)
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--path", "subdir", default="ordinances", show_default=True, metavar="SUBDIR",
              help="With a git revision: the directory of law files in the repository, "
                   "relative to its root.")
@FORMAT_OPTION
@LIMIT_OPTION
def diff_command(old: str, new: str, subdir: str, fmt: str, limit: int) -> None:
    """List every class of requests whose outcome changes from OLD to NEW.

    OLD and NEW are each a directory (or file) of .ord law files, or a git
    revision (a commit, tag or branch, e.g. HEAD~1) of the repository around
    the current directory, whose SUBDIR is compared. Each change is a class of
    requests described by the facts the changed rules read, with the outcome
    before and after, the rules and citations on each side and a witness
    request that `ordinance check` decides accordingly with either version. The
    search is exhaustive: a request outside every class listed keeps its outcome.

    \b
    Examples:
      ordinance diff HEAD~1 HEAD
      ordinance diff v1.0 . --path ordinances --format markdown > memo.md
      ordinance diff laws-2024/ laws-2025/ --format json
    """
    import tempfile  # only this command needs it (see docs/performance.md, cold start)

    from ..analysis.diffreport import diff_markdown, diff_text
    from ..analysis.lawdiff import diff

    with tempfile.TemporaryDirectory(prefix="ordinance-diff-") as scratch:
        before, after = (_version(spec, subdir, Path(scratch) / side)
                         for spec, side in ((old, "old"), (new, "new")))
    result = diff(before, after)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(diff_markdown(result, limit or None), nl=False)
    else:
        click.echo(diff_text(result, limit or None))
    sys.exit(1 if result.changes else 0)


@click.command("coverage-gaps")
@ORDINANCES_OPTION
@FORMAT_OPTION
@LIMIT_OPTION
def coverage_gaps_command(ordinances: Path | None, fmt: str, limit: int) -> None:
    """List the requests the law set permits only because no rule speaks to them.

    A request for a data item is spoken to when the condition of a rule that
    permits or prohibits that item holds (a rule of a law that applies, the
    item in its scope), or when an exception that prohibits stands. Every
    other request is permitted by default: these are the places a drafter may
    have left open on purpose, or forgotten. Each finding is a class of requests
    with a witness. The search of each data item evaluates at most a budget of
    partial requests; when it stops there, the report says it is incomplete and
    names the items it did not finish (gaps there are unknown, not absent; JSON:
    "complete": false and "stopped_items"). Exit 0 (5 on invalid law files).

    \b
    Examples:
      ordinance coverage-gaps
      ordinance coverage-gaps --ordinances my-laws/ --format markdown > gaps.md
    """
    from ..analysis.gaps import coverage_gaps, gaps_markdown, gaps_text

    laws = load_laws(ordinances)
    report = coverage_gaps(laws, str(ordinances) if ordinances else "the bundled law set")
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(gaps_markdown(report, limit or None), nl=False)
    else:
        click.echo(gaps_text(report, limit or None))
