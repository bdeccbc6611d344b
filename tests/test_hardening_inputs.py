"""Hostile inputs found by an attacker review: case-file alias bombs, duplicate keys in
requests and batch lines, and symlinks out of a law directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import ordinance
from ordinance.cli import main
from ordinance.engine import inputs
from ordinance.language.errors import InputError
from ordinance.service.testing import load_cases

from .conftest import EXAMPLES, ORDINANCES, sheriff_to_ice


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args], input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- case files: no alias bombs

def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A case file of ~700 bytes whose request expands to ``width ** levels`` strings."""
    lines = ["- name: bomb", "  cites: []", "  outcome: permitted", "  request:",
             "    date:", "    - &a0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"    - &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "laws"
    directory.mkdir()
    (directory / "vocabulary.ord").write_text(
        (ORDINANCES / "vocabulary.ord").read_text("utf-8"), "utf-8")
    return directory


def test_an_alias_bomb_case_file_is_an_error_naming_file_line_and_column(
        case_dir: Path) -> None:
    bomb = _alias_bomb()
    assert len(bomb.encode()) < 700
    path = case_dir / "bomb.cases.yaml"
    path.write_text(bomb, "utf-8")
    code, _, err = invoke("test", str(case_dir), "--no-cache")
    assert code == 5
    # a6 (9 ** 7 uses of `lol`, ~19 MiB) is the first value past the 4 MiB bound
    assert f"{path}: line 12, column 7: YAML aliases expand this value past the 4 MiB" in err


def test_an_alias_bomb_case_file_fails_fast_in_bounded_memory(case_dir: Path) -> None:
    """A real process, limited to 1 GiB of address space and 60 s: it must fail cleanly
    (it used to take 3 GB expanding the aliases to show the value)."""
    resource = pytest.importorskip("resource")
    (case_dir / "bomb.cases.yaml").write_text(_alias_bomb(), "utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run([sys.executable, "-m", "ordinance", "test", str(case_dir),
                           "--no-cache"], capture_output=True, text=True, timeout=60,
                          preexec_fn=limit, check=False)
    assert done.returncode == 5, done.stderr[-2000:]
    assert "YAML aliases expand" in done.stderr and "Traceback" not in done.stderr


def test_a_recursive_alias_in_a_case_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "loop.cases.yaml"
    path.write_text("- &a [1, *a]\n", "utf-8")
    with pytest.raises(InputError, match=r"line 1, column 10: a YAML alias inside the value"):
        load_cases(path)


def test_case_files_may_share_a_request_through_an_alias(case_dir: Path) -> None:
    """What ``yaml.safe_dump`` writes for a shared value, and ``<<:`` merges, still load."""
    shared = sheriff_to_ice(data=["home_address"])
    path = case_dir / "shared.cases.yaml"
    path.write_text(yaml.safe_dump([
        {"name": "one", "cites": [], "request": shared, "outcome": "prohibited"},
        {"name": "two", "cites": [], "request": shared, "outcome": "prohibited"}]), "utf-8")
    assert "*id001" in path.read_text("utf-8")
    first, second = load_cases(path)
    assert first.request == second.request == shared
    merged = case_dir / "merged.cases.yaml"
    merged.write_text("- name: base\n  cites: []\n  outcome: permitted\n"
                      "  request: &base {date: '2024-05-01', data_public: false}\n"
                      "- name: merged\n  cites: []\n  outcome: permitted\n"
                      "  request: {<<: *base, data_public: true}\n", "utf-8")
    _, case = load_cases(merged)
    assert case.request == {"date": "2024-05-01", "data_public": True}


