"""Reruns the attacks of issue 19 and prints what they cost: ``python benchmarks/bench_attacks.py``.

1. A law file with definitions each using the one before twice (24 and 64 levels): load
   and decide time.
2. One valid request naming every data category: decide time (the CPU one small body
   can cost).
3. `ordinance serve` (a subprocess, default limits) under (A) 40 clients sending such
   requests back to back for 15 s, (B) 8 concurrent lists of 1,000 of them, (C) 1,000
   connections sending their headers a byte a second: what the attacker got, and meanwhile
   the worst latency of `/healthz` and of a one-item decision from another client address
   (127.0.0.2) and from the attacker's; (D) 1,100 idle connections to a service whose
   open-file limit is 1,024: what it wrote to stderr.
4. A decision log with a row changed by `sqlite3`: what `ordinance log verify` says.
5. A 700-byte case file of YAML aliases: `ordinance test`'s exit, time and peak memory.

Run on demand; never part of the test suite. Figures go to docs/performance.md.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

import ordinance
from ordinance.service.decisionlog import DecisionLog

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
    except OSError:
        return 0  # refused or closed: counted as no answer


def probe(port: int, path: str, body: bytes | None, source: str) -> tuple[int, float]:
    """One call from the address ``source`` (another client than the attacker's 127.0.0.1
    when it is 127.0.0.2): its status and seconds."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60,
                                            source_address=(source, 0))
    try:
        connection.request("POST" if body is not None else "GET", path, body=body,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    except OSError:
        return 0, time.perf_counter() - start
    finally:
        connection.close()


@contextlib.contextmanager
def serving(*args: str, stderr: IO[bytes] | None = None, files: int | None = None
            ) -> Iterator[int]:
    """`ordinance serve` (default limits unless ``args``) in a subprocess, its stderr to
    ``stderr`` and its open-file limit ``files``: its port."""
    port = free_port()

    def limit() -> None:
        if files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    proc = subprocess.Popen([sys.executable, "-m", "ordinance", "serve", "--port", str(port),
                             *args], stdout=subprocess.DEVNULL,
                            stderr=stderr if stderr is not None else subprocess.DEVNULL,
                            preexec_fn=limit)  # noqa: PLW1509 - sets a limit only
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def watched(port: int, cheap: bytes, attack: Callable[[], object]) -> str:
    """Run ``attack`` while another client (127.0.0.2) probes `/healthz` and a one-item
    decision every 0.1 s, and the attacker's own address a one-item decision: the
    worst latency of each, in ms."""
    seen: dict[str, list[float]] = {"healthz": [], "decision": [], "own": []}
    refused: dict[str, int] = {"healthz": 0, "decision": 0, "own": 0}
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(attack)
        time.sleep(0.3)
        while not running.done():
            for name, path, body, source in (
                    ("healthz", "/healthz", None, "127.0.0.2"),
                    ("decision", "/v1/decide", cheap, "127.0.0.2"),
                    ("own", "/v1/decide", cheap, "127.0.0.1")):
                status, seconds = probe(port, path, body, source)
                if status == 200:
                    seen[name].append(seconds)
                else:
                    refused[name] += 1
            time.sleep(0.1)
        result = running.result()
    def worst(name: str) -> str:
        times = seen[name]
        shown = f"{max(times) * 1000:.0f} ms ({len(times)} probes" if times else "(no answer"
        return shown + (f", {refused[name]} refused)" if refused[name] else ")")
    return (f"{result}; another client: /healthz max {worst('healthz')}, a one-item decision "
            f"max {worst('decision')}; the attacker's address: a one-item decision max "
            f"{worst('own')}")


def concurrently(url: str, body: bytes, calls: int, seconds: float = 0) -> dict[int, int]:
    """``calls`` clients posting ``body`` at once, each again as soon as it is answered,
    for ``seconds`` (or once): how many answers of each status."""
    end = time.monotonic() + seconds

    def client(_: int) -> list[int]:
        statuses = [post(url + "/v1/decide", body)]
        while time.monotonic() < end:
            statuses.append(post(url + "/v1/decide", body))
        return statuses

    with ThreadPoolExecutor(max_workers=calls) as pool:
        statuses = [s for mine in pool.map(client, range(calls)) for s in mine]
    return {code: statuses.count(code) for code in sorted(set(statuses))}


def slowloris(port: int, connections: int, seconds: float) -> str:
    """``connections`` clients sending their headers a byte a second for ``seconds``."""
    socks: list[socket.socket] = []
    refused = 0
    for _ in range(connections):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            socks.append(sock)
        except OSError:
            refused += 1
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(1)
        for sock in socks:
            try:
                sock.sendall(b"a")
            except OSError:
                pass
    held = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            sock.recv(65536)  # an answer (503 at the cap, 408) or the end: not held
        except BlockingIOError:
            held += 1  # open, nothing sent to it: still held
        except OSError:
            pass
        sock.close()
    return (f"{connections} slow connections for {seconds:g} s: {held} still held at the end, "
            f"{connections - refused - held} answered (503 at the cap or 408) and closed")


def idle_under_a_file_limit(port: int, connections: int) -> str:
    """``connections`` connections opened and left idle for 15 s."""
    socks = []
    for _ in range(connections):
        with contextlib.suppress(OSError):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    time.sleep(15)
    for sock in socks:
        sock.close()
    return f"{connections} idle connections for 15 s"


def service(request: dict[str, object]) -> None:
    body = json.dumps(request).encode()
    cheap = json.dumps({**request, "data": ["release_date"]}).encode()
    heavy = json.dumps([request] * 1000).encode()
    print("3. `ordinance serve` (default limits) under attack; issue 19 measured 110.8 s "
          "for a one-item decision and 11.4 s for /healthz under attack A")
    with serving() as port:
        url = f"http://127.0.0.1:{port}"
        print("   A. 40 clients posting all-category requests back to back for 15 s:",
              watched(port, cheap, lambda: concurrently(url, body, 40, 15)))
        print("   B. 8 concurrent lists of 1,000 all-category requests:",
              watched(port, cheap, lambda: concurrently(url, heavy, 8)))
        print("   C.", watched(port, cheap, lambda: slowloris(port, 1000, 15)))
    with tempfile.TemporaryFile() as stderr:
        with serving(stderr=stderr, files=1024) as port:
            shown = watched(port, cheap, lambda: idle_under_a_file_limit(port, 1100))
        print(f"   D. under an open-file limit of 1,024, {shown}; the service wrote "
              f"{stderr.tell():,} bytes to stderr (issue 19: it went down, and wrote 194 MB "
              "of `Too many open files` tracebacks in 25 s)")


def decision_log() -> None:
    """Change a row of a decision log with sqlite3, as an attacker with the file would."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.sqlite"
        log = DecisionLog(path)
        laws = ordinance.load()
        request = json.loads(json.dumps(ordinance_example(), default=str))
        for _ in range(5):
            log.record(request, laws.decide(request).to_dict())
        log.close()
        with sqlite3.connect(path) as db:
            db.execute("UPDATE decisions SET outcome = 'permitted' WHERE id = 3")
        db.close()
        done = subprocess.run([sys.executable, "-m", "ordinance", "log", "verify", str(path)],
                              capture_output=True, text=True, check=False)
        mode = oct(path.stat().st_mode & 0o777)
    said = (done.stdout + done.stderr).strip().splitlines()
    print(f"4. a decision log row changed with sqlite3: `log verify` exit {done.returncode}: "
          f"{said[0] if said else ''} (file mode {mode}; issue 19: exit 0, mode 0644)")


def alias_bomb() -> None:
    """A 700-byte case file whose aliases expand to 9**9 strings."""
    lines = ["- name: bomb", "  cites: []", "  outcome: permitted", "  request:",
             "    date:", "    - &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"    - &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]"
              for level in range(1, 9)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copy(ROOT / "ordinances" / "vocabulary.ord", root / "vocabulary.ord")
        (root / "bomb.cases.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "ordinance", "test", str(root),
             "--no-cache"], capture_output=True, text=True, check=False)
        took = time.perf_counter() - start
    peak = done.stderr.strip().splitlines()[-1]
    print(f"5. an alias-bomb case file ({len(chr(10).join(lines))} bytes): `ordinance test` "
          f"exit {done.returncode} in {took:.1f} s, peak {int(peak) // 1024} MB "
          "(issue 19: 3 GB)")


def main() -> None:
    """Run the attacks and print the figures."""
    definitions()
    request = every_category()
    service(request)
    decision_log()
    alias_bomb()
    shutil.rmtree(ROOT / "build" / "bench-attacks", ignore_errors=True)


if __name__ == "__main__":
    main()
