"""`reviewed` declarations: parsed, checked, kept in the model, matched against warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

import ordinance
from ordinance.checker import cache
from ordinance.checker.model import Review
from ordinance.checker.passes import REVIEWABLE_CODES
from ordinance.language import nodes as n
from ordinance.language.diagnostics import Diagnostic
from ordinance.language.loader import parse_module
from ordinance.language.parser import SyntaxFailure
from ordinance.language.source import SourceFile, Span

from ..conftest import ORDINANCES

VOCABULARY = ORDINANCES / "vocabulary.ord"

LAW = """\
law example.records {
  jurisdiction state "CA", county "Alameda", city "Example City"
  binds city_department
}

section "Example City Code § 5.01" "This chapter may be cited as the Records Ordinance."
section "Example City Code § 5.02" "No city department shall disclose a release date."

rule release_dates {
  prohibit release_date
  cite "Example City Code § 5.02"
}

reviewed "uncited-section" for "Example City Code § 5.01"
  because "The short title grounds no rule." es "El título corto no funda ninguna regla."
reviewed "shadowed-rule" for "example.records.*", "example.records.release_dates"
  because "Cited in explanations."
"""


def _vocabulary() -> str:
    """The bundled vocabulary without its own reviews (the tests count reviews)."""
    text = VOCABULARY.read_text(encoding="utf-8")
    return text[:text.index("\nreviewed ")] if "\nreviewed " in text else text


def _load(tmp_path: Path, files: dict[str, str], vocabulary_extra: str = ""
          ) -> ordinance.OrdinanceSet:
    vocabulary = _vocabulary() + vocabulary_extra
    (tmp_path / "vocabulary.ord").write_text(vocabulary, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return ordinance.load(tmp_path, cache=False)


def _errors(tmp_path: Path, files: dict[str, str], vocabulary_extra: str = ""
            ) -> list[Diagnostic]:
    with pytest.raises(ordinance.LawError) as caught:
        _load(tmp_path, files, vocabulary_extra)
    return list(caught.value.diagnostics)


def _syntax(text: str) -> Diagnostic:
    with pytest.raises(SyntaxFailure) as caught:
        parse_module(SourceFile("t.ord", text))
    return caught.value.diagnostic


def _law(reviews: str) -> dict[str, str]:
    return {"law.ord": LAW.split("reviewed", 1)[0] + reviews}


# ---------------------------------------------------------------- the AST


def test_parse_review_node() -> None:
    module = parse_module(SourceFile("t.ord", LAW))
    reviews = [d for d in module.declarations if isinstance(d, n.Review)]
    assert reviews[0] == n.Review(
        "uncited-section", ("Example City Code § 5.01",),
        n.Words("The short title grounds no rule.",
                (("es", "El título corto no funda ninguna regla."),)),
        span=reviews[0].span)
    assert reviews[1].subjects == ("example.records.*", "example.records.release_dates")
    first = reviews[0]
    assert (first.span.line, first.span.column, first.span.end_line) == (14, 1, 15)
    assert first.code_span is not None and first.reason_span is not None
    assert (first.code_span.line, first.code_span.column) == (14, 10)
    assert [(s.line, s.column) for s in first.subject_spans] == [(14, 32)]
    assert (first.reason_span.line, first.reason_span.column) == (15, 11)


def test_review_equality_ignores_spans() -> None:
    one = parse_module(SourceFile("a.ord", 'reviewed "gap" for "x" because "y"'))
    other = parse_module(SourceFile("b.ord", '\n\n  reviewed "gap"\n for "x"   because "y"'))
    assert one.declarations == other.declarations


# ---------------------------------------------------------------- the model


def test_model_keeps_reviews(tmp_path: Path) -> None:
    laws = _load(tmp_path, {"law.ord": LAW})
    first, second = [r for r in laws.model.reviews if r.path == str(tmp_path / "law.ord")]
    assert first == Review("uncited-section", ("Example City Code § 5.01",),
                           "The short title grounds no rule.", "example.records",
                           str(tmp_path / "law.ord"), first.span)
    assert first.span.line == 14
    assert first.text() == "The short title grounds no rule."
    assert first.text("reason", "es") == "El título corto no funda ninguna regla."
    assert first.text("reason", "fr") == "The short title grounds no rule."
    assert second.code == "shadowed-rule"
    assert second.law_id == "example.records"


def test_review_in_the_vocabulary(tmp_path: Path) -> None:
    extra = ('\nreviewed "unused-fact" for "holder.agency", "requester.*"\n'
             '  because "Intake forms ask for them; no rule reads them."\n')
    laws = _load(tmp_path, {"law.ord": LAW}, extra)
    (review,) = [r for r in laws.model.reviews if r.code == "unused-fact"]
    assert review.law_id is None
    assert review.path == str(tmp_path / "vocabulary.ord")
    assert review.subjects == ("holder.agency", "requester.*")


def test_a_law_set_without_reviews(tmp_path: Path) -> None:
    assert _load(tmp_path, {"law.ord": LAW.split("reviewed", 1)[0]}).model.reviews == ()


def test_reviewable_codes() -> None:
    assert "gap" not in REVIEWABLE_CODES
    assert {"rule-without-citation", "uncited-section", "conflicting-rules"} <= set(
        REVIEWABLE_CODES)


# ---------------------------------------------------------------- check errors


def test_unknown_warning_code(tmp_path: Path) -> None:
    errors = _errors(tmp_path, _law('reviewed "shadowed-rules" for "example.records.*"\n'
                                    '  because "x"\n'))
    assert [(d.code, d.span.line, d.span.column, d.help) for d in errors] == [
        ("unknown-warning-code", 14, 10, "did you mean `shadowed-rule`?")]
    assert errors[0].message == "review: no warning `shadowed-rules` to review"


def test_a_gap_cannot_be_reviewed(tmp_path: Path) -> None:
    (error,) = _errors(tmp_path, _law('reviewed "gap" for "example.records.*" because "x"\n'))
    assert error.code == "unknown-warning-code"
    assert error.help is not None and "gap" in error.help


def test_unknown_review_subject(tmp_path: Path) -> None:
    errors = _errors(tmp_path, _law(
        'reviewed "shadowed-rule" for "release_dates", "example.records.release_date",\n'
        '  "holder.agencie", "Example City Code § 5.1", "nothing.at.all"\n'
        '  because "x"\n'))
    found = [(d.code, d.span.line, d.span.column, d.help) for d in errors]
    assert found == [
        ("unknown-review-subject", 14, 30, "write the rule's full id: "
         "`example.records.release_dates`"),
        ("unknown-review-subject", 14, 47, "did you mean `example.records.release_dates`?"),
        ("unknown-review-subject", 15, 3, "did you mean `holder.agency`?"),
        ("unknown-review-subject", 15, 21, "did you mean `Example City Code § 5.01`?"),
        ("unknown-review-subject", 15, 48, "name a rule by its full id (`law.rule`), a fact by "
         "its path, a section by its citation, or use a pattern with `*`"),
    ]
    assert errors[0].message == ("review of `shadowed-rule`: no rule, fact or section "
                                 "`release_dates`")


def test_patterns_are_not_checked(tmp_path: Path) -> None:
    laws = _load(tmp_path, _law(
        'reviewed "shadowed-rule" for "nothing.*", "Example City Code § 5.0?",\n'
        '  "Example City Code § [0-9]" because "x"\n'))
    assert len(laws.model.reviews) == 1


@pytest.mark.parametrize("reason", ['""', '"   "'])
def test_empty_reason(tmp_path: Path, reason: str) -> None:
    (error,) = _errors(tmp_path, _law(
        f'reviewed "uncited-section" for "Example City Code § 5.01"\n  because {reason}\n'))
    assert (error.code, error.span.line, error.span.column) == ("missing-reason", 15, 11)


# ---------------------------------------------------------------- syntax errors


@pytest.mark.parametrize("text", [
    'reviewed "uncited-section" for "x"',
    'reviewed "uncited-section" for "x"\n',
    'reviewed "uncited-section" for "x", "y"\n',
    'reviewed "uncited-section" for "x" because',
    'reviewed "uncited-section" for "x" "why"',
    'reviewed "uncited-section" for "x" """why"""',
    'reviewed "uncited-section" for "x"\nrule r { permit }',
    'reviewed "uncited-section" for "x", "y"\nfact f: bool question "q"',
    'reviewed "uncited-section" for "x"\nreviewed "gap" for "y" because "z"',
])
def test_missing_because(text: str) -> None:
    diagnostic = _syntax(text)
    assert diagnostic.code == "missing-reason", diagnostic.render()
    assert "because" in (diagnostic.help or "")


def test_missing_because_points_at_what_came_instead() -> None:
    diagnostic = _syntax('reviewed "unused-fact" for "x" "why"\n')
    assert (diagnostic.span.line, diagnostic.span.column) == (1, 32)


@pytest.mark.parametrize("text", [
    'reviewed unused_fact for "x" because "y"',
    'reviewed "unused-fact" for holder.agency because "y"',
    'reviewed "unused-fact" for "x", y because "y"',
    'reviewed "unused-fact" for "x" because y',
])
def test_unquoted_parts(text: str) -> None:
    assert _syntax(text).code == "unquoted-text"


def test_misspelt_because() -> None:
    diagnostic = _syntax('reviewed "unused-fact" for "x" becuase "y"')
    assert diagnostic.code == "syntax-error"
    assert diagnostic.help is not None and "did you mean `because`" in diagnostic.help


@pytest.mark.parametrize("text", [
    'fact f: bool cite "a" "b"', 'category c cite "a", "b" "c"',
    'rule r { permit cite "a" "b" }',
])
def test_a_missing_comma_after_cite_is_not_a_review_mistake(text: str) -> None:
    assert _syntax(text).code == "syntax-error"


def test_repeated_translation_of_the_reason() -> None:
    assert _syntax('reviewed "gap" for "x" because "y" es "a" es "b"').code == "repeated-field"


# ---------------------------------------------------------------- matches


def _review(*patterns: str, code: str = "conflicting-rules") -> Review:
    return Review(code, patterns, "why", None, "v.ord", Span.whole_file(SourceFile("v.ord", "")))


@pytest.mark.parametrize(("patterns", "code", "subjects", "expected"), [
    (("a.x", "b.y"), "conflicting-rules", ["a.x", "b.y"], True),
    (("b.y", "a.x"), "conflicting-rules", ["a.x", "b.y"], True),
    (("a.*", "b.*"), "conflicting-rules", ["a.x", "b.y"], True),
    (("*",), "conflicting-rules", ["a.x", "b.y"], True),
    (("a.*", "b.*"), "shadowed-rule", ["a.x", "b.y"], False),  # another code
    (("a.x",), "conflicting-rules", ["a.x", "b.y"], False),  # `b.y` is not named
    (("a.x", "b.y", "c.z"), "conflicting-rules", ["a.x", "b.y"], False),  # `c.z` names nothing
    (("a.*", "a.x"), "conflicting-rules", ["a.x"], True),  # both patterns match `a.x`
    (("a.?",), "conflicting-rules", ["a.x"], True),
    (("a.?",), "conflicting-rules", ["a.xy"], False),
    (("a.[xy]",), "conflicting-rules", ["a.y"], True),
    (("A.X",), "conflicting-rules", ["a.x"], False),  # case matters
    (("a",), "conflicting-rules", ["a.x"], False),  # no prefix matching
    (("a.x",), "conflicting-rules", [], False),  # a warning about nothing
    (("Cal. Gov. Code § 7283(d)",), "conflicting-rules", ["Cal. Gov. Code § 7283(d)"], True),
])
def test_matches(patterns: tuple[str, ...], code: str, subjects: list[str],
                 expected: bool) -> None:
    assert _review(*patterns).matches(code, subjects) is expected


# ---------------------------------------------------------------- the cache


def test_reviews_come_back_from_the_cache(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDINANCE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ORDINANCE_NO_CACHE", raising=False)
    laws_dir = tmp_path / "laws"
    laws_dir.mkdir()
    (laws_dir / "vocabulary.ord").write_text(_vocabulary(), encoding="utf-8")
    (laws_dir / "law.ord").write_text(LAW, encoding="utf-8")
    first = ordinance.load(laws_dir)
    second = ordinance.load(laws_dir)
    assert len(list(cache.cache_dir().glob("*.pickle"))) == 1
    assert second.model.reviews == first.model.reviews
    assert second.model.reviews[0].text("reason", "es").startswith("El título")


def test_the_cache_format_is_in_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = [SourceFile("law.ord", LAW)]
    current = cache.key("sha256:x", sources)
    monkeypatch.setattr(cache, "FORMAT", cache.FORMAT - 1)
    assert cache.key("sha256:x", sources) != current
