"""``ordinance lint``: errors, warnings and the law analysis, with reviews applied."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..engine.lawset import load
from ..language.diagnostics import Diagnostic
from ..language.errors import LawError
from .common import EXIT_INVALID


@click.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "gnu", "json"]), default="text",
              show_default=True,
              help="text: each finding with its source line and witness; gnu: one line each "
                   "(file:line:col: severity: code: message); json: for tools.")
@click.option("--show-reviewed", is_flag=True,
              help="Also print the warnings that a `reviewed` declaration explains, each "
                   "with its reason.")
def lint(directory: Path | None, fmt: str, show_reviewed: bool) -> None:
    """Check and analyse the law files in DIRECTORY (default: the bundled set).

    Errors (exit 5) stop a law set from loading: syntax, unknown facts,
    values and citations, type mismatches, duplicates, exception cycles.

    Warnings (exit 0) point at what a reviewer should look at:

    \b
      gap                    law text that could not be found verbatim
      uncited-section        a section no rule cites
      rule-without-citation  a rule that cites no section
      unused-fact            a fact no rule reads
      conflicting-rules      a permission and a prohibition that stand together
      unreachable-rule       a rule that can never stand
      dead-exception         an exception that can never stand
      shadowed-rule          a rule that never decides a request alone
      unused-review          a `reviewed` declaration that matches no warning

    The analysis searches every class of request the law tells apart (every
    holder context, data item and fact value a condition distinguishes), so its
    findings are exact; each comes with a witness request: save it to a file
    and run `ordinance check` on it to see the problem. A warning that a law
    file explains with `reviewed "CODE" for "SUBJECT", ... because "..."` is
    counted as reviewed, not as a warning (see docs/language.md). Each search
    and the conflict check have a budget (docs/limits.md); what one did not
    finish is named as unknown on the `analysis:` line (with --format json or
    gnu, on stderr), never reported as absent.

    \b
    Examples:
      ordinance lint
      ordinance lint my-laws/ --format gnu
      ordinance lint --show-reviewed
    """
    from ..analysis.conflicts import analyse
    from ..analysis.space import AnalysisError
    from ..checker.lint import apply_reviews

    try:
        laws = load(directory)
    except LawError as error:
        _print(error.diagnostics, fmt, [])
        _summary(fmt, len(error.diagnostics), 0, 0, None)
        sys.exit(EXIT_INVALID)
    try:
        analysis = analyse(laws.engine)
    except AnalysisError as error:  # a bug in the search, not in the law files
        click.echo(f"error: the analysis could not finish: {error}", err=True)
        sys.exit(EXIT_INVALID)
    sorted_out = apply_reviews([*laws.warnings, *analysis.findings], laws.model.reviews)
    warnings = sorted([*sorted_out.open, *sorted_out.unused], key=Diagnostic.sort_key)
    reviewed = [(d, r.reason) for d, r in sorted_out.reviewed]
    _print(warnings, fmt, reviewed if show_reviewed or fmt == "json" else [])
    _summary(fmt, 0, len(warnings), len(reviewed), analysis.stats.summary())
    if fmt != "text" and (analysis.stats.stopped or analysis.stats.unchecked):
        # stdout keeps its shape for tools; what the analysis left unknown goes to stderr
        click.echo(f"analysis incomplete: {analysis.stats.summary()}", err=True)
    sys.exit(0)


def _print(findings: list[Diagnostic], fmt: str, reviewed: list[tuple[Diagnostic, str]]
           ) -> None:
    if fmt == "json":
        out = [{**d.to_dict(), "reviewed": None} for d in findings]
        out += [{**d.to_dict(), "reviewed": reason} for d, reason in reviewed]
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    elif fmt == "gnu":
        for finding in findings:
            click.echo(finding.gnu())
        for finding, reason in reviewed:
            click.echo(f"{finding.gnu()} [reviewed: {reason}]")
    else:
        for finding in findings:
            click.echo(finding.render() + "\n")
        for finding, reason in reviewed:
            click.echo(f"{finding.render()}\n  = reviewed: {reason}\n")


def _summary(fmt: str, errors: int, warnings: int, reviewed: int, searched: str | None
             ) -> None:
    if fmt != "text":
        return
    if searched:
        click.echo(f"analysis: {searched}")
    click.echo(f"{errors} error{'s' if errors != 1 else ''}, "
               f"{warnings} warning{'s' if warnings != 1 else ''}"
               + (f", {reviewed} reviewed" if reviewed else ""))
