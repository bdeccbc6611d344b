"""Law-set scale: ``python benchmarks/bench_scale.py [REQUESTS]``.

Builds synthetic law sets 10× and 100× the bundled one in a scratch directory: every
bundled law file is copied N times, copy k > 0 with its law id, rule and exception
names (suffix ``_k``) and section citations (suffix `` [k]``) renamed; facts,
categories and named conditions are kept once (copy 0), so there is one vocabulary.
Two variants: copies k > 0 govern state "C{k}" (a CA request touches only the
original), and every copy governs CA (everything applies). Prints load time and the
median per-decision time (evaluate path) over REQUESTS (default 300) generated CA
requests. Run on demand.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_decide import generated_requests

import ordinance

ROOT = Path(__file__).resolve().parent.parent
LAWS = ROOT / "ordinances"
SHARED = ("fact", "category", "define")
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def chunks(text: str) -> list[list[str]]:
    """Split a law file into top-level declarations (comments go with the next one)."""
    out: list[list[str]] = [[]]
    in_text = False
    for line in text.splitlines():
        starts = (not in_text and line[:1] not in ("", " ", "\t", "}", "#"))
        if starts and out[-1] and any(not x.startswith("#") and x.strip() for x in out[-1]):
            out.append([])
        out[-1].append(line)
        if line.count('"""') % 2:
            in_text = not in_text
    return out


def renamed(text: str, k: int, law_ids: list[str], state: str) -> str:
    """Copy ``k`` of a law file, renamed, with its jurisdiction moved to ``state``."""
    out = []
    for chunk in chunks(text):
        first = next((x for x in chunk if x and not x.startswith("#")), "")
        keyword = first.split(" ", 1)[0]
        if keyword in SHARED:
            continue
        lines = list(chunk)
        for index, line in enumerate(lines):
            if line.startswith("law "):
                lines[index] = re.sub(r"^law (\S+)", rf"law \1_{k}", line)
            elif line.startswith("rule "):
                lines[index] = re.sub(r"^rule (\w+)", rf"rule \1_{k}", line)
            elif line.startswith("exception "):
                match = re.match(r"^exception (\w+) to (.*?)\s*\{\s*$", line)
                if match is None:
                    raise SystemExit(f"cannot rename {line!r}")
                targets = []
                for target in (t.strip() for t in match.group(2).split(",")):
                    law, _, name = target.rpartition(".")
                    if law and law in law_ids:
                        targets.append(f"{law}_{k}.{name}_{k}")
                    else:
                        targets.append(f"{target}_{k}")
                lines[index] = f"exception {match.group(1)}_{k} to {', '.join(targets)} {{"
            elif line.startswith("section "):
                lines[index] = re.sub(r'^section "((?:[^"\\]|\\.)*)"', rf'section "\1 [{k}]"',
                                      line)
            elif line.strip().startswith("jurisdiction state \"CA\""):
                lines[index] = line.replace('state "CA"', f'state "{state}"')
        in_cite = False
        for index, line in enumerate(lines):
            if line.strip().startswith("cite ") and keyword in ("rule", "exception"):
                in_cite = True
            if in_cite:
                lines[index] = STRING.sub(lambda m: f'"{m.group(1)} [{k}]"', line)
                in_cite = line.rstrip().endswith(",")
        out.extend(lines)
    return "\n".join(out) + "\n"


def build(target: Path, copies: int, everywhere_ca: bool) -> None:
    """Write the bundled law set ``copies`` times into ``target``."""
    shutil.copy(LAWS / "vocabulary.ord", target / "vocabulary.ord")
    files = sorted((LAWS / "us").rglob("*.ord"))
    law_ids = [m.group(1) for f in files
               for m in re.finditer(r"^law (\S+)", f.read_text(), re.M)]
    for path in files:
        text = path.read_text()
        stem = path.relative_to(LAWS).as_posix().replace("/", "-")[:-4]
        (target / f"{stem}.ord").write_text(text)
        for k in range(1, copies):
            state = "CA" if everywhere_ca else f"C{k}"
            (target / f"{stem}-{k}.ord").write_text(renamed(text, k, law_ids, state))


def measure(label: str, laws_dir: Path | None, count: int) -> float:
    """Load a law set, decide ``count`` requests and print one row; return median µs."""
    start = time.perf_counter()
    laws = ordinance.load(laws_dir)
    load_ms = (time.perf_counter() - start) * 1000
    requests = generated_requests(laws, count)
    for request in requests[:50]:
        laws.evaluate(request)
    times = []
    for request in requests:
        begin = time.perf_counter_ns()
        laws.evaluate(request)
        times.append(time.perf_counter_ns() - begin)
    median = statistics.median(times) / 1000
    print(f"{label:<34} {len(laws.model.rules):>7} {load_ms:>10.0f} {median:>12.1f}")
    return median


def main() -> None:
    """Build the synthetic sets, measure and print the table."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print(f"{'law set (' + str(count) + ' CA requests)':<34} {'rules':>7} {'load ms':>10} "
          f"{'median µs':>12}")
    base = measure("1× (bundled)", None, count)
    for everywhere_ca in (False, True):
        for copies in (10, 100):
            with tempfile.TemporaryDirectory() as tmp:
                build(Path(tmp), copies, everywhere_ca)
                where = "all in CA" if everywhere_ca else "copies elsewhere"
                median = measure(f"{copies}× ({where})", Path(tmp), count)
                print(f"{'':<34} {'':>7} {'':>10} {median / base:>11.2f}× of 1×")


if __name__ == "__main__":
    main()
