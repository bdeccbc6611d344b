"""The checker: AST modules -> checked :class:`~ordinance.checker.model.OrdinanceModel`.

The checker is an ordered list of named passes, each ``(state, report) -> None``,
one module per group of passes. Every pass records diagnostics instead of raising;
the caller fails once at the end with all of them, sorted by file and line.
"""

from __future__ import annotations

from collections.abc import Callable

from ..language import nodes as n
from ..language.diagnostics import Report
from .conditions import MAX_CONDITION_DEPTH, check_conditions
from .declarations import (
    check_facts,
    check_laws,
    collect_declarations,
    resolve_categories,
    resolve_citations,
)
from .model import OrdinanceModel
from .reviews import REVIEWABLE_CODES, check_reviews
from .rules import MAX_EXPANDED_DEPTH, check_cycles, check_depth, check_rules, resolve_exceptions
from .state import JURISDICTION_FACTS, State

__all__ = ["JURISDICTION_FACTS", "MAX_CONDITION_DEPTH", "MAX_EXPANDED_DEPTH", "PASSES",
           "REVIEWABLE_CODES", "check"]

PASSES: list[tuple[str, Callable[[State, Report], None]]] = [
    ("collect-declarations", collect_declarations),
    ("resolve-categories", resolve_categories),  # needs: declarations
    ("check-facts", check_facts),  # needs: categories (category defaults)
    ("check-laws", check_laws),  # needs: facts (holder.kind values)
    ("resolve-citations", resolve_citations),  # needs: sections
    ("check-conditions", check_conditions),  # needs: facts, categories, defines
    ("resolve-exceptions", resolve_exceptions),  # needs: rule declarations
    ("check-cycles", check_cycles),  # needs: resolved exceptions
    ("check-depth", check_depth),  # needs: no define cycles reported (skips them)
    ("check-rules", check_rules),  # needs: resolved rules
    ("check-reviews", check_reviews),  # needs: declarations (rule ids, fact paths, citations)
]
"""The checker's passes, in order; each comment names what it relies on."""


def check(modules: list[n.Module], digest: str, report: Report) -> OrdinanceModel:
    """Run every pass over the modules; diagnostics go to ``report``."""
    state = State(modules, digest)
    for _name, run in PASSES:
        run(state, report)
    return OrdinanceModel(
        facts=state.facts, hierarchy=state.hierarchy, defines=state.defines,
        laws=state.laws, sections=state.sections, rules=state.rules, digest=digest,
        reviews=tuple(state.reviews),
    )
