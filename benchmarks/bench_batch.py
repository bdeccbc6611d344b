"""Streaming throughput and memory of ``ordinance batch``: ``python benchmarks/bench_batch.py [N]``.

Writes N (default 1,000,000) generated requests as JSON Lines to a temporary
file, one in a hundred of them invalid, runs ``ordinance batch`` on it as a
subprocess (output to a temporary file) and prints decisions per second, the bytes
written per output line and the subprocess's peak memory (``ru_maxrss``). Arguments
after N go to ``ordinance batch`` (e.g. ``--no-would-change``, ``--compact``);
``--mixed`` (first) makes every other line a half-filled request: a holder kind and a
data category in Kern County, nothing else known.
Run on demand; never part of the test suite.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ordinance


def write_requests(path: Path, count: int, seed: int = 7, mixed: bool = False) -> None:
    """``count`` random requests over the vocabulary's enumerated facts, one per line;
    ``mixed``: every other one half-filled."""
    laws = ordinance.load()
    rng = random.Random(seed)
    facts = laws.model.facts
    categories = sorted(laws.model.hierarchy.categories)
    subject = [p.split(".", 1)[1] for p, f in facts.items()
               if p.startswith("subject.") and f.kind == "bool"]
    places = [("CA", "Alameda", "Oakland"), ("CA", "San Francisco", None),
              ("CA", "San Diego", None), ("NY", None, None)]
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            if index % 100 == 99:
                out.write('{"holder": {"kind": "sherif"}, "data": ["release_date"]}\n')
                continue
            if mixed and index % 2:
                out.write(json.dumps({
                    "id": f"bench-{index}",
                    "holder": {"kind": rng.choice(facts["holder.kind"].values),
                               "state": "CA", "county": "Kern"},
                    "data": [rng.choice(categories)]}) + "\n")
                continue
            state, county, city = rng.choice(places)
            holder: dict[str, Any] = {"kind": rng.choice(facts["holder.kind"].values),
                                      "state": state}
            if county:
                holder["county"] = county
            if city:
                holder["city"] = city
            data: dict[str, Any] = {
                "id": f"bench-{index}",
                "date": "2024-05-01",
                "holder": holder,
                "requester": {"kind": rng.choice(facts["requester.kind"].values)},
                "data": rng.sample(categories, rng.randint(1, 2)),
                "purpose": rng.choice(facts["purpose"].values),
                "legal_process": rng.choice(facts["legal_process"].values),
                "subject": {name: rng.random() < 0.3 for name in subject
                            if rng.random() < 0.8},
            }
            if rng.random() < 0.9:
                data["data_public"] = rng.random() < 0.2
            out.write(json.dumps(data) + "\n")


def main() -> None:
    """Generate the input, run the batch, print the figures."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    extra = sys.argv[2:]
    mixed = bool(extra) and extra[0] == "--mixed"
    extra = extra[1:] if mixed else extra
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "requests.jsonl"
        start = time.perf_counter()
        write_requests(source, count, mixed=mixed)
        size = source.stat().st_size
        print(f"generated {count:,} requests ({size / 2**20:.1f} MiB) in "
              f"{time.perf_counter() - start:.1f} s")
        output = Path(tmp) / "decisions.jsonl"
        command = [sys.executable, "-m", "ordinance", "batch", str(source), "--out", str(output),
                   *extra]
        start = time.perf_counter()
        run = subprocess.run(command, stderr=subprocess.PIPE, text=True, check=False)
        seconds = time.perf_counter() - start
        written = output.stat().st_size
        with output.open("rb") as lines:
            decided = [len(line) for line in lines if b'"error"' not in line[:200]]
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if sys.platform == "darwin":
        peak_kib //= 1024  # bytes there
    print(run.stderr.strip())
    print(f"exit code {run.returncode} (5: the generated invalid lines)")
    print(f"{count:,} lines in {seconds:.1f} s: {count / seconds:,.0f} lines/s (including "
          f"start-up and loading the law set)")
    print(f"output: {written / 2**20:.1f} MiB, {written / count:,.0f} bytes per line; "
          f"{sum(decided) / max(len(decided), 1):,.0f} bytes per decided line "
          f"(1,000,000 lines: {written / count * 1e6 / 1e9:.2f} GB)")
    print(f"peak memory (ru_maxrss of the batch process): {peak_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
