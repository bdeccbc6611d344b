"""Cold-start wall time: ``python benchmarks/bench_coldstart.py [RUNS]``.

Median wall time over RUNS (default 10) fresh processes of: an empty Python; the
``ordinance check`` command on a bundled example; and a fresh Python that imports
cedarpy, loads the peer Cedar policy and decides one request. Run on demand.

``BASELINE_SRC=/path/to/old/checkout/src`` adds the same ``check`` run from another
checkout's sources (``PYTHONPATH``, same interpreter and dependencies), to hold a change
to the cold start of the code before it: ``git worktree add /tmp/old <commit>``.
"""

from __future__ import annotations

import os
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


def wall(command: list[str], runs: int, ok: tuple[int, ...] = (0, 1, 3, 4),
         env: dict[str, str] | None = None) -> float:
    """Median wall time of ``command`` in milliseconds (one untimed run first); a run that
    exits with a code outside ``ok`` stops the benchmark."""
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode not in ok:
            raise SystemExit(f"{command} failed ({done.returncode}): {done.stderr.decode()}")
    return statistics.median(times) * 1000


def main() -> None:
    """Measure and print the table."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    check = ["check", "examples/home-address-hold-request.yaml", "--format", "json"]
    print(f"{'command (median of ' + str(runs) + ' runs)':<44} {'wall ms':>9}")
    results = {}
    for label, command, ok in [
            ("python -c pass", [sys.executable, "-c", "pass"], (0,)),
            ("ordinance check <example> --format json", [str(ORDINANCE), *check], (0, 1, 3, 4)),
            ("cedarpy: import, load policy, decide one", [sys.executable, "-c", CEDAR_ONE], (0,))]:
        results[label] = wall(command, runs, ok)
        print(f"{label:<44} {results[label]:>9.1f}")
    ratio = results["ordinance check <example> --format json"] / results[
        "cedarpy: import, load policy, decide one"]
    print(f"ordinance check / cedarpy cold start: {ratio:.2f}×")
    baseline = os.environ.get("BASELINE_SRC")
    if baseline:
        env = {**os.environ, "PYTHONPATH": baseline}
        old = wall([sys.executable, "-m", "ordinance", *check], runs, (0, 1, 3, 4), env)
        new = wall([sys.executable, "-m", "ordinance", *check], runs, (0, 1, 3, 4))
        print(f"{'python -m ordinance check, BASELINE_SRC':<44} {old:>9.1f}")
        print(f"{'python -m ordinance check, this checkout':<44} {new:>9.1f}")
        print(f"this checkout / baseline: {new / old:.2f}×")


if __name__ == "__main__":
    main()
