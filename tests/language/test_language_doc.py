"""Every example in docs/language.md must do what the text around it says.

Conventions of the document's fenced blocks:

* ```ord blocks must parse on their own. A block with a ``law`` header, or a
  block of vocabulary declarations only (``fact``, ``category``, ``define``),
  is also loaded together with ordinances/vocabulary.ord and must check
  without errors (warnings, e.g. for a ``gap``, are fine).
* Consecutive ```ord blocks whose first line is ``# file: NAME.ord`` are the
  files of one law set (e.g. an exception in one law to a rule of another):
  each still parses alone, and the group is loaded together with the vocabulary.
* ```ord-error blocks show a mistake. The first line names the diagnostic the
  block must produce, ``# error: CODE``; loading the block with the vocabulary
  must fail with a LawError whose diagnostics include that code.

Each test's id is the line of docs/language.md where its block starts.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import ordinance
from ordinance.analysis.conflicts import ANALYSIS_CODES
from ordinance.language.loader import parse_module
from ordinance.language.parser import parse_tree
from ordinance.language.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "language.md"
VOCABULARY = ROOT / "ordinances" / "vocabulary.ord"

# Codes an ord-error example names that the engine does not produce yet, with the reason;
# each such example is a strict xfail (remove the entry once the engine is fixed).
KNOWN_ENGINE_BUGS: dict[str, str] = {}

_FENCE = re.compile(r"^```(ord-error|ord)[ \t]*$")
_VOCABULARY_ONLY = re.compile(r"^\s*(law|section|rule|exception|gap)\b", re.MULTILINE)
_HAS_LAW = re.compile(r"^\s*law\s", re.MULTILINE)
_FILE = re.compile(r"^#\s*file:\s*(\S+\.ord)\s*$")
_ERROR = re.compile(r"^#\s*error:\s*([a-z0-9-]+)\s*$")


class Block:
    """One fenced block of the document."""

    def __init__(self, kind: str, line: int, text: str) -> None:
        self.kind = kind
        self.line = line  # the line of the opening fence, 1-based
        self.text = text

    @property
    def first_line(self) -> str:
        return self.text.split("\n", 1)[0].strip()

    @property
    def file_name(self) -> str | None:
        found = _FILE.match(self.first_line)
        return found.group(1) if found else None


def _blocks() -> list[Block]:
    blocks: list[Block] = []
    lines = DOC.read_text(encoding="utf-8").split("\n")
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].rstrip() != "```":
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise AssertionError(f"docs/language.md:{start + 1}: unclosed ``` block")
        blocks.append(Block(fence.group(1), start + 1, "\n".join(body) + "\n"))
        index += 1
    return blocks


BLOCKS = _blocks()
ORD = [b for b in BLOCKS if b.kind == "ord"]
ERRORS = [b for b in BLOCKS if b.kind == "ord-error"]


def _groups() -> list[list[Block]]:
    """Runs of consecutive ``# file:`` blocks (no other ord block between them)."""
    groups: list[list[Block]] = []
    current: list[Block] = []
    for block in BLOCKS:
        if block.kind == "ord" and block.file_name:
            current.append(block)
            continue
        if current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


GROUPS = _groups()


def _load(tmp_path: Path, files: dict[str, str]) -> ordinance.OrdinanceSet:
    shutil.copy(VOCABULARY, tmp_path / "vocabulary.ord")
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return ordinance.load(tmp_path)


def _render(error: ordinance.LawError) -> str:
    return "\n".join(d.gnu() for d in error.diagnostics)


def test_document_has_examples() -> None:
    assert len(ORD) >= 15
    assert len(ERRORS) >= 5
    assert GROUPS, "the cross-file exception example is missing"


@pytest.mark.parametrize("block", ORD, ids=[str(b.line) for b in ORD])
def test_block_parses(block: Block) -> None:
    source = SourceFile(f"language.md:{block.line}", block.text)
    parse_tree(source)
    parse_module(source)


def _standalone(block: Block) -> bool:
    if block.file_name:
        return False
    return bool(_HAS_LAW.search(block.text)) or not _VOCABULARY_ONLY.search(block.text)


STANDALONE = [b for b in ORD if _standalone(b)]


@pytest.mark.parametrize("block", STANDALONE, ids=[str(b.line) for b in STANDALONE])
def test_block_checks_with_vocabulary(block: Block, tmp_path: Path) -> None:
    try:
        laws = _load(tmp_path, {"example.ord": block.text})
    except ordinance.LawError as error:
        pytest.fail(f"docs/language.md:{block.line}: the example does not check:\n"
                    + _render(error))
    assert laws.model.facts


@pytest.mark.parametrize("group", GROUPS, ids=[str(g[0].line) for g in GROUPS])
def test_file_group_checks_with_vocabulary(group: list[Block], tmp_path: Path) -> None:
    files = {b.file_name: b.text for b in group if b.file_name}
    assert len(files) == len(group), "two blocks of one group name the same file"
    try:
        _load(tmp_path, files)
    except ordinance.LawError as error:
        pytest.fail(f"docs/language.md:{group[0].line}: the files do not check together:\n"
                    + _render(error))


def _error_params() -> list[object]:
    params: list[object] = []
    for block in ERRORS:
        found = _ERROR.match(block.first_line)
        code = found.group(1) if found else ""
        marks = []
        if code in KNOWN_ENGINE_BUGS:
            marks.append(pytest.mark.xfail(reason=KNOWN_ENGINE_BUGS[code], strict=True))
        params.append(pytest.param(block, id=str(block.line), marks=marks))
    return params


@pytest.mark.parametrize("block", _error_params())
def test_error_block_fails_with_its_code(block: Block, tmp_path: Path) -> None:
    found = _ERROR.match(block.first_line)
    assert found, (f"docs/language.md:{block.line}: an ord-error block must start with "
                   "`# error: CODE`")
    code = found.group(1)
    with pytest.raises(ordinance.LawError) as caught:
        _load(tmp_path, {"example.ord": block.text})
    codes = [d.code for d in caught.value.diagnostics]
    assert code in codes, (f"docs/language.md:{block.line}: expected `{code}`, got:\n"
                           + _render(caught.value))


def test_every_diagnostic_code_is_documented() -> None:
    """The diagnostics table names every code the parser, loader, checker and lint emit."""
    emitted: set[str] = set()
    call = re.compile(r"(?:report\.(?:error|warning)|Diagnostic)\(\s*\"([a-z0-9-]+)\"")
    for path in sorted((ROOT / "src" / "ordinance").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        emitted |= set(call.findall(text))
        if path.name == "parser.py":
            emitted |= set(re.findall(r"^\s+\(\s*\n\s+\"([a-z0-9-]+)\",", text, re.MULTILINE))
    emitted |= set(ANALYSIS_CODES)  # emitted through Analyzer._diagnostic
    assert {"syntax-error", "double-equals", "unknown-fact", "gap"} <= emitted
    text = DOC.read_text(encoding="utf-8")
    heading = re.search(r"^## .*Diagnostics$", text, re.MULTILINE)
    assert heading, "docs/language.md has no Diagnostics section"
    section = text[heading.end():]
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.MULTILINE))
    assert sorted(emitted - documented) == []
    assert sorted(documented - emitted) == []
