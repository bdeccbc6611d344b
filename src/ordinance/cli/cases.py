"""``ordinance test``: run the cases kept beside each law."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..language.errors import InputError
from .common import EXIT_PROHIBITED, fail, load_laws, styler


@click.command("test")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="List passing cases too.")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Print, per law, which cited sections the cases make decide.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="PCT",
              help="With --coverage: fail (exit 1) if any law's coverage is below PCT.")
def test_command(directory: Path | None, fmt: str, verbose: bool, show_coverage: bool,
                 fail_under: float | None) -> None:
    """Run the cases kept beside each law (*.cases.yaml) in DIRECTORY.

    Each case names the sections it tests, a request and the expected
    outcome (and optionally per-item outcomes and the exact missing facts).
    Exit 0 when every case passes, 1 when one fails (or coverage is under
    --fail-under), 5 on invalid files.

    \b
    Example:
      ordinance test --coverage --fail-under 100
    """
    from ..service.testing import coverage, run_cases

    laws = load_laws(directory)
    root = directory if directory is not None else laws.root
    assert root is not None
    try:
        results = run_cases(laws, root)
    except InputError as error:
        fail(error)
    failed = [r for r in results if not r.passed]
    covered = coverage(laws, results) if show_coverage or fail_under is not None else []
    short = [c for c in covered if fail_under is not None and c.percent < fail_under]
    if fmt == "json":
        payload: dict[str, Any] = {
            "cases": [{"name": r.case.name, "origin": r.case.origin, "passed": r.passed,
                       "failures": list(r.failures)} for r in results]}
        if covered:
            payload["coverage"] = [{"law": c.law, "percent": round(c.percent, 1),
                                    "cited": list(c.cited), "missing": list(c.missing)}
                                   for c in covered]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        style = styler(sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        for result in results:
            if result.passed and not verbose:
                continue
            mark = style("PASS", "permitted") if result.passed else style("FAIL", "prohibited")
            click.echo(f"{mark} {result.case.origin}")
            for failure in result.failures:
                click.echo(f"     {failure}")
        if covered:
            click.echo("")
            click.echo("Coverage: cited sections that some case makes decide")
            for law in covered:
                click.echo(f"  {law.law:<32} {len(law.exercised):>3}/{len(law.cited):<3} "
                           f"{law.percent:5.1f}%")
                for citation in law.missing:
                    click.echo(f"      not exercised: {citation}")
            if short:
                click.echo(f"coverage under {fail_under:g}%: "
                           + ", ".join(c.law for c in short))
        click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_PROHIBITED if failed or short else 0)
