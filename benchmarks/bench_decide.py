"""Decision throughput on the bundled law set: ``python benchmarks/bench_decide.py [N]``.

Prints per-decision median and p99 latency and decisions per second for the
fast evaluation path, full decisions with explanations, and decisions with
``would_change``. Run on demand; never part of the test suite.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import ordinance
from ordinance.engine.vocabulary import nested


def generated_requests(laws: ordinance.OrdinanceSet, count: int,
                       seed: int = 7) -> list[ordinance.Request]:
    """``count`` random valid requests over the vocabulary's enumerated facts."""
    rng = random.Random(seed)
    facts = laws.model.facts
    categories = sorted(laws.model.hierarchy.categories)
    out = []
    for index in range(count):
        data: dict[str, Any] = {
            "id": f"bench-{index}",
            "date": "2024-05-01",
            "holder": {"kind": rng.choice(facts["holder.kind"].values), "state": "CA",
                       "county": "Alameda"},
            "requester": {"kind": rng.choice(facts["requester.kind"].values)},
            "data": rng.sample(categories, rng.randint(1, 3)),
            "purpose": rng.choice(facts["purpose"].values),
            "legal_process": rng.choice(facts["legal_process"].values),
            "subject": {},
        }
        if rng.random() < 0.8:
            data["data_public"] = rng.random() < 0.2
        for path, fact in facts.items():
            if path.startswith("subject.") and fact.kind == "bool" and rng.random() < 0.7:
                data["subject"][path.split(".", 1)[1]] = rng.random() < 0.3
        out.append(laws.request(data))
    return out


COMPLETE_PLACES = [("Alameda", "Oakland"), ("Alameda", "Berkeley"),
                   ("San Francisco", "San Francisco"), ("Kern", "Bakersfield"),
                   ("Humboldt", "Eureka"), ("Los Angeles", "Los Angeles")]


def complete_requests(laws: ordinance.OrdinanceSet, count: int,
                      seed: int = 5) -> list[ordinance.Request]:
    """``count`` random requests that give every fact of the vocabulary (a California
    holder with its county and city; agencies' names as text)."""
    rng = random.Random(seed)
    categories = sorted(laws.model.hierarchy.categories)
    out = []
    for index in range(count):
        county, city = rng.choice(COMPLETE_PLACES)
        flat: dict[str, Any] = {"date": "2024-05-01", "holder.state": "CA",
                                "holder.county": county, "holder.city": city,
                                "data": rng.sample(categories, rng.randint(1, 3))}
        for path, fact in laws.model.facts.items():
            if path in flat:
                continue
            if fact.kind == "one_of":
                flat[path] = rng.choice(fact.values)
            elif fact.kind == "bool":
                flat[path] = rng.random() < 0.3
            elif fact.kind == "text":
                flat[path] = "Agency"
        out.append(laws.request({"id": f"complete-{index}", **nested(flat)}))
    return out


_WORKER: tuple[ordinance.OrdinanceSet, list[ordinance.Request]] | None = None


def _prepare(count: int, seed: int) -> None:
    """In a worker: load the law set, make its requests, generate its functions."""
    global _WORKER
    laws = ordinance.load()
    requests = complete_requests(laws, count, seed)
    for request in requests:
        laws.verdict(request)
    _WORKER = (laws, requests)


def _verdicts(_task: int) -> int:
    assert _WORKER is not None
    laws, requests = _WORKER
    for request in requests:
        laws.verdict(request)
    return len(requests)


def parallel_verdicts(count: int, processes: int = 2) -> None:
    """Decide ``count`` complete requests (made and seen once beforehand) on each of
    ``processes`` processes at once, outcomes only, and print the combined rate."""
    with multiprocessing.Pool(processes, _prepare, (count, 11)) as pool:
        pool.map(_verdicts, range(processes), chunksize=1)
        start = time.perf_counter()
        done = sum(pool.map(_verdicts, range(processes), chunksize=1))
        seconds = time.perf_counter() - start
    print(f"{'verdict, ' + str(processes) + ' processes at once':<34} {'':>10} {'':>10} "
          f"{done / seconds:>12.0f}")


def repeated_holders(requests: list[ordinance.Request], combinations: int = 20,
                     seed: int = 3) -> list[ordinance.Request]:
    """The requests with holder, requester and data drawn from ``combinations`` of them,
    as in a batch from a few agencies: each plan is worked out once and then remembered."""
    rng = random.Random(seed)
    keep = ("holder.kind", "holder.county", "holder.city", "requester.kind", "data")
    bases = [r.facts for r in requests[:combinations]]
    out = []
    for request in requests:
        base = rng.choice(bases)
        facts = {k: v for k, v in request.facts.items() if k not in keep}
        facts.update({k: base[k] for k in keep if k in base})
        out.append(ordinance.Request(facts))
    return out


def measure(label: str, run: Callable[[ordinance.Request], object],
            requests: list[ordinance.Request]) -> None:
    """Time ``run`` on each request and print one table row."""
    times = []
    for request in requests:
        start = time.perf_counter()
        run(request)
        times.append(time.perf_counter() - start)
    times.sort()
    median = statistics.median(times) * 1e6
    p99 = times[int(len(times) * 0.99) - 1] * 1e6
    rate = len(times) / sum(times)
    print(f"{label:<34} {median:>10.1f} {p99:>10.1f} {rate:>12.0f}")


def main() -> None:
    """Run the benchmark and print its table."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    start = time.perf_counter()
    laws = ordinance.load()
    print(f"load bundled law set: {(time.perf_counter() - start) * 1000:.1f} ms, "
          f"{len(laws.model.rules)} rules")
    requests = generated_requests(laws, count)
    print(f"{'path (' + str(count) + ' requests)':<34} {'median µs':>10} {'p99 µs':>10} "
          f"{'decisions/s':>12}")
    measure("evaluate (settled, no text)", laws.evaluate, requests)
    measure("evaluate, 20 holder/data combinations", laws.evaluate,
            repeated_holders(requests))
    measure("decide, explained", lambda r: laws.decide(r, would_change=False).to_dict(),
            requests)
    measure("decide, explained + would_change", lambda r: laws.decide(r).to_dict(), requests)
    complete = complete_requests(laws, count)
    print(f"complete requests (every fact given, {count}):")
    start = time.perf_counter()
    for request in complete:
        laws.verdict(request)  # each holder's item functions generated once
    print(f"  first pass, generating {laws.fastpath.generated} item functions: "
          f"{time.perf_counter() - start:.2f} s")
    measure("evaluate (settled, no text)", laws.evaluate, complete)
    measure("verdict (generated fast path)", laws.verdict, complete)
    measure("decide, explained, as JSON", lambda r: json.dumps(
        laws.decide(r, would_change=False).to_dict()), complete)
    parallel_verdicts(count * 5)


if __name__ == "__main__":
    main()
