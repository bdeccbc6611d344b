"""Load on the HTTP service: ``python benchmarks/bench_http_load.py [N] [options]``.

Sends N (default 5000) ``POST /v1/decide`` requests from ``--clients`` concurrent
clients (threads, one keep-alive ``http.client`` connection each) on loopback, and
prints throughput (requests per second) and latency percentiles as one JSON object.
Every ``--bad-every``-th request is deliberately invalid (an unknown holder kind)
and must get 422; every other one must get 200 with a decision, and with
``--verify`` the very decision the library gives for it (``OrdinanceSet.decide``).

Without ``--url`` it starts ``ordinance serve`` itself on a free port (with a
decision log under a temporary directory when ``--log`` is given) and stops it
after. It is bounded: at most N requests, and no request is started after
``--deadline`` seconds. Exit status 0 when every request was sent and answered
correctly, 1 otherwise. The test suite runs it with a small N (tests/service/test_reliability.py);
``docs/reliability.md`` records a run with the default N.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BAD_KIND = "sherif"  # not a holder kind: the request must be refused with 422


def requests(count: int, bad_every: int) -> list[dict[str, Any]]:
    """``count`` requests cycling over the examples, ids ``b0``…; every ``bad_every``-th bad."""
    examples = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        examples.append(json.loads(json.dumps(data, default=lambda v: v.isoformat())))
    made = []
    for index in range(count):
        request = json.loads(json.dumps(examples[index % len(examples)]))
        request["id"] = f"b{index}"
        if bad_every and index % bad_every == bad_every - 1:
            request.setdefault("holder", {})["kind"] = BAD_KIND
        made.append(request)
    return made


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(ordinances: Path | None, log: Path | None,
                 timeout: float = 30) -> tuple[subprocess.Popen[bytes], str]:
    """``ordinance serve`` on a free loopback port, once ``/healthz`` answers."""
    port = _free_port()
    # Every client of a load test comes from one loopback address: without a higher
    # rate, the per-address limit (100 a second) would refuse most of the load with 429.
    command = [sys.executable, "-m", "ordinance", "serve", "--port", str(port),
               "--rate", "1000000"]
    if ordinances is not None:
        command += ["--ordinances", str(ordinances)]
    if log is not None:
        command += ["--log", str(log)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise SystemExit("bench_http_load: the server did not start")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def run(url: str, batch: list[dict[str, Any]], clients: int, deadline: float,
        expected: dict[str, dict[str, Any]] | None, bad_every: int) -> dict[str, Any]:
    """Send ``batch`` from ``clients`` threads; check and time every answer."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(batch)))
    stop_at = time.monotonic() + deadline
    sent = 0

    def check(request: dict[str, Any], status: int, answer: Any) -> str | None:
        bad = request.get("holder", {}).get("kind") == BAD_KIND
        if bad:
            return None if status == 422 and "problems" in answer else f"expected 422: {status}"
        if status != 200 or not isinstance(answer, dict) or "outcome" not in answer:
            return f"expected 200 with a decision: {status} {str(answer)[:200]}"
        if answer.get("request_id") != request["id"]:
            return f"answer for {answer.get('request_id')!r}, not {request['id']!r}"
        if expected is not None and answer != expected[request["id"]]:
            return "not the decision the library gives"
        return None

    def client() -> None:
        nonlocal sent
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            while True:
                with lock:
                    index = next(cursor, None)
                    if index is None or time.monotonic() > stop_at:
                        return
                    sent += 1
                request = batch[index]
                body = json.dumps(request).encode()
                started = time.perf_counter()
                try:
                    connection.request("POST", "/v1/decide", body,
                                       {"Content-Type": "application/json"})
                    response = connection.getresponse()
                    raw = response.read()
                    status, answer = response.status, json.loads(raw)
                except (OSError, http.client.HTTPException, ValueError) as error:
                    connection.close()
                    connection = http.client.HTTPConnection(host, int(port), timeout=30)
                    with lock:
                        failures.append(f"{request['id']}: {type(error).__name__}: {error}")
                    continue
                elapsed = time.perf_counter() - started
                problem = check(request, status, answer)
                with lock:
                    latencies.append(elapsed)
                    statuses[str(status)] = statuses.get(str(status), 0) + 1
                    if problem is not None:
                        failures.append(f"{request['id']}: {problem}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    answered = len(latencies)
    return {
        "requests": len(batch), "sent": sent, "answered": answered, "clients": clients,
        "bad_every": bad_every, "statuses": statuses, "failures": len(failures),
        "first_failures": failures[:5], "verified": expected is not None,
        "seconds": round(seconds, 3),
        "throughput_rps": round(answered / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies, default=0.0) * 1000, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}",
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures as JSON; 0 when every answer was right."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=5000, help="requests to send")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--url", help="a running service (default: start one)")
    parser.add_argument("--ordinances", type=Path, default=None,
                        help="law directory (for the server started here and --verify)")
    parser.add_argument("--log", action="store_true",
                        help="start the server with a decision log in a temporary directory")
    parser.add_argument("--bad-every", type=int, default=10,
                        help="every K-th request is invalid (0: none)")
    parser.add_argument("--deadline", type=float, default=300,
                        help="start no request after this many seconds")
    parser.add_argument("--verify", action="store_true",
                        help="compare every decision with the library's")
    args = parser.parse_args(argv)
    batch = requests(args.n, args.bad_every)
    expected = None
    if args.verify:
        import ordinance

        laws = ordinance.load(args.ordinances)
        expected = {r["id"]: laws.decide(r).to_dict() for r in batch
                    if r.get("holder", {}).get("kind") != BAD_KIND}
    with tempfile.TemporaryDirectory() as scratch:
        proc = None
        url = args.url
        if url is None:
            log = Path(scratch) / "decisions.sqlite" if args.log else None
            proc, url = start_server(args.ordinances, log)
        try:
            figures = run(url.rstrip("/"), batch, args.clients, args.deadline, expected,
                          args.bad_every)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    figures["log"] = bool(args.log) if args.url is None else None
    figures["date"] = time.strftime("%Y-%m-%d")
    print(json.dumps(figures, indent=2))
    complete = figures["answered"] == figures["requests"]
    return 0 if complete and figures["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
