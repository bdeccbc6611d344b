"""Shared fixtures: the bundled law set, the engine-test law set, a CLI runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ordinance

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
EXAMPLES = ROOT / "examples"
ORDINANCES = ROOT / "ordinances"

SLOW_MODULES = frozenset({
    "test_browser.py", "test_report_browser.py", "test_intake_browser.py",  # Chromium
    "test_spark.py",  # starts a Spark session
    "test_fuzz_dsl.py", "test_fuzz_requests.py",  # thousands of generated inputs
    "test_packaging.py", "test_quality.py",  # builds the wheel; runs ruff and mypy
    "test_analysis.py", "test_gaps.py",  # the whole law set's analysis
    "test_safety.py", "test_compiled.py", "test_library.py",  # exhaustive over the bundled law
})
"""Modules marked ``slow``: `python -m pytest -m "not slow"` leaves them out for everyday
development (README)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW_MODULES` ``slow``."""
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def bundled() -> ordinance.OrdinanceSet:
    """The bundled law set, loaded once (from the checkout, not the installed copy)."""
    return ordinance.load(ORDINANCES)


@pytest.fixture(scope="session")
def engine_laws() -> ordinance.OrdinanceSet:
    """A small synthetic state + city law set made to exercise the engine's semantics."""
    return ordinance.load(FIXTURES / "engine")


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner."""
    return CliRunner()


def sheriff_to_ice(**overrides: Any) -> dict[str, Any]:
    """A request from ICE to the San Diego County Sheriff, with overrides merged in."""
    request: dict[str, Any] = {
        "date": "2024-05-01",
        "holder": {"agency": "San Diego County Sheriff", "kind": "sheriff", "state": "CA",
                   "county": "San Diego"},
        "requester": {"agency": "U.S. Immigration and Customs Enforcement",
                      "kind": "federal_immigration"},
        "data": ["release_date"],
        "data_public": False,
        "purpose": "immigration_enforcement",
        "legal_process": "notification_request",
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(request.get(key), dict):
            request[key] = {**request[key], **value}
        else:
            request[key] = value
    return request


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or write the user's cache of checked law sets."""
    import os

    os.environ["ORDINANCE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
