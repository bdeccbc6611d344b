"""Hostile text in a law or a request is shown as text in every output, never run or followed.

A small law set written here puts script tags, an ``onerror`` image, ``javascript:`` links,
Markdown links and images, raw HTML and a ``# pwned`` heading in a law's title, section
text, note, gap, summary and source, and in a request's id and agencies. The HTML
documentation is loaded in headless Chromium (the fixture of ``test_browser.py``); the
Markdown documentation and memo are checked for any active construct; text and JSON must
carry the text verbatim, as data.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.cli import main
from ordinance.language.urls import web_url
from ordinance.outputs.docsite import SiteOptions, build_site
from ordinance.outputs.render import md_text, to_markdown, to_text

from .test_browser import CHROMIUM_ARGS, browser, chromium_path, guarded_page  # noqa: F401 (fixture)

AS_OF = dt.date(2025, 1, 1)
SCRIPT = "<script>window.pwned = 'script'</script>"
IMG = "<img src=x onerror=\"window.pwned = 'img'\">"
MD_LINK = "[click](javascript:window.pwned='md')"
MD_IMAGE = "![tracker](http://evil.example/pixel.png)"
RAW_HTML = "<iframe src=\"javascript:window.pwned='iframe'\"></iframe><b>bold</b>"
HEADING = "# pwned"
HOSTILE = f"{SCRIPT} {IMG} {MD_LINK} {MD_IMAGE} {RAW_HTML}"
SOURCE = "javascript:window.pwned='source'"

VOCABULARY = """
fact date: date question "When?"
fact holder.kind: one of police question "Holder kind?" required
fact holder.state: text question "State?" required
fact holder.agency: text question "Which agency holds it?"
fact requester.kind: one of immigration question "Requester?"
fact requester.agency: text question "Which agency asks?"
fact purpose: one of immigration, crime question "Purpose?"
fact data: set of categories question "Data?" required
category address label "address"
"""



def ord_string(text: str) -> str:
    """``text`` as an .ord string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# One-line strings for title, note, gap and summary (a note and a gap start with the
# heading); the section's text spans lines, one a heading, one an HTML block, one a link
# reference definition.
LAW = f'''
law st.act {{
  title {ord_string(f"Act {HOSTILE} {HEADING}")}
  jurisdiction state "IL"
  binds police
  source {ord_string(SOURCE)}
  note {ord_string(f"{HEADING} note {HOSTILE}")}
}}
section "St. § 1" """No giving addresses. {HOSTILE}
{HEADING}
<img src=x onerror="window.pwned = 'line'">
[ref]: javascript:window.pwned='ref'"""
rule addresses {{
  prohibit address
  when purpose = immigration
  cite "St. § 1"
  summary {ord_string(f"Summary {HOSTILE}")}
}}
gap {ord_string(f"{HEADING} gap {HOSTILE}")}
'''

REQUEST: dict[str, Any] = {
    "id": f"req {MD_LINK} {HEADING}",
    "date": "2024-01-01",
    "holder": {"kind": "police", "state": "IL", "agency": f"{HEADING} {SCRIPT} {IMG}"},
    "requester": {"kind": "immigration", "agency": f"{MD_LINK} {MD_IMAGE} {RAW_HTML}"},
    "purpose": "immigration",
    "data": ["address"],
}

PIECES = (SCRIPT, IMG, MD_LINK, MD_IMAGE, RAW_HTML)


@pytest.fixture(scope="module")
def laws(tmp_path_factory: pytest.TempPathFactory) -> ordinance.OrdinanceSet:
    root: Path = tmp_path_factory.mktemp("hostile-laws")
    (root / "vocabulary.ord").write_text(VOCABULARY, encoding="utf-8")
    (root / "act.ord").write_text(LAW, encoding="utf-8")
    return ordinance.load(root)


@pytest.fixture(scope="module")
def decision(laws: ordinance.OrdinanceSet) -> ordinance.Decision:
    decided = laws.decide(REQUEST)
    assert decided.outcome == "prohibited"
    return decided


