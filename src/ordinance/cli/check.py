"""``ordinance check``: decide requests and print the decisions."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..language.errors import LogError, RequestError
from ..outputs.render import to_markdown, to_text
from .common import (
    DATE_OPTION,
    EXIT_ORDER,
    ORDINANCES_OPTION,
    OUTCOME_EXIT,
    fail,
    load_laws,
    open_decision_log,
    parse_date,
    read_all,
    styler,
)


@click.command()
@click.argument("requests", nargs=-1, required=True, metavar="REQUEST...")
@ORDINANCES_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True,
              help="text for people, json for machines (the decision contract), "
                   "markdown for a memo.")
@DATE_OPTION
@click.option("--log", "log_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Append every decision to this SQLite decision log; keyed (HMAC) when "
                   "ORDINANCE_LOG_KEY is set (see `ordinance log --help`).")
def check(requests: tuple[str, ...], ordinances: Path | None, fmt: str,
          date: str | None, log_path: Path | None) -> None:
    """Decide each REQUEST (a YAML or JSON file, or - for standard input).

    A file may hold one request or a list of them. The exit code says the
    outcome (see `ordinance --help`); with --format json, one request prints
    one JSON object and several print a JSON list.

    \b
    Example:
      ordinance check examples/home-address-hold-request.yaml --format markdown
    """
    laws = load_laws(ordinances)
    when = parse_date(date)
    style = styler(sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    decisions = []
    decision_log = open_decision_log(log_path)
    try:
        for origin, data in read_all(laws, requests, when):
            request = laws.request(data, origin)
            decision = laws.decide(request)
            if decision_log is not None:
                decision_log.record(request.to_dict(), decision.to_dict())
            decisions.append(decision)
    except (RequestError, LogError) as error:
        fail(error)
    finally:
        if decision_log is not None:
            decision_log.close()
    if fmt == "json":
        payload = [d.to_dict() for d in decisions]
        click.echo(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2,
                              ensure_ascii=False))
    else:
        render = to_markdown if fmt == "markdown" else (lambda d: to_text(d, style))
        separator = "\n\n---\n\n" if fmt == "markdown" else "\n\n" + "=" * 72 + "\n\n"
        click.echo(separator.join(render(d) for d in decisions))
    codes = {OUTCOME_EXIT[d.outcome] for d in decisions}
    sys.exit(next(code for code in EXIT_ORDER if code in codes))
