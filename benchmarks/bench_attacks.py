"""Reruns the attacks of issue 19 and prints what they cost: ``python benchmarks/bench_attacks.py``.

1. A law file with definitions each using the one before twice (24 and 64 levels): load
   and decide time.
2. One valid request naming every data category: decide time (the CPU one small body
   can cost).
3. `ordinance serve` (a subprocess, default limits) under 40 concurrent such requests:
   how many were answered 200 or refused 503/429, and the latency of `/healthz` meanwhile.

Run on demand; never part of the test suite. Figures go to docs/performance.md.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ordinance

ROOT = Path(__file__).resolve().parent.parent
VOCABULARY = """fact date: date question "When?"
fact holder.kind: one of police question "Holder kind?" required
fact holder.state: text question "State?" required
fact purpose: one of immigration, crime question "Purpose?"
fact data: set of categories question "Data?" required
category address label "address"
"""


def chain(levels: int) -> str:
    """A law whose rule uses the last of ``levels`` doubling definitions."""
    lines = ['law st.chain {\n  jurisdiction state "IL"\n  binds police\n}\n',
             'section "S 1" "No sharing."\n', "define d0 { when purpose = immigration }\n"]
    lines += [f"define d{i} {{ when d{i - 1} and d{i - 1} }}\n" for i in range(1, levels + 1)]
    lines.append(f'rule r {{\n  prohibit address\n  when d{levels}\n  cite "S 1"\n}}\n')
    return "".join(lines)


def definitions() -> None:
    print("1. doubling definitions      load s   decide s (known)   decide s (open)")
    for levels in (24, 64):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "vocabulary.ord").write_text(VOCABULARY, encoding="utf-8")
            (root / "chain.ord").write_text(chain(levels), encoding="utf-8")
            start = time.perf_counter()
            laws = ordinance.load(root, cache=False)
            loaded = time.perf_counter() - start
            base = {"date": "2024-01-01", "holder": {"kind": "police", "state": "IL"},
                    "data": ["address"]}
            start = time.perf_counter()
            laws.decide({**base, "purpose": "immigration"}).to_dict()
            known = time.perf_counter() - start
            start = time.perf_counter()
            laws.decide(base).to_dict()
            unknown = time.perf_counter() - start
        print(f"   {levels} levels              {loaded:8.2f}   {known:16.2f}   {unknown:14.2f}")


def every_category() -> dict[str, object]:
    laws = ordinance.load()
    request: dict[str, object] = json.loads(
        json.dumps(ordinance_example(), default=str))
    request["data"] = sorted(laws.model.hierarchy.categories)
    start = time.perf_counter()
    laws.decide(request).to_dict()
    print(f"2. one request, all {len(request['data'])} data categories "  # type: ignore[arg-type]
          f"({len(json.dumps(request))} bytes): {time.perf_counter() - start:.2f} s to decide")
    return request


def ordinance_example() -> object:
    import yaml

    return yaml.safe_load((ROOT / "examples" / "release-date-convictions-unknown.yaml")
                          .read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def service(request: dict[str, object]) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "ordinance", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        body = json.dumps(request).encode()
        cheap = json.dumps({**request, "data": ["release_date"]}).encode()
        health: list[float] = []
        decided: list[float] = []
        with ThreadPoolExecutor(max_workers=41) as pool:
            futures = [pool.submit(post, url + "/v1/decide", body) for _ in range(40)]
            while not all(f.done() for f in futures):
                start = time.perf_counter()
                urllib.request.urlopen(url + "/healthz", timeout=30).read()
                health.append(time.perf_counter() - start)
                start = time.perf_counter()
                if post(url + "/v1/decide", cheap) == 200:
                    decided.append(time.perf_counter() - start)
                time.sleep(0.1)
            statuses = [f.result() for f in futures]
        counts = {code: statuses.count(code) for code in sorted(set(statuses))}
        print(f"3. 40 concurrent all-category requests to `ordinance serve`: {counts}; "
              f"/healthz max {max(health, default=0) * 1000:.0f} ms over {len(health)} probes; "
              f"a one-item decision meanwhile max {max(decided, default=0) * 1000:.0f} ms "
              f"({len(decided)} answered)")
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    """Run the attacks and print the figures."""
    definitions()
    request = every_category()
    service(request)
    shutil.rmtree(ROOT / "build" / "bench-attacks", ignore_errors=True)


if __name__ == "__main__":
    main()
