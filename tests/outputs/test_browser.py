"""The generated HTML documentation site, checked in a real browser (Debian's Chromium).

The site is built once per language (en, es); every page is loaded from ``file://``
in headless Chromium driven by playwright, and checked for: console and page
errors, failed requests, any request that leaves the machine (the site must work
offline), internal links and their #fragments, and accessibility basics (language,
headings, tables, landmarks, alt text, unique ids, text contrast, viewport meta, no
horizontal scrolling on a phone). The Spanish site is checked for Spanish headings
and for quoted statutes marked as English official text. Screenshots of the index
and a law page, phone and desktop, both languages, are kept in build/screenshots/.

Chromium is required, not optional: without it these tests fail (CI installs the
Debian package ``chromium``; see .ci/run).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

import ordinance
from ordinance.outputs.docsite import SiteOptions, build_site
from ordinance.outputs.sitetext import UI

from ..conftest import ORDINANCES, ROOT

LANGS = ("en", "es")
AS_OF = dt.date(2025, 1, 1)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = ROOT / "build" / "screenshots"
SCREENSHOT_PAGES = ("index.html", "law-ca.values_act.html", "place-ca-san-francisco.html")
SCREENSHOT_MAX_HEIGHT = 5000  # CSS pixels: long law pages are cut, not shrunk
MIN_CONTRAST = 4.5  # WCAG 2 AA for body text; applied to all text, large or not
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
INSTALL_HINT = ("Chromium is needed for the browser tests: install Debian's package "
                "(`sudo apt-get install chromium`, which provides /usr/bin/chromium); "
                "CI installs it in .ci/run. These tests are not skipped without it.")

# One pass over a loaded page: everything the checks below need, gathered in the DOM.
AUDIT_JS = r"""
(minContrast) => {
  const ctx = document.createElement('canvas').getContext('2d');
  const rgba = (css) => {           // any CSS colour -> [r, g, b, a] via the canvas parser
    ctx.fillStyle = '#000';
    ctx.fillStyle = css;
    const v = ctx.fillStyle;
    if (v.startsWith('#')) {
      return [1, 3, 5].map(i => parseInt(v.slice(i, i + 2), 16)).concat([1]);
    }
    const p = v.slice(v.indexOf('(') + 1, v.indexOf(')')).split(',').map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map(
    i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {      // composite backgrounds up the tree onto white
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]);
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].join('.');
    const p = el.parentElement;
    if (p && p !== document.body) {
      s = p.tagName.toLowerCase() + (p.classList.length ? '.' + [...p.classList].join('.') : '')
        + ' > ' + s;
    }
    return s;
  };
  const text = (el) => (el.textContent || '').replace(/\s+/g, ' ').trim();

  const contrast = {measured: 0, failing: []};
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || style.display === 'none') continue;
    const bg = background(el);
    const fg = over(rgba(style.color), bg);
    const r = ratio(fg, bg);
    contrast.measured += 1;
    if (r < minContrast) {
      contrast.failing.push({el: describe(el), text: text(el).slice(0, 60),
                             ratio: Math.round(r * 100) / 100, color: style.color,
                             background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')'});
    }
  }

  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const idSet = new Set(ids);
  const refs = [];
  for (const attr of ['aria-labelledby', 'aria-describedby', 'for']) {
    for (const e of document.querySelectorAll('[' + attr + ']')) {
      for (const ref of e.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        refs.push({attr, ref, ok: idSet.has(ref)});
      }
    }
  }
  const figureOf = (q) => q.closest('figure');
  return {
    lang: document.documentElement.getAttribute('lang'),
    title: document.title,
    headings: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(
      h => [Number(h.tagName[1]), text(h)]),
    tables: [...document.querySelectorAll('table')].map(t => ({
      caption: t.caption ? text(t.caption) : null,
      th: t.querySelectorAll('th').length,
      unscoped: [...t.querySelectorAll('th')].filter(
        th => !['col', 'row', 'colgroup', 'rowgroup'].includes(th.getAttribute('scope'))
      ).map(text),
      inScroll: !!t.closest('.scroll'),
    })),
    landmarks: {
      header: document.querySelectorAll('header, [role=banner]').length,
      nav: document.querySelectorAll('nav, [role=navigation]').length,
      main: document.querySelectorAll('main, [role=main]').length,
      footer: document.querySelectorAll('footer, [role=contentinfo]').length,
    },
    imagesWithoutAlt: [...document.querySelectorAll('img:not([alt])')].map(i => i.src),
    viewport: (document.querySelector('meta[name=viewport]') || {content: null}).content,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    ids,
    duplicateIds: [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))],
    refs: refs.filter(r => !r.ok),
    contrast,
    blockquotes: [...document.querySelectorAll('blockquote')].map(q => {
      const caption = figureOf(q) && figureOf(q).querySelector('figcaption');
      return {
        lang: q.getAttribute('lang'),
        caption: caption ? text(caption) : null,
        captionFirst: !!caption
          && !!(caption.compareDocumentPosition(q) & Node.DOCUMENT_POSITION_FOLLOWING),
        text: text(q).slice(0, 60),
      };
    }),
  };
}
"""

# At phone width: does the page scroll sideways, and which elements stick out?
OVERFLOW_JS = r"""
() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.scroll') || !el.getClientRects().length) continue;
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0) {
      out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
               + ' right=' + Math.round(r.right) + ' '
               + (el.textContent || '').trim().slice(0, 40));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
          offenders: out.slice(0, 8)};
}
"""


@dataclass
class PageAudit:
    """What one page showed in the browser."""

    lang: str
    name: str
    dom: dict[str, Any] = field(default_factory=dict)
    phone: dict[str, Any] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)


@dataclass
class Audit:
    """Every page of both sites, plus where the sites and screenshots are."""

    sites: dict[str, Path]
    pages: dict[tuple[str, str], PageAudit]
    screenshots: list[Path]
    seconds: float

    def each(self, lang: str | None = None) -> Iterator[PageAudit]:
        for (page_lang, _), page in sorted(self.pages.items()):
            if lang is None or page_lang == lang:
                yield page


def chromium_path() -> str:
    """The system Chromium, or a failure telling how to install it."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        pytest.fail(f"no `chromium` on PATH and no /usr/bin/chromium. {INSTALL_HINT}",
                    pytrace=False)
    return found


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The HTML site, built once per language."""
    laws = ordinance.load(ORDINANCES)
    out = {}
    for lang in LANGS:
        out[lang] = tmp_path_factory.mktemp(f"site-{lang}")
        build_site(laws, SiteOptions(out=out[lang], fmt="html", lang=lang, as_of=AS_OF))
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, started once for the module (playwright allows one
    driver per thread, so every test here shares it)."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a test dependency
        pytest.fail("playwright is not installed: pip install '.[test]'", pytrace=False)
    with sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as error:  # any launch failure: say how to get a working Chromium
            pytest.fail(f"could not start {executable}: {error}\n{INSTALL_HINT}", pytrace=False)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def audit(sites: dict[str, Path], browser: Any) -> Audit:
    """Load every page of both sites in Chromium once; record what each showed."""
    start = time.monotonic()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages: dict[tuple[str, str], PageAudit] = {}
    shots: list[Path] = []
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    current: list[PageAudit] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            current[-1].external_requests.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and current[-1].console_errors.append(
        f"{m.text} ({m.location.get('url', '')}:{m.location.get('lineNumber', '')})"))
    page.on("pageerror", lambda e: current[-1].page_errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:"))
            else current[-1].external_requests.append(r.url))
    page.on("requestfailed", lambda r: r.url.startswith(("file:", "data:"))
            and current[-1].failed_requests.append(f"{r.url}: {r.failure}"))
    for lang, root in sites.items():
        for path in sorted(root.glob("*.html")):
            current.append(PageAudit(lang, path.name))
            pages[(lang, path.name)] = current[-1]
            page.set_viewport_size(DESKTOP)
            page.goto(path.as_uri(), wait_until="load")
            current[-1].dom = page.evaluate(AUDIT_JS, MIN_CONTRAST)
            if path.name in SCREENSHOT_PAGES:
                shots.append(screenshot(page, lang, path.name, "desktop"))
            page.set_viewport_size(PHONE)
            current[-1].phone = page.evaluate(OVERFLOW_JS)
            if path.name in SCREENSHOT_PAGES:
                shots.append(screenshot(page, lang, path.name, "phone"))
    context.close()
    return Audit(sites, pages, shots, time.monotonic() - start)


def screenshot(page: Any, lang: str, name: str, size: str) -> Path:
    """The top of a page (up to SCREENSHOT_MAX_HEIGHT) as a PNG in build/screenshots."""
    path = SCREENSHOTS / f"{lang}-{name.removesuffix('.html')}-{size}.png"
    width = page.viewport_size["width"]
    height = min(page.evaluate("document.documentElement.scrollHeight"), SCREENSHOT_MAX_HEIGHT)
    page.screenshot(path=str(path), full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height})
    return path


def failures(found: list[str], what: str) -> None:
    """Fail listing everything found (at most 40 lines)."""
    if found:
        shown = "\n  ".join(found[:40])
        more = f"\n  … and {len(found) - 40} more" if len(found) > 40 else ""
        pytest.fail(f"{len(found)} {what}:\n  {shown}{more}", pytrace=False)


# ------------------------------------------------------------------ loading, offline


def test_every_page_was_loaded(audit: Audit) -> None:
    for lang, root in audit.sites.items():
        names = sorted(p.name for p in root.glob("*.html"))
        assert len(names) > 3, f"the {lang} site has too few pages: {names}"
        assert names == sorted(n for (page_lang, n) in audit.pages if page_lang == lang)
        assert (root / "style.css").stat().st_size > 0


def test_no_console_errors_page_errors_or_failed_requests(audit: Audit) -> None:
    found = []
    for page in audit.each():
        found += [f"{page.lang}/{page.name}: console error: {e}" for e in page.console_errors]
        found += [f"{page.lang}/{page.name}: page error: {e}" for e in page.page_errors]
        found += [f"{page.lang}/{page.name}: request failed: {e}" for e in page.failed_requests]
    failures(found, "browser errors")


def test_works_offline(audit: Audit) -> None:
    """No page fetches anything but local files: no web fonts, CDNs or scripts."""
    found = [f"{page.lang}/{page.name}: {url}" for page in audit.each()
             for url in dict.fromkeys(page.external_requests)]
    failures(found, "requests to the network (the site must work offline)")


# ------------------------------------------------------------------ links


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for key, value in attrs if key == "id" and value)


def test_internal_links_and_fragments_resolve(audit: Audit) -> None:
    ids: dict[Path, set[str]] = {}
    lang_of = {root: lang for lang, root in audit.sites.items()}

    def ids_of(target: Path) -> set[str]:
        if target not in ids:
            loaded = audit.pages.get((lang_of.get(target.parent, ""), target.name))
            if loaded is not None:  # already parsed by the browser
                ids[target] = set(loaded.dom["ids"])
            else:
                parser = _Ids()
                parser.feed(target.read_text(encoding="utf-8"))
                ids[target] = parser.ids
        return ids[target]

    found, checked = [], 0
    for page in audit.each():
        root = audit.sites[page.lang]
        for href in page.dom["links"]:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            where = f"{page.lang}/{page.name}: {href!r}"
            if parts.scheme or parts.netloc:
                found.append(f"{where}: not a relative link (breaks a copied site)")
                continue
            checked += 1
            path = unquote(parts.path)
            if path:
                rel = posixpath.normpath(posixpath.join(posixpath.dirname(page.name), path))
                if rel.startswith("../") or rel == "..":
                    found.append(f"{where}: leaves the site")
                    continue
                target = root / rel
            else:
                target = root / page.name
            if not target.is_file():
                found.append(f"{where}: no file {target.name}")
            elif parts.fragment and unquote(parts.fragment) not in ids_of(target):
                found.append(f"{where}: no id {parts.fragment!r} in {target.name}")
    assert checked > 50, f"only {checked} internal links found; is the link check broken?"
    failures(found, "broken internal links")


# ------------------------------------------------------------------ accessibility


def test_html_lang_is_the_site_language(audit: Audit) -> None:
    found = [f"{page.lang}/{page.name}: <html lang={page.dom['lang']!r}>"
             for page in audit.each() if page.dom["lang"] != page.lang]
    failures(found, "pages with the wrong <html lang>")


def test_one_h1_and_heading_levels_never_skip(audit: Audit) -> None:
    found = []
    for page in audit.each():
        headings = page.dom["headings"]
        h1s = [text for level, text in headings if level == 1]
        if len(h1s) != 1:
            found.append(f"{page.lang}/{page.name}: {len(h1s)} h1 elements {h1s}")
        if headings and headings[0][0] != 1:
            found.append(f"{page.lang}/{page.name}: first heading is h{headings[0][0]}")
        for (before, _), (level, text) in zip(headings, headings[1:], strict=False):
            if level > before + 1:
                found.append(f"{page.lang}/{page.name}: h{before} → h{level} {text[:50]!r}")
    failures(found, "heading structure problems")


def test_tables_have_captions_and_scoped_headers(audit: Audit) -> None:
    found, tables = [], 0
    for page in audit.each():
        for i, table in enumerate(page.dom["tables"], 1):
            tables += 1
            where = f"{page.lang}/{page.name}: table {i}"
            if not table["caption"]:
                found.append(f"{where}: no caption")
            if not table["th"]:
                found.append(f"{where}: no th")
            if table["unscoped"]:
                found.append(f"{where}: th without scope: {table['unscoped'][:3]}")
            if not table["inScroll"]:
                found.append(f"{where}: not inside a .scroll wrapper (would widen the page)")
    assert tables > 0, "no tables found; the place pages should have some"
    failures(found, "table problems")


def test_landmarks(audit: Audit) -> None:
    found = []
    for page in audit.each():
        marks = page.dom["landmarks"]
        missing = [name for name, count in marks.items() if not count]
        if missing:
            found.append(f"{page.lang}/{page.name}: no {', '.join(missing)}")
        if marks["main"] > 1:
            found.append(f"{page.lang}/{page.name}: {marks['main']} main landmarks")
    failures(found, "landmark problems")


def test_images_have_alt(audit: Audit) -> None:
    found = [f"{page.lang}/{page.name}: {src}" for page in audit.each()
             for src in page.dom["imagesWithoutAlt"]]
    failures(found, "images without alt")


def test_ids_unique_and_references_resolve(audit: Audit) -> None:
    """Duplicate ids break #links and aria-labelledby; dangling references name nothing."""
    found = []
    for page in audit.each():
        dups = page.dom["duplicateIds"]
        if dups:
            found.append(f"{page.lang}/{page.name}: {len(dups)} duplicate ids, e.g. {dups[:3]}")
        found += [f"{page.lang}/{page.name}: {r['attr']}={r['ref']!r} names no element"
                  for r in page.dom["refs"]]
    failures(found, "id problems")


