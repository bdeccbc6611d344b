"""Cold-start wall time: ``python benchmarks/bench_coldstart.py [RUNS]``.

Median wall time over RUNS (default 10) fresh processes of: an empty Python; the
``ordinance check`` command on a bundled example; and a fresh Python that imports
cedarpy, loads the peer Cedar policy and decides one request. Run on demand.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ORDINANCE = Path(sys.executable).with_name("ordinance")

CEDAR_ONE = f"""
import cedarpy
from pathlib import Path
policies = Path({str(HERE / "peers" / "policy.cedar")!r}).read_text()
request = {{"principal": 'Requester::"r"', "action": 'Action::"share"',
           "resource": 'Data::"immigration_status"',
           "context": {{"requester_kind": "federal_immigration"}}}}
assert cedarpy.is_authorized(request, policies, []).allowed
"""


def wall(command: list[str], runs: int) -> float:
    """Median wall time of ``command`` in milliseconds (one untimed run first)."""
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1, 3, 4):
            raise SystemExit(f"{command} failed ({done.returncode}): {done.stderr.decode()}")
    return statistics.median(times) * 1000


def main() -> None:
    """Measure and print the table."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("ordinance check <example> --format json",
         [str(ORDINANCE), "check", "examples/home-address-hold-request.yaml", "--format", "json"]),
        ("cedarpy: import, load policy, decide one", [sys.executable, "-c", CEDAR_ONE]),
    ]
    print(f"{'command (median of ' + str(runs) + ' runs)':<44} {'wall ms':>9}")
    results = {}
    for label, command in rows:
        results[label] = wall(command, runs)
        print(f"{label:<44} {results[label]:>9.1f}")
    ratio = results[rows[1][0]] / results[rows[2][0]]
    print(f"ordinance check / cedarpy cold start: {ratio:.2f}×")


if __name__ == "__main__":
    main()
