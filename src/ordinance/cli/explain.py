"""``ordinance explain``: the full reasoning tree behind a decision."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..language.errors import RequestError
from .common import (
    DATE_OPTION,
    EXIT_ORDER,
    ORDINANCES_OPTION,
    OUTCOME_EXIT,
    fail,
    load_laws,
    parse_date,
    read_all,
)


@click.command()
@click.argument("request", metavar="REQUEST")
@ORDINANCES_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for machines.")
@DATE_OPTION
@click.option("--all", "everything", is_flag=True,
              help="Show every law of the set and every rule, whether or not it bears on "
                   "this request.")
def explain(request: str, ordinances: Path | None, fmt: str, date: str | None,
            everything: bool) -> None:
    """Show the reasoning behind REQUEST's decision.

    The laws that apply and, of their rules, those that decided the outcome:
    each rule that stood, was defeated, or is still open for a requested item,
    with its condition, the facts that decided it, its standing per item and
    the exceptions beneath it; then the laws that do not apply, with why not.
    With --all: every law of the set and every rule, with its standing for
    each data item (or "not about this data").
    """
    from ..outputs.tree import reasoning_tree, tree_text

    laws = load_laws(ordinances)
    trees = []
    try:
        for origin, data in read_all(laws, [request], parse_date(date)):
            evaluation = laws.evaluate(laws.request(data, origin))
            trees.append(reasoning_tree(laws.explainer, evaluation, everything=everything))
    except RequestError as error:
        fail(error)
    if fmt == "json":
        click.echo(json.dumps(trees[0] if len(trees) == 1 else trees, indent=2,
                              ensure_ascii=False))
    else:
        click.echo("\n\n".join(tree_text(t) for t in trees))
    codes = {OUTCOME_EXIT[t["outcome"]] for t in trees}
    sys.exit(next(code for code in EXIT_ORDER if code in codes))
