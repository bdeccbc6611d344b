"""Checker pass 11: `reviewed` declarations name a reviewable warning, real subjects, a reason."""

from __future__ import annotations

from ..language import nodes as n
from ..language.diagnostics import Report, did_you_mean
from .model import (
    Review,
)
from .state import State, texts

REVIEWABLE_CODES = ("conflicting-rules", "unreachable-rule", "dead-exception", "shadowed-rule",
                    "unused-fact", "uncited-section", "rule-without-citation")
"""The lint warnings a ``reviewed`` declaration may explain (a ``gap`` note never needs one)."""

_GLOB = frozenset("*?[")

# ---------------------------------------------------------------- pass 11: reviews


def check_reviews(state: State, report: Report) -> None:
    """A review names a reviewable warning code, subjects that exist, and a reason."""
    subjects = [*state.rule_decls, *state.facts, *state.sections]
    known = set(subjects)
    for module in state.modules:
        law_id = state.law_of(module)
        for decl in module.declarations:
            if not isinstance(decl, n.Review):
                continue
            if decl.code not in REVIEWABLE_CODES:
                report.error("unknown-warning-code", f"review: no warning `{decl.code}` to "
                             "review", decl.code_span or decl.span,
                             "a `gap` note is itself the explanation; it needs no review"
                             if decl.code == "gap" else did_you_mean(decl.code, REVIEWABLE_CODES)
                             or "a review explains one of: " + ", ".join(REVIEWABLE_CODES))
            spans = decl.subject_spans or (decl.span,) * len(decl.subjects)
            for pattern, span in zip(decl.subjects, spans, strict=False):
                if _GLOB.isdisjoint(pattern) and pattern not in known:
                    local = f"{law_id}.{pattern}"
                    report.error("unknown-review-subject", f"review of `{decl.code}`: no rule, "
                                 f"fact or section `{pattern}`", span,
                                 f"write the rule's full id: `{local}`" if local in known
                                 else did_you_mean(pattern, subjects)
                                 or "name a rule by its full id (`law.rule`), a fact by its "
                                 "path, a section by its citation, or use a pattern with `*`")
            if not decl.reason.text.strip():
                report.error("missing-reason", f"review of `{decl.code}` gives no reason",
                             decl.reason_span or decl.span,
                             "say after `because` why the warning is acceptable")
            state.reviews.append(Review(
                code=decl.code, subjects=decl.subjects, reason=decl.reason.text,
                law_id=law_id, path=module.path, span=decl.span,
                texts=texts(reason=decl.reason)))
