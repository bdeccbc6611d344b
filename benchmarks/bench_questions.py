"""Questions an interview asks: ``python benchmarks/bench_questions.py [LIMIT] [--optimum N]``.

Starts from half-filled requests of the bundled law (each holder kind x each data
category, a holder in Kern County, California, nothing else known) and counts, over
*every* complete assignment of the facts still open (each class of values the law tells
apart counted once, all equally likely), how many questions each way of choosing the
next question asks before the outcome is settled:

- ``alphabetical``: the first open fact by name (how ``ordinance ask`` chose before);
- ``ordinance``: :func:`ordinance.engine.questions.order` (what ``ordinance ask`` and
  ``POST /v1/next-question`` ask now);
- ``optimum``: the fewest questions on average, by exhaustive search over the compiled
  form, for starts with at most ``--optimum`` open facts (default 9: beyond that the
  search takes minutes).

Counted on the compiled decision form, memoised on its canonical diagrams, so the mean
and the worst case are exact, not sampled. LIMIT takes an evenly spread sample of the
starts. Run on demand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import Any

import ordinance
from ordinance.engine.compiled import CompiledLaw, View
from ordinance.engine.questions import order

Chooser = Callable[[View, list[str]], str]


def open_facts(view: View) -> list[str]:
    """The open facts that can still change the request's outcome, by name."""
    return sorted(view.facts())


class Counter:
    """Mean and worst number of questions a chooser asks, memoised per diagram state."""

    def __init__(self, law: CompiledLaw, choose: Chooser) -> None:
        self.law = law
        self.choose = choose
        self.memo: dict[tuple[Any, ...], tuple[float, int]] = {}

    def count(self, view: View) -> tuple[float, int]:
        """(mean, worst) questions until the outcome of ``view`` is settled."""
        key = (*view.items, view.covered)
        found = self.memo.get(key)
        if found is None:
            facts = open_facts(view)
            found = self.settle(view, facts) if facts else (0.0, 0)
            self.memo[key] = found
        return found

    def settle(self, view: View, facts: list[str]) -> tuple[float, int]:
        """(mean, worst) questions from ``view`` on, some of ``facts`` still open."""
        return self.asking(view, self.choose(view, facts))

    def asking(self, view: View, fact: str) -> tuple[float, int]:
        """(mean, worst) questions from ``view`` on when ``fact`` is asked first."""
        answers = [self.count(view.restrict(bits)) for bits in self.law.answers(fact)]
        return (1 + statistics.fmean(a[0] for a in answers), 1 + max(a[1] for a in answers))


class Optimum(Counter):
    """The fewest questions on average (ties: the smaller worst case)."""

    def __init__(self, law: CompiledLaw) -> None:
        super().__init__(law, lambda view, facts: facts[0])

    def settle(self, view: View, facts: list[str]) -> tuple[float, int]:
        return min(self.asking(view, fact) for fact in facts)


def starts(laws: ordinance.OrdinanceSet, limit: int | None) -> list[dict[str, Any]]:
    """Each holder kind x each data category in Kern County, evenly sampled to ``limit``."""
    found = [{"holder": {"kind": kind, "state": "CA", "county": "Kern"}, "data": [category]}
             for kind in laws.model.facts["holder.kind"].values
             for category in sorted(laws.model.hierarchy.categories)]
    if limit is None or limit >= len(found):
        return found
    step = len(found) / limit
    return [found[int(i * step)] for i in range(limit)]


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("limit", nargs="?", type=int, default=None)
    parser.add_argument("--optimum", type=int, default=9)
    args = parser.parse_args()
    laws = ordinance.load()
    relevance = laws.explainer.relevance
    law = relevance.compiled_law()
    ours = Counter(law, lambda view, facts: order(law, view, facts)[0][0])
    alphabetical = Counter(law, lambda view, facts: facts[0])
    optimum = Optimum(law)
    rows = []
    for data in starts(laws, args.limit):
        evaluation = laws.evaluate(data)
        view = relevance.view(evaluation)
        if view is None or not view.facts():
            continue  # settled already, or not for the compiled form
        open_facts = len(view.facts())
        best = optimum.count(view) if open_facts <= args.optimum else None
        rows.append((data, open_facts, alphabetical.count(view), ours.count(view), best))
    print(f"{len(rows)} undetermined starts (holder kind x data category, Kern County, "
          "nothing else known); questions over every complete answer")
    print(f"{'strategy':<14} {'mean':>7} {'worst':>6}   (starts with an optimum: "
          f"{sum(r[4] is not None for r in rows)})")
    for label, index in (("alphabetical", 2), ("ordinance", 3)):
        print(f"{label:<14} {statistics.fmean(r[index][0] for r in rows):>7.2f} "
              f"{max(r[index][1] for r in rows):>6}")
    with_optimum = [r for r in rows if r[4] is not None]
    if with_optimum:
        print("where the optimum is computed:")
        for label, index in (("alphabetical", 2), ("ordinance", 3), ("optimum", 4)):
            print(f"  {label:<12} {statistics.fmean(r[index][0] for r in with_optimum):>7.2f}"
                  f" {max(r[index][1] for r in with_optimum):>6}")
    kern = next((r for r in rows if r[0]["holder"]["kind"] == "sheriff"
                 and r[0]["data"] == ["release_date"]), None)
    if kern is not None:
        print(f"Kern County sheriff, release date ({kern[1]} open facts): alphabetical "
              f"{kern[2][0]:.2f} mean / {kern[2][1]} worst, ordinance {kern[3][0]:.2f} / "
              f"{kern[3][1]}" + (f", optimum {kern[4][0]:.2f} / {kern[4][1]}"
                                 if kern[4] is not None else ""))


if __name__ == "__main__":
    main()
