"""Law analysis of the bundled library: ``python benchmarks/bench_analysis.py [RUNS]``.

Wall time of each analysis (conflicts, unreachable and dead rules, shadowed rules,
unused facts) over the whole bundled law set, and of the complete `ordinance lint`
command in a fresh process; median of RUNS (default 3). Issue #7 asks for under 30 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ordinance
from ordinance.analysis.conflicts import Analyzer

ROOT = Path(__file__).resolve().parent.parent
ORDINANCE = Path(sys.executable).with_name("ordinance")


def timed(run: Callable[[], object], runs: int) -> tuple[float, object]:
    """Median wall time in seconds, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    """Measure and print the table."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    laws = ordinance.load()
    model = laws.model
    print(f"bundled set: {len(model.laws)} laws, {len(model.rules)} rules and exceptions, "
          f"{len(model.facts)} facts, {len(model.hierarchy.categories)} data categories")
    print(f"{'analysis (median of ' + str(runs) + ')':<34} {'seconds':>8} {'findings':>9}")
    total = 0.0
    analyzer = Analyzer(laws.engine)
    for name in ("unreachable", "conflicts", "shadowed", "unused_facts"):
        seconds, found = timed(getattr(analyzer, name), runs)
        total += seconds
        print(f"{name:<34} {seconds:>8.2f} {len(found):>9}")
    print(f"{'all analyses':<34} {total:>8.2f}")
    print(analyzer.stats.summary())
    seconds, _ = timed(lambda: subprocess.run([str(ORDINANCE), "lint", "--format", "json"],
                                              cwd=ROOT, capture_output=True, check=True), runs)
    print(f"{'ordinance lint (fresh process)':<34} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