def test_text_contrast(audit: Audit) -> None:
    """WCAG contrast of each text element's colour on its (composited) background."""
    groups: dict[tuple[str, str, str], list[tuple[float, str, str]]] = {}
    for page in audit.each():
        for item in page.dom["contrast"]["failing"]:
            key = (item["el"], item["color"], item["background"])
            groups.setdefault(key, []).append(
                (item["ratio"], f"{page.lang}/{page.name}", item["text"]))
    found = []
    for (el, color, bg), hits in sorted(groups.items(), key=lambda kv: min(kv[1])[0]):
        ratio, where, text = min(hits)
        found.append(f"{ratio:.2f}:1 {el} ({color} on {bg}) ×{len(hits)}, e.g. {where} {text!r}")
    assert all(page.dom["contrast"]["measured"] > 5 for page in audit.each()), "no text measured"
    failures(found, f"kinds of text below {MIN_CONTRAST}:1 contrast (worst first)")


def test_viewport_meta(audit: Audit) -> None:
    found = [f"{page.lang}/{page.name}: {page.dom['viewport']!r}" for page in audit.each()
             if "width=device-width" not in (page.dom["viewport"] or "")]
    failures(found, "pages without <meta name=viewport content=width=device-width>")


def test_no_horizontal_scrolling_on_a_phone(audit: Audit) -> None:
    """At 390×844 the page itself never scrolls sideways (tables scroll in .scroll)."""
    found = []
    for page in audit.each():
        phone = page.phone
        if phone["scrollWidth"] > phone["innerWidth"] + 1:
            found.append(f"{page.lang}/{page.name}: {phone['scrollWidth']}px wide in a "
                         f"{phone['innerWidth']}px window; sticking out: {phone['offenders']}")
    failures(found, "pages wider than a phone")


