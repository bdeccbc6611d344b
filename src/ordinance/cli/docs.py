"""``ordinance docs``: the plain-language documentation site."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..outputs.sitetext import LANGUAGES
from .common import ORDINANCES_OPTION, InvalidInput, load_laws, parse_date


@click.command()
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

    from ..outputs.docsite import SiteOptions, build_site

    law_set = load_laws(ordinances)
    options = SiteOptions(out=out, fmt=fmt, lang=lang, templates=templates,
                          as_of=parse_date(as_of, "--as-of") or dt.date.today())
    try:
        written = build_site(law_set, options)
    except jinja2.TemplateError as error:
        where = f"{getattr(error, 'filename', None) or ''}:{getattr(error, 'lineno', '') or ''}"
        raise InvalidInput(f"error: template {where.strip(':')}: {error.message}") from None
    except OSError as error:
        raise InvalidInput(f"error: cannot write to {out}: {error.strerror}") from None
    click.echo(f"wrote {len(written)} files to {out}")
