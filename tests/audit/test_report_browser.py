"""The audit's HTML report, checked in a real browser (Debian's Chromium), as the docs are.

One report of a generated log (with a row whose organisation name is markup) is loaded
from ``file://`` in headless Chromium and checked for: console and page errors, any
request that leaves the machine (it must work offline), the timeline chart drawn,
headings, captioned tables with scoped headers, landmarks, text contrast and no sideways
scrolling on a phone. Screenshots (desktop, phone) go to build/screenshots/.
"""

from __future__ import annotations

import csv
from typing import Any

import pytest
from click.testing import CliRunner

from ordinance.audit import synthetic
from ordinance.cli import main

from ..outputs.test_browser import (
    AUDIT_JS,
    CHROMIUM_ARGS,
    DESKTOP,
    MIN_CONTRAST,
    OVERFLOW_JS,
    PHONE,
    SCREENSHOTS,
    chromium_path,
)


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The report as Chromium showed it."""
    work = tmp_path_factory.mktemp("audit-report")
    log = synthetic.write_csv(work / "log.csv", 2000, seed=11)
    row = synthetic.rows(1)[0]
    row[1] = "<img src=x onerror=alert(1)> Reno NV PD"
    with log.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(row)
    result = CliRunner().invoke(main, ["audit", str(log), "--map", "flock-network-audit",
                                       "--holder", "county=Alameda", "--out", str(work / "o")])
    assert result.exit_code == 1, result.output
    from playwright.sync_api import sync_playwright

    found: dict[str, Any] = {"console": [], "errors": [], "external": []}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=DESKTOP)

            def route(r: Any) -> None:
                if r.request.url.startswith(("file:", "data:")):
                    r.continue_()
                else:
                    found["external"].append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and found["console"].append(m.text))
            page.on("pageerror", lambda e: found["errors"].append(str(e)))
            page.on("dialog", lambda d: (found["errors"].append(f"dialog: {d.message}"),
                                         d.dismiss()))
            page.goto((work / "o" / "report.html").as_uri(), wait_until="load")
            found["dom"] = page.evaluate(AUDIT_JS, MIN_CONTRAST)
            found["bars"] = page.evaluate("document.querySelectorAll('svg rect').length")
            page.screenshot(path=str(SCREENSHOTS / "audit-report-desktop.png"))
            page.set_viewport_size(PHONE)
            found["phone"] = page.evaluate(OVERFLOW_JS)
            page.screenshot(path=str(SCREENSHOTS / "audit-report-phone.png"))
        finally:
            browser.close()
    return found


def test_no_errors_no_script_run_and_nothing_fetched(shown: dict[str, Any]) -> None:
    assert shown["console"] == [] and shown["errors"] == []  # the markup in a cell never ran
    assert shown["external"] == []


def test_the_timeline_is_drawn(shown: dict[str, Any]) -> None:
    assert shown["bars"] >= 24  # two years of months, at least one bar each


def test_headings_tables_and_landmarks(shown: dict[str, Any]) -> None:
    dom = shown["dom"]
    levels = [level for level, _text in dom["headings"]]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    assert dom["tables"] and all(t["caption"] and t["th"] and not t["unscoped"]
                                 and t["inScroll"] for t in dom["tables"])
    assert dom["landmarks"]["main"] == 1 and dom["landmarks"]["header"] >= 1
    assert dom["lang"] == "en" and "width=device-width" in dom["viewport"]
    assert dom["duplicateIds"] == [] and dom["refs"] == []


def test_text_contrast_and_phone_width(shown: dict[str, Any]) -> None:
    assert shown["dom"]["contrast"]["failing"] == []
    assert shown["phone"]["scrollWidth"] <= shown["phone"]["innerWidth"] + 1, shown["phone"]
