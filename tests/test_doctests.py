"""The doctests in the package's docstrings (run against the installed package)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ordinance

MODULES = sorted(m.name for m in pkgutil.walk_packages(ordinance.__path__, "ordinance.")
                 if m.name != "ordinance.__main__")


@pytest.mark.parametrize("name", ["ordinance", *MODULES])
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
