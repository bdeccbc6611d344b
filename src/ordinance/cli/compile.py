"""``ordinance compile``: the checked law set in another form (see
:mod:`ordinance.outputs.sqlview`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..outputs.sqlview import DIALECTS
from .common import ORDINANCES_OPTION, load_laws


@click.command("compile")
@click.option("--to", "target", type=click.Choice(["sql"]), required=True,
              help="What to compile to: sql, one query over a table of requests.")
@click.option("--dialect", type=click.Choice(DIALECTS),
              default="duckdb", show_default=True, help="The SQL dialect to write.")
@click.option("--table", default="requests", show_default=True,
              help="The table of requests the query reads.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the query to this file (default: standard output).")
@ORDINANCES_OPTION
def compile_command(target: str, dialect: str, table: str, out: Path | None,
                    ordinances: Path | None) -> None:
    """Compile the checked law set for systems that cannot run Python.

    With --to sql: one SQL query over a table with one row per request and data
    item asked about (a column `item`, and a column per fact the laws read, named
    by its path, NULL where unknown). It adds `covered`, `prohibited` and
    `outcome` to every row. It is one pass of three-valued logic: where
    `ordinance check` settles an outcome by searching the unknown facts'
    completions, the query may say undetermined (never the reverse); it gives
    no explanation, citations or missing facts. The header of the query lists
    the columns it reads.

    \b
    Example:
      ordinance compile --to sql --dialect spark --out law.sql
    """
    from ..outputs.sqlview import compile_sql

    laws = load_laws(ordinances)
    sql = compile_sql(laws.engine, dialect, table, laws.digest)
    if out is None:
        click.echo(sql, nl=False)
    else:
        out.write_text(sql, encoding="utf-8")