def test_request_files_still_refuse_aliases(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text("a: &x [1]\nb: *x\n", "utf-8")
    with pytest.raises(InputError, match=r"line 2, column 4: YAML aliases .* not accepted"):
        inputs.read_requests(str(path))


def test_bundled_case_files_use_no_aliases() -> None:
    for path in ORDINANCES.rglob("*.cases.yaml"):
        events = yaml.parse(path.read_text("utf-8"))
        assert not any(isinstance(e, yaml.AliasEvent) for e in events), path


# ---------------------------------------------------------------- duplicate keys

PROHIBITED_THEN_PERMITTED = sheriff_to_ice(data=["home_address"])


def _json_with_duplicate(key: str, first: object, last: object) -> str:
    """The request as JSON with ``key`` written twice: ``first`` and then ``last``."""
    request = {k: v for k, v in PROHIBITED_THEN_PERMITTED.items() if k != key}
    body = json.dumps(request)[:-1]
    return f'{body}, "{key}": {json.dumps(first)}, "{key}": {json.dumps(last)}}}'


def test_reject_duplicate_keys_is_a_json_object_pairs_hook() -> None:
    assert json.loads('{"a": {"b": 1}}', object_pairs_hook=inputs.reject_duplicate_keys) == {
        "a": {"b": 1}}
    with pytest.raises(inputs.DuplicateKeyError, match="duplicate key `b`") as caught:
        json.loads('{"a": {"b": 1, "b": 2}}', object_pairs_hook=inputs.reject_duplicate_keys)
    assert isinstance(caught.value, ValueError) and caught.value.key == "b"


def test_a_duplicate_key_in_a_json_request_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    text = _json_with_duplicate("data", ["home_address"], ["release_date"])
    path.write_text(text, "utf-8")
    code, out, err = invoke("check", str(path), "--no-cache")
    assert code == 5, out
    column = text.rindex('"data"') + 1
    assert f"{path}: line 1, column {column}: duplicate key `data`: a key may appear only " \
           "once in a mapping" in err


def test_a_duplicate_key_in_a_nested_json_object_names_its_line_and_column(tmp_path: Path
                                                                           ) -> None:
    path = tmp_path / "nested.json"
    text = json.dumps(PROHIBITED_THEN_PERMITTED, indent=2).replace(
        '"kind": "sheriff",', '"kind": "sheriff",\n\t  "kind" : "probation",')
    path.write_text(text.replace("\n", "\r\n"), "utf-8")  # CRLF: columns as with LF
    line = text.splitlines().index('\t  "kind" : "probation",') + 1
    with pytest.raises(InputError) as caught:
        inputs.read_requests(str(path))
    assert str(caught.value) == (f"{path}: line {line}, column 4: duplicate key `kind`: a key "
                                 "may appear only once in a mapping")
    # The same text as YAML (no tab: YAML refuses one there) says the same the same way.
    as_yaml = tmp_path / "nested.yaml"
    as_yaml.write_text(text.replace("\t", " "), "utf-8")
    with pytest.raises(InputError) as caught:
        inputs.read_requests(str(as_yaml))
    assert str(caught.value) == (f"{as_yaml}: line {line}, column 4: duplicate key `kind`: "
                                 "a key may appear only once in a mapping")


DUPLICATES = {  # text, the key, line and column of its second occurrence
    "first key again": ('{"a": 1, "a": 2}', "a", 1, 10),
    "no blanks": ('{"a":1,"a":2}', "a", 1, 8),
    "blanks before the comma": ('{"a": [1, 2]  ,\n\n   "a": {}}', "a", 3, 4),
    "inside a list": ('[1, {"x": {"y": true}}, {"b": 1, "c": 2, "b": null}]', "b", 1, 42),
    "an escape spelling the same key": ('{"aA": 1, "a\\u0041": 2}', "aA", 1, 11),
    "unicode before it": ('{"é": "ü…", "é": 1}', "é", 1, 13),
    "the inner object closes first": ('{"b": 1, "b": 2, "c": {"x": 1, "x": 2}}', "x", 1, 32),
    "equal keys in sibling objects are fine": ('[{"a": 1}, {"a": 2, "z": 0, "a": 3}]', "a", 1, 29),
}


@pytest.mark.parametrize("case", sorted(DUPLICATES))
def test_a_json_duplicate_key_error_gives_the_second_occurrence(case: str) -> None:
    (text, key, line, column) = DUPLICATES[case]
    with pytest.raises(inputs.DuplicateKeyError) as caught:
        inputs.loads_json(text)
    error = caught.value
    assert (error.key, error.line, error.column) == (key, line, column)
    assert str(error) == f"line {line}, column {column}: {error.problem}"
    at = sum(len(text_line) + 1 for text_line in text.split("\n")[:line - 1]) + column - 1
    assert text[at] == '"'  # the key's opening quote
    # The fast parser found the same key.
    with pytest.raises(inputs.DuplicateKeyError, match=f"duplicate key `{key}`"):
        json.loads(text, object_pairs_hook=inputs.reject_duplicate_keys)


def test_only_a_duplicate_key_is_read_again_by_the_slow_parser(monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    def slow(*args: object, **kwargs: object) -> inputs.DuplicateKeyError:
        raise AssertionError("the slow parser ran")

    monkeypatch.setattr(inputs, "locate_duplicate_key", slow)
    for example in EXAMPLES.glob("*.json"):
        inputs.read_requests(str(example))
    assert inputs.loads_json(json.dumps(PROHIBITED_THEN_PERMITTED)) == PROHIBITED_THEN_PERMITTED
    for bad in ('{"a": ', '{"a": 1, "b": }', "[" + "1" * 200 + "]"):
        with pytest.raises(ValueError):  # syntax errors and long integers: no re-read
            inputs.loads_json(bad)


def test_a_duplicate_key_past_the_slow_parsers_depth_is_still_named() -> None:
    text = "[" * 600 + '{"a": 1, "a": 2}' + "]" * 600
    with pytest.raises(inputs.DuplicateKeyError) as caught:
        inputs.loads_json(text)
    assert caught.value.key == "a" and caught.value.line is None
    assert str(caught.value).startswith("duplicate key `a`")


def test_loads_json_passes_options_to_both_parsers() -> None:
    def no_constant(name: str) -> object:
        raise ValueError(f"`{name}` is not JSON")

    with pytest.raises(ValueError, match="`NaN` is not JSON"):
        inputs.loads_json('{"a": NaN}', parse_constant=no_constant)
    with pytest.raises(inputs.DuplicateKeyError, match="line 1, column 20: duplicate key `a`"):
        inputs.loads_json('{"a": 1.5, "b": 2, "a": 3}', parse_constant=no_constant,
                          parse_float=float)


def test_a_duplicate_key_in_a_yaml_request_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    text = yaml.safe_dump(PROHIBITED_THEN_PERMITTED, sort_keys=False)
    path.write_text(text + "data: [release_date]\n", "utf-8")
    line = len(text.splitlines()) + 1
    code, out, err = invoke("check", str(path), "--no-cache")
    assert code == 5, out
    assert f"{path}: line {line}, column 1: duplicate key `data`" in err


def test_a_duplicate_key_in_a_nested_yaml_mapping_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text("holder:\n  kind: sheriff\n  state: CA\n  state: NV\n", "utf-8")
    with pytest.raises(InputError, match=r"line 4, column 3: duplicate key `state`"):
        inputs.read_requests(str(path))
    flow = tmp_path / "flow.yaml"
    flow.write_text("holder: {kind: sheriff, kind: police}\n", "utf-8")
    with pytest.raises(InputError, match=r"line 1, column 25: duplicate key `kind`"):
        inputs.read_requests(str(flow))


def test_yaml_keys_that_are_equal_values_are_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "equal.yaml"
    path.write_text("data_public: false\n? !!str data_public\n: true\n", "utf-8")
    with pytest.raises(InputError, match="duplicate key `data_public`"):
        inputs.read_requests(str(path))


def test_a_yaml_merge_key_may_be_overridden(tmp_path: Path) -> None:
    """``<<:`` is not a duplicate of the keys it merges (aliases stay refused)."""
    path = tmp_path / "merge.yaml"
    path.write_text("holder:\n  <<: {kind: police}\n  kind: sheriff\n", "utf-8")
    ((_, document),) = inputs.read_requests(str(path))
    assert document == {"holder": {"kind": "sheriff"}}


def test_a_duplicate_key_in_a_batch_line_is_an_error(tmp_path: Path) -> None:
    good = json.dumps(PROHIBITED_THEN_PERMITTED)
    bad = _json_with_duplicate("data_public", False, True)
    nested = good.replace('"kind": "sheriff"', '"kind": "sheriff", "kind": "police"')
    assert nested != good
    code, out, _ = invoke("batch", "--ordinances", str(ORDINANCES), "-",
                          stdin="\n".join([good, bad, nested]) + "\n")
    assert code == 5
    results = [json.loads(line) for line in out.splitlines()]
    assert results[0]["outcome"] == "prohibited"
    assert results[1] == {**results[1], "line": 2}
    # The line in the batch, the column in that line.
    (second, police) = (bad.rindex('"data_public"') + 1, nested.index('"kind": "police"') + 1)
    assert results[1]["error"] == (f"line 2, column {second}: duplicate key `data_public`: "
                                   "a key may appear only once in a mapping")
    assert results[2]["error"].startswith(f"line 3, column {police}: duplicate key `kind`")


def test_requests_without_duplicates_still_read() -> None:
    for example in EXAMPLES.glob("*.yaml"):
        inputs.read_requests(str(example))
    for example in EXAMPLES.glob("*.json"):
        inputs.read_requests(str(example))


# ---------------------------------------------------------------- symlinks out of a law directory

SECRET = "hunter2-SECRET-do-not-print"


@pytest.fixture
def linked_laws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The engine fixture laws, plus links out of the directory to a secret file (as a
    law file that does not parse, so its line would be quoted) and to a directory."""
    from .conftest import FIXTURES

    monkeypatch.setenv("ORDINANCE_CACHE_DIR", str(tmp_path / "cache"))
    laws = tmp_path / "laws"
    shutil.copytree(FIXTURES / "engine", laws)
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET} rule {{\n", "utf-8")
    (outside / "more.ord").write_text(f"{SECRET} law {{\n", "utf-8")
    (laws / "stolen.ord").symlink_to(outside / "secret.txt")
    (laws / "sub").mkdir()
    (laws / "sub" / "up.ord").symlink_to(Path("..") / ".." / "private" / "secret.txt")
    (laws / "elsewhere").symlink_to(outside, target_is_directory=True)
    return laws


def test_a_link_out_of_the_law_directory_is_skipped_with_a_warning(linked_laws: Path) -> None:
    laws = ordinance.load(linked_laws)
    assert laws.model.laws.keys() == {"st.act", "ct.ordinance"}
    skipped = [w for w in laws.warnings if w.code == "symlink-outside"]
    assert sorted(Path(w.span.source.path).name for w in skipped) == [
        "elsewhere", "stolen.ord", "up.ord"]
    assert not any(SECRET in w.render() or SECRET in w.gnu() for w in laws.warnings)
    again = ordinance.load(linked_laws)  # from the cache: the warnings are still there
    assert [w.gnu() for w in again.warnings] == [w.gnu() for w in laws.warnings]


@pytest.mark.parametrize("args", [["lint", "{laws}"], ["lint", "{laws}", "--format", "json"],
                                  ["laws", "--ordinances", "{laws}"],
                                  ["fmt", "--check", "{laws}"], ["test", "{laws}"]])
def test_no_command_prints_what_a_link_out_points_to(linked_laws: Path,
                                                      args: list[str]) -> None:
    result = CliRunner().invoke(main, [a.format(laws=linked_laws) for a in args])
    assert SECRET not in result.output and SECRET not in (result.stderr or "")
    assert "Traceback" not in result.output


def test_a_link_inside_the_law_directory_is_still_read(tmp_path: Path) -> None:
    from .conftest import FIXTURES

    laws = tmp_path / "laws"
    shutil.copytree(FIXTURES / "engine", laws)
    (laws / "kept").mkdir()
    (laws / "city.ord").rename(laws / "kept" / "city.txt")
    (laws / "city.ord").symlink_to(Path("kept") / "city.txt")
    loaded = ordinance.load(laws, cache=False)
    assert loaded.model.laws.keys() == {"st.act", "ct.ordinance"}
    assert not [w for w in loaded.warnings if w.code == "symlink-outside"]