# ------------------------------------------------------------------ official text, Spanish


def test_quoted_statutes_are_marked_as_english_official_text(audit: Audit) -> None:
    found, quotes = [], 0
    for page in audit.each():
        note = UI[page.lang]["official_text_note"]
        for quote in page.dom["blockquotes"]:
            quotes += 1
            where = f"{page.lang}/{page.name}: {quote['text']!r}"
            if quote["lang"] != "en":
                found.append(f"{where}: blockquote lang={quote['lang']!r}, not 'en'")
            if not quote["caption"] or note not in quote["caption"]:
                found.append(f"{where}: not captioned {note!r} (caption {quote['caption']!r})")
            elif not quote["captionFirst"]:
                found.append(f"{where}: the caption comes after the quote")
    assert quotes > 0, "no quoted statutes found"
    failures(found, "quoted statutes not marked as official English text")


def test_spanish_site_is_in_spanish(audit: Audit) -> None:
    found = []
    pages = {page.name: page for page in audit.each("es")}
    assert pages, "no Spanish pages"
    for page in pages.values():
        headings = [text for _, text in page.dom["headings"]]
        h1 = headings[0] if headings else ""
        if page.name == "index.html":
            expected = ["Lo que permite la ley", "Jurisdicciones"]
        elif page.name.startswith("place-"):
            expected = ["Quién puede recibir qué en", "Leyes que se aplican aquí", "Finalidad: "]
            if not h1.startswith("Quién puede recibir qué"):
                found.append(f"es/{page.name}: h1 {h1!r} is not “Quién puede recibir qué …”")
        else:
            expected = ["Reglas", "Secciones citadas", "Vacíos conocidos"]
        for text in expected:
            if not any(text in heading for heading in headings):
                found.append(f"es/{page.name}: no heading with {text!r}")
        english = ("Who may receive", "Rules", "Sections quoted", "Known gaps", "Purpose:",
                   "Not allowed", "Exception", "Duty", "Jurisdictions", "Laws that apply")
        found += [f"es/{page.name}: English heading {heading!r}" for heading in headings
                  if heading.startswith(english)]
        for quote in page.dom["blockquotes"]:
            if "Texto oficial (en inglés)" not in (quote["caption"] or ""):
                found.append(f"es/{page.name}: quote {quote['text']!r} not introduced as "
                             "“Texto oficial (en inglés)”")
    failures(found, "Spanish site problems")


