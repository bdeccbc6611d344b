"""The README's commands are the ones CI runs, and its apt-get installs stay minimal."""

from __future__ import annotations

import re

from .conftest import ROOT


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = next(b.strip() for b in _blocks() if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci == test_command


def test_apt_get_installs_only_what_is_missing_without_recommends_or_upgrades() -> None:
    test_command = next(b.strip() for b in _blocks() if "pytest" in b)
    installs = re.findall(
        r"\(command -v (\w+) \|\| \(apt-get update && apt-get install ([^)]*)\)\)",
        test_command)
    assert [program for program, _ in installs] == ["chromium", "java"]
    for _program, arguments in installs:
        assert "--no-install-recommends" in arguments and "--no-upgrade" in arguments
    assert test_command.count("apt-get install") == len(installs)


def test_the_readme_offers_a_quick_subset() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'python -m pytest -m "not slow"' in text
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"slow:' in pyproject