def test_a_source_that_is_not_a_web_address_is_warned_about(
        laws: ordinance.OrdinanceSet) -> None:
    """The checker used to accept any `source`; lint now names one that is not http(s)."""
    (warning,) = [w for w in laws.warnings if w.code == "source-not-web"]
    assert "javascript:" in warning.message and "never as a link" in warning.message


def test_the_law_set_really_carries_the_hostile_text(laws: ordinance.OrdinanceSet) -> None:
    law = laws.model.laws["st.act"]
    assert SCRIPT in law.text("title", "en") and law.source_url == SOURCE
    assert HEADING in law.notes[0] and HEADING in law.gaps[0]
    assert IMG in laws.model.sections["St. § 1"].text


# ------------------------------------------------------------------ Markdown


def active_markdown(markdown: str) -> list[str]:
    """The active constructs the hostile text made in ``markdown``: HTML tags, links,
    images, link reference definitions and headings (the pages' own anchors, relative and
    http(s) links to the site's pages and sources are not the hostile text's)."""
    found = []
    for number, line in enumerate(markdown.splitlines(), 1):
        text = re.sub(r"\\[!-/:-@\[-`{-~]", "", line)  # backslash escapes: literal characters
        text = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)  # code spans: literal text
        tags = re.findall(r"</?[A-Za-z][^>]*>|<![^>]*>", text)
        found += [f"{number}: tag {tag}" for tag in tags
                  if not re.fullmatch(r'<a id="[a-z0-9-]+">|</a>|<https?://[^ >]+>', tag)]
        for target in re.findall(r"!?\[[^\]]*\]\(([^)]*)\)", text):
            if not re.fullmatch(r"(#|[a-z0-9_.-]+\.md(#)?)[a-z0-9-]*|https?://\S+", target):
                found.append(f"{number}: link to {target}")
        found += [f"{number}: image" for _ in re.findall(r"!\[[^\]]*\]\(", text)]
        found += [f"{number}: link reference {ref}"
                  for ref in re.findall(r"^\s*(?:>\s*)*\[[^\]]+\]:", text)]
        found += [f"{number}: autolink {link}" for link in re.findall(r"<[a-z]+:[^>]*>", text)
                  if not link.startswith(("<http://", "<https://"))]
        if re.match(r"^\s*(?:(?:>|[-*+]|\d+[.)])\s*)*#{1,6}\s", line) and "pwned" in line \
                and not re.match(r"^#{1,6} (Act|Memorandum)", line):
            found.append(f"{number}: heading {line}")
    return found


def test_the_checker_finds_what_it_looks_for() -> None:
    """The Markdown check itself, on text left unescaped: it must see every construct."""
    raw = f"{HOSTILE}\n{HEADING}\n> {HEADING}\n[ref]: javascript:x\n<javascript:x>"
    found = " ".join(active_markdown(raw))
    for what in ("tag <script>", "tag <img", "tag <iframe", "tag <b>", "link to javascript:",
                 "image", "heading # pwned", "heading > # pwned", "link reference",
                 "autolink <javascript:x>"):
        assert what in found, what
    assert active_markdown(md_text(raw)) == []


def test_markdown_memo_has_no_active_construct(decision: ordinance.Decision) -> None:
    memo = to_markdown(decision)
    assert active_markdown(memo) == []
    assert "\\<script\\>" in memo  # shown, escaped, not dropped
    assert memo.count("\n# ") == 0 and memo.startswith("# Memorandum: ")


def test_markdown_memo_from_the_command_line(laws: ordinance.OrdinanceSet, runner: CliRunner,
                                             tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST), encoding="utf-8")
    result = runner.invoke(main, ["check", str(request), "--format", "markdown",
                                  "--ordinances", str(laws.root), "--no-cache"])
    assert result.exit_code not in (0, 2, 5), result.output  # decided (prohibited)
    assert "Memorandum" in result.output
    assert active_markdown(result.output) == []


