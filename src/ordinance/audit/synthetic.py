"""Synthetic Flock-shaped "Network Audit" logs, for tests and benchmarks.

No real personal data: names, plates and case numbers are made up; agencies are a mix
of invented Californian, out-of-state and federal organisations in the shapes the
exports show (``[Federal]`` prefixes, state abbreviations), reasons a mix of crimes,
immigration words, free text and redactions, with a few malformed times.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

COLUMNS = ("Name", "Org Name", "Total Networks Searched", "Total Devices Searched",
           "Time Frame", "License Plate", "Reason", "Case #", "Filters", "Search Time",
           "Search Type")
"""The columns of a Flock Network Audit export."""

AGENCIES = (
    "Oakland CA PD", "Fresno County CA SO", "San Jose CA PD", "Riverside CA SO",
    "Danville IL PD", "Reno NV PD", "Dalton GA PD", "Harris County TX SO", "Maricopa AZ SO",
    "[Federal] ICE ERO Houston", "[Federal] HSI Los Angeles", "[Federal] FBI Sacramento",
    "[Federal] US Marshals Service", "Flock Safety Support", "Unknown Agency 17",
)
REASONS = (
    "stolen vehicle", "burglary", "robbery suspect", "homicide investigation", "ICE+ERO",
    "immigration", "deportation case", "investigation", "invest", "missing person",
    "welfare check", "abortion", "REDACTED", "***", "", "case 24-1187", "hit and run",
)


def rows(count: int, seed: int = 17, start: dt.date = dt.date(2024, 1, 1),
         days: int = 730, bad_times: float = 0.001) -> list[list[str]]:
    """``count`` rows of an export (without the header)."""
    rng = random.Random(seed)
    out = []
    for index in range(count):
        when = dt.datetime.combine(start, dt.time()) + dt.timedelta(
            seconds=rng.randrange(days * 86400))
        time = ("not a time" if rng.random() < bad_times
                else when.strftime("%m/%d/%Y, %I:%M:%S %p UTC"))
        out.append([f"User {rng.randrange(500)}", rng.choice(AGENCIES),
                    str(rng.randint(1, 3000)), str(rng.randint(1, 90000)),
                    rng.choice(("1 day", "7 days", "30 days")),
                    rng.choice(("***", f"{rng.randrange(10**6):06d}")), rng.choice(REASONS),
                    "" if rng.random() < 0.7 else f"{rng.randrange(99)}-{index}", "",
                    time, rng.choice(("plate", "vehicle fingerprint"))])
    return out


def write_csv(path: Path, count: int, *, seed: int = 17, header: bool = True,
              chunk: int = 100_000) -> Path:
    """Write a synthetic export of ``count`` rows to ``path`` (in chunks: constant memory)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(COLUMNS)
        done = 0
        while done < count:
            part = min(chunk, count - done)
            writer.writerows(rows(part, seed=seed + done))
            done += part
    return path
