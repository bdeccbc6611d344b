"""Plain-language documentation of a law set, generated with jinja2 (HTML or Markdown).

Pages: an index by jurisdiction, one page per law (each rule in words generated
from its AST, its exceptions nested beneath it, the verbatim text it cites),
and one page per jurisdiction answering "who may receive what" with cells the
engine decides. Templates live in ``ordinance/outputs/templates/<format>/`` and can be
overridden file by file from a directory (``--templates DIR``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import jinja2

from ..analysis.matrix import (
    Jurisdiction,
    holder_for,
    jurisdictions,
    table,
    table_purposes,
    table_requesters,
)
from ..checker.model import Law, Rule
from ..checker.places import CONSOLIDATED, Gazetteer, Place
from ..engine.lawset import OrdinanceSet
from ..language.urls import web_url
from .prose import LANGUAGES, Prose, anchor
from .render import md_code, md_text
from .sitetext import UI

FORMATS = {"html": "html", "markdown": "md"}
"""Output formats and their file extensions."""

SEARCH_LIMIT = 40
"""Search results shown at most (the count of all matches is said)."""

OFFICIAL_PUBLISHERS = (
    "leginfo.legislature.ca.gov",  # California's Legislative Counsel: codes and bill texts
    "library.municode.com",  # Municode, official code publisher of many cities and counties
    "codelibrary.amlegal.com",  # American Legal Publishing (San Francisco, Palo Alto, Chicago)
    "codepublishing.com",  # Code Publishing Co. (Santa Cruz, formerly Berkeley)
    "municipal.codes",  # Code Publishing Co.'s code sites (berkeley., sebastopol.municipal.codes)
    "county.codes",  # the same platform for counties (humboldt.county.codes)
    "ecode360.com",  # General Code (Davis)
    "gov",  # a U.S. government's own domain (oaklandca.gov, sf.gov, oag.ca.gov)
    "sfgov.org",  # the City and County of San Francisco's own older domain
)
"""Hosts (and their subdomains) whose text of a law is the official publisher's. A law's
``source`` on any other host (law.justia.com, codes.findlaw.com, elaws.us, a GitHub copy, a
CDN) is shown as a mirror, never as the official source."""


@attrs.frozen
class SiteOptions:
    """What to generate: where, in which format and language, as of which date."""

    out: Path
    fmt: str = "html"
    lang: str = "en"
    as_of: dt.date = attrs.field(factory=dt.date.today)
    templates: Path | None = None


def environment(fmt: str, templates: Path | None = None) -> jinja2.Environment:
    """The jinja2 environment: a user's template directory first, then the package's."""
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.PackageLoader("ordinance.outputs", f"templates/{fmt}"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Markdown has no autoescape: every text from a law goes through `md` (escaped, one line)
    # or `md_code` (a code span), so it can make no link, image, HTML tag or heading.
    env.filters["md"] = md_text
    env.filters["md_code"] = md_code
    env.filters["md_cell"] = md_text  # older names, for users' templates
    env.filters["md_link"] = md_text
    return env


def short_citation(citation: str) -> str:
    """A citation without its code's name, for table cells.

    >>> short_citation("Cal. Gov. Code § 7284.6(a)(1)(C)")
    '§ 7284.6(a)(1)(C)'
    """
    return citation[citation.index("§"):] if "§" in citation else citation


def official_source(url: str) -> bool:
    """Whether a URL is on an official publisher's host (:data:`OFFICIAL_PUBLISHERS`).

    >>> official_source("https://leginfo.legislature.ca.gov/faces/codes.xhtml")
    True
    >>> official_source("https://codes.findlaw.com/ca/government-code/gov-sect-7283/")
    False
    """
    host = (urllib.parse.urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in OFFICIAL_PUBLISHERS)


def shorten(text: str, width: int = 90) -> str:
    """Text cut at a word boundary to at most about ``width`` characters, with an ellipsis.

    >>> shorten("No cooperation for a person convicted of a misdemeanor", 30)
    'No cooperation for a person…'
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    return text[:width].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def number_ranges(numbers: list[int]) -> str:
    """Caveat numbers as a cell shows them, runs joined (one link, not one per number).

    >>> number_ranges([1, 2, 3, 5, 7, 8])
    '1–3, 5, 7, 8'
    """
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 2 else ", ".join(map(str, run))
                     for run in runs)


