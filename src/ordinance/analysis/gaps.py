"""Coverage gaps: requests a law set permits only because no rule speaks to them.

A request for a data item is *spoken to* when the condition of some rule that
permits or prohibits that item holds (a rule of a law that applies, the item in
its scope), or when an exception that itself prohibits stands. Where none does,
the item is permitted by default (:func:`ordinance.engine.evaluator.combine`), and that
may be a place the drafters forgot. An exception alone never speaks: it matters
only where the rule it excepts applies, and then that rule speaks.

The search (:mod:`ordinance.analysis.space`) is exact: every class reported is a set of
requests on each of which nothing speaks. It is complete when the search of every data item
finishes within its budget (:data:`GAPS_BUDGET`): then every such request is in a class. An
item whose search stopped may have gaps the search did not reach; the report names those
items (:attr:`CoverageGaps.stopped`) and says it is incomplete: gaps there are unknown, not
absent.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any

import attrs

from ..engine.conditions import facts_used, kleene_or
from ..engine.evaluator import PERMITTED, Engine, Evaluation
from ..engine.lawset import OrdinanceSet
from .describe import (
    Block,
    DateRange,
    Group,
    VerificationError,
    describe,
    domain_of,
    explore_blocks,
    place_name,
    residual,
)
from .space import Context, Judge, Space, witness_request
from .wording import Wording, classes_phrase, date_ranges_json, witness_yaml

GAP = "gap"
SPOKEN = "spoken"


@attrs.frozen
class GapFinding:
    """A class of requests no rule speaks to, in words, with a witness request."""

    condition: str  # with fact paths: `holder.kind is sheriff ... and requester.kind is court`
    words: str  # the same in the vocabulary's words
    place: str
    kinds: tuple[str, ...]
    dates: tuple[DateRange, ...]
    items: tuple[str, ...]
    facts: dict[str, list[Any]]  # the other facts constrained, and their allowed values
    classes: int  # classes of the search merged into this finding
    witness: dict[str, Any]
    laws: tuple[str, ...]  # the laws that apply to the witness (none of whose rules speaks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"condition": self.condition, "in_words": self.words, "place": self.place,
                "holder_kinds": list(self.kinds),
                "dates": date_ranges_json(self.dates),
                "data": list(self.items), "facts": self.facts, "classes": self.classes,
                "laws_applying": list(self.laws), "witness": self.witness}


@attrs.frozen
class CoverageGaps:
    """Every coverage gap of a law set, and how the search went."""

    ordinance_set: str
    source: str
    findings: tuple[GapFinding, ...]
    search: str  # the "how it searched" line
    items: int = 0  # data items searched
    stopped: tuple[str, ...] = ()  # data items whose search stopped at the budget
    budget: int | None = None  # the budget of each item's search, in partial requests

    @property
    def classes(self) -> int:
        """How many classes of requests the findings merge."""
        return sum(f.classes for f in self.findings)

    @property
    def complete(self) -> bool:
        """Whether every item's search finished: only then is every gap in a finding."""
        return not self.stopped

    def incomplete(self) -> str:
        """What the report leaves open, in one sentence ("" when it is complete).

        >>> CoverageGaps("", "", (), "", 3, ("photo",), 10).incomplete()[:58]
        'incomplete: the search of 1 of 3 data items stopped at its'
        """
        if self.complete:
            return ""
        many = len(self.stopped) != 1
        return (f"incomplete: the search of {len(self.stopped)} of {self.items} data items "
                f"stopped at its budget of {self.budget} partial requests ("
                + ", ".join(f"`{item}`" for item in self.stopped)
                + f"), so gaps for {'them' if many else 'it'} beyond those listed are "
                "unknown, not absent")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ordinance_set": self.ordinance_set, "source": self.source,
                "complete": self.complete, "stopped_items": list(self.stopped),
                "budget": self.budget,
                "gaps": [f.to_dict() for f in self.findings], "classes": self.classes,
                "search": self.search}