def test_markdown_docs_have_no_active_construct(laws: ordinance.OrdinanceSet,
                                                tmp_path: Path) -> None:
    written = build_site(laws, SiteOptions(out=tmp_path, fmt="markdown", as_of=AS_OF))
    assert len(written) >= 3
    for path in written:
        page = path.read_text("utf-8")
        assert active_markdown(page) == [], path.name
    law_page = (tmp_path / "law-st.act.md").read_text("utf-8")
    assert "<javascript:" not in law_page and f"`{SOURCE}`" in law_page  # text, not a link
    assert "window.pwned" in law_page  # every part is shown


# ------------------------------------------------------------------ HTML in Chromium


@pytest.fixture(scope="module")
def html_site(laws: ordinance.OrdinanceSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile-html")
    build_site(laws, SiteOptions(out=out, fmt="html", as_of=AS_OF))
    return out


INSPECT_JS = r"""
() => ({
  pwned: window.pwned === undefined ? null : String(window.pwned),
  scripts: [...document.scripts].map(s => s.getAttribute('src')),
  foreign: [...document.querySelectorAll('img, iframe, b, object, embed, svg, video')]
    .map(e => e.outerHTML),
  hrefs: [...document.querySelectorAll('[href]')].map(e => e.getAttribute('href')),
  handlers: [...document.querySelectorAll('*')].flatMap(
    e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => a.name)),
  text: document.body.innerText,
})
"""


def test_html_docs_run_no_script_and_make_no_element(html_site: Path,
                                                     browser: Any) -> None:  # noqa: F811
    context, page, problems = guarded_page(browser, ("file:",), console=False)
    pages = sorted(html_site.glob("*.html"))
    assert len(pages) >= 3
    shown = ""
    for path in pages:
        page.goto(path.as_uri(), wait_until="load")
        if path.name == "law-st.act.html":  # the search box shows the law's text too
            page.fill("#search-q", "pwned")
            page.wait_for_timeout(100)
        seen = page.evaluate(INSPECT_JS)
        assert seen["pwned"] is None, (path.name, seen["pwned"])
        assert seen["scripts"] == ["search-index.js", "search.js"], path.name
        assert seen["foreign"] == [], path.name
        assert seen["handlers"] == [], path.name
        for href in seen["hrefs"]:
            assert re.fullmatch(r"[a-z0-9_.-]+\.(html|css)(#[a-z0-9-]*)?|#[a-z0-9-]+", href), \
                (path.name, href)
        shown += seen["text"]
    context.close()
    assert problems == []
    for piece in (SCRIPT, IMG, SOURCE, MD_LINK, MD_IMAGE):
        assert piece in shown  # shown as text, as written


def test_only_http_urls_are_links() -> None:
    assert web_url("https://leginfo.legislature.ca.gov/x?a=1&b=2") is not None
    assert web_url("http://example.org/") is not None
    for url in (SOURCE, "JavaScript:alert(1)", "data:text/html,<script>", "vbscript:x",
                "file:///etc/passwd", "//evil.example/", "https://evil.example/>[x](y)",
                "https://", "https://a b/", "ftp://example.org/"):
        assert web_url(url) is None, url


# ------------------------------------------------------------------ text and JSON


def test_text_output_shows_the_hostile_text_verbatim(decision: ordinance.Decision) -> None:
    text = to_text(decision)
    assert REQUEST["id"] in text
    flat = " ".join(text.split())
    for piece in (SCRIPT, IMG, MD_LINK, MD_IMAGE, RAW_HTML):
        assert piece in flat  # caveats (note, gap) and the quote


def test_json_carries_the_hostile_text_as_data(decision: ordinance.Decision) -> None:
    data = json.loads(json.dumps(decision.to_dict()))
    assert data["request_id"] == REQUEST["id"]
    assert data["request"]["holder"]["agency"] == REQUEST["holder"]["agency"]
    assert data["request"]["requester"]["agency"] == REQUEST["requester"]["agency"]
    texts = json.dumps(data, ensure_ascii=False)
    for piece in PIECES:
        assert json.dumps(piece, ensure_ascii=False)[1:-1] in texts
