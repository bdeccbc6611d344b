"""`ordinance audit` at scale: ``python benchmarks/bench_audit.py [MILLIONS...]``.

Writes a synthetic Flock-shaped export of one million rows once (``ordinance.audit.
synthetic``; no real personal data) and audits 1, 2, ... million rows as that many copies
of it (the command takes many files), printing wall time, rows per second and peak
memory of the whole command. Run on demand; figures go to docs/performance.md.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ordinance.audit import synthetic

ORDINANCE = Path(sys.executable).with_name("ordinance")
MILLION = 1_000_000


def main() -> None:
    """Run the benchmark and print its table."""
    sizes = [int(a) for a in sys.argv[1:]] or [1, 2, 5]
    work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        start = time.perf_counter()
        one = synthetic.write_csv(work / "part-0.csv", MILLION)
        print(f"generated 1,000,000 rows in {time.perf_counter() - start:.1f} s "
              f"({one.stat().st_size / 2**20:.0f} MiB)")
        print(f"{'rows':>12} {'seconds':>9} {'rows/s':>12} {'peak MiB':>9}")
        for millions in sizes:
            for index in range(1, millions):
                part = work / f"part-{index}.csv"
                if not part.exists():
                    shutil.copyfile(one, part)
            files = [str(work / f"part-{i}.csv") for i in range(millions)]
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            result = subprocess.run([str(ORDINANCE), "audit", *files, "--map",
                                     "flock-network-audit", "--holder", "county=Alameda",
                                     "--holder", "city=Oakland", "--out", str(work / "out")],
                                    capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            if result.returncode not in (0, 1, 3):
                sys.exit(result.stderr)
            rows = millions * MILLION
            print(f"{rows:>12,} {seconds:>9.1f} {rows / seconds:>12,.0f} "
                  f"{max(peak, before) / 1024:>9.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