class _Speakers:
    """Which rules of a law set speak to a request, and the facts a search varies for them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        rules = engine.model.rules
        self.top = frozenset(r.id for r in rules.values()
                             if not r.excepts and r.effect in ("permit", "prohibit"))
        self.prohibiting_exceptions = frozenset(r.id for r in rules.values()
                                                if r.excepts and r.effect == "prohibit")
        focus = [r for r in rules if r in self.top or r in self.prohibiting_exceptions]
        for rule_id in focus:  # grows while iterated: each exception tree, breadth first
            focus += [e for e in rules[rule_id].exceptions if e not in focus]
        self.focus = tuple(focus)
        self.in_focus = frozenset(focus)
        self.by_law: dict[str, list[str]] = {}
        for rule in rules.values():
            self.by_law.setdefault(rule.law_id, []).append(rule.id)

    def judge_for(self, item: str) -> Judge[str]:
        """Spoken to (some rule speaks), gap (none can), or look deeper."""
        def judge(evaluations: Sequence[Evaluation]) -> str | None:
            evaluation = evaluations[0]
            standing = evaluation.items[0].standing  # the searched item (space.Judge)
            spoken = kleene_or(iter(
                [evaluation.conditions[r] for r in standing if r in self.top]
                + [standing[r] for r in standing if r in self.prohibiting_exceptions]))
            return None if spoken is None else (SPOKEN if spoken else GAP)
        return judge

    def key(self, context: Context, item: str) -> Hashable:
        """What the judge's answers on a (context, item) pair depend on (see Block): the
        rules in play, each with its condition as the context leaves it."""
        model = self.engine.model
        scope = self.engine.scope
        rules = [r for law in sorted(context.active[0]) for r in self.by_law.get(law, ())
                 if r in self.in_focus and item in scope[r]]
        reads_data = any("data" in facts_used(model.rules[r].when, model) for r in rules)
        return (frozenset((r, residual(model.rules[r].when, model, self.engine.compiler,
                                       context.facts)) for r in rules),
                item if reads_data else None)


GAPS_BUDGET = 10_000
"""Partial requests the search of one data item may evaluate (about a second here). Past it the
item's search stops and the report's summary names it: gaps it did not reach are unknown, not
absent."""


def coverage_gaps(laws: OrdinanceSet, source: str = "", *,
                  budget: int | None = None) -> CoverageGaps:
    """Search ``laws`` for every request no rule speaks to, merged into findings; the search
    of each data item may evaluate ``budget`` partial requests (:data:`GAPS_BUDGET`).

    Raises:
        VerificationError: if a witness is not decided as the search found (a bug).
    """
    engine = laws.engine
    space = Space([engine])
    speakers = _Speakers(engine)
    searched = explore_blocks(space, speakers.judge_for, speakers.key, speakers.focus,
                              keep=lambda answer: answer == GAP,
                              budget=GAPS_BUDGET if budget is None else budget)
    domain = domain_of(space)
    wording = Wording(laws.model, domain)
    order = list(laws.model.facts)
    blocks: list[Block[Hashable]] = searched.blocks
    findings = [_finding(group, wording, order, laws) for group in describe(blocks, space)]
    # Data no rule of the applying laws speaks to at all first, then the partial gaps.
    findings.sort(key=lambda finding: bool(finding.facts))
    stopped = tuple(label.strip("`") for label in searched.stats.stopped)  # `item` labels
    return CoverageGaps(laws.digest, source, tuple(findings), searched.summary(),
                        items=len(space.items), stopped=stopped,
                        budget=GAPS_BUDGET if budget is None else budget)


def _finding(group: Group[Hashable], wording: Wording, order: list[str],
             laws: OrdinanceSet) -> GapFinding:
    described = wording.group(group, order)
    witness = witness_request(group.witness, laws.model)
    _verify(laws, witness, group.witness.item)
    holders = group.holders
    return GapFinding(
        condition=described.condition, words=described.words, place=place_name(holders.place),
        kinds=tuple(sorted(holders.kinds)), dates=holders.dates, items=tuple(group.items),
        facts=wording.facts(group, order),
        classes=group.classes, witness=witness,
        laws=tuple(sorted(group.witness.context.active[0])))


def _verify(laws: OrdinanceSet, witness: dict[str, Any], item: str) -> None:
    """The witness's item is permitted and no rule permitting or prohibiting it applies."""
    decision = laws.decide(witness, would_change=False)
    found = next(i for i in decision.items if i.data == item)
    speaking = [r.rule for r in found.rules if r.effect in ("permit", "prohibit")]
    speaking += [e.rule for e in found.exceptions if e.effect == "prohibit" and e.applied]
    if found.outcome != PERMITTED or speaking:
        raise VerificationError(
            f"internal error: coverage-gaps witness for `{item}` is {found.outcome} "
            f"(rules speaking: {', '.join(speaking) or 'none'}): {json.dumps(witness)}")



# ---------------------------------------------------------------- rendering


def gaps_text(report: CoverageGaps, limit: int | None = None) -> str:
    """The findings for a terminal: condition, words, witness; at most ``limit`` of them."""
    shown = report.findings[:limit] if limit else report.findings
    lines = [f"Coverage gaps of {report.source or 'the law set'} ({report.ordinance_set})"]
    if not report.complete:
        lines.append(report.incomplete().replace("incomplete", "INCOMPLETE", 1))
    lines += [f"{len(report.findings)} findings ({report.classes} classes of requests) that "
              "the law set permits only because no rule speaks to them"
              + ("" if report.complete else ", among the requests searched"), ""]
    for number, finding in enumerate(shown, 1):
        lines += [f"{number}. {finding.condition}",
                  f"   in words: {finding.words}",
                  f"   laws applying to the witness: {', '.join(finding.laws)}",
                  f"   witness: {json.dumps(finding.witness, ensure_ascii=False)}",
                  f"   ({classes_phrase(finding.classes)} merged)", ""]
    if len(shown) < len(report.findings):
        lines += [f"... and {len(report.findings) - len(shown)} more findings "
                  "(--limit 0 shows all, --format json lists all)", ""]
    lines.append(f"How it searched: {report.search}")
    return "\n".join(lines)


def gaps_markdown(report: CoverageGaps, limit: int | None = None) -> str:
    """The findings as a Markdown memo, each witness a YAML block."""
    shown = report.findings[:limit] if limit else report.findings
    out = ["# Coverage gaps", "",
           f"Law set: {report.source or 'the law set'} (`{report.ordinance_set}`)", "",
           f"**{len(report.findings)} findings** ({report.classes} classes of requests): "
           "requests the law set permits only because no rule that permits or prohibits "
           "the data speaks to them. Each may be a place the drafters left open on purpose, "
           "or one they forgot.", ""]
    if not report.complete:
        out += [f"**This report is {report.incomplete()}.**", ""]
    for number, finding in enumerate(shown, 1):
        out += [f"## {number}. {finding.words}", "",
                f"Condition: `{finding.condition}`", "",
                f"Laws applying to the witness, none of whose rules speaks: "
                f"{', '.join(f'`{law}`' for law in finding.laws)}. "
                f"({classes_phrase(finding.classes)} merged.)", "",
                "Witness request:", "", "```yaml",
                witness_yaml(finding.witness),
                "```", ""]
    if len(shown) < len(report.findings):
        out += [f"*... and {len(report.findings) - len(shown)} more findings.*", ""]
    out += ["---", "", f"How it searched: {report.search}.", ""]
    return "\n".join(out)