# ------------------------------------------------------------------ screenshots


def test_screenshots_saved(audit: Audit) -> None:
    expected = [SCREENSHOTS / f"{lang}-{name.removesuffix('.html')}-{size}.png"
                for lang in LANGS for name in SCREENSHOT_PAGES for size in ("phone", "desktop")]
    assert sorted(audit.screenshots) == sorted(expected)
    for path in expected:
        assert path.is_file(), f"missing screenshot {path}"
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"
        assert len(data) > 10_000, f"{path} is only {len(data)} bytes: a blank page?"


# ------------------------------------------------------------------ contents, search, tables


def guarded_page(browser: Any, local: tuple[str, ...], *, console: bool = True,
                 viewport: dict[str, int] | None = None) -> tuple[Any, Any, list[str]]:
    """``(context, page, problems)``: a fresh page that may load only URLs starting with
    one of ``local``, any other request refused and recorded in ``problems`` with every
    script error, dialog and (when ``console``) console error. The caller closes the
    context and asserts ``problems == []``."""
    context = browser.new_context(viewport=viewport or DESKTOP)
    context.set_default_timeout(15_000)
    problems: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(local):
            r.continue_()
        else:
            problems.append(f"network request: {r.request.url}")
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    if console:
        page.on("console", lambda m: m.type == "error"
                and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    return context, page, problems


@pytest.fixture
def offline_page(browser: Any) -> Iterator[Any]:
    """A fresh page that may load local files only; at the end of the test it must have
    logged no error and asked the network for nothing."""
    context, page, problems = guarded_page(browser, ("file:", "data:"))
    yield page
    context.close()
    assert problems == []


@pytest.mark.parametrize("lang", LANGS)
def test_long_law_page_has_contents_near_the_top(sites: dict[str, Path], offline_page: Any,
                                                 lang: str) -> None:
    """On a phone the Values Act page is tens of thousands of pixels tall: its contents,
    a keyboard-operable disclosure near the top, link to every rule and quoted section."""
    page = offline_page
    page.set_viewport_size(PHONE)
    page.goto((sites[lang] / "law-ca.values_act.html").as_uri(), wait_until="load")
    found = page.evaluate("""() => {
      const toc = document.querySelector('nav.toc');
      if (!toc) return null;
      const links = new Set([...toc.querySelectorAll('a')].map(a => a.getAttribute('href')));
      const targets = [...document.querySelectorAll('main section.rule, main > figure.official')];
      return {
        top: toc.getBoundingClientRect().top + window.scrollY,
        height: document.documentElement.scrollHeight,
        label: document.getElementById(toc.getAttribute('aria-labelledby'))?.textContent,
        withoutId: targets.filter(t => !t.id).length,
        unlinked: targets.filter(t => t.id && !/-\\d+$/.test(t.id) && !links.has('#' + t.id))
                         .map(t => t.id),
        rules: targets.filter(t => t.matches('section.rule')).length,
      };
    }""")
    assert found is not None, "no <nav class=toc> on the Values Act page"
    assert found["height"] > 10 * PHONE["height"], "the page is not long; is this the right one?"
    assert found["top"] < PHONE["height"] * 1.5, f"contents start at {found['top']}px"
    assert found["label"] == UI[lang]["contents"]
    assert found["withoutId"] == 0 and found["unlinked"] == [], found["unlinked"][:5]
    assert found["rules"] > 20
    summary = page.locator("nav.toc summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("nav.toc details").evaluate("d => d.open")
    link = page.locator('nav.toc a[href="#rule-ca-values_act-prop47_misdemeanor"]')
    link.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#rule-ca-values_act-prop47_misdemeanor"
    assert page.evaluate("document.getElementById('rule-ca-values_act-prop47_misdemeanor')"
                         ".getBoundingClientRect().top") < 5


@pytest.mark.parametrize(("lang", "query", "href"), [
    ("en", "7282.5(a)(6)", "law-ca.values_act.html#rule-ca-values_act-prop47_misdemeanor"),
    ("en", "safe neighborhoods and schools act",  # quoted text, any case
     "law-ca.values_act.html#sec-cal-gov-code-7282-5-a-6"),
    ("es", "excepcion 7282.5(a)(6)",  # accents do not matter: "Excepción"
     "law-ca.values_act.html#rule-ca-values_act-prop47_misdemeanor"),
    ("es", "Civ. Code § 1798.3", "index.html#sec-cal-civ-code-1798-3-a"),  # a definition
])
def test_search_works_offline_from_the_keyboard(sites: dict[str, Path], offline_page: Any,
                                                lang: str, query: str, href: str) -> None:
    """The search box on every page searches all law pages from file://, is labelled,
    and is used with the keyboard alone: type, Enter goes to the first result, Tab on."""
    page = offline_page
    page.goto((sites[lang] / "place-ca-san-francisco.html").as_uri(), wait_until="load")
    box = page.get_by_label(UI[lang]["search_label"])
    assert box.is_visible()
    page.keyboard.press("Tab")  # skip link, then the keyboard reaches the box
    for _ in range(40):
        if page.evaluate("document.activeElement.id") == "search-q":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-q"
    page.keyboard.type(query)
    results = page.locator("#search-results a")
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert href in hrefs, hrefs[:10]
    status = page.locator("#search-status").text_content() or ""
    assert status and status != UI[lang]["search_none"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('href')") == hrefs[0]
    while page.evaluate("document.activeElement.getAttribute('href')") != href:
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page_name, fragment = href.split("#")
    assert page.url.endswith(f"/{page_name}#{fragment}")
    assert page.locator(f"#{fragment}").count() == 1


def test_search_finds_nothing_politely(sites: dict[str, Path], offline_page: Any) -> None:
    page = offline_page
    page.goto((sites["es"] / "index.html").as_uri(), wait_until="load")
    page.get_by_label(UI["es"]["search_label"]).fill("zzzqqq")
    assert page.locator("#search-status").text_content() == UI["es"]["search_none"]
    assert page.locator("#search-results li").count() == 0


WORDS_SPLIT_JS = r"""
() => {
  for (const details of document.querySelectorAll('details')) details.open = true;
  const split = [];
  let words = 0;
  for (const th of document.querySelectorAll('table th')) {
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const word = /[^\s\-–—\/]+/g;  // a break after a hyphen or slash is no split
      for (let m = word.exec(node.data); m; m = word.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                         .map(r => Math.round(r.top)));
        words += 1;
        if (lines.size > 1) split.push(m[0] + ' (in “' + th.textContent.trim() + '”)');
      }
    }
  }
  return {words, split};
}
"""


@pytest.mark.parametrize("lang", LANGS)
def test_table_headers_never_split_a_word_on_a_phone(sites: dict[str, Path],
                                                     offline_page: Any, lang: str) -> None:
    """Spanish labels are long ("información", "inmigración"): at 390 px each header word
    stays on one line (the table scrolls sideways in its own region instead)."""
    page = offline_page
    page.set_viewport_size(PHONE)
    found, words = [], 0
    for path in sorted(sites[lang].glob("place-*.html")):
        page.goto(path.as_uri(), wait_until="load")
        result = page.evaluate(WORDS_SPLIT_JS)
        words += result["words"]
        found += [f"{lang}/{path.name}: {word}" for word in dict.fromkeys(result["split"])]
    assert words > 100, "no table header words measured"
    failures(found, "header words split across lines")
