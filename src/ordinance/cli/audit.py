"""``ordinance audit``: judge every row of a sharing log (see :mod:`ordinance.audit`)."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from ..language.errors import InputError
from .common import (
    EXIT_PERMITTED,
    EXIT_PROHIBITED,
    EXIT_UNDETERMINED,
    ORDINANCES_OPTION,
    InvalidInput,
    fail,
    load_laws,
)

HOLDER_KEYS = ("kind", "state", "county", "city", "agency")
"""What ``--holder`` may set (the audited agency's ``holder.*`` facts)."""


def _holder(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not value.strip():
            raise click.BadParameter(f"`{pair}` is not KEY=VALUE (e.g. county=Alameda)",
                                     param_hint="--holder")
        fact = key if "." in key else f"holder.{key}"
        if not fact.startswith("holder."):
            raise click.BadParameter(f"`{key}`: --holder sets the audited agency's facts "
                                     "(holder.*)", param_hint="--holder")
        out[fact] = value.strip()
    return out


@click.command()
@click.argument("logs", nargs=-1, required=True, metavar="LOG...")
@click.option("--map", "mapping", required=True, metavar="MAPPING",
              help="How the log's columns become request facts: a bundled preset "
                   "(flock-network-audit) or a mapping file (YAML; see docs/audit.md).")
@click.option("--holder", "holder", multiple=True, metavar="KEY=VALUE",
              help="A fact of the audited agency, overriding the mapping's constants: "
                   "kind=sheriff, county=Alameda, city=Oakland, ... (repeatable).")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False),
              default=Path("audit-report"), show_default=True,
              help="Directory for rows.parquet, decisions.jsonl, summary.json, summary.csv "
                   "and report.html.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True,
              help="Where the rows are read and mapped: DuckDB, embedded; or Apache Spark "
                   "for logs beyond one machine (pip install 'ordinance[spark]', a Java "
                   "runtime). Either way each distinct combination is decided once here.")
@click.option("--master", default="local[*]", show_default=True,
              help="The Spark master (with --engine spark): local[*], spark://HOST:7077, ...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="The summary on standard output.")
@ORDINANCES_OPTION
def audit(logs: tuple[str, ...], mapping: str, holder: tuple[str, ...], out: Path,
          engine: str, master: str, fmt: str, ordinances: Path | None) -> None:
    """Judge every row of a sharing log (CSV, XLSX, Parquet or JSON lines; globs and
    many files) against the law set, on DuckDB.

    Each row becomes a request through the mapping; rows with the same facts (as
    far as the laws read them) are decided once, and every row gets its outcome,
    the rules and citations that decided it and the facts still missing. Results
    are indicators for review, not findings of violation.

    \b
    Example (a Flock "Network Audit" export of the Oakland Police Department):
      ordinance audit export.csv --map flock-network-audit \\
          --holder county=Alameda --holder city=Oakland --out oakland-audit

    \b
    Exit codes:
      0  every row permitted or not covered
      1  some row is prohibited
      2  usage error
      3  no row prohibited, some undetermined or unreadable
      5  a bad mapping or log (the error names the file, line and column)
    """
    from ..audit.logs import expand
    from ..audit.mapping import ConstantError, MappingError, load_mapping, preset_names
    from ..audit.report import summarise, write_report, write_summary
    from ..audit.run import UNREADABLE, write_outputs
    from ..audit.run import audit as run_audit

    laws = load_laws(ordinances)
    constants = _holder(holder)
    try:
        checked = load_mapping(mapping, laws.engine, constants)
    except MappingError as error:
        fail(error)
    except ConstantError as error:
        raise click.BadParameter(str(error), param_hint="--holder") from None
    except OSError as error:
        raise InvalidInput(f"error: mapping `{mapping}`: {error.strerror or error}; bundled "
                           f"presets: {', '.join(preset_names())}") from None
    _warn(checked.warnings)
    with tempfile.TemporaryDirectory(prefix="ordinance-audit-") as work:
        try:
            files = expand(list(logs))
            progress = _progress if sys.stderr.isatty() else None
            if engine == "spark":
                from ..audit.spark import audit_spark

                run = audit_spark(laws, checked, files, workdir=Path(work), master=master,
                                  progress=progress)
            else:
                run = run_audit(laws, checked, files, workdir=Path(work), progress=progress,
                                sql_progress=fmt == "text" and sys.stdout.isatty())
        except InputError as error:
            fail(error)
        written = write_outputs(run, out)
        summary = summarise(run, laws)
        written.update(write_summary(summary, out))
        written["report"] = write_report(summary, run, out)
        run.con.close()
    if fmt == "json":
        click.echo(json.dumps({**summary, "outputs": {k: str(v) for k, v in written.items()}},
                              indent=2, ensure_ascii=False))
    else:
        _print_text(summary, written)
    outcomes = summary["outcomes"]
    if outcomes.get("prohibited"):
        sys.exit(EXIT_PROHIBITED)
    if outcomes.get("undetermined") or outcomes.get(UNREADABLE):
        sys.exit(EXIT_UNDETERMINED)
    sys.exit(EXIT_PERMITTED)


def _progress(steps: Iterable[Any], total: int) -> Iterable[Any]:
    with click.progressbar(steps, length=total, label="deciding distinct rows",
                           file=sys.stderr) as bar:
        yield from bar


def _warn(warnings: Iterable[Any]) -> None:
    facts = [w.subjects[0] for w in warnings]
    if facts:
        shown = ", ".join(facts[:8]) + (f" and {len(facts) - 8} more" if len(facts) > 8 else "")
        click.echo(f"warning: {len(facts)} facts the laws read are set by no column or "
                   f"constant, so unknown on every row: {shown}", err=True)


def _print_text(summary: dict[str, Any], written: dict[str, Path]) -> None:
    click.echo(f"{summary['rows']} rows, {summary['signatures']} distinct combinations of "
               "the facts the laws read")
    for outcome, rows in summary["outcomes"].items():
        if rows:
            click.echo(f"  {outcome.replace('_', ' '):<14} {rows:>10}")
    for row in summary["by_citation"][:5]:
        click.echo(f"  prohibited by {row['citation']}: {row['rows']} rows")
    click.echo("indicators for review, not findings of violation; report: "
               f"{written['report']}")
