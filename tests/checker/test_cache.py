"""The on-disk cache of checked law sets: used when current, rebuilt when stale or corrupt."""

from __future__ import annotations

import os
import pickle
import shutil
import stat
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
    cache.put(entry.stem, other.model, other.warnings)  # authenticated, other content
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


class _Planted:
    """A pickle that, when loaded, creates the file ``marker``: what an attacker plants."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


def _count_parsing(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    parse = ordinance.language.loader.parse_sources

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return parse(*args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(ordinance.language.loader, "parse_sources", counted)
    return calls


def _assert_loads_correctly(laws_dir: Path, marker: Path) -> None:
    laws = ordinance.load(laws_dir)
    assert laws.model.laws.keys() == {"st.act", "ct.ordinance"}
    result = CliRunner().invoke(main, ["laws", "--ordinances", str(laws_dir)])
    assert result.exit_code == 0, result.output
    assert "st.act" in result.output
    assert not marker.exists(), "code ran from the cache"


def test_a_planted_pickle_never_runs(laws_dir: Path, tmp_path: Path) -> None:
    """No code runs from a cache: a plain pickle under the entry's name is not unpickled."""
    ordinance.load(laws_dir)
    (entry,) = cache.cache_dir().glob("*.pickle")
    marker = tmp_path / "pwned"
    entry.write_bytes(pickle.dumps(_Planted(marker)))
    _assert_loads_correctly(laws_dir, marker)
    assert entry.read_bytes().startswith(cache.MAGIC)  # rebuilt and rewritten


def test_a_forged_mac_never_runs(laws_dir: Path, tmp_path: Path) -> None:
    ordinance.load(laws_dir)
    (entry,) = cache.cache_dir().glob("*.pickle")
    marker = tmp_path / "pwned"
    entry.write_bytes(cache.MAGIC + b"\0" * 32 + pickle.dumps(_Planted(marker)))
    _assert_loads_correctly(laws_dir, marker)


def test_a_planted_pickle_and_key_in_a_fresh_cache_never_run(laws_dir: Path,
                                                              tmp_path: Path) -> None:
    """The attacker writes both the key and a matching entry before the first run, but
    cannot make the key private to the user: a key others can read is refused."""
    ordinance.load(laws_dir)
    (entry,) = cache.cache_dir().glob("*.pickle")
    key_file = cache.cache_dir() / cache.KEY_FILE
    key_file.unlink()
    secret = b"k" * cache.KEY_BYTES
    key_file.write_bytes(secret)
    key_file.chmod(0o644)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Planted(marker))
    entry.write_bytes(cache.MAGIC + cache._mac(secret, entry.stem, payload) + payload)
    _assert_loads_correctly(laws_dir, marker)


@pytest.mark.parametrize("mode", [0o770, 0o757, 0o777])
def test_a_cache_dir_others_can_write_is_refused(laws_dir: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 mode: int) -> None:
    """Even an entry that verifies under the key there is not trusted: whoever else can
    write the directory could have replaced the key and the entry."""
    ordinance.load(laws_dir)
    directory = cache.cache_dir()
    (entry,) = directory.glob("*.pickle")
    secret = (directory / cache.KEY_FILE).read_bytes()
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Planted(marker))
    entry.write_bytes(cache.MAGIC + cache._mac(secret, entry.stem, payload) + payload)
    directory.chmod(mode)
    calls = _count_parsing(monkeypatch)
    _assert_loads_correctly(laws_dir, marker)
    assert calls  # rebuilt, not taken from the cache
    assert pickle.dumps(_Planted(marker)) in entry.read_bytes()  # nothing written there


def test_a_key_file_others_can_read_is_refused(laws_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ordinance.load(laws_dir)
    (cache.cache_dir() / cache.KEY_FILE).chmod(0o640)
    calls = _count_parsing(monkeypatch)
    ordinance.load(laws_dir)
    assert calls


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a directory to another user needs root")
def test_a_cache_dir_owned_by_another_user_is_refused(laws_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    ordinance.load(laws_dir)
    os.chown(cache.cache_dir(), 65534, -1)
    calls = _count_parsing(monkeypatch)
    ordinance.load(laws_dir)
    assert calls


def test_a_new_cache_is_private(laws_dir: Path) -> None:
    ordinance.load(laws_dir)
    directory = cache.cache_dir()
    assert stat.S_IMODE(directory.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((directory / cache.KEY_FILE).stat().st_mode) == 0o600
    (entry,) = directory.glob("*.pickle")
    assert entry.read_bytes().startswith(cache.MAGIC)
    assert not list(directory.glob("*.tmp")) and not list(directory.glob(".*.tmp"))


def test_a_refused_cache_dir_is_named_once_by_the_command(laws_dir: Path) -> None:
    """A refused cache makes every command check the law again; the user is told why
    (it used to be silent), once per command, and the command still succeeds."""
    ordinance.load(laws_dir)
    cache.cache_dir().chmod(0o777)
    result = CliRunner().invoke(main, ["laws", "--ordinances", str(laws_dir)])
    assert result.exit_code == 0
    assert result.stderr.count("warning: the law cache") == 1
    assert "others can write to it (mode 0777)" in result.stderr
    assert "chmod go-w" in result.stderr
    cache.cache_dir().chmod(0o700)
    result = CliRunner().invoke(main, ["laws", "--ordinances", str(laws_dir)])
    assert result.exit_code == 0 and "warning" not in result.stderr


def test_only_the_newest_entries_are_kept(laws_dir: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """Old entries used to stay for ever (about 1 MB each)."""
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    laws = ordinance.load(laws_dir)
    directory = cache.cache_dir()
    for entry in directory.glob("*.pickle"):
        entry.unlink()
    for number in range(6):
        cache.put(f"{number:064x}", laws.model, [])
        written = (number + 1) * 10**9  # written in this order, a second apart
        os.utime(directory / f"{number:064x}.pickle", ns=(written, written))
    kept = sorted(p.stem for p in directory.glob("*.pickle"))
    assert kept == [f"{number:064x}" for number in (3, 4, 5)]
    assert cache.get(f"{5:064x}", laws.digest) is not None
