"""Half-filled requests: ``python benchmarks/bench_sparse.py [LIMIT] [--seed N]``.

Intake starts from what a clerk knows ("someone asked the Kern County Sheriff for a
release date"). This times the full decision -- outcome, exact missing facts and
would-change, as JSON -- on sparse requests of the bundled law:

- every holder kind x every data category, with nothing else known (a holder in
  Kern County, California, and today's date);
- as many again with a random subset of the other facts known (``--seed``).

LIMIT (default: all) takes an evenly spread sample of each set. Prints the median,
p99 and worst time, the rate, and how many decisions ran out of search budget (their
missing facts are then not exact). Run on demand; never part of the test suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

import ordinance

PLACE = {"state": "CA", "county": "Kern"}
"""A county with no law of its own: only state law binds, as for most of California."""


def nothing_known(laws: ordinance.OrdinanceSet) -> list[dict[str, Any]]:
    """Each holder kind x each data category, nothing else known."""
    kinds = laws.model.facts["holder.kind"].values
    categories = sorted(laws.model.hierarchy.categories)
    return [{"holder": {"kind": kind, **PLACE}, "data": [category]}
            for kind in kinds for category in categories]


def some_known(laws: ordinance.OrdinanceSet, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` sparse requests with a random subset of the enumerated facts known."""
    rng = random.Random(seed)
    facts = laws.model.facts
    categories = sorted(laws.model.hierarchy.categories)
    out = []
    for _ in range(count):
        data: dict[str, Any] = {"holder": {"kind": rng.choice(facts["holder.kind"].values),
                                           **PLACE},
                                "data": rng.sample(categories, rng.randint(1, 2))}
        for path, fact in facts.items():
            if path in ("holder.kind", "data", "date") or rng.random() > 0.15:
                continue
            if fact.kind == "bool":
                value: Any = rng.random() < 0.5
            elif fact.kind == "enum":
                value = rng.choice(fact.values)
            else:
                continue
            *groups, leaf = path.split(".")
            node = data
            for group in groups:
                node = node.setdefault(group, {})
            node.setdefault(leaf, value)
        out.append(data)
    return out


def spread(items: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """At most ``limit`` items, evenly spread over the list."""
    if limit is None or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def measure(label: str, laws: ordinance.OrdinanceSet, requests: list[dict[str, Any]]) -> None:
    """Decide each request in full and print one row."""
    times = []
    inexact = 0
    for data in requests:
        start = time.perf_counter()
        decision = laws.decide(data).to_dict()
        times.append(time.perf_counter() - start)
        inexact += decision.get("missing_facts_exact") is False
    times.sort()
    p99 = times[max(0, int(len(times) * 0.99) - 1)]
    print(f"{label:<36} {len(times):>5} {statistics.median(times) * 1e3:>9.1f} "
          f"{p99 * 1e3:>9.1f} {times[-1] * 1e3:>9.1f} {len(times) / sum(times):>8.2f} "
          f"{inexact:>8}")


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("limit", nargs="?", type=int, default=None)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    laws = ordinance.load()
    first = nothing_known(laws)
    print(f"{'requests':<36} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} "
          f"{'req/s':>8} {'inexact':>8}")
    measure("holder kind x data, nothing else", laws, spread(first, args.limit))
    measure("random subsets of facts known", laws,
            spread(some_known(laws, len(first), args.seed), args.limit))


if __name__ == "__main__":
    main()
