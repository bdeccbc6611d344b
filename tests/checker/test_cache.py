"""The on-disk cache of checked law sets: used when current, rebuilt when stale or corrupt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import ordinance
import ordinance.language.loader
from ordinance.checker import cache
from ordinance.cli import main

from ..conftest import EXAMPLES, FIXTURES


@pytest.fixture
def laws_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ORDINANCE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ORDINANCE_NO_CACHE", raising=False)
    target = tmp_path / "laws"
    shutil.copytree(FIXTURES / "engine", target)
    return target


def _forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed although the cache is current")
    monkeypatch.setattr(ordinance.language.loader, "parse_sources", refuse)


def test_second_load_comes_from_the_cache(laws_dir: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first = ordinance.load(laws_dir)
    assert len(list(cache.cache_dir().glob("*.pickle"))) == 1
    _forbid_parsing(monkeypatch)
    second = ordinance.load(laws_dir)
    assert second.digest == first.digest
    assert [w.gnu() for w in second.warnings] == [w.gnu() for w in first.warnings]
    request = {"date": "2024-01-01", "holder": {"kind": "police", "state": "IL", "county": "Cook"},
               "requester": {"kind": "immigration"}, "data": ["address"], "public": False}
    assert second.decide(request).to_dict() == first.decide(request).to_dict()


def test_a_changed_law_file_is_not_served_stale(laws_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    before = ordinance.load(laws_dir)
    state = laws_dir / "state.ord"
    state.write_text(state.read_text("utf-8").replace('version "v1"', 'version "v2"'), "utf-8")
    after = ordinance.load(laws_dir)
    assert after.digest != before.digest
    assert after.model.laws["st.act"].version == "v2"


def test_a_corrupt_entry_is_rebuilt_not_trusted(laws_dir: Path) -> None:
    ordinance.load(laws_dir)
    (entry,) = cache.cache_dir().glob("*.pickle")
    entry.write_bytes(b"\x80\x05not a pickle at all")
    laws = ordinance.load(laws_dir)
    assert laws.model.laws["st.act"].version == "v1"
    assert entry.read_bytes()[:2] != b"\x80\x05n"  # rewritten


def test_an_entry_for_other_content_is_rebuilt(laws_dir: Path, tmp_path: Path) -> None:
    ordinance.load(laws_dir)
    (entry,) = cache.cache_dir().glob("*.pickle")
    other = ordinance.load(EXAMPLES.parent / "ordinances", cache=False)
    import pickle

    entry.write_bytes(pickle.dumps((other.model, other.warnings)))
    assert ordinance.load(laws_dir).model.laws.keys() == {"st.act", "ct.ordinance"}


def test_no_cache_bypasses_it(laws_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ordinance.load(laws_dir, cache=False)
    assert not cache.cache_dir().exists() or not list(cache.cache_dir().glob("*.pickle"))
    monkeypatch.setenv("ORDINANCE_NO_CACHE", "1")
    ordinance.load(laws_dir)
    assert not cache.cache_dir().exists() or not list(cache.cache_dir().glob("*.pickle"))


@pytest.mark.parametrize("args", [["--no-cache", "lint", "{laws}"],
                                  ["lint", "{laws}", "--no-cache"],
                                  ["lint", "--no-cache", "{laws}"],
                                  ["laws", "--ordinances", "{laws}", "--no-cache"]])
def test_cli_no_cache_flag_where_users_type_it(laws_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                               args: list[str]) -> None:
    """Before the command or after it: both bypass the cache (issue 18)."""
    monkeypatch.setenv("ORDINANCE_NO_CACHE", "")
    result = CliRunner().invoke(main, [a.format(laws=laws_dir) for a in args])
    assert result.exit_code == 0, result.output
    assert not cache.cache_dir().exists() or not list(cache.cache_dir().glob("*.pickle"))


def test_every_command_offers_no_cache() -> None:
    from ordinance.cli.group import COMMANDS

    for name in COMMANDS:
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "--no-cache" in result.output, name


def test_a_law_set_with_errors_is_never_cached(laws_dir: Path) -> None:
    (laws_dir / "bad.ord").write_text("rule r {", "utf-8")
    with pytest.raises(ordinance.LawError):
        ordinance.load(laws_dir)
    assert not cache.cache_dir().exists() or not list(cache.cache_dir().glob("*.pickle"))


SHOW_MODULES = """
import contextlib, io, sys
from ordinance.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main([sys.argv[1], sys.argv[2], "--format", "json"], standalone_mode=False)
    except SystemExit:
        pass
print("\\n".join(sorted(sys.modules)))
"""


def test_a_warm_check_imports_nothing_it_does_not_need(laws_dir: Path) -> None:
    """Start-up is most of a warm `ordinance check` (docs/performance.md, cold start)."""
    import os
    import subprocess
    import sys

    example = str(EXAMPLES / "home-address-hold-request.yaml")
    command = [sys.executable, "-c", SHOW_MODULES, "check", example]
    subprocess.run(command, check=True, capture_output=True, env=os.environ)
    warm = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ)
    imported = set(warm.stdout.split())
    assert "ordinance.engine.evaluator" in imported
    heavy = {"lark", "jinja2", "starlette", "uvicorn", "sqlite3", "tempfile", "difflib",
             "ordinance.checker.passes", "ordinance.language.parser", "ordinance.outputs.docsite"}
    assert heavy & imported == set()
