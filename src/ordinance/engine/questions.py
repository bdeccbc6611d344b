"""Which open fact to ask about first, and why it is asked.

An interview settles an undetermined request soonest by asking first about the fact after
whose answer the fewest facts still matter, on average over the answers it can get (each
class of values the law tells apart counts once): a one-step look-ahead on the compiled
decision form, where each candidate costs one restriction of the diagrams per answer.
Who asks and where the holder is come before any detail fact, as a clerk would ask them;
a fact that can no longer change the outcome is never among the candidates (the
decision's missing facts are exactly those that can).

Where the compiled form cannot take the request (see :mod:`ordinance.engine.relevance`),
the facts keep the order of the decision's missing facts, most-read first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from .evaluator import Evaluation
from .relevance import Relevance

if TYPE_CHECKING:
    from .compiled import CompiledLaw, View

FIRST = frozenset({"requester.kind", "holder.state", "holder.county", "holder.city"})
"""Facts asked before any other that matters: who is asking, and where the holder is."""


@attrs.frozen
class Ranked:
    """An open fact, how many facts would still matter after its answer, and why it is
    asked."""

    fact: str
    expected: float | None  # facts still mattering after the answer, on average; None: unknown
    why: str


def order(law: CompiledLaw, view: View, facts: list[str]) -> list[tuple[str, float]]:
    """``facts`` (open facts that can change the outcome of the request ``view`` was made
    for) in the order to ask them, each with how many facts would still matter after its
    answer, on average over its answers."""
    expected: dict[str, float] = {}
    for fact in facts:
        left = [len(view.restrict(bits).facts()) for bits in law.answers(fact)]
        expected[fact] = sum(left) / len(left)
    position = {fact: index for index, fact in enumerate(facts)}
    ranked = sorted(facts, key=lambda fact: (fact not in FIRST, expected[fact],
                                             position[fact]))
    return [(fact, expected[fact]) for fact in ranked]


def rank(relevance: Relevance, evaluation: Evaluation, missing: list[str]) -> list[Ranked]:
    """``missing`` (open facts that can change the outcome) in the order to ask them."""
    view = relevance.view(evaluation)
    if view is None:
        ordered: list[tuple[str, float | None]] = [(fact, None) for fact in missing]
    else:
        ordered = list(order(relevance.compiled_law(), view, missing))
    return [Ranked(fact, expected, why(relevance, evaluation, fact))
            for fact, expected in ordered]


def why(relevance: Relevance, evaluation: Evaluation, fact: str) -> str:
    """What the answer decides: the first open rule in question that reads the fact --
    an exception (whether it lifts the rule it excepts from) or a prohibition (whether
    it applies)."""
    rules = relevance.engine.model.rules
    open_rules = [rule_id for item in evaluation.items for rule_id, value in item.standing.items()
                  if value is None and rule_id in relevance.decisive
                  and evaluation.conditions.get(rule_id) is None
                  and fact in relevance.reads[rule_id]]
    for rule_id in dict.fromkeys(open_rules):
        rule = rules[rule_id]
        if rule.excepts:
            targets = list(dict.fromkeys(rules[t].citation for t in rule.excepts
                                         if rules[t].citation not in ("", rule.citation)))
            if targets:
                more = f" and {len(targets) - 2} more" if len(targets) > 2 else ""
                return (f"this decides whether {rule.citation} lifts "
                        f"{' and '.join(targets[:2])}{more}")
    for rule_id in dict.fromkeys(open_rules):
        return f"this decides whether {rules[rule_id].citation} applies"
    return ""
