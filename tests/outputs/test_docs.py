"""Generated plain-language documentation: current, complete, decided by the engine itself."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.analysis.matrix import (
    cell_request,
    holder_for,
    jurisdictions,
    table,
    table_purposes,
)
from ordinance.cli import main
from ordinance.outputs.docsite import SiteOptions, build_site, official_source, section_anchor
from ordinance.outputs.prose import PHRASES, Prose, anchor
from ordinance.outputs.render import md_text
from ordinance.outputs.sitetext import UI

from ..conftest import FIXTURES, ORDINANCES, ROOT

AS_OF = dt.date(2025, 1, 1)
"""The date the committed docs/ordinances/ were generated as of."""
COMMITTED = ROOT / "docs" / "ordinances"


@pytest.fixture(scope="module")
def markdown_en(bundled: ordinance.OrdinanceSet, tmp_path_factory: pytest.TempPathFactory
                ) -> Path:
    out = tmp_path_factory.mktemp("md-en")
    build_site(bundled, SiteOptions(out=out, fmt="markdown", lang="en", as_of=AS_OF))
    return out


@pytest.fixture(scope="module")
def html_es(bundled: ordinance.OrdinanceSet, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html-es")
    build_site(bundled, SiteOptions(out=out, fmt="html", lang="es", as_of=AS_OF))
    return out


def test_committed_markdown_is_current(markdown_en: Path) -> None:
    fresh = {p.name: p.read_text("utf-8") for p in markdown_en.iterdir()}
    committed = {p.name: p.read_text("utf-8") for p in COMMITTED.iterdir()}
    assert sorted(committed) == sorted(fresh), "docs/ordinances has missing or extra pages"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], (
        f"stale: {stale}; run `ordinance docs --ordinances ordinances --out docs/ordinances "
        f"--format markdown --as-of {AS_OF}`")


def test_every_rule_is_written_out_with_its_quote(bundled: ordinance.OrdinanceSet,
                                                  markdown_en: Path) -> None:
    for law in bundled.model.laws.values():
        page = (markdown_en / f"law-{law.id}.md").read_text("utf-8")
        for rule in bundled.model.rules.values():
            if rule.law_id == law.id:
                assert f'<a id="{anchor(rule.id)}"></a>' in page, rule.id
                quote = bundled.model.sections[rule.citation].text.splitlines()[0]
                assert md_text(quote) in page  # as written, Markdown's metacharacters escaped
        for gap in law.gaps:
            assert md_text(gap) in page  # gaps are shown, never hidden


def test_conditions_are_generated_from_the_rules(bundled: ordinance.OrdinanceSet) -> None:
    prose = Prose(bundled.model, "en")
    rule = bundled.model.rules["ca.values_act.personal_information"]
    words = prose.rule(rule)
    assert words["data"] == ["personal information"]
    assert "the request is for immigration enforcement" in words["condition_line"]
    # The law's binding condition is shown once, on the law's page, not under every rule.
    assert "law enforcement agency" not in words["condition_line"]
    spanish = Prose(bundled.model, "es").rule(rule)
    assert spanish["data"] == [bundled.model.hierarchy.label("personal_information", "es")]
    assert spanish["condition_line"] != words["condition_line"]


@pytest.mark.parametrize(("place", "purpose", "data", "requester"), [
    ("ca", "immigration_enforcement", "home_address", "federal_immigration"),
    ("ca", "immigration_enforcement", "immigration_status", "federal_immigration"),
    ("ca", "criminal_investigation", "alpr", "federal_law_enforcement"),
    ("ca", "immigration_enforcement", "release_date", "federal_immigration"),
    ("ca-alameda-oakland", "criminal_investigation", "surveillance_footage",
     "ca_law_enforcement"),
    ("ca-san-francisco", "immigration_enforcement", "criminal_history", "federal_immigration"),
])
def test_matrix_cell_agrees_with_ordinance_check(
        bundled: ordinance.OrdinanceSet, tmp_path: Path, runner: CliRunner, place: str,
        purpose: str, data: str, requester: str) -> None:
    jurisdiction = next(j for j in jurisdictions(bundled) if j.slug == place)
    cell = table(bundled, jurisdiction, purpose, AS_OF)[data][requester]
    holder = holder_for(jurisdiction, bundled)
    request = cell_request(bundled, holder, requester, data, purpose, AS_OF)
    path = tmp_path / "cell.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    result = runner.invoke(main, ["check", str(path), "--ordinances", str(ORDINANCES),
                                  "--format", "json"])
    decision = json.loads(result.stdout)
    facts = [m["fact"] for m in decision["missing_facts"]]
    if cell.exact:
        assert decision["outcome"] == cell.outcome
        assert facts == list(cell.depends_on)
    else:  # the cell's smaller search stopped: it may only err towards asking
        assert cell.outcome in (decision["outcome"], "undetermined")
        assert set(facts) <= set(cell.depends_on)


def test_matrix_has_every_kind_of_answer(bundled: ordinance.OrdinanceSet) -> None:
    california = next(j for j in jurisdictions(bundled) if j.slug == "ca")
    cells = table(bundled, california, "immigration_enforcement", AS_OF)
    outcomes = {cell.outcome for row in cells.values() for cell in row.values()}
    assert {"permitted", "prohibited", "undetermined"} <= outcomes
    undetermined = [c for row in cells.values() for c in row.values()
                    if c.outcome == "undetermined"]
    assert all(c.depends_on for c in undetermined)


def test_every_fixed_word_exists_in_every_language() -> None:
    assert set(UI["en"]) == set(UI["es"])
    assert set(PHRASES["en"]) == set(PHRASES["es"])
    for lang in ("en", "es"):
        assert all(UI[lang].values()), lang


def test_spanish_site_is_in_spanish_and_quotes_the_official_english(html_es: Path) -> None:
    index = (html_es / "index.html").read_text("utf-8")
    assert '<html lang="es">' in index
    assert UI["es"]["site_title"] in index
    law = (html_es / "law-ca.values_act.html").read_text("utf-8")
    assert UI["es"]["official_text_note"] in law
    assert '<blockquote lang="en">Providing personal information' in law
    place = (html_es / "place-ca.html").read_text("utf-8")
    assert "autoridades federales de inmigración" in place  # a value label, translated
    english_only = [v for k, v in UI["en"].items() if UI["es"][k] != v and len(v) > 12]
    leaked = [v for v in english_only if v in law or v in place or v in index]
    assert leaked == []


def test_html_is_self_contained(html_es: Path) -> None:
    for page in html_es.glob("*.html"):
        text = page.read_text("utf-8")
        scripts = re.findall(r"<script[^>]*>", text)
        assert scripts == ['<script src="search-index.js">', '<script src="search.js">'], page.name
        assert re.findall(r"<script[^>]*>(.*?)</script>", text, re.S) == ["", ""]  # no inline
        assert not re.search(r'<link[^>]+href="https?:', text), page.name
        assert not re.search(r'src="https?:', text), page.name
    code = (html_es / "search.js").read_text("utf-8")
    assert "fetch(" not in code and "XMLHttpRequest" not in code and "http" not in code
    assert "innerHTML" not in code  # results are text nodes: law text is never markup
    css = (html_es / "style.css").read_text("utf-8")
    assert "@import" not in css and "url(" not in css


def test_templates_can_be_overridden_file_by_file(bundled: ordinance.OrdinanceSet,
                                                  tmp_path: Path) -> None:
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "style.css").write_text("body { color: #000; } /* city style */", "utf-8")
    out = tmp_path / "site"
    build_site(bundled, SiteOptions(out=out, fmt="html", lang="en", as_of=AS_OF,
                                    templates=custom))
    assert "city style" in (out / "style.css").read_text("utf-8")
    assert "<main" in (out / "index.html").read_text("utf-8")  # other templates built in


def test_a_broken_template_fails_loudly(runner: CliRunner, tmp_path: Path) -> None:
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "index.html").write_text("{{ no_such_variable }}", "utf-8")
    result = runner.invoke(main, ["docs", "--ordinances", str(ORDINANCES), "--out",
                                  str(tmp_path / "out"), "--templates", str(custom),
                                  "--as-of", "2025-01-01"])
    assert result.exit_code == 5
    assert "template index.html: 'no_such_variable' is undefined" in result.stderr
    assert "Traceback" not in result.output


def test_docs_for_a_vocabulary_without_purpose_or_action(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    """A law set whose vocabulary has no ``purpose`` or ``action`` still gets its tables:
    one per place, with the purpose not stated."""
    result = runner.invoke(main, ["docs", "--ordinances", str(FIXTURES / "engine"), "--out",
                                  str(tmp_path), "--as-of", "2025-01-01"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "place-il-sangamon-springfield.html").read_text("utf-8")
    assert "Purpose: not stated" in page
    assert 'id="purpose-any"' in page


def test_docs_command_writes_markdown(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["docs", "--ordinances", str(ORDINANCES), "--out",
                                  str(tmp_path), "--format", "markdown", "--lang", "es",
                                  "--as-of", "2025-01-01"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "index.md").read_text("utf-8").startswith(f"# {UI['es']['site_title']}")


@pytest.mark.parametrize(("url", "official"), [
    ("https://leginfo.legislature.ca.gov/faces/billTextClient.xhtml?bill_id=201720180SB54", True),
    ("https://codelibrary.amlegal.com/codes/san_francisco/latest/sf_admin/0-0-0-7743", True),
    ("https://www.codepublishing.com/CA/SantaCruz/html/SantaCruz09/SantaCruz0985.html", True),
    ("https://berkeley.municipal.codes/BMC/2.99.040", True),
    ("https://library.municode.com/ca/oakland/codes/code_of_ordinances", True),
    ("https://ecode360.com/44639766", True),
    ("https://www.oaklandca.gov/", True),
    ("https://codes.findlaw.com/ca/government-code/gov-sect-7283/", False),
    ("http://law.justia.com/codes/california/2010/civ/1798.3.html", False),
    ("http://oakland-ca.elaws.us/code/coor_title9_ch9.64_sec9.64.030", False),
    ("https://github.com/sfbrigade/sf-admin-code/blob/main/sections/2A.74.json", False),
    ("https://d1tvxue8o4w0fl.cloudfront.net/statute/california-codes/x", False),
    ("https://leginfo.legislature.ca.gov.example.com/", False),  # a look-alike host
    ("https://notgov/", False),
    ("", False),
])
def test_official_source_is_decided_by_host(url: str, official: bool) -> None:
    assert official_source(url) is official


def test_a_mirror_is_never_called_the_official_source(bundled: ordinance.OrdinanceSet,
                                                      markdown_en: Path, html_es: Path) -> None:
    mirrors = 0
    for law in bundled.model.laws.values():
        if not law.source_url:
            continue
        english = (markdown_en / f"law-{law.id}.md").read_text("utf-8")
        spanish = (html_es / f"law-{law.id}.html").read_text("utf-8")
        if official_source(law.source_url):
            assert f"**{UI['en']['source']}:** <{law.source_url}>" in english, law.id
            assert f"<dt>{UI['es']['source']}</dt>" in spanish, law.id
        else:
            mirrors += 1
            assert f"**{UI['en']['source_mirror']}:** <{law.source_url}>" in english, law.id
            assert f"<dt>{UI['es']['source_mirror']}</dt>" in spanish, law.id
            assert UI["en"]["source"] not in english and UI["es"]["source"] not in spanish
    assert mirrors >= 3  # findlaw, elaws, a GitHub copy: labelled, not hidden


def test_a_shared_exception_is_shown_once_and_linked_from_each_rule(
        bundled: ordinance.OrdinanceSet, markdown_en: Path, html_es: Path) -> None:
    """§ 7282.5(a)(6) cancels many rules: one block with its anchor, one link per rule."""
    exception = bundled.model.rules["ca.values_act.prop47_misdemeanor"]
    targets = [t for t in exception.excepts if bundled.model.rules[t].law_id == exception.law_id]
    assert len(targets) > 5
    quote = bundled.model.sections[exception.citation].text.splitlines()[0]
    page = (markdown_en / "law-ca.values_act.md").read_text("utf-8")
    assert page.count(f'<a id="{anchor(exception.id)}"></a>') == 1
    assert page.count(quote) == 2  # under the exception and in the sections quoted
    assert f"### {UI['en']['exception']}: § 7282.5(a)(6) — No § 7282.5 cooperation" in page
    link = f"](law-ca.values_act.md#{anchor(exception.id)})"
    assert page.count(link) == len(targets)  # one line under each rule it cancels
    for target in targets:  # ... and the exception names every rule it cancels
        assert f"](law-ca.values_act.md#{anchor(target)})" in page.split(
            f'<a id="{anchor(exception.id)}"></a>')[1].split("<a id=")[0]
    html = (html_es / "law-ca.values_act.html").read_text("utf-8")
    assert html.count(f'id="{anchor(exception.id)}"') == 1
    assert f'id="{anchor(exception.id)}-2"' not in html
    assert html.count(f'href="law-ca.values_act.html#{anchor(exception.id)}"') >= len(targets)
    assert f"{UI['es']['exception']}: § 7282.5(a)(6) — " in html


def test_law_pages_have_contents_linking_every_rule_and_section(
        bundled: ordinance.OrdinanceSet, markdown_en: Path) -> None:
    for law in bundled.model.laws.values():
        page = (markdown_en / f"law-{law.id}.md").read_text("utf-8")
        contents = page.split(f"## {UI['en']['contents']}\n", 1)[1].split("\n## ", 1)[0]
        ids = re.findall(r'<a id="([^"]+)"></a>', page.split(contents, 1)[1])
        assert ids, law.id
        missing = [i for i in ids if f"](#{i})" not in contents]
        assert missing == [], f"{law.id}: not in the contents: {missing[:5]}"
        assert page.index(contents) < page.index(f"## {UI['en']['rules']}")


def test_search_index_covers_every_law_rule_and_section(bundled: ordinance.OrdinanceSet,
                                                        html_es: Path) -> None:
    """search-index.js is a script (browsers refuse fetch() from file://) holding one entry
    per law, rule and quoted section, each linking to an anchor that exists."""
    text = (html_es / "search-index.js").read_text("utf-8")
    prefix = "window.ORDINANCE_SEARCH = "
    assert text.startswith(prefix) and text.endswith(";\n")
    index = json.loads(text[len(prefix):-2])
    hrefs = {entry["href"] for entry in index["entries"]}
    for law in bundled.model.laws.values():
        assert f"law-{law.id}.html" in hrefs
    for rule in bundled.model.rules.values():
        assert f"law-{rule.law_id}.html#{anchor(rule.id)}" in hrefs, rule.id
    for section in bundled.model.sections.values():
        page = f"law-{section.law_id}.html" if section.law_id else "index.html"
        assert f"{page}#{section_anchor(section.citation)}" in hrefs, section.citation
    for href in hrefs:
        page, _, fragment = href.partition("#")
        assert not fragment or f'id="{fragment}"' in (html_es / page).read_text("utf-8"), href
    quoted = next(e for e in index["entries"] if e["href"].endswith("#sec-cal-gov-code-7282-5-a-6"))
    assert quoted["lang"] == "en" and "Safe Neighborhoods and Schools Act" in quoted["text"]


def test_place_pages_have_a_table_per_purpose_the_laws_tell_apart(
        bundled: ordinance.OrdinanceSet, html_es: Path, markdown_en: Path) -> None:
    purposes = table_purposes(bundled)
    assert {"immigration_enforcement", "criminal_investigation", "civil_enforcement",
            "abortion_investigation", "emergency"} <= set(purposes)
    assert "records_request" not in purposes  # no rule names it: decided like any other
    label = bundled.model.facts["purpose"].value_label
    page = (html_es / "place-ca.html").read_text("utf-8")
    assert page.count("<table>") == len(purposes)
    assert page.count('<details class="purpose"') == len(purposes)  # folded, no JavaScript
    assert page.count('<details class="purpose" open>') == 1
    for purpose in purposes:
        assert f'<a href="#purpose-{purpose}">' in page  # the selector links to each
        assert f"Finalidad: {label(purpose, 'es')}" in page
    markdown = (markdown_en / "place-ca.md").read_text("utf-8")
    for purpose in purposes:
        assert f"## Purpose: {label(purpose, 'en')}" in markdown
