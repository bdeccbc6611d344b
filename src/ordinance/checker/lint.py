"""Lint: warnings about a checked law set that do not stop it from loading.

Like the checker, an ordered list of named passes ``(model, modules, report)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from ..language import nodes as n
from ..language.diagnostics import Diagnostic, Report, Severity
from ..language.urls import web_url
from .model import OrdinanceModel

if TYPE_CHECKING:
    from .model import Review


def gap_notes(model: OrdinanceModel, modules: list[n.Module], report: Report) -> None:
    """Report every `gap` note: law text that could not be found verbatim."""
    for module in modules:
        for decl in module.declarations:
            if isinstance(decl, n.Gap):
                report.warning("gap", f"text not encoded: {decl.text}", decl.span)


def rules_without_citation(model: OrdinanceModel, modules: list[n.Module],
                           report: Report) -> None:
    """A rule that cites nothing cannot be traced to the law's words."""
    for rule in model.rules.values():
        if not rule.cites:
            report.diagnostics.append(Diagnostic(
                "rule-without-citation", f"rule `{rule.id}` cites no section", rule.span,
                "add `cite \"...\"` naming the section it rests on", Severity.WARNING,
                (rule.id,)))


def uncited_sections(model: OrdinanceModel, modules: list[n.Module], report: Report) -> None:
    """A section no rule, condition, fact or category cites may be dead text."""
    cited = {c for rule in model.rules.values() for c in rule.cites}
    cited |= {c for define in model.defines.values() for c in define.cites}
    cited |= {c for fact in model.facts.values() for c in fact.cites}
    cited |= {c for cat in model.hierarchy.categories.values() for c in cat.cites}
    for section in model.sections.values():
        if section.citation not in cited:
            report.diagnostics.append(Diagnostic(
                "uncited-section", f"section `{section.citation}` is cited by nothing",
                section.span, "cite it from the rule it grounds, remove it, or record why it "
                "stays with `reviewed`", Severity.WARNING, (section.citation,)))


def source_addresses(model: OrdinanceModel, modules: list[n.Module], report: Report) -> None:
    """A law's ``source`` that is not an http(s) address (``javascript:...``) is never made
    a link; say so, since a reader expects one."""
    for law in model.laws.values():
        if law.source_url and web_url(law.source_url) is None:
            report.warning("source-not-web", f"law `{law.id}`: its source "
                           f"`{law.source_url[:80]}` is not an http(s) address, so it is "
                           "shown as text, never as a link", law.span,
                           'give the web address of the official text: `source "https://..."`')


LINT_PASSES: list[tuple[str, Callable[[OrdinanceModel, list[n.Module], Report], None]]] = [
    ("gap-notes", gap_notes),
    ("rules-without-citation", rules_without_citation),
    ("uncited-sections", uncited_sections),
    ("source-addresses", source_addresses),
]
"""The lint passes, in order; none depends on another."""


def lint(model: OrdinanceModel, modules: list[n.Module]) -> list[Diagnostic]:
    """Run every lint pass and return the warnings, sorted by place."""
    report = Report()
    for _name, run in LINT_PASSES:
        run(model, modules, report)
    return report.warnings


@attrs.frozen
class Reviewed:
    """Lint warnings sorted by whether a `reviewed` declaration explains them."""

    open: tuple[Diagnostic, ...]  # still to look at
    reviewed: tuple[tuple[Diagnostic, Review], ...]  # each with the review that explains it
    unused: tuple[Diagnostic, ...]  # `unused-review` warnings: reviews that match nothing


def apply_reviews(warnings: Sequence[Diagnostic], reviews: Sequence[Review]) -> Reviewed:
    """Match each warning against the law set's `reviewed` declarations.

    A gap note is never reviewed away: it is itself the law file's explanation
    of missing text, and stays visible.
    """
    open_warnings: list[Diagnostic] = []
    reviewed: list[tuple[Diagnostic, Review]] = []
    used: set[int] = set()
    for warning in warnings:
        match = next((i for i, review in enumerate(reviews)
                      if warning.code != "gap" and review.matches(warning.code,
                                                                  warning.subjects)), None)
        if match is None:
            open_warnings.append(warning)
        else:
            used.add(match)
            reviewed.append((warning, reviews[match]))
    unused = tuple(
        Diagnostic("unused-review", f"review of `{review.code}` for "
                   + ", ".join(f"`{s}`" for s in review.subjects) + " matches no warning",
                   review.span, "the warning it explained is gone: remove the review",
                   Severity.WARNING, review.subjects)
        for i, review in enumerate(reviews) if i not in used)
    return Reviewed(tuple(open_warnings), tuple(reviewed), unused)
