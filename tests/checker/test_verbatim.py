"""Every section of the bundled law quotes its source verbatim.

The legal sources the law was encoded from are carried in the repository, in
``ordinances/sources`` (with where each was found). Each section's text must occur in them,
comparing after folding white space and curly quotes (some sources straighten
quotes, some law files restore the official curly ones). A section found
elsewhere with the search tool is listed below with where it was found; the
law file's header records the same.
"""

from __future__ import annotations

import re

import ordinance

from ..conftest import ROOT

SOURCES = ROOT / "ordinances" / "sources"
FOUND_ELSEWHERE = {
    "S.F. Admin. Code § 19B.5(d)": "American Legal Publishing copy of S.F. Admin. Code ch. 19B "
                                   "(see the header of admin-code-19b.ord)",
}


def _fold(text: str) -> str:
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'),
                            ("\u201d", '"')):
        text = text.replace(curly, straight)
    return re.sub(r"\s+", " ", text).strip()


def test_every_section_is_verbatim_from_its_sources(bundled: ordinance.OrdinanceSet) -> None:
    corpus = " ".join(_fold(p.read_text(encoding="utf-8")) for p in SOURCES.glob("*.md"))
    not_found = [s.citation for s in bundled.model.sections.values()
                 if s.citation not in FOUND_ELSEWHERE and _fold(s.text) not in corpus]
    assert not_found == []
