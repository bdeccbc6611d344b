"""The ``ordinance`` command line: a thin layer over the library."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from . import __version__
from .errors import InputError, LawError, LogError, OrdinanceError, RequestError
from .evaluator import NOT_COVERED, PERMITTED, PROHIBITED, UNDETERMINED
from .inputs import read_requests
from .lawset import OrdinanceSet, load
from .render import colour_for, to_markdown, to_text
from .sitetext import LANGUAGES

if TYPE_CHECKING:
    from .decisionlog import DecisionLog

# Modules only some commands need are imported inside those commands, so that
# `ordinance check` starts fast (see docs/performance.md, cold start).

EXIT_PERMITTED = 0
EXIT_PROHIBITED = 1
EXIT_USAGE = 2
EXIT_UNDETERMINED = 3
EXIT_NOT_COVERED = 4
EXIT_INVALID = 5

OUTCOME_EXIT = {PERMITTED: EXIT_PERMITTED, PROHIBITED: EXIT_PROHIBITED,
                UNDETERMINED: EXIT_UNDETERMINED, NOT_COVERED: EXIT_NOT_COVERED}
"""The exit code of each outcome (design.md section 6)."""

_EXIT_ORDER = [EXIT_PROHIBITED, EXIT_UNDETERMINED, EXIT_NOT_COVERED, EXIT_PERMITTED]

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


def _fail(error: OrdinanceError) -> NoReturn:
    if isinstance(error, LawError):
        raise InvalidInput(error.render())
    if isinstance(error, RequestError):
        raise InvalidInput(error.render())
    raise InvalidInput(f"error: {error}")


def _styler(enabled: bool) -> Callable[[str, str], str]:
    def style(text: str, role: str) -> str:
        if not enabled:
            return text
        if role == "heading":
            return click.style(text, bold=True)
        colour = colour_for(role)
        return click.style(text, fg=colour, bold=True) if colour else text
    return style


def _open_log(path: Path | None) -> DecisionLog | None:
    """Open the decision log a command was given with --log (exit 5 if it cannot be)."""
    if path is None:
        return None
    from .decisionlog import DecisionLog

    try:
        return DecisionLog(path)
    except LogError as error:
        _fail(error)


def _load(path: Path | None) -> OrdinanceSet:
    try:
        return load(path)
    except LawError as error:
        _fail(error)


def _parse_date(value: str | None, option: str = "--date") -> dt.date | None:
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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="ordinance")
@click.option("--no-cache", is_flag=True,
              help="Parse and check the law files afresh instead of using the on-disk cache "
                   "of checked law sets (also: ORDINANCE_NO_CACHE=1).")
def main(no_cache: bool) -> None:
    """Decide whether police and city data may be shared, and say why, citing the law.

    \b
    Try:
      ordinance check examples/release-date-state-prison-felony.yaml
      ordinance check request.yaml --format json
      ordinance explain request.yaml
      ordinance ask partial.yaml    # be asked only the facts that matter
      ordinance batch requests.jsonl --out decisions.jsonl
      ordinance serve --port 8080   # POST /v1/decide from any language
      ordinance docs --out site/ --lang es
      ordinance test            # run the cases kept beside each bundled law
      ordinance lint my-laws/   # check law files you are writing
    """
    if no_cache:
        os.environ["ORDINANCE_NO_CACHE"] = "1"


def _requests(laws: OrdinanceSet, paths: Sequence[str],
              date: dt.date | None) -> list[tuple[str, Any]]:
    out = []
    for path in paths:
        try:
            for origin, data in read_requests(path):
                if date is not None and isinstance(data, dict):
                    data = {**data, "date": date.isoformat()}
                out.append((origin, data))
        except InputError as error:
            _fail(error)
    return out


@main.command()
@click.argument("requests", nargs=-1, required=True, metavar="REQUEST...")
@ORDINANCES_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True,
              help="text for people, json for machines (the decision contract), "
                   "markdown for a memo.")
@DATE_OPTION
@click.option("--log", "log_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Append every decision to this SQLite decision log (see `ordinance log`).")
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
    laws = _load(ordinances)
    when = _parse_date(date)
    style = _styler(sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    decisions = []
    decision_log = _open_log(log_path)
    try:
        for origin, data in _requests(laws, requests, when):
            request = laws.request(data, origin)
            decision = laws.decide(request)
            if decision_log is not None:
                decision_log.record(request.to_dict(), decision.to_dict())
            decisions.append(decision)
    except (RequestError, LogError) as error:
        _fail(error)
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
    sys.exit(next(code for code in _EXIT_ORDER if code in codes))


@main.command()
@click.argument("request", metavar="REQUEST")
@ORDINANCES_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for machines.")
@DATE_OPTION
def explain(request: str, ordinances: Path | None, fmt: str, date: str | None) -> None:
    """Show the full reasoning behind REQUEST's decision.

    Every law of the set, whether it applies and why; every rule, its
    condition and the facts that decided it, its standing for each data
    item, with its exceptions nested beneath it.
    """
    from .tree import reasoning_tree, tree_text

    laws = _load(ordinances)
    trees = []
    try:
        for origin, data in _requests(laws, [request], _parse_date(date)):
            evaluation = laws.evaluate(laws.request(data, origin))
            trees.append(reasoning_tree(laws.explainer, evaluation))
    except RequestError as error:
        _fail(error)
    if fmt == "json":
        click.echo(json.dumps(trees[0] if len(trees) == 1 else trees, indent=2,
                              ensure_ascii=False))
    else:
        click.echo("\n\n".join(tree_text(t) for t in trees))
    codes = {OUTCOME_EXIT[t["outcome"]] for t in trees}
    sys.exit(next(code for code in _EXIT_ORDER if code in codes))


@main.command("test")
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
    from .testing import coverage, run_cases

    laws = _load(directory)
    root = directory if directory is not None else laws.root
    assert root is not None
    try:
        results = run_cases(laws, root)
    except InputError as error:
        _fail(error)
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
        style = _styler(sys.stdout.isatty() and "NO_COLOR" not in os.environ)
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


@main.command()
@ORDINANCES_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True)
def laws(ordinances: Path | None, fmt: str) -> None:
    """List the laws of the set: jurisdiction, whom they bind, version, source, gaps.

    `ordinance laws --format markdown > docs/laws.md` regenerates the catalogue.
    """
    from .catalog import catalog, catalog_markdown, catalog_text

    law_set = _load(ordinances)
    if fmt == "json":
        click.echo(json.dumps(catalog(law_set), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(catalog_markdown(law_set), nl=False)
    else:
        click.echo(catalog_text(law_set))


@main.command()
@ORDINANCES_OPTION
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Directory to write the site to (created if missing).")
@click.option("--format", "fmt", type=click.Choice(["html", "markdown"]), default="html",
              show_default=True, help="html: a static site that works offline; markdown: "
              "pages for a website repository.")
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default="en", show_default=True,
              help="Language of the generated words (quoted law stays in the original).")
@click.option("--templates", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, help="Directory of templates overriding the built-in ones, "
              "file by file (base.html, law.html, place.html, index.html, style.css, or "
              "the .md ones).")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", default=None,
              help="Decide the who-may-receive-what tables as of this date. Default: today.")
def docs(ordinances: Path | None, out: Path, fmt: str, lang: str, templates: Path | None,
         as_of: str | None) -> None:
    """Write plain-language documentation of the law set.

    An index by jurisdiction, a page per law (each rule in words generated
    from the rule itself, its exceptions beneath it, the verbatim text it
    rests on) and a page per jurisdiction with a who-may-receive-what table
    whose every cell the engine decides.

    \b
    Example:
      ordinance docs --out site/ --lang es
    """
    import jinja2  # only this command renders templates

    from .docsite import SiteOptions, build_site

    law_set = _load(ordinances)
    options = SiteOptions(out=out, fmt=fmt, lang=lang, templates=templates,
                          as_of=_parse_date(as_of, "--as-of") or dt.date.today())
    try:
        written = build_site(law_set, options)
    except jinja2.TemplateError as error:
        where = f"{getattr(error, 'filename', None) or ''}:{getattr(error, 'lineno', '') or ''}"
        raise InvalidInput(f"error: template {where.strip(':')}: {error.message}") from None
    except OSError as error:
        raise InvalidInput(f"error: cannot write to {out}: {error.strerror}") from None
    click.echo(f"wrote {len(written)} files to {out}")


def run() -> None:
    """Entry point that turns an unexpected crash into a short message, not a traceback."""
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - last resort; set ORDINANCE_DEBUG to see it
        if os.environ.get("ORDINANCE_DEBUG"):
            raise
        click.echo(f"internal error: {type(error).__name__}: {error}\n"
                   "this is a bug in ordinance; rerun with ORDINANCE_DEBUG=1 for details",
                   err=True)
        sys.exit(70)


# ------------------------------------------------------------ commands kept in their own modules
# Each module below imports `main` from here and adds its command with @main.command().
from . import cli_ask, cli_batch, cli_diff, cli_fmt, cli_lint, cli_log, cli_schema, cli_serve  # noqa: E402,F401
