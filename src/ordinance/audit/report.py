"""An audit's summary (JSON and CSV) and its HTML report for people.

Everything is read from the judged rows in SQL; the report presents indicators for
review, not findings of violation.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jinja2

from ..engine.lawset import OrdinanceSet
from ..outputs.sqlview import identifier
from ..version import __version__
from .run import UNREADABLE, AuditRun

OUTCOME_ORDER = ("prohibited", "undetermined", UNREADABLE, "not_covered", "permitted")
"""Outcomes in the order reports list them (most in need of review first)."""

SAMPLE_ROWS = 20
"""Rows of each kind a report shows as samples."""


def summarise(run: AuditRun, laws: OrdinanceSet) -> dict[str, Any]:
    """Counts by outcome, agency, citation, month, missing facts and unread cells."""
    con = run.con
    outcomes = dict.fromkeys(OUTCOME_ORDER, 0)
    for outcome, rows in con.execute(
            "SELECT outcome, count(*) FROM judged GROUP BY outcome").fetchall():
        outcomes[outcome] = outcomes.get(outcome, 0) + rows
    outcomes[UNREADABLE] += len(run.rejected)
    agency = _column(run, "requester.agency")
    date = _column(run, "date")
    by_agency = [{"agency": a, "outcome": o, "rows": n} for a, o, n in con.execute(
        f"SELECT coalesce({agency}, '(not given)'), outcome, count(*) AS n FROM judged "
        "GROUP BY ALL ORDER BY n DESC, 1, 2").fetchall()]
    by_citation = [{"citation": c, "rows": n} for c, n in con.execute(
        "SELECT c, count(*) AS n FROM (SELECT unnest(citations) AS c FROM judged "
        "WHERE outcome = 'prohibited') GROUP BY c ORDER BY n DESC, c").fetchall()]
    timeline = [{"month": m, "outcome": o, "rows": n} for m, o, n in con.execute(
        f"SELECT strftime({date}, '%Y-%m') AS m, outcome, count(*) FROM judged "
        f"WHERE {date} IS NOT NULL GROUP BY ALL ORDER BY m, outcome").fetchall()]
    undetermined = [{"facts": list(f), "rows": n} for f, n in con.execute(
        "SELECT missing_facts, count(*) AS n FROM judged WHERE outcome = 'undetermined' "
        "GROUP BY ALL ORDER BY n DESC LIMIT 50").fetchall()]
    unclassified = []
    for fact_map in run.mapping.facts:
        if not fact_map.classifies:
            continue
        flag = identifier("unclassified:" + fact_map.fact)
        found = con.execute(
            f"SELECT v, n, sum(n) OVER () FROM (SELECT {flag} AS v, count(*) AS n FROM keyed "
            f"WHERE {flag} IS NOT NULL GROUP BY v) ORDER BY n DESC, v LIMIT 10").fetchall()
        examples = [(v, n) for v, n, _total in found]
        rows = int(found[0][2]) if found else 0
        unclassified.append({"fact": fact_map.fact, "column": fact_map.column, "rows": rows,
                             "examples": [{"cell": v, "rows": n} for v, n in examples]})
    laws_used = sorted({law["id"] for s in run.signatures
                        for law in s.decision.get("laws", ()) if isinstance(law, dict)
                        and "id" in law})
    caveats: dict[str, None] = {}
    for signature in run.signatures:
        for caveat in signature.decision.get("caveats", ()):
            caveats[f"{caveat.get('law')}: {caveat.get('text')}"] = None
    return {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "ordinance": __version__,
        "files": [f.shown for f in run.files],
        "rows": run.rows + len(run.rejected),
        "rows_read": run.rows,
        "rejected_lines": [{"file": f, "line": line, "error": e}
                           for f, line, e in run.rejected],
        "outcomes": outcomes,
        "signatures": len(run.signatures),
        "law_set": {"digest": laws.digest, "laws": [
            {"id": law.id, "title": law.title, "version": law.version}
            for law in laws.model.laws.values() if law.id in laws_used or not laws_used]},
        "mapping": {"name": run.mapping.name, "file": run.mapping.path,
                    "digest": run.mapping.digest},
        "by_agency": by_agency,
        "by_citation": by_citation,
        "timeline": timeline,
        "undetermined_by_missing_facts": undetermined,
        "unclassified": unclassified,
        "caveats": list(caveats),
    }


def _column(run: AuditRun, fact: str) -> str:
    return identifier(fact) if any(f.fact == fact for f in run.mapping.facts) else "NULL"


def write_summary(summary: dict[str, Any], out: Path) -> dict[str, Path]:
    """``summary.json`` (everything) and ``summary.csv`` (rows by agency and outcome)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "summary.json"
    json_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    csv_path = out / "summary.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["requesting_agency", "outcome", "rows"])
        for row in summary["by_agency"]:
            writer.writerow([row["agency"], row["outcome"], row["rows"]])
    return {"summary": json_path, "summary_csv": csv_path}


def samples(run: AuditRun) -> dict[str, list[dict[str, Any]]]:
    """A few rows of each outcome, with what decided them."""
    agency = _column(run, "requester.agency")
    date = _column(run, "date")
    out: dict[str, list[dict[str, Any]]] = {}
    files = [f.shown for f in run.files]
    for outcome in OUTCOME_ORDER:
        rows = run.con.execute(
            f"SELECT source_file, source_row, {agency}, {date}, citations, missing_facts, "
            f"signature_id FROM judged WHERE outcome = ? ORDER BY source_file, source_row "
            f"LIMIT {SAMPLE_ROWS}", [outcome]).fetchall()
        if rows:
            out[outcome] = [{"file": files[f], "row": r, "agency": a,
                             "date": d.isoformat() if d else None, "citations": list(c),
                             "missing": list(m), "signature": s}
                            for f, r, a, d, c, m, s in rows]
    return out


def timeline_chart(summary: dict[str, Any]) -> dict[str, Any]:
    """Stacked bars per month, as numbers an inline SVG draws (no script, works offline)."""
    months = sorted({t["month"] for t in summary["timeline"]})
    counts = {(t["month"], t["outcome"]): t["rows"] for t in summary["timeline"]}
    tallest = max([sum(counts.get((m, o), 0) for o in OUTCOME_ORDER) for m in months] or [1])
    width = max(1, len(months))
    bars = []
    for index, month in enumerate(months):
        base = 0
        for outcome in OUTCOME_ORDER:
            n = counts.get((month, outcome), 0)
            if n:
                bars.append({"x": index * (600 / width), "w": max(1.0, 600 / width - 2),
                             "y": 200 - (base + n) * 200 / tallest, "h": n * 200 / tallest,
                             "outcome": outcome, "month": month, "rows": n})
            base += n
    return {"months": months, "bars": bars, "tallest": tallest}


def render_html(summary: dict[str, Any], run: AuditRun) -> str:
    """The report for people (jinja2; autoescaped: every cell from a log is text)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("ordinance.audit", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(
        s=summary, samples=samples(run), chart=timeline_chart(summary),
        order=OUTCOME_ORDER)


def write_report(summary: dict[str, Any], run: AuditRun, out: Path) -> Path:
    """``report.html``."""
    path = out / "report.html"
    path.write_text(render_html(summary, run), encoding="utf-8")
    return path