def section_anchor(citation: str) -> str:
    """A stable HTML id for a section.

    >>> section_anchor("Cal. Gov. Code § 7284.6(a)(1)(C)")
    'sec-cal-gov-code-7284-6-a-1-c'
    """
    return "sec-" + re.sub(r"[^a-z0-9]+", "-", citation.lower()).strip("-")


class SiteBuilder:
    """Builds the page contexts of one law set in one language and format."""

    def __init__(self, laws: OrdinanceSet, options: SiteOptions) -> None:
        if options.lang not in LANGUAGES:
            raise ValueError(f"no documentation language `{options.lang}`")
        if options.fmt not in FORMATS:
            raise ValueError(f"no documentation format `{options.fmt}`")
        self.laws = laws
        self.model = laws.model
        self.options = options
        self.ext = FORMATS[options.fmt]
        self.prose = Prose(self.model, options.lang)
        self.ui = UI[options.lang]
        self.places = jurisdictions(laws)

    # ---------------------------------------------------------------- links and labels

    def law_page(self, law_id: str) -> str:
        """The file name of a law's page."""
        return f"law-{law_id}.{self.ext}"

    def place_page(self, jurisdiction: Jurisdiction) -> str:
        """The file name of a jurisdiction's page."""
        return f"place-{jurisdiction.slug}.{self.ext}"

    def rule_link(self, rule_id: str) -> str:
        """A link to a rule on its law's page."""
        return f"{self.law_page(self.model.rules[rule_id].law_id)}#{anchor(rule_id)}"

    def section_link(self, citation: str) -> str:
        """A link to a quoted section on its law's page (a shared definition: the index)."""
        law_id = self.model.sections[citation].law_id
        page = self.law_page(law_id) if law_id else f"index.{self.ext}"
        return f"{page}#{section_anchor(citation)}"

    def cell_links(self, rule_ids: tuple[str, ...]) -> list[dict[str, str]]:
        """Links from a table cell to the rules behind it, one per citation, at most three."""
        links: dict[str, str] = {}
        for rule_id in rule_ids:
            text = short_citation(self.model.rules[rule_id].citation)
            if text and text not in links:
                links[text] = self.rule_link(rule_id)
        return [{"text": text, "href": href} for text, href in list(links.items())[:3]]

    def place_name(self, places: tuple[tuple[str, str], ...]) -> str:
        """``the City of Oakland`` / ``la Ciudad de Oakland``."""
        level, name = places[-1]
        state = dict(places).get("state", "")
        if level == "state":
            found = Gazetteer().state(name)
            name = found.official if isinstance(found, Place) else name
        elif level == "county" and (state, name) in CONSOLIDATED:
            level = "consolidated"
        return self.ui[f"level_{level}"].format(name=name)

    def dates(self, law: Law) -> str:
        """When a law is in force, in words."""
        start = law.in_force_from.isoformat() if law.in_force_from else "—"
        if law.in_force_until:
            return self.ui["in_force_between"].format(start=start,
                                                      end=law.in_force_until.isoformat())
        return self.ui["in_force_from"].format(start=start)

    def holder_kind(self, kind: str) -> str:
        """A holder kind's label."""
        return self.model.facts["holder.kind"].value_label(kind, self.options.lang)

    # ---------------------------------------------------------------- contexts

    def common(self) -> dict[str, Any]:
        """What every page shows: title, language, navigation, provenance."""
        return {
            "lang": self.options.lang,
            "ui": self.ui,
            "ext": self.ext,
            "digest": self.model.digest,
            "as_of": self.options.as_of.isoformat(),
            "places": [{"name": self.place_name(j.places), "href": self.place_page(j),
                        "laws": [{"id": law.id, "title": law.text("title", self.options.lang),
                                  "href": self.law_page(law.id)} for law in j.laws]}
                       for j in self.places],
            "definitions": [
                {"citation": s.citation, "text": s.text, "id": section_anchor(s.citation),
                 "defines": [self.prose.category(c.name) for c in
                             self.model.hierarchy.categories.values() if s.citation in c.cites]}
                for s in self.model.sections.values() if not s.law_id],
        }

    def shared(self, rule: Rule) -> bool:
        """Whether an exception cancels several rules: shown once, linked from each."""
        return len(rule.excepts) > 1

    def what_it_does(self, rule: Rule) -> str:
        """A rule's own words, shortened: its summary, else its condition in words."""
        lang = self.options.lang
        return shorten(rule.text("summary", lang) or self.prose.condition(rule.written).flat(lang))

    def heading(self, rule: Rule) -> str:
        """A rule's heading: ``Not allowed — home address``; a shared exception is named by
        its citation and its own words: ``Exception: § 7282.5(a)(6) — No § 7282.5 …``."""
        if rule.is_exception and self.shared(rule):
            return (f"{self.ui['exception']}: {short_citation(rule.citation)} — "
                    f"{self.what_it_does(rule)}")
        effect = rule.effect or "defeats"
        text = self.ui[f"effect_{effect}"]
        if effect in ("permit", "prohibit"):
            text += " — " + ", ".join(self.prose.scope(rule))
        return f"{self.ui['exception']}: {text}" if rule.is_exception else text

    def rule_context(self, rule: Rule, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
        """A rule in words, with its quotes and its exceptions: one that cancels this rule
        alone nested (any depth), one shared by several rules as a one-line link."""
        context = self.prose.rule(rule)
        context["heading"] = self.heading(rule)
        context["law"] = rule.law_id
        context["law_href"] = self.law_page(rule.law_id)
        context["quotes"] = [{"citation": c, "text": self.model.sections[c].text,
                              "href": self.section_link(c)} for c in rule.cites[:1]]
        context["cites"] = [{"citation": c, "href": self.section_link(c)} for c in rule.cites]
        exceptions = [self.model.rules[e] for e in rule.exceptions if e not in seen]
        context["exceptions"] = [self.rule_context(e, seen | {rule.id})
                                 for e in exceptions if not self.shared(e)]
        context["shared_exceptions"] = [{"text": self.heading(e), "href": self.rule_link(e.id)}
                                        for e in exceptions if self.shared(e)]
        context["cancels"] = [{"text": self.what_it_does(self.model.rules[t])
                               if self.shared(self.model.rules[t])
                               else self.heading(self.model.rules[t]),
                               "citation": short_citation(self.model.rules[t].citation),
                               "href": self.rule_link(t)}
                              for t in rule.excepts] if self.shared(rule) else []
        return context

    def toc_entry(self, rule: dict[str, Any]) -> dict[str, Any]:
        """A rule's line in a page's contents (with its nested exceptions) and search index."""
        cite = short_citation(rule["citation"])
        named = rule["cancels"] or not cite  # a shared exception's heading has its citation
        return {"title": rule["heading"] if named else f"{cite} — {rule['heading']}",
                "href": f"#{rule['anchor']}", "id": rule["id"], "law": rule["law"],
                "cite": rule["citation"], "text": rule["summary"] or rule["condition_line"],
                "children": [self.toc_entry(e) for e in rule["exceptions"]]}

    def toc(self, context: dict[str, Any]) -> list[dict[str, Any]]:
        """A law page's contents: its parts, each with its rules or sections."""
        groups = [("rules", self.ui["rules"], context["rules"]),
                  ("shared-exceptions", self.ui["shared_exceptions"],
                   context["shared_exceptions"]),
                  ("exceptions", self.ui["exceptions"], context["foreign_exceptions"])]
        toc = [{"title": title, "href": f"#{key}",
                "entries": [self.toc_entry(rule) for rule in rules]}
               for key, title, rules in groups if rules]
        toc.append({"title": self.ui["sections"], "href": "#sections", "entries": [
            {"title": s["citation"], "href": f"#{s['id']}", "id": s["id"], "cite": "",
             "law": context["law"]["id"], "text": s["text"], "children": []}
            for s in context["sections"]]})
        return toc

    def search_index(self) -> dict[str, Any]:
        """What the site's search looks through: every law, rule and quoted section, and the
        shared definitions, each with the link to its anchor."""
        lang = self.options.lang
        entries = []
        for law in self.model.laws.values():
            title = law.text("title", lang)
            page = self.law_page(law.id)
            entries.append({"title": title, "cite": law.id, "law": self.ui["law"], "text": "",
                            "href": page, "lang": lang})
            entries += [{"title": item["title"], "cite": item["cite"], "law": title,
                         "text": item["text"], "href": page + item["href"],
                         "lang": "en" if item["id"].startswith("sec-") else lang}
                        for group in self.toc(self.law_context(law))
                        for item in _flatten(group["entries"])
                        if item["law"] == law.id]  # another law's exception: on its page
        entries += [{"title": d["citation"], "cite": "", "law": self.ui["definitions"],
                     "text": d["text"], "href": f"index.{self.ext}#{d['id']}", "lang": "en"}
                    for d in self.common()["definitions"]]
        return {"limit": SEARCH_LIMIT, "entries": entries,
                "ui": {key: self.ui[f"search_{key}"] for key in ("found", "some", "none")}}

    def law_context(self, law: Law) -> dict[str, Any]:
        """A law's page."""
        page = self.law_context_without_toc(law)
        page["toc"] = self.toc(page)
        return page

    def law_context_without_toc(self, law: Law) -> dict[str, Any]:
        """A law's page, but for its contents (which are made from the rest)."""
        lang = self.options.lang
        rules = [r for r in self.model.rules.values() if r.law_id == law.id and not r.is_exception]
        orphans = [r for r in self.model.rules.values() if r.law_id == law.id and r.is_exception
                   and all(self.model.rules[t].law_id != law.id for t in r.excepts)]
        shared = [r for r in self.model.rules.values() if r.law_id == law.id and r.is_exception
                  and self.shared(r) and r not in orphans]
        return {
            **self.common(),
            "law": {
                "id": law.id, "title": law.text("title", lang), "version": law.version,
                "source": law.source_url or "",
                "source_href": web_url(law.source_url or "") or "",  # http(s) only
                "source_official": official_source(law.source_url or ""),
                "in_force": self.dates(law),
                "where": self.place_name(law.places),
                "binds": [self.holder_kind(k) for k in sorted(law.binds)] + (
                    [self.ui["binds_when"].format(
                        condition=self.prose.condition(law.binding).flat(lang))]
                    if law.binding is not None else []),
                "notes": list(law.notes), "gaps": list(law.gaps),
            },
            "rules": [self.rule_context(r) for r in rules],
            "shared_exceptions": [self.rule_context(r) for r in shared],
            "foreign_exceptions": [self.rule_context(r) for r in orphans],
            "sections": [{"citation": s.citation, "text": s.text, "id": section_anchor(s.citation)}
                         for s in self.model.sections.values() if s.law_id == law.id],
        }

    def place_context(self, jurisdiction: Jurisdiction) -> dict[str, Any]:
        """A jurisdiction's page: the laws that apply there and who may receive what."""
        lang = self.options.lang
        applying = [law for law in self.model.laws.values()
                    if jurisdiction.places[:len(law.places)] == law.places]
        holder = holder_for(jurisdiction, self.laws)
        requesters = table_requesters(self.laws)
        purposes = []
        for purpose in table_purposes(self.laws) if requesters else ():
            cells = table(self.laws, jurisdiction, purpose, self.options.as_of)
            rows = []
            # Each caveat once per table, numbered; one that every cell carries is said
            # once under the table, not marked in every cell (it would bloat the page).
            everywhere = set.intersection(*(set(cell.caveats) for row in cells.values()
                                            for cell in row.values())) if cells else set()
            notes: dict[tuple[str, str], int] = {c: i for i, c in enumerate(sorted(
                everywhere), 1)}
            for data, by_requester in cells.items():
                row = []
                for requester in requesters:
                    cell = by_requester[requester]
                    facts = [self.prose.fact(f) for f in cell.depends_on]
                    row.append({
                        "outcome": cell.outcome,
                        "word": self.ui[cell.outcome],
                        "depends": self.ui["depends_on" if cell.exact else "depends_on_at_most"]
                        .format(facts=", ".join(facts)) if facts else "",
                        "links": self.cell_links(cell.rules),
                        "notes": number_ranges([notes.setdefault(c, len(notes) + 1)
                                                for c in cell.caveats if c not in everywhere]),
                    })
                rows.append({"data": self.prose.category(data), "cells": row})
            name = (self.model.facts["purpose"].value_label(purpose, lang)
                    if purpose is not None else self.ui["purpose_unknown"])
            purposes.append({
                "name": name,
                "heading": self.ui["purpose_heading"].format(purpose=name),
                "id": f"purpose-{purpose or 'any'}",
                "rows": rows,
                "notes": [{"number": number, "law": self.model.laws[law_id].text("title", lang),
                           "href": self.law_page(law_id), "text": text,
                           "everywhere": (law_id, text) in everywhere}
                          for (law_id, text), number in notes.items()],
            })
        return {
            **self.common(),
            "place": self.place_name(jurisdiction.places),
            "laws": [{"id": law.id, "title": law.text("title", lang), "href": self.law_page(law.id)}
                     for law in applying],
            "holder_line": self.ui["holder_line"].format(
                holder=self.holder_kind(holder["kind"]), place=self.place_name(jurisdiction.places)
                + (self.ui["outside_local"].format(county=holder["county"])
                   if jurisdiction.level == "state" and "county" in holder else ""),
                date=self.options.as_of.isoformat()),
            "requesters": [self.model.facts["requester.kind"].value_label(r, lang)
                           for r in requesters],
            "purposes": purposes,
        }


def build_site(laws: OrdinanceSet, options: SiteOptions) -> list[Path]:
    """Write the documentation site; return the files written.

    Raises:
        jinja2.TemplateError: when a (user's) template is broken.
    """
    builder = SiteBuilder(laws, options)
    env = environment(options.fmt, options.templates)
    options.out.mkdir(parents=True, exist_ok=True)
    # Contexts are built page by page, so a broken template fails before the costly tables.
    pages: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
        (f"index.{builder.ext}", f"index.{builder.ext}", builder.common)]
    for law in laws.model.laws.values():
        pages.append((builder.law_page(law.id), f"law.{builder.ext}",
                      functools.partial(builder.law_context, law)))
    for jurisdiction in builder.places:
        pages.append((builder.place_page(jurisdiction), f"place.{builder.ext}",
                      functools.partial(builder.place_context, jurisdiction)))
    written = []
    for name, template, context in pages:
        path = options.out / name
        path.write_text(_render(env, template, context()), encoding="utf-8")
        written.append(path)
    if options.fmt == "html":
        for name in ("style.css", "search.js"):
            path = options.out / name
            path.write_text(_render(env, name, {}), encoding="utf-8")
            written.append(path)
        index = options.out / "search-index.js"
        # A script, not JSON to fetch(): browsers refuse fetch() from file:// pages.
        index.write_text("window.ORDINANCE_SEARCH = "
                         + json.dumps(builder.search_index(), ensure_ascii=True) + ";\n",
                         encoding="utf-8")
        written.append(index)
    return written


def _flatten(entries: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Contents entries and, after each, its children (any depth)."""
    for entry in entries:
        yield entry
        yield from _flatten(entry["children"])


def _render(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    """Render one template; a runtime error names the template it happened in."""
    try:
        return env.get_template(template).render(**context)
    except jinja2.TemplateRuntimeError as error:
        if not getattr(error, "filename", None):
            error.filename = template  # type: ignore[attr-defined]
        raise
