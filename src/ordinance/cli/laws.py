"""``ordinance laws``: the catalogue of the law set."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import ORDINANCES_OPTION, load_laws


@click.command()
@ORDINANCES_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True)
def laws(ordinances: Path | None, fmt: str) -> None:
    """List the laws of the set: jurisdiction, whom they bind, version, source, gaps.

    `ordinance laws --format markdown > docs/laws.md` regenerates the catalogue.
    """
    from ..outputs.catalog import catalog, catalog_markdown, catalog_text

    law_set = load_laws(ordinances)
    if fmt == "json":
        click.echo(json.dumps(catalog(law_set), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(catalog_markdown(law_set), nl=False)
    else:
        click.echo(catalog_text(law_set))
