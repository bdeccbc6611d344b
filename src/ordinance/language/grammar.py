"""Locate the DSL grammar and the bundled law, installed or in a source checkout."""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parents[1]


def _packaged(*parts: str) -> Path | None:
    # The wheel installs plain files (never a zip), so a path beside this module is exact;
    # importlib.resources would cost `ordinance check` a few ms of start-up.
    candidate = _PACKAGE.joinpath(*parts)
    return candidate if candidate.exists() else None


@functools.cache
def grammar_path() -> Path:
    """The path of ``ordinance.lark``: inside the installed package, else the checkout's."""
    found = _packaged("grammar", "ordinance.lark")
    if found is not None:
        return found
    return _CHECKOUT / "grammar" / "ordinance.lark"


@functools.cache
def grammar_text() -> str:
    """The grammar's text."""
    return grammar_path().read_text(encoding="utf-8")


@functools.cache
def bundled_ordinances() -> Path:
    """The directory of the bundled law set: inside the package, else the checkout's."""
    found = _packaged("bundled")
    if found is not None:
        return found
    return _CHECKOUT / "ordinances"
